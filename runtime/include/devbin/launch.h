// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A launch description: what every builtin operation turns into, once and
// vendor-neutrally (runtime/src/operations.cc), before a queue takes it. The
// kernel, its grid in workgroups and the argument bytes (device/abi.h's
// struct for the kernel, already checked by devbin/kernel_args.h). A backend
// adds only its launch primitive (a queue's submit) and its grid policy (how
// many workgroups of what size a given amount of work gets).
#ifndef DEVBIN_LAUNCH_H_
#define DEVBIN_LAUNCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "device/abi.h"

namespace devbin {

// The builtin kernels (device/abi.h's DEVBIN_ABI_KERNELS), both vendors alike;
// the values are devbin/recording.h's devbin_kernel_t.
enum class Kernel : uint8_t {
#define DEVBIN_KERNEL_ENUM_(name, args) name,
  DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_ENUM_)
#undef DEVBIN_KERNEL_ENUM_
};
inline constexpr size_t kKernelCount = 0
#define DEVBIN_KERNEL_COUNT_(name, args) +1
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_COUNT_)
#undef DEVBIN_KERNEL_COUNT_
    ;
std::string_view kernel_name(Kernel kernel);  // "devbin_fill"

// The largest argument struct of any builtin kernel (devbin_update's).
inline constexpr size_t kMaxKernelArgsBytes = std::max({
#define DEVBIN_KERNEL_ARGS_SIZE_(name, args) sizeof(args),
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_ARGS_SIZE_)
#undef DEVBIN_KERNEL_ARGS_SIZE_
});

// How an operation's work maps onto workgroups; each backend's grid policy
// answers each kind for each kernel.
enum class GridKind : uint8_t {
  kStride,   // `count` independent work-items, grid-stride (fill, copy)
  kChunked,  // `count` workgroups wanted, taking chunks workgroup-stride (batch, the rect kernels)
  kCover,    // `count` work-items, one each, all in the grid (update)
  kSingle,   // one work-item (timestamp, dispatch_patch); `count` is 1
};

// A 1-D grid: `workgroups` workgroups of `workgroup_size` work-items; no
// workgroups means nothing to launch.
struct LaunchGrid {
  uint32_t workgroups = 0;
  uint32_t workgroup_size = 0;
};

struct Launch {
  Kernel kernel = Kernel::devbin_fill;
  LaunchGrid grid;
  uint32_t args_size = 0;
  alignas(16) uint8_t args[kMaxKernelArgsBytes];

  std::span<const uint8_t> arguments() const { return {args, args_size}; }

  // A launch of `kernel` with `args`, its argument struct.
  template <class Args>
  static Launch of(Kernel kernel, LaunchGrid grid, const Args& args) {
    static_assert(std::is_trivially_copyable_v<Args> && sizeof(Args) <= kMaxKernelArgsBytes);
    Launch launch;
    launch.kernel = kernel;
    launch.grid = grid;
    launch.args_size = sizeof(Args);
    std::memcpy(launch.args, &args, sizeof(Args));
    return launch;
  }
};

}  // namespace devbin

#endif  // DEVBIN_LAUNCH_H_
