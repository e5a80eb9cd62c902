// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's rows over the whole buffer (rows.h).
#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <vector>

#include "bench/cuda/rows.h"
#include "bench/cuda/timing.h"
#include "devbin/kernel_args.h"
#include "devbin_internal/random_bytes.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

using util::format;
using util::gib;

namespace {
constexpr int kReps = 21;
}  // namespace

Status fill_row(Bench& bench, uint32_t pattern_width) {
  std::vector<uint8_t> pattern(pattern_width);
  util::random_bytes(bench.rng, pattern);
  uint32_t word = 0;
  std::memcpy(&word, bench.block.data(), 4);
  const uint64_t size = bench.size;
  const DevicePtr to = bench.target.address();
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms, time_interleaved(bench.device, bench.stream,
                                {[&] { return bench.device.fill(bench.stream, to, size, pattern); },
                                 [&] { return bench.driver.memset_d32(bench.stream, to, word, size / 4); }},
                                2, kReps));
  DEVBIN_RETURN_IF_ERROR(bench.device.fill(bench.stream, to, size, pattern));
  DEVBIN_RETURN_IF_ERROR(bench.stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_windows(to, size, [&](uint64_t i) { return pattern[i % pattern_width]; }, "fill result"));
  }
  bench.rows.push_back(target_row(format("fill %s, %u-byte pattern", gib(size).c_str(), pattern_width),
                                  gbps(size, ms[0]), gbps(size, ms[1]) + " (cuMemsetD32Async)", ms[1] / ms[0],
                                  ">= 1.00", ms[1] / ms[0] >= 1.0));
  return Status::Ok();
}

Status copy_row(Bench& bench, uint64_t source_offset, uint64_t target_offset, double target_ratio) {
  const uint64_t size = bench.size;
  const DevicePtr from = bench.source.address() + source_offset;
  const DevicePtr to = bench.target.address() + target_offset;
  DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(bench.device, bench.stream,
                                                    {[&] { return bench.device.copy(bench.stream, to, from, size); },
                                                     [&] { return bench.driver.copy(bench.stream, to, from, size); }},
                                                    2, kReps));
  DEVBIN_RETURN_IF_ERROR(bench.poison_target());
  DEVBIN_RETURN_IF_ERROR(bench.device.copy(bench.stream, to, from, size));
  DEVBIN_RETURN_IF_ERROR(bench.stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_windows(
        to, size, [&](uint64_t i) { return bench.block[(source_offset + i) % bench.block.size()]; }, "copy result"));
  }
  const std::string name =
      source_offset == 0 && target_offset == 0
          ? format("copy %s, both 16-byte aligned", gib(size).c_str())
          : format("copy %s, src+%" PRIu64 " -> dst+%" PRIu64, gib(size).c_str(), source_offset, target_offset);
  bench.rows.push_back(target_row(name, gbps(2 * size, ms[0]), gbps(2 * size, ms[1]) + " (cuMemcpyDtoDAsync)",
                                  ms[1] / ms[0], format(">= %.2f", target_ratio), ms[1] / ms[0] >= target_ratio));
  return Status::Ok();
}

// 65536 rows (fewer when the buffers are smaller than 256 MiB a side).
Status copy_rect_rows(Bench& bench) {
  const uint64_t width = 4097;
  const uint64_t source_pitch = 4099;
  const uint64_t target_pitch = 4101;
  const uint64_t height = std::clamp<uint64_t>(bench.size / target_pitch, 1, 65536);
  const devbin_rect_region_t to{bench.target.address(), target_pitch, 0};
  const devbin_rect_region_t from{bench.source.address(), source_pitch, 0};
  const devbin_rect_extent_t extent{width, static_cast<uint32_t>(height), 1};
  std::vector<Variant> variants = {
      [&] { return bench.device.copy_rect(bench.stream, to, from, extent); },
      [&] { return bench.device.copy(bench.stream, to.base, from.base, height * width); }};
  auto driver_2d = [&] {
    return bench.driver.copy_2d(bench.stream, to.base, target_pitch, from.base, source_pitch, width, height);
  };
  const bool has_driver_2d = driver_2d().ok();
  if (has_driver_2d) variants.push_back(driver_2d);
  DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(bench.device, bench.stream, variants, 2, kReps));
  DEVBIN_RETURN_IF_ERROR(bench.poison_target());
  DEVBIN_RETURN_IF_ERROR(bench.device.copy_rect(bench.stream, to, from, extent));
  DEVBIN_RETURN_IF_ERROR(bench.stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_rect_rows(
        to.base, target_pitch, height,
        [&](uint64_t row, uint64_t i) {
          return i < width ? bench.block[(row * source_pitch + i) % bench.block.size()] : static_cast<uint8_t>(0xa5);
        },
        "copy_rect result"));
  }
  const uint64_t bytes = 2 * height * width;
  bench.rows.push_back(target_row(format("copy_rect 2D, %" PRIu64 " rows x %" PRIu64 " B, pitches %" PRIu64
                                         " (source) and %" PRIu64 " (target)",
                                         height, width, source_pitch, target_pitch),
                                  gbps(bytes, ms[0]), gbps(bytes, ms[1]) + " (devbin copy of the same bytes, 1D)",
                                  ms[1] / ms[0], ">= 0.85 (vs devbin 1D copy)", ms[1] / ms[0] >= 0.85));
  if (has_driver_2d) {
    bench.rows.push_back(target_row("  the same copy against cuMemcpy2DAsync", gbps(bytes, ms[0]),
                                    gbps(bytes, ms[2]) + " (cuMemcpy2DAsync)", ms[2] / ms[0], ">= 1.70",
                                    ms[2] / ms[0] >= 1.70));
  } else {
    bench.rows.push_back(information_row("  cuMemcpy2DAsync", "-", "the driver lacks it"));
  }
  return Status::Ok();
}

// 65536 rows of 4096 bytes at pitch 4352 (272 MiB; fewer rows for smaller buffers).
Status fill_rect_row(Bench& bench, uint32_t pattern_width) {
  const uint64_t width = 4096;
  const uint64_t pitch = 4352;
  const uint64_t height = std::clamp<uint64_t>(bench.size / pitch, 1, 65536);
  const devbin_rect_region_t to{bench.target.address(), pitch, 0};
  const devbin_rect_extent_t extent{width, static_cast<uint32_t>(height), 1};
  std::vector<uint8_t> pattern(pattern_width);
  util::random_bytes(bench.rng, pattern);
  const std::vector<uint8_t> driver_pattern(pattern.begin(), pattern.begin() + std::min<uint32_t>(pattern_width, 4));
  const char* driver_name = driver_pattern.size() == 1   ? "cuMemsetD2D8Async"
                            : driver_pattern.size() == 2 ? "cuMemsetD2D16Async"
                                                         : "cuMemsetD2D32Async";
  auto driver_fill = [&] { return bench.driver.memset_2d(bench.stream, to.base, pitch, driver_pattern, width, height); };
  if (!driver_fill().ok()) {
    bench.rows.push_back(information_row(format("fill_rect 2D, %u-byte pattern", pattern_width), "-",
                                         std::string("the driver lacks ") + driver_name));
    return Status::Ok();
  }
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms, time_interleaved(bench.device, bench.stream,
                                {[&] { return bench.device.fill_rect(bench.stream, to, extent, pattern); }, driver_fill},
                                2, kReps));
  DEVBIN_RETURN_IF_ERROR(bench.poison_target());
  DEVBIN_RETURN_IF_ERROR(bench.device.fill_rect(bench.stream, to, extent, pattern));
  DEVBIN_RETURN_IF_ERROR(bench.stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_rect_rows(
        to.base, pitch, height,
        [&](uint64_t, uint64_t i) { return i < width ? pattern[i % pattern_width] : static_cast<uint8_t>(0xa5); },
        "fill_rect result"));
  }
  const uint64_t bytes = height * width;
  bench.rows.push_back(target_row(format("fill_rect 2D, %" PRIu64 " rows x %" PRIu64 " B, pitch %" PRIu64
                                         ", %u-byte pattern",
                                         height, width, pitch, pattern_width),
                                  gbps(bytes, ms[0]), gbps(bytes, ms[1]) + " (" + driver_name + ")", ms[1] / ms[0],
                                  ">= 0.98", ms[1] / ms[0] >= 0.98));
  return Status::Ok();
}

// The table uploaded beforehand: the chunked batch keeps full bandwidth.
Status batch_of_parts_row(Bench& bench) {
  const size_t parts = 64;
  const uint64_t part = bench.size / parts / 16 * 16;
  const DevicePtr to = bench.target.address();
  const DevicePtr from = bench.source.address();
  std::vector<devbin_batch_op_t> entries;
  for (size_t i = 0; i < parts; ++i) {
    DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t op, make_batch_copy(to + i * part, from + i * part, part));
    entries.push_back(op);
  }
  DEVBIN_ASSIGN_OR_RETURN(uint64_t chunks, batch_number(entries));
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer table, bench.device.allocate(entries.size() * sizeof(devbin_batch_op_t)));
  DEVBIN_RETURN_IF_ERROR(
      bench.device.copy_to_device(table.address(), entries.data(), entries.size() * sizeof(devbin_batch_op_t)));
  DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args,
                          make_batch_args(table.address(), static_cast<uint32_t>(parts), chunks));
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms, time_interleaved(bench.device, bench.stream,
                                {[&] { return bench.device.batch(bench.stream, args); },
                                 [&] { return bench.device.copy(bench.stream, to, from, parts * part); },
                                 [&] { return bench.driver.copy(bench.stream, to, from, parts * part); }},
                                2, kReps));
  DEVBIN_RETURN_IF_ERROR(bench.poison_target());
  DEVBIN_RETURN_IF_ERROR(bench.device.batch(bench.stream, args));
  DEVBIN_RETURN_IF_ERROR(bench.stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_windows(
        to, parts * part, [&](uint64_t i) { return bench.block[i % bench.block.size()]; }, "batch of 64 copies result"));
  }
  const uint64_t bytes = 2 * parts * part;
  bench.rows.push_back(target_row(format("batch of 64 x %s copies", gib(part).c_str()), gbps(bytes, ms[0]),
                                  format("%s (one devbin copy of %s); %s (cuMemcpyDtoDAsync)", gbps(bytes, ms[1]).c_str(),
                                         gib(parts * part).c_str(), gbps(bytes, ms[2]).c_str()),
                                  ms[1] / ms[0], ">= 0.95 (vs devbin copy)", ms[1] / ms[0] >= 0.95));
  return Status::Ok();
}

}  // namespace devbin::bench
