// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's batch of 1000 small operations (rows.h): the table's entries
// written on the host, checked and numbered by batch_number, uploaded from
// pinned memory with cuMemcpyHtoDAsync, then the launch; against the same
// operations as 1000 driver calls, and the copies among them (the driver
// batches copies only) as one cuMemcpyBatchAsync.
#include <vector>

#include "bench/cuda/rows.h"
#include "bench/cuda/timing.h"
#include "devbin/kernel_args.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

using util::format;

Status small_batch_rows(Bench& bench) {
  constexpr size_t ops = 1000;
  constexpr uint64_t table_bytes = ops * sizeof(devbin_batch_op_t);
  cuda::Device& device = bench.device;
  cuda::Stream& stream = bench.stream;
  const DevicePtr to = bench.target.address();
  const DevicePtr from = bench.source.address();
  const uint64_t spacing = bench.size / ops / 64 * 64;
  const std::vector<uint8_t> pattern = {0x21, 0x43, 0x65, 0x87};
  DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer staging, device.allocate_host(table_bytes));
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer table, device.allocate(table_bytes));
  std::vector<DevicePtr> copy_targets, copy_sources;
  std::vector<uint64_t> copy_lengths;
  for (size_t i = 1; i < ops; i += 2) {
    copy_targets.push_back(to + i * spacing);
    copy_sources.push_back(from + i * spacing);
    copy_lengths.push_back(64);
  }
  DEVBIN_ASSIGN_OR_RETURN(const devbin_batch_op_t fill_entry, make_batch_fill(to, 64, pattern));
  auto* entries = static_cast<devbin_batch_op_t*>(staging.data());
  auto batch = [&]() -> Status {
    for (size_t i = 0; i < ops; ++i) {
      const uint64_t at = i * spacing;
      devbin_batch_op_t& entry = entries[i];
      if (i % 2 == 0) {
        entry = fill_entry;
      } else {
        entry = devbin_batch_op_t{};
        entry.kind = DEVBIN_BATCH_COPY;
        entry.source = from + at;
        entry.length = 64;
      }
      entry.target = to + at;
    }
    DEVBIN_ASSIGN_OR_RETURN(uint64_t chunks, batch_number({entries, ops}));
    DEVBIN_RETURN_IF_ERROR(bench.driver.copy_to_device_async(stream, table.address(), entries, table_bytes));
    DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args, make_batch_args(table.address(), static_cast<uint32_t>(ops), chunks));
    return device.batch(stream, args);
  };
  auto calls = [&]() -> Status {
    for (size_t i = 0; i < ops; ++i) {
      const uint64_t at = i * spacing;
      DEVBIN_RETURN_IF_ERROR(i % 2 == 0 ? bench.driver.memset_d32(stream, to + at, 0x87654321u, 16)
                                        : bench.driver.copy(stream, to + at, from + at, 64));
    }
    return Status::Ok();
  };
  auto driver_batch = [&] { return bench.driver.copy_batch(stream, copy_targets, copy_sources, copy_lengths); };
  // The parts of the end-to-end figure: the table already in pinned memory
  // (upload + launch), and already in device memory (the launch alone).
  DEVBIN_RETURN_IF_ERROR(batch());
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  constexpr uint64_t chunks = ops;  // one chunk per 64-byte operation
  auto launch_only = [&]() -> Status {
    DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args, make_batch_args(table.address(), static_cast<uint32_t>(ops), chunks));
    return device.batch(stream, args);
  };
  auto upload_and_launch = [&]() -> Status {
    DEVBIN_RETURN_IF_ERROR(bench.driver.copy_to_device_async(stream, table.address(), entries, table_bytes));
    return launch_only();
  };
  const bool has_driver_batch = driver_batch().ok();
  std::vector<Variant> variants = {batch, calls, upload_and_launch, launch_only};
  if (has_driver_batch) variants.push_back(driver_batch);
  std::vector<double> host_ms;
  DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream, variants, 2, 21, &host_ms));
  DEVBIN_RETURN_IF_ERROR(bench.poison_target());
  DEVBIN_RETURN_IF_ERROR(batch());
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  for (size_t i = 0; i < ops && bench.checking(); i += 97) {
    const uint64_t at = i * spacing;
    bench.check(bench.check_windows(
        to + at, 64, [&](uint64_t k) { return i % 2 == 0 ? pattern[k % 4] : bench.block[(at + k) % bench.block.size()]; },
        "batch of 64-byte operations result"));
  }
  const double per_s = ops / (ms[0] / 1e3);
  bench.rows.push_back(target_row("1000 x 64 B fill/copy as one batch, end to end (table built, uploaded, run)",
                                  format("%.1f us (%.2fM ops/s; host %.1f us)", ms[0] * 1e3, per_s / 1e6, host_ms[0] * 1e3),
                                  format("%.1f us (1000 x cuMemsetD32Async/cuMemcpyDtoDAsync)", ms[1] * 1e3),
                                  ms[1] / ms[0], ">= 50", ms[1] / ms[0] >= 50));
  bench.rows.push_back(information_row("  of which upload (pinned, cuMemcpyHtoDAsync) + launch",
                                       format("%.1f us (host %.1f us)", ms[2] * 1e3, host_ms[2] * 1e3), "-"));
  bench.rows.push_back(information_row("  of which the launch alone",
                                       format("%.1f us (host %.1f us)", ms[3] * 1e3, host_ms[3] * 1e3), "-"));
  if (has_driver_batch) {
    // Per operation: the driver's batch holds the 500 copies only.
    const double theirs = ms[4] / static_cast<double>(copy_targets.size());
    const double ours = ms[0] / ops;
    bench.rows.push_back(target_row("  the same batch, per op, against cuMemcpyBatchAsync of its 500 copies",
                                    format("%.3f us/op", ours * 1e3), format("%.3f us/op (cuMemcpyBatchAsync)", theirs * 1e3),
                                    theirs / ours, ">= 100", theirs / ours >= 100));
  } else {
    bench.rows.push_back(information_row("  cuMemcpyBatchAsync", "-", "the driver has none (CUDA 12.8 or later)"));
  }
  return Status::Ok();
}

}  // namespace devbin::bench
