// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA driver API as devbin reaches it: libcuda.so.1 opened with dlopen at
// run time, so building devbin needs no CUDA install and a machine without a
// driver still runs everything but the GPU backend. The few types, constants
// and prototypes used are declared here from the CUDA 13.0 cuda.h; values are
// part of the driver's stable ABI.
#ifndef DEVBIN_INTERNAL_CUDA_API_H_
#define DEVBIN_INTERNAL_CUDA_API_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "devbin/cuda.h"  // kDriverPathEnv
#include "devbin/status.h"

namespace devbin::cuda::api {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = uint64_t;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;
using CUcontext = CUctx_st*;
using CUmodule = CUmod_st*;
using CUfunction = CUfunc_st*;
using CUstream = CUstream_st*;
using CUevent = CUevent_st*;

// CUresult values devbin explains in its own words.
inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
inline constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
inline constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
inline constexpr CUresult CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
inline constexpr CUresult CUDA_ERROR_INVALID_IMAGE = 200;
inline constexpr CUresult CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
inline constexpr CUresult CUDA_ERROR_INVALID_PTX = 218;
inline constexpr CUresult CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221;
inline constexpr CUresult CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
inline constexpr CUresult CUDA_ERROR_INVALID_HANDLE = 400;
inline constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
inline constexpr CUresult CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803;

// CUdevice_attribute.
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5;
inline constexpr int CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10;
inline constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr int CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

// CUfunction_attribute.
inline constexpr int CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;
inline constexpr int CU_FUNC_ATTRIBUTE_NUM_REGS = 4;

// CUjit_option.
inline constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

inline constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
// cuStreamIsCapturing's CUstreamCaptureStatus.
inline constexpr int CU_STREAM_CAPTURE_STATUS_NONE = 0;
inline constexpr unsigned CU_EVENT_DEFAULT = 0;
inline constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;
inline constexpr unsigned CU_STREAM_WRITE_VALUE_DEFAULT = 0;

// Every entry point devbin calls. Names are the symbols libcuda exports: the
// `_v2` ones where cuda.h maps the plain name to them (the plain symbols of
// cuMemcpyDtoDAsync and friends are the 32-bit-size CUDA 3.x versions).
#define DEVBIN_CUDA_DRIVER_FUNCTIONS(X)                                                                        \
  X(cuGetErrorName, CUresult(CUresult, const char**))                                                          \
  X(cuGetErrorString, CUresult(CUresult, const char**))                                                        \
  X(cuInit, CUresult(unsigned))                                                                                \
  X(cuDriverGetVersion, CUresult(int*))                                                                        \
  X(cuDeviceGetCount, CUresult(int*))                                                                          \
  X(cuDeviceGet, CUresult(CUdevice*, int))                                                                     \
  X(cuDeviceGetName, CUresult(char*, int, CUdevice))                                                           \
  X(cuDeviceGetAttribute, CUresult(int*, int, CUdevice))                                                       \
  X(cuDeviceGetPCIBusId, CUresult(char*, int, CUdevice))                                                       \
  X(cuDeviceTotalMem_v2, CUresult(size_t*, CUdevice))                                                          \
  X(cuDevicePrimaryCtxRetain, CUresult(CUcontext*, CUdevice))                                                  \
  X(cuDevicePrimaryCtxRelease_v2, CUresult(CUdevice))                                                          \
  X(cuCtxGetCurrent, CUresult(CUcontext*))                                                                     \
  X(cuCtxSetCurrent, CUresult(CUcontext))                                                                      \
  X(cuCtxSynchronize, CUresult())                                                                              \
  X(cuModuleLoadDataEx, CUresult(CUmodule*, const void*, unsigned, int*, void**))                              \
  X(cuModuleUnload, CUresult(CUmodule))                                                                        \
  X(cuModuleGetFunction, CUresult(CUfunction*, CUmodule, const char*))                                         \
  X(cuFuncGetAttribute, CUresult(int*, int, CUfunction))                                                       \
  X(cuOccupancyMaxActiveBlocksPerMultiprocessor, CUresult(int*, CUfunction, int, size_t))                      \
  X(cuOccupancyMaxPotentialBlockSize, CUresult(int*, int*, CUfunction, size_t (*)(int), size_t, int))          \
  X(cuLaunchKernel, CUresult(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, \
                             CUstream, void**, void**))                                                        \
  X(cuMemAlloc_v2, CUresult(CUdeviceptr*, size_t))                                                             \
  X(cuMemFree_v2, CUresult(CUdeviceptr))                                                                       \
  X(cuMemcpyHtoD_v2, CUresult(CUdeviceptr, const void*, size_t))                                               \
  X(cuMemcpyDtoH_v2, CUresult(void*, CUdeviceptr, size_t))                                                     \
  X(cuMemsetD8_v2, CUresult(CUdeviceptr, unsigned char, size_t))                                               \
  X(cuMemsetD8Async, CUresult(CUdeviceptr, unsigned char, size_t, CUstream))                                   \
  X(cuMemsetD16Async, CUresult(CUdeviceptr, unsigned short, size_t, CUstream))                                 \
  X(cuMemsetD32Async, CUresult(CUdeviceptr, unsigned, size_t, CUstream))                                       \
  X(cuStreamCreate, CUresult(CUstream*, unsigned))                                                             \
  X(cuStreamDestroy_v2, CUresult(CUstream))                                                                    \
  X(cuStreamSynchronize, CUresult(CUstream))                                                                   \
  X(cuStreamGetCtx, CUresult(CUstream, CUcontext*))                                                            \
  X(cuStreamIsCapturing, CUresult(CUstream, int*))                                                             \
  X(cuEventCreate, CUresult(CUevent*, unsigned))                                                               \
  X(cuEventDestroy_v2, CUresult(CUevent))                                                                      \
  X(cuEventRecord, CUresult(CUevent, CUstream))                                                                \
  X(cuEventSynchronize, CUresult(CUevent))

// Entry points devbin calls where the driver has them, nullptr where it lacks
// them (load() looks each up by its name): X(name, signature) as above.
// - Page-locked host memory (allocate_host) and the staged copy from it.
// - The vendor paths' stream memory operations (CUDA 11.7's _v2 forms): on
//   older drivers the updates take the other paths.
#define DEVBIN_CUDA_DRIVER_OPTIONAL_FUNCTIONS(X)                                 \
  X(cuMemAllocHost_v2, CUresult(void**, size_t))                                \
  X(cuMemFreeHost, CUresult(void*))                                             \
  X(cuMemcpyHtoDAsync_v2, CUresult(CUdeviceptr, const void*, size_t, CUstream)) \
  X(cuStreamWriteValue32_v2, CUresult(CUstream, CUdeviceptr, uint32_t, unsigned)) \
  X(cuStreamWriteValue64_v2, CUresult(CUstream, CUdeviceptr, uint64_t, unsigned))

template <typename Signature>
using Fn = Signature*;

struct Api {
#define DEVBIN_CUDA_DECLARE_(name, signature) Fn<signature> name = nullptr;
  DEVBIN_CUDA_DRIVER_FUNCTIONS(DEVBIN_CUDA_DECLARE_)
  // cuda.h maps cuEventElapsedTime to the _v2 symbol since CUDA 12.8; older
  // drivers export only the plain one, with the same signature.
  Fn<CUresult(float*, CUevent, CUevent)> cuEventElapsedTime = nullptr;
  DEVBIN_CUDA_DRIVER_OPTIONAL_FUNCTIONS(DEVBIN_CUDA_DECLARE_)
#undef DEVBIN_CUDA_DECLARE_

  std::string path;    // what dlopen was given
  int version = 0;     // cuDriverGetVersion: 13000 for CUDA 13.0
  Status init_status;  // cuInit's outcome: a driver without a usable GPU still loads
};

inline constexpr char kDefaultLibrary[] = "libcuda.so.1";

// Opens the driver (DEVBIN_CUDA_DRIVER_PATH if set, else libcuda.so.1) once
// per distinct path and process and keeps it open (drivers are not meant to be
// unloaded). A missing library or missing entry points are errors; cuInit's
// result is kept in init_status.
Result<const Api*> load();

// "13.0" from 13000.
std::string version_string(int version);

// "CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected".
std::string error_text(const Api& api, CUresult result);

// OK, or a Status naming the call and the driver's error; load failures
// (NO_BINARY_FOR_GPU, UNSUPPORTED_PTX_VERSION, …) map to kFailedPrecondition,
// a missing device or driver to kUnavailable.
Status check(const Api& api, CUresult result, std::string_view call);

}  // namespace devbin::cuda::api

#endif  // DEVBIN_INTERNAL_CUDA_API_H_
