// The CUDA backend's pure parts: launch shapes and clock calibration. Nothing
// here touches the driver, so all of it is tested on machines without a GPU.
#include <time.h>

#include <algorithm>

#include "devbin/cuda.h"

namespace devbin::cuda {

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
