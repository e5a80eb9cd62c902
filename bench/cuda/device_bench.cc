// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "bench/cuda/device_bench.h"

#include <string>
#include <vector>

#include "bench/cuda/bench.h"
#include "bench/cuda/rows.h"
#include "bench/cuda/timing.h"
#include "devbin/kernel_args.h"
#include "devbin/vendor_path.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

using util::gib;

namespace {

// The table the fills and updates chose their paths by.
void print_vendor_paths(std::ostream& out, const cuda::Device& device) {
  out << "\nVendor paths (devbin/vendor_path.h; the first rule that matches wins, else the kernel):\n\n"
      << "| operation | path | width | alignment | bytes | why |\n|---|---|---|---|---|---|\n";
  for (const VendorPathRule& rule : device.vendor_paths()) {
    out << "| " << (rule.operation == VendorPathOperation::kFill ? "fill" : "update") << " | "
        << vendor_op_name(rule.path) << " | " << (rule.width == 0 ? std::string("any") : std::to_string(rule.width))
        << " | " << rule.alignment << " | " << rule.min_bytes << " to " << rule.max_bytes << " | " << rule.reason
        << " |\n";
  }
}

std::string blocks_text(const cuda::LaunchLimits& limits) {
  return limits.blocks_per_multiprocessor == cuda::kCoveringGrid ? std::string("covering")
                                                                 : std::to_string(limits.blocks_per_multiprocessor);
}

// Block size, and one resident wave of blocks (a persistent grid) against a
// grid covering the work (the kernels loop grid-stride, so either is
// correct); the default shapes are put back after.
Status print_launch_shape_sweep(std::ostream& out, Bench& bench) {
  cuda::Device& device = bench.device;
  const DevicePtr to = bench.target.address();
  const DevicePtr from = bench.source.address();
  const uint64_t size = bench.size;
  out << "\nLaunch-shape sweep (" << gib(size) << ", " << device.properties().multiprocessor_count
      << " SMs; devbin GB/s, bytes read + written):\n\n"
         "| threads/block | blocks/SM fill, copy | fill 16-byte | copy aligned | copy src+1 -> dst+3 |\n"
         "|---|---|---|---|---|\n";
  const std::vector<uint8_t> pattern16(16, 0x5a);
  for (uint32_t threads : {128u, 256u, 512u, 1024u}) {
    for (bool covering : {false, true}) {
      bool fits = true;
      for (cuda::Kernel kernel : {cuda::Kernel::devbin_fill, cuda::Kernel::devbin_copy}) {
        fits = fits && device.set_launch_shape(kernel, threads, 1).ok() &&
               device
                   .set_launch_shape(kernel, threads,
                                     covering ? cuda::kCoveringGrid
                                              : device.launch_limits(kernel).resident_blocks_per_multiprocessor)
                   .ok();
      }
      if (!fits) continue;
      DEVBIN_ASSIGN_OR_RETURN(
          auto ms, time_interleaved(device, bench.stream,
                                    {[&] { return device.fill(bench.stream, to, size, pattern16); },
                                     [&] { return device.copy(bench.stream, to, from, size); },
                                     [&] { return device.copy(bench.stream, to + 3, from + 1, size); }},
                                    1, 9));
      out << "| " << threads << " | " << blocks_text(device.launch_limits(cuda::Kernel::devbin_fill)) << ", "
          << blocks_text(device.launch_limits(cuda::Kernel::devbin_copy)) << " | " << gbps(size, ms[0]) << " | "
          << gbps(2 * size, ms[1]) << " | " << gbps(2 * size, ms[2]) << " |\n";
    }
  }
  DEVBIN_RETURN_IF_ERROR(device.set_launch_shape(cuda::Kernel::devbin_fill, 0));
  DEVBIN_RETURN_IF_ERROR(device.set_launch_shape(cuda::Kernel::devbin_copy, 0));
  const cuda::LaunchLimits& fill = device.launch_limits(cuda::Kernel::devbin_fill);
  const cuda::LaunchLimits& copy = device.launch_limits(cuda::Kernel::devbin_copy);
  out << "\nDefault shapes (the first table ran with them): fill " << fill.threads_per_block << " threads x "
      << blocks_text(fill) << " blocks/SM, copy " << copy.threads_per_block << " x " << blocks_text(copy) << "\n";
  return Status::Ok();
}

}  // namespace

Status run_device_bench(std::ostream& out, cuda::Device& device, uint64_t size) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Bench> made, Bench::make(device, size));
  Bench& bench = *made;
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) DEVBIN_RETURN_IF_ERROR(fill_row(bench, width));
  DEVBIN_RETURN_IF_ERROR(copy_row(bench, 0, 0, 0.99));
  DEVBIN_RETURN_IF_ERROR(copy_row(bench, 1, 3, 1.25));
  DEVBIN_RETURN_IF_ERROR(copy_rect_rows(bench));
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) DEVBIN_RETURN_IF_ERROR(fill_rect_row(bench, width));
  DEVBIN_RETURN_IF_ERROR(small_batch_rows(bench));
  DEVBIN_RETURN_IF_ERROR(batch_of_parts_row(bench));
  DEVBIN_RETURN_IF_ERROR(small_operation_rows(bench));
  // 64 B and 4 KiB are issue 25's targets.
  DEVBIN_RETURN_IF_ERROR(update_row(bench, 4, 0, false));
  DEVBIN_RETURN_IF_ERROR(update_row(bench, 8, 0, false));
  DEVBIN_RETURN_IF_ERROR(update_row(bench, 64, 3, true));
  DEVBIN_RETURN_IF_ERROR(update_row(bench, DEVBIN_UPDATE_BYTES, 3, true));
  DEVBIN_RETURN_IF_ERROR(update_row(bench, DEVBIN_UPDATE_MAX_BYTES, 3, false));
  for (uint64_t bytes : {uint64_t{4096}, uint64_t{65536}, uint64_t{1} << 20, uint64_t{4} << 20, uint64_t{16} << 20,
                         uint64_t{64} << 20}) {
    DEVBIN_RETURN_IF_ERROR(fill_crossover_row(bench, bytes));
  }
  for (uint64_t bytes : {uint64_t{1}, uint64_t{64}, uint64_t{1024}, uint64_t{16384}}) {
    DEVBIN_RETURN_IF_ERROR(update_crossover_row(bench, bytes));
  }
  DEVBIN_RETURN_IF_ERROR(capture_check_row(bench));
  DEVBIN_RETURN_IF_ERROR(load_rows(bench));

  print_rows(out, bench.rows);
  print_vendor_paths(out, device);
  DEVBIN_RETURN_IF_ERROR(print_launch_shape_sweep(out, bench));
  if (!bench.correctness().ok()) {
    out << "bench: WRONG RESULT: " << bench.correctness().message() << "\n";
    return bench.correctness();
  }
  return Status::Ok();
}

}  // namespace devbin::bench
