// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's small-operation rows (rows.h): cost per operation in a stream
// of back-to-back ones, on the GPU's clock (events) and on the host's (time
// to enqueue), which tells a launch-rate limit from a GPU-side one. Fills and
// updates take their vendor path where the table has one
// (devbin/vendor_path.h); the crossover rows time both paths at each size.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <vector>

#include "bench/cuda/rows.h"
#include "bench/cuda/timing.h"
#include "devbin_internal/random_bytes.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

using util::format;

namespace {

// `op` on the kernel path: vendor paths off for its length.
Variant kernel_path(cuda::Device& device, Variant op) {
  return [&device, op = std::move(op)]() -> Status {
    device.set_vendor_paths(false);
    Status status = op();
    device.set_vendor_paths(true);
    return status;
  };
}

}  // namespace

Status small_operation_rows(Bench& bench) {
  constexpr int ops = 1000;
  cuda::Device& device = bench.device;
  cuda::Stream& stream = bench.stream;
  const DevicePtr to = bench.target.address();
  const DevicePtr from = bench.source.address();
  std::vector<Variant> variants = {repeat(ops, [&] { return bench.driver.memset_d32(stream, to, 0x04030201, 16); })};
  const std::vector<std::vector<uint8_t>> patterns = {{0x5a},
                                                      {0x01, 0x02},
                                                      {0x01, 0x02, 0x03, 0x04},
                                                      {1, 2, 3, 4, 5, 6, 7, 8},
                                                      {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  for (const auto& pattern : patterns) {
    variants.push_back(repeat(ops, [&] { return device.fill(stream, to, 64, pattern); }));
  }
  variants.push_back(repeat(ops, [&] { return device.timestamp(stream, to); }));
  variants.push_back(repeat(ops, [&] { return device.copy(stream, to, from, 64); }));
  variants.push_back(repeat(ops, [&] { return bench.driver.copy(stream, to, from, 64); }));
  std::vector<double> host_ms;
  DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream, variants, 2, 11, &host_ms));
  auto us = [&](size_t i) { return ms[i] * 1000 / ops; };
  auto host_us = [&](size_t i) { return host_ms[i] * 1000 / ops; };
  const std::string memset = format("%.2f us (enqueue %.2f us; cuMemsetD32Async)", us(0), host_us(0));
  for (size_t p = 0; p < patterns.size(); ++p) {
    const size_t width = patterns[p].size();
    const std::string operation = format("fill 64 B, %zu-byte pattern, per op in a stream of 1000", width);
    const std::string ours = format("%.2f us (enqueue %.2f us)", us(1 + p), host_us(1 + p));
    // No driver call fills with an 8 or 16-byte pattern: those are reported.
    bench.rows.push_back(width <= 4 ? target_row(operation, ours, memset, us(1 + p) / us(0), "<= 1.1x",
                                                 us(1 + p) / us(0) <= 1.1)
                                    : ratio_row(operation, ours, memset, us(1 + p) / us(0)));
  }
  const size_t t = 1 + patterns.size();
  bench.rows.push_back(ratio_row("copy 64 B, per op in a stream of 1000",
                                 format("%.2f us (enqueue %.2f us)", us(t + 1), host_us(t + 1)),
                                 format("%.2f us (enqueue %.2f us; cuMemcpyDtoDAsync)", us(t + 2), host_us(t + 2)),
                                 us(t + 1) / us(t + 2)));
  bench.rows.push_back(information_row("timestamp, per op in a stream of 1000",
                                       format("%.2f us (enqueue %.2f us)", us(t), host_us(t)), "-"));
  return Status::Ok();
}

// The reference copies from pinned memory, which, unlike an update, leaves
// the source the caller's to keep unchanged until the copy is made.
Status update_row(Bench& bench, uint64_t bytes, uint64_t offset, bool held_to_target) {
  cuda::Device& device = bench.device;
  cuda::Stream& stream = bench.stream;
  const int ops = bytes == DEVBIN_UPDATE_MAX_BYTES ? 200 : 1000;
  std::vector<uint8_t> data(bytes);
  util::random_bytes(bench.rng, data);
  DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer pinned, device.allocate_host(bytes));
  std::memcpy(pinned.data(), data.data(), bytes);
  const DevicePtr to = bench.target.address() + offset;
  std::vector<double> host_ms;
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms,
      time_interleaved(device, stream,
                       {repeat(ops, [&] { return device.update(stream, to, data); }),
                        repeat(ops, [&] { return bench.driver.copy_to_device_async(stream, to, pinned.data(), bytes); }),
                        repeat(ops, kernel_path(device, [&] { return device.update(stream, to, data); })),
                        // From pageable memory the driver copies the bytes before it returns.
                        repeat(ops, [&] { return bench.driver.copy_to_device_async(stream, to, data.data(), bytes); })},
                       2, 11, &host_ms));
  DEVBIN_RETURN_IF_ERROR(device.memset_d8(bench.target.address(), 0xa5, bytes + 16));
  DEVBIN_RETURN_IF_ERROR(device.update(stream, to, data));
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  if (bench.checking()) {
    bench.check(bench.check_windows(to, bytes, [&](uint64_t i) { return data[i]; }, "update result"));
  }
  const double ours = ms[0] * 1000 / ops;
  const double theirs = ms[1] * 1000 / ops;
  const std::string operation =
      format("update %" PRIu64 " B to dst+%" PRIu64 ", per op in a stream of %d", bytes, offset, ops);
  const std::string ours_text =
      format("%.2f us (enqueue %.2f us; kernel path %.2f us)", ours, host_ms[0] * 1000 / ops, ms[2] * 1000 / ops);
  const std::string theirs_text =
      format("%.2f us (enqueue %.2f us; cuMemcpyHtoDAsync, pinned; from pageable %.2f us, enqueue %.2f us)", theirs,
             host_ms[1] * 1000 / ops, ms[3] * 1000 / ops, host_ms[3] * 1000 / ops);
  bench.rows.push_back(held_to_target
                           ? target_row(operation, ours_text, theirs_text, ours / theirs, "<= 1.0x", ours / theirs <= 1.0)
                           : ratio_row(operation, ours_text, theirs_text, ours / theirs));
  return Status::Ok();
}

// The table (devbin/vendor_path.h) should send each size to the faster path.
Status fill_crossover_row(Bench& bench, uint64_t bytes) {
  if (bytes > bench.target.size()) return Status::Ok();
  const int ops = bytes >= (uint64_t{16} << 20) ? 20 : 200;
  const uint32_t word = 0x04030201;
  const uint8_t pattern[4] = {1, 2, 3, 4};
  const DevicePtr to = bench.target.address();
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms, time_interleaved(bench.device, bench.stream,
                                {repeat(ops, [&] { return bench.driver.memset_d32(bench.stream, to, word, bytes / 4); }),
                                 repeat(ops, kernel_path(bench.device, [&] {
                                          return bench.device.fill(bench.stream, to, bytes, pattern);
                                        }))},
                                2, 11));
  const std::string size = bytes < (1 << 20) ? format("%" PRIu64 " KiB", bytes >> 10) : format("%" PRIu64 " MiB", bytes >> 20);
  bench.rows.push_back(information_row(
      format("crossover: fill %s, 4-byte pattern, per op", size.c_str()), format("kernel %.2f us", ms[1] * 1000 / ops),
      format("cuMemsetD32Async %.2f us (kernel/memset %.3f)", ms[0] * 1000 / ops, ms[1] / ms[0])));
  return Status::Ok();
}

Status update_crossover_row(Bench& bench, uint64_t bytes) {
  constexpr int ops = 1000;
  std::vector<uint8_t> data(bytes);
  util::random_bytes(bench.rng, data);
  const DevicePtr to = bench.target.address() + 3;
  DEVBIN_ASSIGN_OR_RETURN(
      auto ms, time_interleaved(bench.device, bench.stream,
                                {repeat(ops, [&] { return bench.device.update(bench.stream, to, data); }),
                                 repeat(ops, kernel_path(bench.device, [&] {
                                          return bench.device.update(bench.stream, to, data);
                                        }))},
                                2, 11));
  bench.rows.push_back(information_row(format("crossover: update %" PRIu64 " B to dst+3, per op", bytes),
                                       format("kernel %.2f us", ms[1] * 1000 / ops),
                                       format("staged copy %.2f us (kernel/staged %.3f)", ms[0] * 1000 / ops,
                                              ms[1] / ms[0])));
  return Status::Ok();
}

// The capture check the staged copy and the write value make per op
// (cuStreamIsCapturing): the median of 11 runs of 10000 checks.
Status capture_check_row(Bench& bench) {
  constexpr int checks = 10000;
  std::vector<double> ns;
  for (int run = 0; run < 11; ++run) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < checks; ++i) (void)bench.stream.capturing();
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / checks);
  }
  bench.rows.push_back(information_row("capture check (cuStreamIsCapturing) of an update's vendor path, per op, host",
                                       format("%.0f ns", median(ns)), "-"));
  return Status::Ok();
}

}  // namespace devbin::bench
