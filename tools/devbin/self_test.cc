// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The self-test's checks (self_test.h), written once against the neutral
// device interface (devbin/device.h).
#include "self_test.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>

#include "devbin/kernel_args.h"
#include "devbin_internal/random_bytes.h"
#include "devbin_internal/text.h"

namespace devbin::cli {
namespace {

using util::format;
using util::make_rng;
using util::random_bytes;

// First differing byte of two equal-sized ranges, as text ("" when equal).
std::string first_difference(const uint8_t* got, const uint8_t* want, size_t size, size_t base, const char* what) {
  const auto mismatch = std::mismatch(got, got + size, want);
  if (mismatch.first == got + size) return {};
  const size_t at = static_cast<size_t>(mismatch.first - got);
  return format("%s: byte %zu is 0x%02x, expected 0x%02x", what, base + at, *mismatch.first, *mismatch.second);
}

constexpr uint64_t kGuard = 64;

// Poisons [guard | region | guard], runs `op` on region, reads everything
// back and compares with `expected_region`, guards unchanged. With
// `written`, only the region's bytes it marks are expected to change; the
// others (a rect's gaps between rows) must keep their poison.
Status check_region(const Device& device, Queue& queue, const Buffer& buffer, uint64_t offset, uint64_t length,
                    std::mt19937_64& rng, const std::vector<uint8_t>& expected_region,
                    const std::function<Status(DevicePtr)>& op, const std::vector<bool>* written = nullptr) {
  const uint64_t span = kGuard + offset + length + kGuard;
  if (span > buffer.size()) return internal_error("self-test buffer too small");
  std::vector<uint8_t> poison(span);
  random_bytes(rng, poison);
  // Where the result is known, make the poison differ from it, so an
  // unwritten byte can never pass for a written one.
  for (uint64_t i = 0; i < length; ++i) {
    uint8_t& p = poison[kGuard + offset + i];
    if (p == expected_region[i]) p = static_cast<uint8_t>(~p);
  }
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(buffer.address(), poison.data(), span));
  DEVBIN_RETURN_IF_ERROR(op(buffer.address() + kGuard + offset));
  DEVBIN_RETURN_IF_ERROR(queue.synchronize());
  std::vector<uint8_t> got(span);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), buffer.address(), span));
  std::vector<uint8_t> want = poison;
  for (uint64_t i = 0; i < length; ++i) {
    if (written == nullptr || (*written)[i]) want[kGuard + offset + i] = expected_region[i];
  }
  if (std::string diff = first_difference(got.data(), want.data(), span, 0, "destination"); !diff.empty()) {
    return data_loss(
        diff + format(" (guard %" PRIu64 " bytes, offset %" PRIu64 ", length %" PRIu64 ")", kGuard, offset, length));
  }
  return Status::Ok();
}

Status self_test_fill(const Device& device, Queue& queue, std::mt19937_64& rng, uint32_t width, uint64_t offset,
                      uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(auto buffer, device.allocate(2 * kGuard + offset + length));
  std::vector<uint8_t> pattern(width);
  random_bytes(rng, pattern);
  std::vector<uint8_t> expected(length);
  for (uint64_t i = 0; i < length; ++i) expected[i] = pattern[i % width];
  return check_region(device, queue, *buffer, offset, length, rng, expected,
                      [&](DevicePtr target) { return device.fill(queue, target, length, pattern); });
}

Status self_test_copy(const Device& device, Queue& queue, std::mt19937_64& rng, uint64_t source_offset,
                      uint64_t target_offset, uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(auto source, device.allocate(source_offset + length + 1));
  DEVBIN_ASSIGN_OR_RETURN(auto target, device.allocate(2 * kGuard + target_offset + length));
  std::vector<uint8_t> bytes(source_offset + length + 1);
  random_bytes(rng, bytes);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(source->address(), bytes.data(), bytes.size()));
  std::vector<uint8_t> expected(bytes.begin() + static_cast<ptrdiff_t>(source_offset),
                                bytes.begin() + static_cast<ptrdiff_t>(source_offset + length));
  return check_region(device, queue, *target, target_offset, length, rng, expected,
                      [&](DevicePtr to) { return device.copy(queue, to, source->address() + source_offset, length); });
}

// One batch: a fill of 100 bytes (4-byte pattern) and, right after it, a
// copy of several chunks from a misaligned source, as one region.
Status self_test_batch(const Device& device, Queue& queue, std::mt19937_64& rng) {
  const uint64_t fill_length = 100;
  const uint64_t copy_length = 2 * uint64_t{DEVBIN_BATCH_CHUNK_BYTES} + 4001;
  const uint64_t offset = 8;
  DEVBIN_ASSIGN_OR_RETURN(auto source, device.allocate(copy_length + 3));
  DEVBIN_ASSIGN_OR_RETURN(auto target, device.allocate(2 * kGuard + offset + fill_length + copy_length));
  DEVBIN_ASSIGN_OR_RETURN(auto table, device.allocate(2 * sizeof(devbin_batch_op_t)));
  std::vector<uint8_t> bytes(copy_length + 3);
  random_bytes(rng, bytes);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(source->address(), bytes.data(), bytes.size()));
  std::vector<uint8_t> pattern(4);
  random_bytes(rng, pattern);
  std::vector<uint8_t> expected(fill_length + copy_length);
  for (uint64_t i = 0; i < fill_length; ++i) expected[i] = pattern[i % 4];
  std::copy(bytes.begin() + 3, bytes.end(), expected.begin() + static_cast<ptrdiff_t>(fill_length));
  return check_region(device, queue, *target, offset, expected.size(), rng, expected, [&](DevicePtr to) -> Status {
    devbin_batch_op_t ops[2];
    DEVBIN_ASSIGN_OR_RETURN(ops[0], make_batch_fill(to, fill_length, pattern));
    DEVBIN_ASSIGN_OR_RETURN(ops[1], make_batch_copy(to + fill_length, source->address() + 3, copy_length));
    DEVBIN_ASSIGN_OR_RETURN(uint64_t chunks, batch_number(ops));
    DEVBIN_RETURN_IF_ERROR(device.copy_to_device(table->address(), ops, sizeof(ops)));
    DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args, make_batch_args(table->address(), 2, chunks));
    return device.batch(queue, args);
  });
}

// A rect operation on `extent` at target offset `offset` with target
// pitches `target`: the rows it writes hold what `row_bytes(slice, row)`
// says, the gaps between them and the guards keep their poison.
Status check_rect(const Device& device, Queue& queue, std::mt19937_64& rng, uint64_t offset,
                  const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                  const std::function<std::vector<uint8_t>(uint32_t, uint32_t)>& row_bytes,
                  const std::function<Status(const devbin_rect_region_t&)>& op) {
  const std::optional<uint64_t> span = rect_span(target, extent);
  if (!span.has_value()) return internal_error("self-test rect span overflows");
  DEVBIN_ASSIGN_OR_RETURN(auto buffer, device.allocate(2 * kGuard + offset + *span));
  std::vector<uint8_t> expected(*span);
  std::vector<bool> written(*span);
  for (uint32_t s = 0; s < extent.depth; ++s) {
    for (uint32_t r = 0; r < extent.height; ++r) {
      const uint64_t at = s * target.slice_pitch + r * target.row_pitch;
      const std::vector<uint8_t> bytes = row_bytes(s, r);
      std::copy(bytes.begin(), bytes.end(), expected.begin() + static_cast<ptrdiff_t>(at));
      std::fill(written.begin() + static_cast<ptrdiff_t>(at),
                written.begin() + static_cast<ptrdiff_t>(at + extent.width), true);
    }
  }
  return check_region(
      device, queue, *buffer, offset, *span, rng, expected,
      [&](DevicePtr to) {
        devbin_rect_region_t region = target;
        region.base = to;
        return op(region);
      },
      &written);
}

// A 2D or 3D copy with odd pitches on both sides and misaligned bases.
Status self_test_copy_rect(const Device& device, Queue& queue, std::mt19937_64& rng, const devbin_rect_extent_t& extent,
                           uint64_t target_row_pitch, uint64_t source_row_pitch) {
  const devbin_rect_region_t source_layout{0, source_row_pitch, source_row_pitch * (extent.height + 1) + 5};
  const devbin_rect_region_t target_layout{0, target_row_pitch, target_row_pitch * extent.height + 3};
  const std::optional<uint64_t> source_span = rect_span(source_layout, extent);
  if (!source_span.has_value()) return internal_error("self-test rect span overflows");
  const uint64_t source_offset = 3;
  DEVBIN_ASSIGN_OR_RETURN(auto source, device.allocate(source_offset + *source_span));
  std::vector<uint8_t> bytes(source_offset + *source_span);
  random_bytes(rng, bytes);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(source->address(), bytes.data(), bytes.size()));
  return check_rect(
      device, queue, rng, 1, target_layout, extent,
      [&](uint32_t s, uint32_t r) {
        const uint64_t at = source_offset + s * source_layout.slice_pitch + r * source_layout.row_pitch;
        return std::vector<uint8_t>(bytes.begin() + static_cast<ptrdiff_t>(at),
                                    bytes.begin() + static_cast<ptrdiff_t>(at + extent.width));
      },
      [&](const devbin_rect_region_t& to) {
        devbin_rect_region_t from = source_layout;
        from.base = source->address() + source_offset;
        return device.copy_rect(queue, to, from, extent);
      });
}

// A 3D fill: pitches an odd number of pattern elements past the row.
Status self_test_fill_rect(const Device& device, Queue& queue, std::mt19937_64& rng, uint32_t width) {
  const devbin_rect_extent_t extent{uint64_t{100} * width, 5, 3};
  const uint64_t row_pitch = extent.width + 3 * width;
  const devbin_rect_region_t layout{0, row_pitch, row_pitch * extent.height + 7 * width};
  std::vector<uint8_t> pattern(width);
  random_bytes(rng, pattern);
  std::vector<uint8_t> row(extent.width);
  for (uint64_t i = 0; i < extent.width; ++i) row[i] = pattern[i % width];
  return check_rect(
      device, queue, rng, width, layout, extent, [&](uint32_t, uint32_t) { return row; },
      [&](const devbin_rect_region_t& to) { return device.fill_rect(queue, to, extent, pattern); });
}

// An inline update of `length` bytes at `offset`, the host bytes overwritten
// as soon as update returns (the launch holds its own copy).
Status self_test_update(const Device& device, Queue& queue, std::mt19937_64& rng, uint64_t offset, uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(auto buffer, device.allocate(2 * kGuard + offset + length));
  std::vector<uint8_t> expected(length);
  random_bytes(rng, expected);
  return check_region(device, queue, *buffer, offset, length, rng, expected, [&](DevicePtr target) {
    std::vector<uint8_t> reused = expected;
    Status status = device.update(queue, target, reused);
    std::fill(reused.begin(), reused.end(), uint8_t{0});
    return status;
  });
}

// Two records written over a poison in queue order, the steady clock set and
// not going back, and, calibrated (devbin/clock.h), inside the host's window
// around the dispatch. The cycle counter only has to be written: gfx11 has no
// usable one and writes 0 (device/target/amdgpu.h); on NVIDIA it is %clock64.
Status self_test_timestamp(const Device& device, Queue& queue) {
  constexpr uint64_t kPoison = 0x5a5a'dead'beef'a5a5;
  DEVBIN_ASSIGN_OR_RETURN(auto records, device.allocate(2 * sizeof(devbin_timestamp_record_t)));
  const devbin_timestamp_record_t poison[2] = {{kPoison, kPoison}, {kPoison, kPoison}};
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(records->address(), poison, sizeof(poison)));
  DEVBIN_ASSIGN_OR_RETURN(ClockCalibration calibration, device.calibrate_clock(queue, 8));
  const uint64_t before = host_monotonic_ns();
  DEVBIN_RETURN_IF_ERROR(device.timestamp(queue, records->address()));
  DEVBIN_RETURN_IF_ERROR(device.timestamp(queue, records->address() + sizeof(devbin_timestamp_record_t)));
  DEVBIN_RETURN_IF_ERROR(queue.synchronize());
  const uint64_t after = host_monotonic_ns();
  devbin_timestamp_record_t got[2];
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got, records->address(), sizeof(got)));
  for (int i = 0; i < 2; ++i) {
    if (got[i].steady == kPoison || got[i].cycles == kPoison) {
      return data_loss(format("timestamp record %d reads steady 0x%016" PRIx64 ", cycles 0x%016" PRIx64
                              " after the queue completed; expected both written over the poison 0x%016" PRIx64,
                              i, got[i].steady, got[i].cycles, kPoison));
    }
  }
  if (got[0].steady == 0 || got[1].steady < got[0].steady) {
    return data_loss(format("timestamps %" PRIu64 " then %" PRIu64 ": expected non-zero and non-decreasing",
                            got[0].steady, got[1].steady));
  }
  if (device.id().backend == Backend::kCuda && got[0].cycles == 0) {
    return data_loss("timestamp: the cycle counter reads 0; expected %clock64");
  }
  // The calibrated reading must land inside the host window, give or take
  // the calibration's own uncertainty, two ticks of the device clock and
  // %globaltimer's 1 us granularity.
  const uint64_t slack = calibration.uncertainty_ns + 2 * (1000000000 / calibration.frequency_hz) + 2000;
  const uint64_t host = calibration.to_host_ns(got[0].steady);
  if (host + slack < before || host > after + slack) {
    return data_loss(format("calibrated device time %" PRIu64 " ns lies outside the host window [%" PRIu64 ", %" PRIu64
                            "] ns (uncertainty %" PRIu64 " ns)",
                            host, before, after, calibration.uncertainty_ns));
  }
  return Status::Ok();
}

devbin_aql_kernel_dispatch_packet_t reserved_packet(std::mt19937_64& rng) {
  devbin_aql_kernel_dispatch_packet_t packet{};
  std::vector<uint8_t> bytes(sizeof(packet));
  random_bytes(rng, bytes);
  std::memcpy(&packet, bytes.data(), sizeof(packet));
  packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID << DEVBIN_AQL_HEADER_TYPE_SHIFT;
  return packet;
}

Status self_test_dispatch(const Device& device, Queue& queue, std::mt19937_64& rng, const uint32_t counts[3],
                          uint32_t expected_status) {
  DEVBIN_ASSIGN_OR_RETURN(auto memory, device.allocate(256));
  const DevicePtr packet_address = memory->address();  // cuMemAlloc and HSA memory pools align to 256 bytes or more
  const DevicePtr counts_address = memory->address() + 64;
  const DevicePtr status_address = memory->address() + 128;
  // The target's kernarg segment, its hidden block counts 48 bytes in.
  const DevicePtr kernargs_address = memory->address() + 160;
  const DevicePtr block_counts_address = kernargs_address + 48;
  const uint32_t kernargs_poison[3] = {0xcccccccc, 0xcccccccc, 0xcccccccc};
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(block_counts_address, kernargs_poison, sizeof(kernargs_poison)));
  const devbin_aql_kernel_dispatch_packet_t before = reserved_packet(rng);
  const uint32_t status_poison = 0xdeadbeef;
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(packet_address, &before, sizeof(before)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(counts_address, counts, 3 * sizeof(uint32_t)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(status_address, &status_poison, sizeof(status_poison)));

  devbin_dispatch_args_t args{};
  args.workgroup_counts = counts_address;
  args.packet = packet_address;
  args.status = status_address;
  const uint32_t sizes[3] = {256, 2, 1};
  const uint32_t limits[3] = {1u << 20, 1u << 16, 1u << 16};
  std::memcpy(args.workgroup_size, sizes, sizeof(sizes));
  std::memcpy(args.max_workgroup_count, limits, sizeof(limits));
  args.header = (DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH << DEVBIN_AQL_HEADER_TYPE_SHIFT) |
                (1u << DEVBIN_AQL_HEADER_BARRIER_SHIFT) |
                (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT) |
                (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT);
  args.setup = 3;
  args.target_kernargs = kernargs_address;
  args.hidden_block_count_offset = 48;
  DEVBIN_RETURN_IF_ERROR(device.dispatch_patch(queue, args));
  DEVBIN_RETURN_IF_ERROR(queue.synchronize());
  devbin_aql_kernel_dispatch_packet_t after{};
  uint32_t status = 0;
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(&after, packet_address, sizeof(after)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(&status, status_address, sizeof(status)));
  uint32_t block_counts[3] = {};
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(block_counts, block_counts_address, sizeof(block_counts)));
  // The target's hidden block counts: the counts when it runs, untouched when not.
  const uint32_t* want_counts = expected_status == DEVBIN_DISPATCH_STATUS_OK ? counts : kernargs_poison;
  if (std::memcmp(block_counts, want_counts, sizeof(block_counts)) != 0) {
    return data_loss(format("dispatch_patch hidden block counts %u, %u, %u; expected %u, %u, %u", block_counts[0],
                            block_counts[1], block_counts[2], want_counts[0], want_counts[1], want_counts[2]));
  }
  if (status != expected_status) {
    return data_loss(format("dispatch_patch status %u, expected %u", status, expected_status));
  }
  if (after.completion_signal != before.completion_signal) {
    return data_loss("dispatch_patch changed the completion signal");
  }
  const uint32_t type = (after.header >> DEVBIN_AQL_HEADER_TYPE_SHIFT) & 0xff;
  if (expected_status == DEVBIN_DISPATCH_STATUS_OK) {
    if (after.header != args.header || after.setup != args.setup) {
      return data_loss(format("dispatch_patch header/setup 0x%04x/%u, expected 0x%04x/%u", after.header, after.setup,
                              args.header, args.setup));
    }
    const uint32_t grid[3] = {after.grid_size_x, after.grid_size_y, after.grid_size_z};
    const uint32_t group[3] = {after.workgroup_size_x, after.workgroup_size_y, after.workgroup_size_z};
    for (int i = 0; i < 3; ++i) {
      if (grid[i] != counts[i] * sizes[i] || group[i] != sizes[i]) {
        return data_loss(format("dispatch_patch dimension %d: grid %u workgroup %u, expected %u and %u", i, grid[i],
                                group[i], counts[i] * sizes[i], sizes[i]));
      }
    }
    if (after.kernel_object != before.kernel_object || after.kernarg_address != before.kernarg_address) {
      return data_loss("dispatch_patch changed the kernel object or kernarg address");
    }
  } else if (type != DEVBIN_AQL_PACKET_TYPE_BARRIER_AND) {
    return data_loss(format("dispatch_patch: expected a BARRIER_AND no-op packet, found type %u", type));
  }
  return Status::Ok();
}

}  // namespace

std::vector<SelfTestCheck> self_test_device(const Device& device) {
  std::vector<SelfTestCheck> checks;
  auto queue_or = device.create_queue();
  if (!queue_or.ok()) return {{"create a queue", queue_or.status()}};
  Queue& queue = *queue_or.value();
  std::mt19937_64 rng = make_rng();

  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    const uint64_t offset = 3 * width;
    const uint64_t length = (uint64_t{1} << 20) + 5 * width;
    checks.push_back({format("fill %u-byte pattern, offset %" PRIu64 ", %" PRIu64 " bytes", width, offset, length),
                      self_test_fill(device, queue, rng, width, offset, length)});
  }
  struct CopyCase {
    uint64_t source_offset, target_offset, length;
  };
  for (const CopyCase& c : {CopyCase{0, 0, (1u << 20) + 16}, CopyCase{1, 3, (1u << 20) + 5}, CopyCase{3, 1, 4099},
                            CopyCase{16, 0, 65}, CopyCase{7, 7, 1}, CopyCase{5, 9, 0}}) {
    checks.push_back({format("copy source+%" PRIu64 " to target+%" PRIu64 ", %" PRIu64 " bytes", c.source_offset,
                             c.target_offset, c.length),
                      self_test_copy(device, queue, rng, c.source_offset, c.target_offset, c.length)});
  }
  checks.push_back({"batch of a fill and a misaligned copy", self_test_batch(device, queue, rng)});
  checks.push_back({"copy_rect 2D, 40 rows of 4097 bytes, pitches 4099 (source) and 4101 (target)",
                    self_test_copy_rect(device, queue, rng, {4097, 40, 1}, 4101, 4099)});
  checks.push_back({"copy_rect 3D, 3 slices of 7 rows of 33 bytes, pitches 37 and 35",
                    self_test_copy_rect(device, queue, rng, {33, 7, 3}, 37, 35)});
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    checks.push_back({format("fill_rect 3D, %u-byte pattern, 3 slices of 5 rows", width),
                      self_test_fill_rect(device, queue, rng, width)});
  }
  checks.push_back({"timestamp and clock calibration", self_test_timestamp(device, queue)});
  for (const auto& [offset, length] : {std::pair<uint64_t, uint64_t>{1, 64}, {3, DEVBIN_UPDATE_BYTES},
                                       {5, DEVBIN_UPDATE_MAX_BYTES}}) {
    checks.push_back({format("update of %" PRIu64 " bytes at offset %" PRIu64, length, offset),
                      self_test_update(device, queue, rng, offset, length)});
  }
  const uint32_t valid[3] = {7, 3, 1};
  const uint32_t empty[3] = {7, 0, 1};
  const uint32_t over[3] = {(1u << 20) + 1, 1, 1};
  checks.push_back(
      {"dispatch_patch valid counts", self_test_dispatch(device, queue, rng, valid, DEVBIN_DISPATCH_STATUS_OK)});
  checks.push_back(
      {"dispatch_patch zero count", self_test_dispatch(device, queue, rng, empty, DEVBIN_DISPATCH_STATUS_EMPTY)});
  checks.push_back({"dispatch_patch count over the limit",
                    self_test_dispatch(device, queue, rng, over, DEVBIN_DISPATCH_STATUS_OVER_LIMIT)});
  return checks;
}

}  // namespace devbin::cli
