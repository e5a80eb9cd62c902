// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A stand-in libcuda.so.1 for the driver responses no real driver gives on a
// machine without a GPU: no device, zero devices, a load refused for an old
// PTX ISA or a missing SASS, a kernel missing after load. The mode comes from
// DEVBIN_STAND_IN_CUDA_MODE ("free-fails": cuMemFree refuses). It keeps each
// thread's current context. It runs nothing: memory operations do nothing, so
// only the backend's control flow and messages are exercised, never results.
// The stream-ordered memory calls (memsets, write values, host-to-device
// copies) and event records and waits are logged (devbin_stand_in_calls), so a
// test sees which driver call an operation became and with what arguments.
// Built with -DDEVBIN_STAND_IN_OLD_DRIVER it lacks the entry points CUDA 11 added,
// like a driver too old for devbin.
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int CUresult;
enum {
  kSuccess = 0,
  kInvalidValue = 1,
  kNoDevice = 100,
  kNoBinaryForGpu = 209,
  kInvalidContext = 201,
  kUnsupportedPtxVersion = 222,
  kInvalidHandle = 400,
  kNotFound = 500,
};

// The log: calls in order, the oldest dropped past kLogSize.
enum { kLogSize = 4096 };
typedef struct {
  const char* call;
  uint64_t target;
  uint64_t value;  // memset and write value: the value; a host-to-device copy: the source's first
                  // 8 bytes; a device-to-device copy: the source address
  uint64_t count;  // memset: elements; a copy: bytes
} StandInCall;
static StandInCall calls[kLogSize];
static unsigned call_count;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static void log_call(const char* call, uint64_t target, uint64_t value, uint64_t count) {
  StandInCall entry = {call, target, value, count};
  pthread_mutex_lock(&log_mutex);
  calls[call_count++ % kLogSize] = entry;
  pthread_mutex_unlock(&log_mutex);
}
// How many calls were logged since the last reset; copies the last `room`
// of them (oldest first) into `out`.
EXPORT unsigned devbin_stand_in_calls(StandInCall* out, unsigned room) {
  pthread_mutex_lock(&log_mutex);
  const unsigned total = call_count;
  const unsigned kept = total < kLogSize ? total : kLogSize;
  const unsigned n = kept < room ? kept : room;
  for (unsigned i = 0; i < n; ++i) out[i] = calls[(total - n + i) % kLogSize];
  pthread_mutex_unlock(&log_mutex);
  return total;
}
EXPORT void devbin_stand_in_reset_calls(void) {
  pthread_mutex_lock(&log_mutex);
  call_count = 0;
  pthread_mutex_unlock(&log_mutex);
}

static int mode_is(const char* mode) {
  const char* value = getenv("DEVBIN_STAND_IN_CUDA_MODE");
  return value != NULL && strcmp(value, mode) == 0;
}

EXPORT CUresult cuGetErrorName(CUresult error, const char** text) {
  switch (error) {
    case kSuccess:
      *text = "CUDA_SUCCESS";
      return kSuccess;
    case kInvalidValue:
      *text = "CUDA_ERROR_INVALID_VALUE";
      return kSuccess;
    case kNoDevice:
      *text = "CUDA_ERROR_NO_DEVICE";
      return kSuccess;
    case kNoBinaryForGpu:
      *text = "CUDA_ERROR_NO_BINARY_FOR_GPU";
      return kSuccess;
    case kUnsupportedPtxVersion:
      *text = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
      return kSuccess;
    case kInvalidContext:
      *text = "CUDA_ERROR_INVALID_CONTEXT";
      return kSuccess;
    case kNotFound:
      *text = "CUDA_ERROR_NOT_FOUND";
      return kSuccess;
    case kInvalidHandle:
      *text = "CUDA_ERROR_INVALID_HANDLE";
      return kSuccess;
    default:
      *text = NULL;
      return kInvalidValue;
  }
}

EXPORT CUresult cuGetErrorString(CUresult error, const char** text) {
  switch (error) {
    case kNoDevice:
      *text = "no CUDA-capable device is detected";
      return kSuccess;
    case kNoBinaryForGpu:
      *text = "no kernel image is available for execution on the device";
      return kSuccess;
    case kUnsupportedPtxVersion:
      *text = "the provided PTX was compiled with an unsupported toolchain.";
      return kSuccess;
    case kNotFound:
      *text = "named symbol not found";
      return kSuccess;
    default:
      *text = "stand-in error";
      return kSuccess;
  }
}

EXPORT CUresult cuInit(unsigned flags) {
  return flags != 0 ? kInvalidValue : mode_is("no-device") ? kNoDevice : kSuccess;
}
EXPORT CUresult cuDriverGetVersion(int* version) {
  *version = 12040;
  return kSuccess;
}
EXPORT CUresult cuDeviceGetCount(int* count) {
  *count = mode_is("zero-devices") ? 0 : 1;
  return kSuccess;
}
EXPORT CUresult cuDeviceGet(int* device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? kSuccess : kInvalidValue;
}
EXPORT CUresult cuDeviceGetName(char* name, int length, int device) {
  (void)device;
  strncpy(name, "Stand-in GPU", (size_t)length);
  return kSuccess;
}
EXPORT CUresult cuDeviceGetPCIBusId(char* id, int length, int device) {
  (void)device;
  strncpy(id, "0000:00:00.0", (size_t)length);
  return kSuccess;
}
EXPORT CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
  (void)device;
  switch (attribute) {
    case 1:
      *value = 1024;
      break;  // max threads per block
    case 5:
      *value = 2147483647;
      break;  // max grid dim x
    case 10:
      *value = 32;
      break;  // warp size
    case 16:
      *value = 132;
      break;  // multiprocessors
    case 38:
      *value = 50 << 20;
      break;  // L2
    case 39:
      *value = 2048;
      break;  // max threads per multiprocessor
    case 75:
      *value = 9;
      break;  // compute capability
    case 76:
      *value = 0;
      break;
    default:
      return kInvalidValue;
  }
  return kSuccess;
}
EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, int device) {
  (void)device;
  *bytes = (size_t)80 << 30;
  return kSuccess;
}
EXPORT CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
  (void)device;
  *context = (void*)0x1000;
  return kSuccess;
}
#ifndef DEVBIN_STAND_IN_OLD_DRIVER
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return kSuccess;
}
#endif
// The thread's current context, as a real driver keeps it; the primary
// context is 0x1000.
static __thread void* current_context = NULL;
EXPORT CUresult cuCtxGetCurrent(void** context) {
  *context = current_context;
  return kSuccess;
}
EXPORT CUresult cuCtxSetCurrent(void* context) {
  current_context = context;
  return kSuccess;
}
// What a real driver refuses without the device's context current: calls
// that act on "the current context" (allocation, synchronous copies, module
// loads, occupancy queries, stream and event creation).
#define REQUIRE_CONTEXT()                                         \
  do {                                                            \
    if (current_context != (void*)0x1000) return kInvalidContext; \
  } while (0)

EXPORT CUresult cuCtxSynchronize(void) {
  REQUIRE_CONTEXT();
  return kSuccess;
}

EXPORT CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned count, int* options, void** values) {
  REQUIRE_CONTEXT();
  (void)image;
  if (mode_is("unsupported-ptx") || mode_is("no-binary")) {
    for (unsigned i = 0; i + 1 < count; ++i) {
      if (options[i] == 5 && options[i + 1] == 6) {  // error log buffer, then its size
        strncpy((char*)values[i], "ptxas fatal   : Unsupported .version 7.0; current version is '6.4'",
                (size_t)(uintptr_t)values[i + 1]);
      }
    }
    return mode_is("no-binary") ? kNoBinaryForGpu : kUnsupportedPtxVersion;
  }
  *module = (void*)0x2000;
  return kSuccess;
}
EXPORT CUresult cuModuleUnload(void* module) {
  REQUIRE_CONTEXT();
  (void)module;
  return kSuccess;
}
EXPORT CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
  (void)module;
  if (mode_is("missing-kernel") && strcmp(name, "devbin_timestamp") == 0) return kNotFound;
  *function = (void*)0x3000;
  return kSuccess;
}
EXPORT CUresult cuFuncGetAttribute(int* value, int attribute, void* function) {
  REQUIRE_CONTEXT();
  (void)function;
  *value = attribute == 0 ? 1024 : 32;
  return kSuccess;
}
EXPORT CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, void* function, int threads, size_t shared) {
  REQUIRE_CONTEXT();
  (void)function;
  (void)shared;
  *blocks = 2048 / threads;
  return kSuccess;
}
EXPORT CUresult cuOccupancyMaxPotentialBlockSize(int* min_grid, int* threads, void* function, size_t (*shared)(int),
                                                 size_t dynamic_shared, int limit) {
  REQUIRE_CONTEXT();
  (void)function, (void)shared, (void)dynamic_shared;
  *threads = limit < 512 ? limit : 512;
  *min_grid = 132 * (2048 / *threads);
  return kSuccess;
}
EXPORT CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                               unsigned shared, void* stream, void** params, void** extra) {
  (void)f, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared, (void)stream, (void)params, (void)extra;
  log_call("cuLaunchKernel", 0, 0, gx);
  return kSuccess;
}

// Addresses are handed out from one counter, atomically: a real driver may be
// called from many threads at once, and so may this one (threads_test).
static uint64_t next_address = 0x7f0000000000ull;
EXPORT CUresult cuMemAlloc_v2(uint64_t* address, size_t bytes) {
  REQUIRE_CONTEXT();
  *address = __atomic_fetch_add(&next_address, (uint64_t)((bytes + 255) / 256 * 256), __ATOMIC_RELAXED);
  return kSuccess;
}
#ifndef DEVBIN_STAND_IN_OLD_DRIVER
// Page-locked host memory: ordinary host memory here.
// DEVBIN_STAND_IN_CUDA_MODE=no-pinned: page-locked memory is refused, as a
// driver does when out of it or while a global-mode capture forbids it.
EXPORT CUresult cuMemAllocHost_v2(void** pointer, size_t bytes) {
  REQUIRE_CONTEXT();
  if (mode_is("no-pinned")) return kInvalidValue;
  *pointer = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  return *pointer != NULL ? kSuccess : kInvalidValue;
}
EXPORT CUresult cuMemFreeHost(void* pointer) {
  free(pointer);
  return kSuccess;
}
#endif
EXPORT CUresult cuMemFree_v2(uint64_t address) {
  REQUIRE_CONTEXT();
  (void)address;
  return mode_is("free-fails") ? kInvalidValue : kSuccess;
}
EXPORT CUresult cuMemcpyHtoD_v2(uint64_t to, const void* from, size_t bytes) {
  REQUIRE_CONTEXT();
  (void)to, (void)from, (void)bytes;
  return kSuccess;
}
EXPORT CUresult cuMemcpyDtoH_v2(void* to, uint64_t from, size_t bytes) {
  REQUIRE_CONTEXT();
  (void)to, (void)from, (void)bytes;
  return kSuccess;
}
EXPORT CUresult cuMemcpyDtoDAsync_v2(uint64_t to, uint64_t from, size_t bytes, void* stream) {
  REQUIRE_CONTEXT();
  (void)stream;
  log_call("cuMemcpyDtoDAsync_v2", to, from, bytes);  // value: the source address
  return kSuccess;
}
EXPORT CUresult cuMemsetD8_v2(uint64_t to, unsigned char value, size_t bytes) {
  REQUIRE_CONTEXT();
  (void)to, (void)value, (void)bytes;
  return kSuccess;
}
EXPORT CUresult cuMemsetD8Async(uint64_t to, unsigned char value, size_t count, void* stream) {
  (void)stream;
  log_call("cuMemsetD8Async", to, value, count);
  return kSuccess;
}
EXPORT CUresult cuMemsetD16Async(uint64_t to, unsigned short value, size_t count, void* stream) {
  (void)stream;
  log_call("cuMemsetD16Async", to, value, count);
  return kSuccess;
}
EXPORT CUresult cuMemsetD32Async(uint64_t to, unsigned value, size_t count, void* stream) {
  (void)stream;
  log_call("cuMemsetD32Async", to, value, count);
  return kSuccess;
}
#ifndef DEVBIN_STAND_IN_OLD_DRIVER
EXPORT CUresult cuStreamWriteValue32_v2(void* stream, uint64_t to, uint32_t value, unsigned flags) {
  (void)stream;
  if (flags != 0) return kInvalidValue;
  log_call("cuStreamWriteValue32_v2", to, value, 1);
  return kSuccess;
}
EXPORT CUresult cuStreamWriteValue64_v2(void* stream, uint64_t to, uint64_t value, unsigned flags) {
  (void)stream;
  if (flags != 0) return kInvalidValue;
  log_call("cuStreamWriteValue64_v2", to, value, 1);
  return kSuccess;
}
EXPORT CUresult cuMemcpyHtoDAsync_v2(uint64_t to, const void* from, size_t bytes, void* stream) {
  (void)stream;
  uint64_t head = 0;
  memcpy(&head, from, bytes < 8 ? bytes : 8);
  log_call("cuMemcpyHtoDAsync_v2", to, head, bytes);
  return kSuccess;
}
#endif
EXPORT CUresult cuStreamCreate(void** stream, unsigned flags) {
  REQUIRE_CONTEXT();
  (void)flags;
  *stream = (void*)0x4000;
  return kSuccess;
}
// Streams as cuStreamGetCtx sees them: 0x4000 (every stream created here)
// is the primary context's; 0x6000 stands for a stream of another context;
// any other handle is one the driver does not know.
EXPORT CUresult cuStreamGetCtx(void* stream, void** context) {
  if (stream == (void*)0x4000) {
    *context = (void*)0x1000;
    return kSuccess;
  }
  if (stream == (void*)0x6000) {
    *context = (void*)0x7000;
    return kSuccess;
  }
  return kInvalidHandle;
}
// DEVBIN_STAND_IN_CUDA_MODE=capturing: every stream is being captured.
EXPORT CUresult cuStreamIsCapturing(void* stream, int* status) {
  (void)stream;
  *status = mode_is("capturing") ? 1 : 0;
  return kSuccess;
}
EXPORT CUresult cuStreamDestroy_v2(void* stream) {
  (void)stream;
  return kSuccess;
}
EXPORT CUresult cuStreamSynchronize(void* stream) {
  (void)stream;
  return kSuccess;
}
// Each event its own handle, so a log tells them apart.
static uint64_t next_event = 0x5000;
EXPORT CUresult cuEventCreate(void** event, unsigned flags) {
  REQUIRE_CONTEXT();
  (void)flags;
  *event = (void*)(uintptr_t)__atomic_fetch_add(&next_event, 16, __ATOMIC_RELAXED);
  return kSuccess;
}
EXPORT CUresult cuEventDestroy_v2(void* event) {
  (void)event;
  return kSuccess;
}
EXPORT CUresult cuEventRecord(void* event, void* stream) {
  (void)stream;
  log_call("cuEventRecord", (uint64_t)(uintptr_t)event, 0, 0);
  return kSuccess;
}
EXPORT CUresult cuEventSynchronize(void* event) {
  log_call("cuEventSynchronize", (uint64_t)(uintptr_t)event, 0, 0);
  return kSuccess;
}
EXPORT CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
  (void)start, (void)end;
  *ms = 1.0f;
  return kSuccess;
}
