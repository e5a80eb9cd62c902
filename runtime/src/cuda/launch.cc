// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's pure parts: kernel names and launch shapes. Nothing
// here touches the driver, so all of it is tested on machines without a GPU.
#include <algorithm>

#include "devbin/cuda.h"

namespace devbin::cuda {


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

}  // namespace devbin::cuda
