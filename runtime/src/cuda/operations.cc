// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's grid policy and launch primitive for the operations
// layer (operations.cc): launch shapes per kernel, cuLaunchKernel, and
// recording a launch for the caller.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "devbin_internal/cuda_context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"

namespace devbin::cuda {

using api::check;
using api::CUfunction;

namespace {

// copy, fill, batch and the rect kernels: 256-thread blocks, enough of them
// for one step per work-item (a covering grid; a fill block then writes one
// 16 KiB chunk, a batch or rect block moves one chunk).
// Both are bandwidth-bound: a persistent grid or larger blocks leave them
// short of the driver's own copy and memset; the shapes compared and their
// figures are in bench/RESULTS.md.
constexpr uint32_t kBlitThreadsPerBlock = 256;

bool takes_covering_grid(Kernel kernel) {
  return kernel == Kernel::devbin_copy || kernel == Kernel::devbin_fill || kernel == Kernel::devbin_batch ||
         kernel == Kernel::devbin_copy_rect || kernel == Kernel::devbin_fill_rect;
}

}  // namespace

Status Device::set_launch_shape(Kernel kernel, uint32_t threads, std::optional<uint32_t> blocks_per_multiprocessor) {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const api::Api& api = *impl_->api;
  CUfunction function = impl_->functions[static_cast<size_t>(kernel)];
  const std::string name(kernel_name(kernel));
  int kernel_max = 0;
  DEVBIN_RETURN_IF_ERROR(
      check(api, api.cuFuncGetAttribute(&kernel_max, api::CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function),
            "cuFuncGetAttribute(" + name + ", max threads per block)"));
  const uint32_t warp = properties_.warp_size;
  const uint32_t largest =
      std::min<uint32_t>(static_cast<uint32_t>(std::max(kernel_max, 0)), properties_.max_threads_per_block) / warp *
      warp;
  if (largest == 0) {
    return internal_error("kernel " + name + " allows " + std::to_string(kernel_max) +
                          " threads per block, less than one warp of " + std::to_string(warp));
  }
  if (threads == 0 && takes_covering_grid(kernel)) {
    threads = std::max(std::min(kBlitThreadsPerBlock / warp * warp, largest), warp);
  } else if (threads == 0) {
    // The register and shared-memory use of the kernel decide: a block size
    // that leaves no multiprocessor capacity unused.
    int min_grid = 0;
    int suggested = 0;
    DEVBIN_RETURN_IF_ERROR(check(
        api,
        api.cuOccupancyMaxPotentialBlockSize(&min_grid, &suggested, function, nullptr, 0, static_cast<int>(largest)),
        "cuOccupancyMaxPotentialBlockSize(" + name + ")"));
    threads = std::clamp<uint32_t>(static_cast<uint32_t>(std::max(suggested, 0)) / warp * warp, warp, largest);
  } else if (threads % warp != 0 || threads > largest) {
    return invalid_argument("threads per block for " + name + ": " + std::to_string(threads) +
                            "; expected a multiple of " + std::to_string(warp) + " up to " + std::to_string(largest));
  }
  int resident = 0;
  DEVBIN_RETURN_IF_ERROR(
      check(api, api.cuOccupancyMaxActiveBlocksPerMultiprocessor(&resident, function, static_cast<int>(threads), 0),
            "cuOccupancyMaxActiveBlocksPerMultiprocessor(" + name + ")"));
  LaunchLimits& limits = limits_[static_cast<size_t>(kernel)];
  limits.multiprocessors = properties_.multiprocessor_count;
  limits.warp_size = warp;
  limits.threads_per_block = threads;
  limits.resident_blocks_per_multiprocessor = static_cast<uint32_t>(std::max(resident, 1));
  if (blocks_per_multiprocessor.has_value()) {
    limits.blocks_per_multiprocessor = *blocks_per_multiprocessor;
  } else {
    limits.blocks_per_multiprocessor =
        takes_covering_grid(kernel) ? kCoveringGrid : limits.resident_blocks_per_multiprocessor;
  }
  limits.max_grid_dim_x = properties_.max_grid_dim_x;
  return Status::Ok();
}

LaunchGrid Device::grid(Kernel kernel, GridKind kind, uint64_t count) const {
  const LaunchLimits& limits = limits_[static_cast<size_t>(kernel)];
  uint64_t work_items = count;
  // Chunked kernels: `count` blocks wanted, at most the grid's limit (blocks
  // then take several chunks each).
  if (kind == GridKind::kChunked) {
    work_items = std::min<uint64_t>(count, limits.max_grid_dim_x) * limits.threads_per_block;
  }
  const LaunchShape shape = launch_shape(limits, work_items);
  return {shape.blocks, shape.threads_per_block};
}

Status Device::launch(Stream& stream, std::span<const Launch> launches) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  for (const Launch& launch : launches) {
    if (launch.grid.workgroups == 0) continue;
    // cuLaunchKernel copies the argument bytes before it returns (into the
    // launch, or into the graph node of a stream being captured).
    void* params[] = {const_cast<uint8_t*>(launch.args)};
    const api::CUresult result = impl_->api->cuLaunchKernel(
        impl_->functions[static_cast<size_t>(launch.kernel)], launch.grid.workgroups, 1, 1,
        launch.grid.workgroup_size, 1, 1, 0, stream_handle(stream), params, nullptr);
    if (result != api::CUDA_SUCCESS) {
      return check(*impl_->api, result, "cuLaunchKernel(" + std::string(kernel_name(launch.kernel)) + ")");
    }
  }
  return Status::Ok();
}

uint32_t Device::recorded_args_size(Kernel kernel) const {
  switch (kernel) {
#define DEVBIN_KERNEL_ARGS_SIZE_(name, args) \
  case Kernel::name:                         \
    return sizeof(args);
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_ARGS_SIZE_)
#undef DEVBIN_KERNEL_ARGS_SIZE_
  }
  return 0;
}

Status Device::record(const Launch& launch, devbin_recorded_launch_t& out, std::span<uint8_t> args) const {
  if (args.size() < launch.args_size) return internal_error("recording: argument memory smaller than the launch's");
  std::memcpy(args.data(), launch.args, launch.args_size);
  out.kernel = static_cast<uint32_t>(launch.kernel);
  out.args_size = launch.args_size;
  out.args = args.data();
  out.cuda.function = impl_->functions[static_cast<size_t>(launch.kernel)];
  out.cuda.grid[0] = launch.grid.workgroups;
  out.cuda.grid[1] = out.cuda.grid[2] = 1;
  out.cuda.block[0] = launch.grid.workgroup_size;
  out.cuda.block[1] = out.cuda.block[2] = 1;
  return Status::Ok();
}

}  // namespace devbin::cuda
