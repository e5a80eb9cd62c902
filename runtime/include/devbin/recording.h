// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/* A recorded launch (C11 and C++): one builtin kernel launch written into the
 * caller's memory instead of being enqueued, for the caller to submit or
 * replay itself (a CUDA graph node, its own AQL ring, a command buffer).
 * devbin_recorder_create (devbin/devbin.h) and devbin::Recorder
 * (devbin/device.h) write them; every operation of the device interface can
 * be recorded. */
#ifndef DEVBIN_RECORDING_H_
#define DEVBIN_RECORDING_H_

#include <stdint.h>

#include "device/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The builtin kernels, in device/abi.h's DEVBIN_ABI_KERNELS order:
 * DEVBIN_KERNEL_devbin_fill, ... (devbin_kernel_name gives the name). */
typedef enum devbin_kernel_t {
#define DEVBIN_KERNEL_C_ENUM_(name, args) DEVBIN_KERNEL_##name,
  DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_C_ENUM_)
#undef DEVBIN_KERNEL_C_ENUM_
  DEVBIN_KERNEL_COUNT
} devbin_kernel_t;

/* The CUDA part: what cuLaunchKernel and cuGraphAddKernelNode take.
 * kernelParams is { args } (one pointer to the argument struct); shared
 * memory 0; the driver copies the argument bytes when the launch or node is
 * made, so the recording's memory may be reused after that. */
typedef struct devbin_recorded_cuda_launch_t {
  void* function;     /* CUfunction, valid while the device is open */
  uint32_t grid[3];   /* blocks */
  uint32_t block[3];  /* threads per block */
} devbin_recorded_cuda_launch_t;

/* The HSA part: a complete AQL kernel-dispatch packet, as IREE's HAL
 * emplaces its packets. To submit it: take a slot (write index), copy
 * `packet` into it with its first 32 bits left INVALID, then publish
 * `header | setup << 16` there with one 32-bit release store, and ring the
 * doorbell. `packet.kernarg_address` is `args` (kernarg memory the GPU reads
 * when the packet runs: the recorder's argument memory must be such memory,
 * from the agent's kernarg pool); `packet.completion_signal` is 0, for the
 * caller to set. The header orders the packet after every earlier one (the
 * barrier bit) with system-scope acquire and release fences. */
typedef struct devbin_recorded_hsa_dispatch_t {
  uint16_t header;
  uint16_t setup;
  uint32_t reserved;
  devbin_aql_kernel_dispatch_packet_t packet; /* header and setup fields 0: publish them last */
} devbin_recorded_hsa_dispatch_t;

typedef struct devbin_recorded_launch_t {
  uint32_t kernel;    /* devbin_kernel_t */
  uint32_t args_size; /* bytes at args */
  /* In the recorder's argument memory (64-byte aligned). CUDA: the kernel's
   * argument struct (device/abi.h). HSA: the whole kernarg segment, the
   * hidden arguments (block counts, group sizes, grid dims) filled in;
   * hidden_queue_ptr is 0 (no builtin kernel reads it). */
  void* args;
  devbin_recorded_cuda_launch_t cuda;   /* all zero on HSA */
  devbin_recorded_hsa_dispatch_t hsa;   /* all zero on CUDA */
} devbin_recorded_launch_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DEVBIN_RECORDING_H_ */
