// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The host launcher of the builtin device library (tests only): runs a kernel
// built from device/*.c for the host (target/host.h) over an emulated
// one-dimensional grid.
//
// Workgroups run one after another, and the work-items of a workgroup in
// wavefronts of `lane_count`. The lanes of a wavefront are fibers on the
// calling thread: each runs until it finishes or reaches a lane shuffle, and
// a shuffle completes when every lane of the wavefront has reached it, as on
// a GPU. A lane that never reaches a shuffle its wavefront waits at, a shuffle
// in a partial wavefront, or a shuffle from a lane that does not exist fails
// the launch. Not reentrant; one launch at a time per thread.
#ifndef DEVBIN_DEVICE_TARGET_HOST_LAUNCH_H_
#define DEVBIN_DEVICE_TARGET_HOST_LAUNCH_H_

#include <stdint.h>

#include "../abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEVBIN_HOST_MAX_LANES 64

typedef struct devbin_host_grid_t {
  uint32_t workgroup_count;
  uint32_t workgroup_size;  // work-items per workgroup
  uint32_t lane_count;      // work-items per wavefront, 1..DEVBIN_HOST_MAX_LANES
} devbin_host_grid_t;

typedef enum devbin_host_launch_result_t {
  DEVBIN_HOST_LAUNCH_OK = 0,
  DEVBIN_HOST_LAUNCH_BAD_GRID = 1,          // a zero dimension or lane_count out of range
  DEVBIN_HOST_LAUNCH_OUT_OF_MEMORY = 2,     // no memory for the fibers
  DEVBIN_HOST_LAUNCH_BAD_SHUFFLE = 3,       // a shuffle in a partial wavefront or from a missing lane
  DEVBIN_HOST_LAUNCH_DIVERGED = 4,          // lanes of a wavefront reached different numbers of shuffles
} devbin_host_launch_result_t;

// Runs `body(context)` once per work-item of `grid`.
devbin_host_launch_result_t devbin_host_launch(devbin_host_grid_t grid, void (*body)(void* context),
                                               void* context);
const char* devbin_host_launch_result_name(devbin_host_launch_result_t result);

// The kernels as the host build of device/*.c defines them.
#define DEVBIN_HOST_DECLARE_KERNEL(name, args_type) void name(args_type args);
DEVBIN_ABI_KERNELS(DEVBIN_HOST_DECLARE_KERNEL)
#undef DEVBIN_HOST_DECLARE_KERNEL

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // DEVBIN_DEVICE_TARGET_HOST_LAUNCH_H_
