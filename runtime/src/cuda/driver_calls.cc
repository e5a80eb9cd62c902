// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The driver's own calls that devbin's operations are measured against
// (`devbin bench`): memset, copy, batched copy, 2D copy and 2D memset.
#include <cstdint>
#include <span>
#include <string>

#include "cuda/context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"

namespace devbin::cuda {

using api::check;
using api::CUstream;

Status Device::driver_memset_d32(Stream& stream, DevicePtr target, uint32_t value, uint64_t count) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemsetD32Async(target, value, count, stream_handle(stream)),
               "cuMemsetD32Async");
}

Status Device::driver_copy(Stream& stream, DevicePtr target, DevicePtr source, uint64_t length) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyDtoDAsync_v2(target, source, length, stream_handle(stream)),
               "cuMemcpyDtoDAsync");
}

Status Device::driver_copy_batch(Stream& stream, std::span<const DevicePtr> targets, std::span<const DevicePtr> sources,
                                 std::span<const uint64_t> lengths) const {
  if (targets.size() != sources.size() || targets.size() != lengths.size()) {
    return invalid_argument("driver_copy_batch: " + std::to_string(targets.size()) + " targets, " +
                            std::to_string(sources.size()) + " sources and " + std::to_string(lengths.size()) +
                            " lengths; expected one of each per copy");
  }
  if (targets.empty()) return Status::Ok();
  const api::Api& api = *impl_->api;
  if (api.cuMemcpyBatchAsync == nullptr) {
    return unavailable("cuMemcpyBatchAsync: the CUDA driver (" + driver_info_.version_string() +
                       ") lacks it; it came with CUDA 12.8");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  std::vector<api::CUdeviceptr> to(targets.begin(), targets.end());
  std::vector<api::CUdeviceptr> from(sources.begin(), sources.end());
  std::vector<size_t> sizes(lengths.begin(), lengths.end());
  api::CUmemcpyAttributes attributes{};
  attributes.src_access_order = api::CU_MEMCPY_SRC_ACCESS_ORDER_STREAM;
  size_t first_copy = 0;  // the one attribute applies from copy 0 on
  size_t failed_copy = SIZE_MAX;
  Status status = check(api,
                        api.cuMemcpyBatchAsync(to.data(), from.data(), sizes.data(), sizes.size(), &attributes,
                                               &first_copy, 1, &failed_copy, stream_handle(stream)),
                        "cuMemcpyBatchAsync");
  if (!status.ok() && failed_copy != SIZE_MAX) status.annotate("copy " + std::to_string(failed_copy));
  return status;
}

Status Device::driver_copy_2d(Stream& stream, DevicePtr target, uint64_t target_pitch, DevicePtr source,
                              uint64_t source_pitch, uint64_t width, uint64_t height) const {
  const api::Api& api = *impl_->api;
  if (api.cuMemcpy2DAsync_v2 == nullptr) {
    return unavailable("cuMemcpy2DAsync: the CUDA driver (" + driver_info_.version_string() + ") lacks it");
  }
  api::CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = api::CU_MEMORYTYPE_DEVICE;
  copy.srcDevice = source;
  copy.srcPitch = source_pitch;
  copy.dstMemoryType = api::CU_MEMORYTYPE_DEVICE;
  copy.dstDevice = target;
  copy.dstPitch = target_pitch;
  copy.WidthInBytes = width;
  copy.Height = height;
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(api, api.cuMemcpy2DAsync_v2(&copy, stream_handle(stream)), "cuMemcpy2DAsync");
}

Status Device::driver_memset_2d(Stream& stream, DevicePtr target, uint64_t pitch, std::span<const uint8_t> pattern,
                                uint64_t width, uint64_t height) const {
  const api::Api& api = *impl_->api;
  const size_t bytes = pattern.size();
  if ((bytes != 1 && bytes != 2 && bytes != 4) || width % bytes != 0) {
    return invalid_argument("driver_memset_2d: a " + std::to_string(bytes) + "-byte pattern over rows of " +
                            std::to_string(width) + " bytes; the driver's 2D memsets take 1, 2 or 4-byte patterns "
                            "and whole elements");
  }
  const char* name = bytes == 1 ? "cuMemsetD2D8Async" : bytes == 2 ? "cuMemsetD2D16Async" : "cuMemsetD2D32Async";
  if ((bytes == 1 && api.cuMemsetD2D8Async == nullptr) || (bytes == 2 && api.cuMemsetD2D16Async == nullptr) ||
      (bytes == 4 && api.cuMemsetD2D32Async == nullptr)) {
    return unavailable(std::string(name) + ": the CUDA driver (" + driver_info_.version_string() + ") lacks it");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const CUstream handle = stream_handle(stream);
  const uint64_t elements = width / bytes;
  api::CUresult result;
  if (bytes == 1) {
    result = api.cuMemsetD2D8Async(target, pitch, pattern[0], elements, height, handle);
  } else if (bytes == 2) {
    uint16_t value;
    std::memcpy(&value, pattern.data(), 2);
    result = api.cuMemsetD2D16Async(target, pitch, value, elements, height, handle);
  } else {
    uint32_t value;
    std::memcpy(&value, pattern.data(), 4);
    result = api.cuMemsetD2D32Async(target, pitch, value, elements, height, handle);
  }
  return check(api, result, name);
}

}  // namespace devbin::cuda
