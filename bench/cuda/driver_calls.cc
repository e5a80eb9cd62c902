// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "bench/cuda/driver_calls.h"

#include <dlfcn.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "devbin_internal/cuda_api.h"
#include "devbin_internal/cuda_context_scope.h"

namespace devbin::bench {

namespace api = cuda::api;
using api::check;
using api::CUdeviceptr;
using api::CUresult;
using api::CUstream;

namespace {

// cuMemcpyBatchAsync's per-copy attributes (cuda.h, CUDA 12.8).
struct CUmemLocation {
  int type;  // CUmemLocationType: 0 invalid (no hint)
  int id;
};
struct CUmemcpyAttributes {
  int src_access_order;  // CUmemcpySrcAccessOrder
  CUmemLocation src_location_hint;
  CUmemLocation dst_location_hint;
  unsigned flags;
};
static_assert(sizeof(CUmemcpyAttributes) == 24, "CUmemcpyAttributes as cuda.h lays it out");
constexpr int CU_MEMCPY_SRC_ACCESS_ORDER_STREAM = 1;

// cuMemcpy2DAsync's description (cuda.h CUDA_MEMCPY2D, the _v2 layout).
struct CUDA_MEMCPY2D {
  size_t srcXInBytes;
  size_t srcY;
  int srcMemoryType;  // CUmemorytype
  const void* srcHost;
  CUdeviceptr srcDevice;
  void* srcArray;
  size_t srcPitch;
  size_t dstXInBytes;
  size_t dstY;
  int dstMemoryType;
  void* dstHost;
  CUdeviceptr dstDevice;
  void* dstArray;
  size_t dstPitch;
  size_t WidthInBytes;
  size_t Height;
};
static_assert(sizeof(CUDA_MEMCPY2D) == 128, "CUDA_MEMCPY2D as cuda.h lays it out");
constexpr int CU_MEMORYTYPE_DEVICE = 2;

}  // namespace

// The entry points only the bench calls, nullptr where the driver lacks one.
// cuMemcpyBatchAsync is its CUDA 12.8 form, with failIdx, which later drivers
// keep exporting.
struct DriverCalls::Entries {
  api::Fn<CUresult(CUdeviceptr, CUdeviceptr, size_t, CUstream)> cuMemcpyDtoDAsync_v2 = nullptr;
  api::Fn<CUresult(CUdeviceptr*, CUdeviceptr*, size_t*, size_t, CUmemcpyAttributes*, size_t*, size_t, size_t*,
                   CUstream)>
      cuMemcpyBatchAsync = nullptr;
  api::Fn<CUresult(const CUDA_MEMCPY2D*, CUstream)> cuMemcpy2DAsync_v2 = nullptr;
  api::Fn<CUresult(CUdeviceptr, size_t, unsigned char, size_t, size_t, CUstream)> cuMemsetD2D8Async = nullptr;
  api::Fn<CUresult(CUdeviceptr, size_t, unsigned short, size_t, size_t, CUstream)> cuMemsetD2D16Async = nullptr;
  api::Fn<CUresult(CUdeviceptr, size_t, unsigned, size_t, size_t, CUstream)> cuMemsetD2D32Async = nullptr;
};

Result<DriverCalls> DriverCalls::open(const cuda::Device& device) {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* driver, api::load());
  // Resolved once per driver library and kept: the runtime keeps the library
  // loaded for the process (devbin_internal/dynamic_library.h), so RTLD_NOLOAD
  // finds it and the addresses stay valid after the extra reference is dropped.
  static std::mutex mutex;
  static auto* resolved = new std::map<const api::Api*, Entries>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = resolved->find(driver);
  if (it == resolved->end()) {
    Entries entries;
    if (void* handle = dlopen(driver->path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) {
      auto find = [handle](auto& entry, const char* name) {
        entry = reinterpret_cast<std::remove_reference_t<decltype(entry)>>(dlsym(handle, name));
      };
      find(entries.cuMemcpyDtoDAsync_v2, "cuMemcpyDtoDAsync_v2");
      find(entries.cuMemcpyBatchAsync, "cuMemcpyBatchAsync");
      find(entries.cuMemcpy2DAsync_v2, "cuMemcpy2DAsync_v2");
      find(entries.cuMemsetD2D8Async, "cuMemsetD2D8Async");
      find(entries.cuMemsetD2D16Async, "cuMemsetD2D16Async");
      find(entries.cuMemsetD2D32Async, "cuMemsetD2D32Async");
      dlclose(handle);
    }
    it = resolved->emplace(driver, entries).first;
  }
  return DriverCalls(driver, &it->second, device.native_context(), device.driver().version_string());
}

Status DriverCalls::lacks(const char* call, const char* since) const {
  return unavailable(std::string(call) + ": the CUDA driver (" + version_ + ") lacks it" +
                     (since != nullptr ? std::string("; it came with CUDA ") + since : std::string()));
}

Result<cuda::ContextScope> DriverCalls::enter() const {
  return cuda::ContextScope::enter(*api_, static_cast<api::CUcontext>(context_));
}

namespace {

CUstream handle(cuda::Stream& stream) { return static_cast<CUstream>(stream.native_handle()); }

}  // namespace

Status DriverCalls::memset_d32(cuda::Stream& stream, DevicePtr target, uint32_t value, uint64_t count) const {
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  return check(*api_, api_->cuMemsetD32Async(target, value, count, handle(stream)), "cuMemsetD32Async");
}

Status DriverCalls::copy(cuda::Stream& stream, DevicePtr target, DevicePtr source, uint64_t length) const {
  if (entries_->cuMemcpyDtoDAsync_v2 == nullptr) return lacks("cuMemcpyDtoDAsync");
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  return check(*api_, entries_->cuMemcpyDtoDAsync_v2(target, source, length, handle(stream)), "cuMemcpyDtoDAsync");
}

Status DriverCalls::copy_batch(cuda::Stream& stream, std::span<const DevicePtr> targets,
                               std::span<const DevicePtr> sources, std::span<const uint64_t> lengths) const {
  if (targets.size() != sources.size() || targets.size() != lengths.size()) {
    return invalid_argument("copy_batch: " + std::to_string(targets.size()) + " targets, " +
                            std::to_string(sources.size()) + " sources and " + std::to_string(lengths.size()) +
                            " lengths; expected one of each per copy");
  }
  if (targets.empty()) return Status::Ok();
  if (entries_->cuMemcpyBatchAsync == nullptr) return lacks("cuMemcpyBatchAsync", "12.8");
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  std::vector<CUdeviceptr> to(targets.begin(), targets.end());
  std::vector<CUdeviceptr> from(sources.begin(), sources.end());
  std::vector<size_t> sizes(lengths.begin(), lengths.end());
  CUmemcpyAttributes attributes{};
  attributes.src_access_order = CU_MEMCPY_SRC_ACCESS_ORDER_STREAM;
  size_t first_copy = 0;  // the one attribute applies from copy 0 on
  size_t failed_copy = SIZE_MAX;
  Status status = check(*api_,
                        entries_->cuMemcpyBatchAsync(to.data(), from.data(), sizes.data(), sizes.size(), &attributes,
                                                     &first_copy, 1, &failed_copy, handle(stream)),
                        "cuMemcpyBatchAsync");
  if (!status.ok() && failed_copy != SIZE_MAX) status.annotate("copy " + std::to_string(failed_copy));
  return status;
}

Status DriverCalls::copy_2d(cuda::Stream& stream, DevicePtr target, uint64_t target_pitch, DevicePtr source,
                            uint64_t source_pitch, uint64_t width, uint64_t height) const {
  if (entries_->cuMemcpy2DAsync_v2 == nullptr) return lacks("cuMemcpy2DAsync");
  CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  copy.srcDevice = source;
  copy.srcPitch = source_pitch;
  copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  copy.dstDevice = target;
  copy.dstPitch = target_pitch;
  copy.WidthInBytes = width;
  copy.Height = height;
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  return check(*api_, entries_->cuMemcpy2DAsync_v2(&copy, handle(stream)), "cuMemcpy2DAsync");
}

Status DriverCalls::memset_2d(cuda::Stream& stream, DevicePtr target, uint64_t pitch,
                              std::span<const uint8_t> pattern, uint64_t width, uint64_t height) const {
  const size_t bytes = pattern.size();
  if ((bytes != 1 && bytes != 2 && bytes != 4) || width % bytes != 0) {
    return invalid_argument("memset_2d: a " + std::to_string(bytes) + "-byte pattern over rows of " +
                            std::to_string(width) + " bytes; the driver's 2D memsets take 1, 2 or 4-byte patterns "
                            "and whole elements");
  }
  const char* name = bytes == 1 ? "cuMemsetD2D8Async" : bytes == 2 ? "cuMemsetD2D16Async" : "cuMemsetD2D32Async";
  if ((bytes == 1 && entries_->cuMemsetD2D8Async == nullptr) ||
      (bytes == 2 && entries_->cuMemsetD2D16Async == nullptr) ||
      (bytes == 4 && entries_->cuMemsetD2D32Async == nullptr)) {
    return lacks(name);
  }
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  const uint64_t elements = width / bytes;
  CUresult result;
  if (bytes == 1) {
    result = entries_->cuMemsetD2D8Async(target, pitch, pattern[0], elements, height, handle(stream));
  } else if (bytes == 2) {
    uint16_t value;
    std::memcpy(&value, pattern.data(), 2);
    result = entries_->cuMemsetD2D16Async(target, pitch, value, elements, height, handle(stream));
  } else {
    uint32_t value;
    std::memcpy(&value, pattern.data(), 4);
    result = entries_->cuMemsetD2D32Async(target, pitch, value, elements, height, handle(stream));
  }
  return check(*api_, result, name);
}

Status DriverCalls::copy_to_device_async(cuda::Stream& stream, DevicePtr target, const void* source,
                                         uint64_t length) const {
  if (length == 0) return Status::Ok();
  if (api_->cuMemcpyHtoDAsync_v2 == nullptr) return lacks("cuMemcpyHtoDAsync");
  DEVBIN_ASSIGN_OR_RETURN(cuda::ContextScope scope, enter());
  return check(*api_, api_->cuMemcpyHtoDAsync_v2(target, source, length, handle(stream)), "cuMemcpyHtoDAsync");
}

}  // namespace devbin::bench
