// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/* devbin's C API (C11): the embedded table of contents (TOC), selection,
 * code-object validation, and the neutral device interface (devbin/device.h)
 * for a runtime written in C.
 *
 * Conventions:
 *  - Every call that can fail returns a devbin_status_t: NULL is success;
 *    anything else carries a code and a one-line message naming what was
 *    expected and what was found, and must be freed with devbin_status_free.
 *    No C++ exception crosses this API.
 *  - Handles (devbin_device_t, devbin_queue_t, devbin_buffer_t,
 *    devbin_code_object_t) are opaque; each has one function that frees it.
 *    A buffer or queue keeps its device open: a device handle may be freed
 *    before them, and the device closes with the last of them. A call given
 *    a freed handle is refused with a status; freeing a freed handle does
 *    nothing.
 *  - Strings the API returns (TOC names, kernel names) live as long as the
 *    object they came from (the TOC: the process).
 *  - Threads: as the C++ interface (devbin/cuda.h, devbin/hsa.h). */
#ifndef DEVBIN_DEVBIN_H_
#define DEVBIN_DEVBIN_H_

#include <stddef.h>
#include <stdint.h>

#include "device/abi.h"
#include "devbin/recording.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The C API's version: libdevbin.so.DEVBIN_API_VERSION_MAJOR is the shared
 * library's SONAME. A major version changes when a function or struct of
 * this header changes incompatibly; devbin_api_version() gives the library's
 * own (major << 16 | minor), for a caller that loaded it at run time. */
#define DEVBIN_API_VERSION_MAJOR 1
#define DEVBIN_API_VERSION_MINOR 0
uint32_t devbin_api_version(void);
/* "devbin_fill" for DEVBIN_KERNEL_devbin_fill; "" for anything else. */
const char* devbin_kernel_name(uint32_t kernel);

/*===------------------------------------------------------------------===
 * Status
 *===------------------------------------------------------------------===*/

typedef enum devbin_status_code_t {
  DEVBIN_STATUS_OK = 0,
  DEVBIN_STATUS_INVALID_ARGUMENT = 1,     /* malformed input: an ISA string, a null handle, a bad size */
  DEVBIN_STATUS_NOT_FOUND = 2,            /* nothing matches: no TOC entry, no kernel, no device */
  DEVBIN_STATUS_FAILED_PRECONDITION = 3,  /* well formed but refused */
  DEVBIN_STATUS_DATA_LOSS = 4,            /* truncated or corrupt bytes, a self-check that failed */
  DEVBIN_STATUS_UNAVAILABLE = 5,          /* a driver library or device that is not there */
  DEVBIN_STATUS_INTERNAL = 6,
} devbin_status_code_t;

typedef struct devbin_status_s* devbin_status_t; /* NULL: success */

devbin_status_code_t devbin_status_code(devbin_status_t status); /* DEVBIN_STATUS_OK for NULL */
const char* devbin_status_message(devbin_status_t status);       /* "" for NULL */
void devbin_status_free(devbin_status_t status);                  /* NULL is fine */

/*===------------------------------------------------------------------===
 * The embedded TOC, selection, validation
 *===------------------------------------------------------------------===*/

typedef struct devbin_toc_entry_t {
  const char* name;     /* "amdgcn-amd-amdhsa--gfx11-generic.so" */
  const char* triple;   /* "amdgcn-amd-amdhsa", "nvptx64-nvidia-cuda" */
  const char* target;   /* "gfx11-generic", "sm_90", "compute_75" */
  const char* features; /* "" or "xnack+" ... */
  const uint8_t* data;  /* the code object's bytes, 64-byte aligned */
  size_t size;
  const char* sha256; /* lower-case hex */
} devbin_toc_entry_t;

size_t devbin_toc_count(void);
devbin_status_t devbin_toc_entry(size_t index, devbin_toc_entry_t* out_entry);

typedef enum devbin_selection_kind_t {
  DEVBIN_SELECTION_EXACT = 0,
  DEVBIN_SELECTION_GENERIC = 1,
  DEVBIN_SELECTION_COMPATIBLE_SASS = 2,
  DEVBIN_SELECTION_PTX_JIT = 3,
  DEVBIN_SELECTION_OVERRIDE = 4,
} devbin_selection_kind_t;

typedef struct devbin_selection_t {
  size_t entry_index; /* into the embedded TOC */
  devbin_selection_kind_t kind;
  int jit; /* non-zero: the driver compiles the entry at load time (PTX) */
} devbin_selection_t;

/* The embedded TOC's entry for a device ISA ("gfx942:sramecc+:xnack-",
 * "amdgcn-amd-amdhsa--gfx1100", "sm_90"), as the backends choose it
 * (DEVBIN_TARGET_OVERRIDE honoured). `reason` (may be NULL) receives why, cut
 * to `reason_capacity` bytes and always terminated. */
devbin_status_t devbin_select(const char* isa, devbin_selection_t* out_selection, char* reason,
                              size_t reason_capacity);

typedef enum devbin_code_object_format_t {
  DEVBIN_CODE_OBJECT_NONE = -1, /* devbin_code_object_format(NULL) */
  DEVBIN_CODE_OBJECT_AMDGPU_HSACO = 0,
  DEVBIN_CODE_OBJECT_CUDA_CUBIN = 1,
  DEVBIN_CODE_OBJECT_PTX = 2,
} devbin_code_object_format_t;

typedef struct devbin_code_object_s devbin_code_object_t;

typedef struct devbin_kernel_info_t {
  const char* name;
  uint32_t explicit_args_size;   /* bytes the host passes */
  uint32_t kernarg_segment_size; /* AMDGPU: with the hidden arguments */
  uint32_t kernarg_segment_align;
  uint32_t group_segment_fixed_size;
  uint32_t private_segment_fixed_size;
} devbin_kernel_info_t;

/* Decodes an AMDGPU code object, cubin or PTX (bounded: any bytes give a clean
 * error). The bytes are not kept. */
devbin_status_t devbin_code_object_inspect(const void* bytes, size_t size, devbin_code_object_t** out_code_object);
/* Also checks it against TOC entry `toc_index` and the host ABI, as loading does. */
devbin_status_t devbin_code_object_validate(const devbin_code_object_t* code_object, size_t toc_index);
devbin_code_object_format_t devbin_code_object_format(const devbin_code_object_t* code_object);
const char* devbin_code_object_target(const devbin_code_object_t* code_object); /* "amdgcn-amd-amdhsa--gfx90a" */
size_t devbin_code_object_kernel_count(const devbin_code_object_t* code_object);
devbin_status_t devbin_code_object_kernel(const devbin_code_object_t* code_object, size_t index,
                                          devbin_kernel_info_t* out_kernel);
void devbin_code_object_free(devbin_code_object_t* code_object);

/*===------------------------------------------------------------------===
 * Devices
 *===------------------------------------------------------------------===*/

typedef enum devbin_backend_t {
  DEVBIN_BACKEND_CUDA = 0,
  DEVBIN_BACKEND_HSA = 1,
} devbin_backend_t;

typedef struct devbin_device_s devbin_device_t;
typedef struct devbin_queue_s devbin_queue_t;
typedef struct devbin_buffer_s devbin_buffer_t;

/* How many GPUs `backend` shows; an error says why it has none usable. */
devbin_status_t devbin_device_count(devbin_backend_t backend, int* out_count);
/* Opens GPU `index` of `backend`: selects, validates and loads its code object. */
devbin_status_t devbin_device_open(devbin_backend_t backend, int index, devbin_device_t** out_device);
typedef struct devbin_open_options_t {
  /* HSA: how long any wait for the GPU lasts (synchronize, waiting for ring
   * space, freeing a queue) before it fails naming what did not complete;
   * 0 takes the default, 60000. CUDA waits in the driver and ignores it. */
  uint32_t wait_timeout_ms;
} devbin_open_options_t;
/* devbin_device_open with options (NULL: the defaults). */
devbin_status_t devbin_device_open_with_options(devbin_backend_t backend, int index,
                                                const devbin_open_options_t* options, devbin_device_t** out_device);
void devbin_device_free(devbin_device_t* device);
/* The TOC entry the device loaded (its index), and the device's own target. */
size_t devbin_device_entry_index(const devbin_device_t* device);
const char* devbin_device_target(const devbin_device_t* device);

devbin_status_t devbin_buffer_allocate(devbin_device_t* device, uint64_t size, devbin_buffer_t** out_buffer);
/* Host memory the GPU reads and writes (devbin/device.h Device::allocate_host):
 * a recorder's argument memory on HSA must be such memory (the kernarg pool);
 * CUDA: page-locked memory. */
devbin_status_t devbin_buffer_allocate_host(devbin_device_t* device, uint64_t size, devbin_buffer_t** out_buffer);
uint64_t devbin_buffer_address(const devbin_buffer_t* buffer); /* device address for the kernels */
void* devbin_buffer_host_pointer(const devbin_buffer_t* buffer); /* host memory's host address; NULL otherwise */
void devbin_buffer_free(devbin_buffer_t* buffer);

/* Where operations go (devbin/device.h says who orders what):
 *  - devbin_queue_create: a queue devbin creates (a CUDA stream, an AQL queue);
 *  - devbin_queue_wrap: the caller's own CUstream or hsa_queue_t*, which the
 *    caller keeps owning (freeing the devbin_queue_t leaves it alive, after
 *    waiting for devbin's work on it); a CUDA stream being captured into a
 *    graph records devbin's launches into the graph;
 *  - devbin_recorder_create: the launches written into caller memory
 *    (devbin/recording.h) for the caller to submit or replay. */
devbin_status_t devbin_queue_create(devbin_device_t* device, devbin_queue_t** out_queue);
devbin_status_t devbin_queue_wrap(devbin_device_t* device, void* native_queue, devbin_queue_t** out_queue);
/* `launches`: room for `launch_capacity` records; `args`: `args_capacity`
 * bytes the records' arguments go to (HSA: kernarg memory the GPU can read).
 * An operation that does not fit what is left records nothing and fails. */
devbin_status_t devbin_recorder_create(devbin_device_t* device, devbin_recorded_launch_t* launches,
                                       size_t launch_capacity, void* args, size_t args_capacity,
                                       devbin_queue_t** out_queue);
/* The launches recorded so far (the first records of `launches`) and the
 * argument bytes they use; a queue that is not a recorder is refused. */
devbin_status_t devbin_recorder_count(const devbin_queue_t* queue, size_t* out_launches, size_t* out_args_bytes);
/* Starts the recording again at the start of its memory. */
devbin_status_t devbin_recorder_reset(devbin_queue_t* queue);
/* The CUstream or hsa_queue_t* the queue's work goes to (NULL for a recorder). */
void* devbin_queue_native(const devbin_queue_t* queue);
/* Waits for the queue's work; refused for a recorder and for a CUDA stream
 * being captured (a wait would end the capture). */
devbin_status_t devbin_queue_synchronize(devbin_queue_t* queue);
void devbin_queue_free(devbin_queue_t* queue);

/* The builtin kernels, enqueued on `queue` (device/abi.h says what each does).
 * Named devbin_queue_*: devbin_fill and the like are the kernels' own symbols. */
devbin_status_t devbin_queue_fill(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, uint64_t length,
                            const void* pattern, size_t pattern_size);
devbin_status_t devbin_queue_copy(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, uint64_t source,
                            uint64_t length);
/* Rectangular copy and fill of 2D and 3D regions (depth 1: 2D): a region
 * (device/abi.h devbin_rect_region_t: base, row_pitch, slice_pitch, in
 * bytes) and an extent (devbin_rect_extent_t: width bytes, height rows,
 * depth slices). Copy takes any alignment and pitches; its target and source
 * bounding ranges must not overlap. Fill takes patterns of 1, 2, 4, 8 or 16
 * bytes; base, pitches and width must be multiples of the pattern width.
 * The target's rows must not overlap one another (a copy's source rows may). */
devbin_status_t devbin_queue_copy_rect(devbin_device_t* device, devbin_queue_t* queue,
                                       const devbin_rect_region_t* target, const devbin_rect_region_t* source,
                                       const devbin_rect_extent_t* extent);
devbin_status_t devbin_queue_fill_rect(devbin_device_t* device, devbin_queue_t* queue,
                                       const devbin_rect_region_t* target, const devbin_rect_extent_t* extent,
                                       const void* pattern, size_t pattern_size);
/* A batch: table entries built on the host (devbin_batch_fill_op,
 * devbin_batch_copy_op), numbered (devbin_batch_number: each first_chunk, and
 * the launch's chunk count), copied to device memory by the caller, then run
 * in one launch (devbin_queue_batch; device/abi.h devbin_batch_args_t). */
devbin_status_t devbin_batch_fill_op(uint64_t target, uint64_t length, const void* pattern, size_t pattern_size,
                                     devbin_batch_op_t* out_op);
devbin_status_t devbin_batch_copy_op(uint64_t target, uint64_t source, uint64_t length, devbin_batch_op_t* out_op);
/* `count` copies as table entries in one call: copy i moves lengths[i] bytes
 * from sources[i] to targets[i] (each checked as devbin_batch_copy_op
 * checks it), numbered as devbin_batch_number numbers them. For callers
 * whose per-call overhead counts (Python). Fails naming the first bad copy,
 * writing nothing of use. */
devbin_status_t devbin_batch_copy_table(const uint64_t* targets, const uint64_t* sources, const uint64_t* lengths,
                                        size_t count, uint32_t chunk_bytes, devbin_batch_op_t* out_ops,
                                        uint64_t* out_chunk_count);
/* chunk_bytes 0 takes DEVBIN_BATCH_CHUNK_BYTES, here and in
 * devbin_queue_batch's args. */
devbin_status_t devbin_batch_number(devbin_batch_op_t* ops, size_t op_count, uint32_t chunk_bytes,
                                    uint64_t* out_chunk_count);
devbin_status_t devbin_queue_batch(devbin_device_t* device, devbin_queue_t* queue, const devbin_batch_args_t* args);
devbin_status_t devbin_queue_timestamp(devbin_device_t* device, devbin_queue_t* queue, uint64_t record);
devbin_status_t devbin_queue_dispatch_patch(devbin_device_t* device, devbin_queue_t* queue,
                                      const devbin_dispatch_args_t* args);
/* Inline update: writes `length` bytes (1 to DEVBIN_UPDATE_MAX_BYTES, 64 KiB)
 * from host memory `data` at device address `target` (any alignment) when the
 * queue reaches it; the bytes travel in the launch arguments (devbin_update,
 * one launch per DEVBIN_UPDATE_BYTES) and are copied before the call returns,
 * so `data` may be reused at once. */
devbin_status_t devbin_queue_update(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, const void* data,
                                    size_t length);

/* Maps timestamp records to host CLOCK_MONOTONIC nanoseconds (devbin/clock.h). */
typedef struct devbin_clock_calibration_t {
  uint64_t host_ns_at;
  uint64_t ticks_at;
  uint64_t frequency_hz;
  uint64_t uncertainty_ns;
  uint32_t samples;
} devbin_clock_calibration_t;
devbin_status_t devbin_calibrate_clock(devbin_device_t* device, devbin_queue_t* queue, uint32_t samples,
                                       devbin_clock_calibration_t* out_calibration);
uint64_t devbin_clock_to_host_ns(const devbin_clock_calibration_t* calibration, uint64_t ticks);

/* Synchronous host <-> device copies. */
devbin_status_t devbin_copy_to_device(devbin_device_t* device, uint64_t target, const void* source, uint64_t length);
devbin_status_t devbin_copy_to_host(devbin_device_t* device, void* target, uint64_t source, uint64_t length);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DEVBIN_DEVBIN_H_ */
