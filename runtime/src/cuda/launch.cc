// The CUDA backend's pure parts: argument checks, launch shapes and clock
// calibration. Nothing here touches the driver, so all of it is tested on
// machines without a GPU.
#include <time.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "devbin/cuda.h"

namespace devbin::cuda {
namespace {

std::string hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

bool wraps(DevicePtr address, uint64_t length) { return address > std::numeric_limits<uint64_t>::max() - length; }

}  // namespace

std::string_view kernel_name(Kernel kernel) {
  switch (kernel) {
#define DEVBIN_CUDA_KERNEL_NAME_(name, args) \
  case Kernel::name:                         \
    return #name;
    DEVBIN_ABI_KERNELS(DEVBIN_CUDA_KERNEL_NAME_)
#undef DEVBIN_CUDA_KERNEL_NAME_
  }
  return "unknown kernel";
}

LaunchShape launch_shape(const LaunchLimits& limits, uint64_t work_items) {
  if (work_items == 0) return {};
  const uint64_t warp = std::max<uint32_t>(limits.warp_size, 1);
  uint64_t threads = std::max<uint64_t>(limits.threads_per_block, 1);
  if (work_items < threads) {
    // Round small work up to whole warps: partial warps cost the same.
    threads = std::min<uint64_t>(threads, (work_items + warp - 1) / warp * warp);
  }
  uint64_t blocks = (work_items + threads - 1) / threads;
  if (limits.blocks_per_multiprocessor != kCoveringGrid) {
    blocks = std::min<uint64_t>(blocks, uint64_t{std::max<uint32_t>(limits.multiprocessors, 1)} *
                                            limits.blocks_per_multiprocessor);
  }
  blocks = std::min<uint64_t>(blocks, std::max<uint32_t>(limits.max_grid_dim_x, 1));
  return {static_cast<uint32_t>(blocks), static_cast<uint32_t>(threads)};
}

Result<devbin_fill_args_t> make_fill_args(DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) {
  const size_t width = pattern.size();
  if (width != 1 && width != 2 && width != 4 && width != 8 && width != 16) {
    return invalid_argument("fill: the pattern is " + std::to_string(width) + " bytes wide; expected 1, 2, 4, 8 or 16");
  }
  if (target % width != 0) {
    return invalid_argument("fill: target " + hex(target) + " is not a multiple of the " + std::to_string(width) +
                            "-byte pattern width");
  }
  if (length % width != 0) {
    return invalid_argument("fill: length " + std::to_string(length) + " is not a multiple of the " +
                            std::to_string(width) + "-byte pattern width");
  }
  if (length != 0 && target == 0) return invalid_argument("fill: target is null");
  if (wraps(target, length)) {
    return invalid_argument("fill: target " + hex(target) + " + length " + std::to_string(length) +
                            " wraps around the address space");
  }
  devbin_fill_args_t args{};
  args.target = target;
  args.length = length;
  uint8_t replicated[16];
  for (size_t i = 0; i < sizeof(replicated); ++i) replicated[i] = pattern[i % width];
  std::memcpy(args.pattern, replicated, sizeof(replicated));
  args.pattern_width = static_cast<uint32_t>(width);
  return args;
}

Result<devbin_copy_args_t> make_copy_args(DevicePtr target, DevicePtr source, uint64_t length) {
  if (length != 0 && (target == 0 || source == 0)) {
    return invalid_argument(std::string("copy: ") + (target == 0 ? "target" : "source") + " is null");
  }
  if (wraps(target, length) || wraps(source, length)) {
    return invalid_argument(
        "copy: " + std::string(wraps(target, length) ? "target " + hex(target) : "source " + hex(source)) +
        " + length " + std::to_string(length) + " wraps around the address space");
  }
  if (length != 0 && target < source + length && source < target + length) {
    return invalid_argument("copy: target [" + hex(target) + ", " + hex(target + length) + ") and source [" +
                            hex(source) + ", " + hex(source + length) + ") overlap; expected disjoint ranges");
  }
  devbin_copy_args_t args{};
  args.source = source;
  args.target = target;
  args.length = length;
  return args;
}

Result<ClockCalibration> calibrate(std::span<const ClockSample> samples) {
  const ClockSample* best = nullptr;
  for (const ClockSample& sample : samples) {
    if (sample.host_after_ns < sample.host_before_ns || sample.device_ns == 0) continue;
    if (best == nullptr || sample.host_after_ns - sample.host_before_ns < best->host_after_ns - best->host_before_ns) {
      best = &sample;
    }
  }
  if (best == nullptr) {
    return failed_precondition("clock calibration: none of the " + std::to_string(samples.size()) +
                               " samples is usable (expected a non-zero device reading between two ordered host "
                               "readings)");
  }
  const uint64_t window = best->host_after_ns - best->host_before_ns;
  const uint64_t middle = best->host_before_ns + window / 2;
  ClockCalibration calibration;
  // Two's-complement difference: the device clock (wall time on NVIDIA) is
  // usually far ahead of CLOCK_MONOTONIC, and the offset is negative.
  calibration.offset_ns = static_cast<int64_t>(middle - best->device_ns);
  calibration.uncertainty_ns = (window + 1) / 2;
  calibration.samples = static_cast<uint32_t>(samples.size());
  return calibration;
}

uint64_t host_monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace devbin::cuda
