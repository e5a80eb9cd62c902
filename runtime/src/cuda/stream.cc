// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A CUDA stream as a devbin Queue: its launches, its vendor operations
// (devbin/vendor_path.h) and its wait.
#include <mutex>
#include <string>

#include "cuda/context_scope.h"
#include "cuda/device_impl.h"
#include "cuda/staging_ring.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_driver.h"

namespace devbin::cuda {

using driver::check;
using driver::CUstream;

Stream::Stream(const Device* device, void* handle, bool owned) : DriverObject(device, handle), owned_(owned) {}

Stream::~Stream() {
  // The staging memory goes first: freeing it waits for the copies made from it.
  staging_.reset();
  if (!owned_) return;  // the caller's stream stays
  Device::Impl& impl = *device_->impl_;
  impl.free_resource("a stream", "cuStreamDestroy",
                     [&] { return impl.api->cuStreamDestroy_v2(static_cast<CUstream>(handle_)); });
}

const devbin::Device* Stream::owner() const { return device_; }

Status Stream::submit(std::span<const Launch> launches) { return device_->launch(handle_, launches); }

bool Stream::capturing() const {
  auto scope = device_->impl_->enter();
  if (!scope.ok()) return false;
  int status = driver::CU_STREAM_CAPTURE_STATUS_NONE;
  const driver::CUresult result =
      device_->impl_->api->cuStreamIsCapturing(static_cast<CUstream>(handle_), &status);
  return result == driver::CUDA_SUCCESS && status != driver::CU_STREAM_CAPTURE_STATUS_NONE;
}

Status Stream::synchronize() {
  // A synchronize during capture is an error the driver answers by
  // invalidating the capture: refuse before it reaches the driver.
  if (capturing()) {
    return failed_precondition("Stream::synchronize: the stream is being captured into a CUDA graph; waiting would "
                               "end the capture (synchronize after cuStreamEndCapture)");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api, device_->impl_->api->cuStreamSynchronize(static_cast<CUstream>(handle_)),
               "cuStreamSynchronize");
}

bool Stream::takes(VendorOpKind kind) const {
  const driver::Api& api = *device_->impl_->api;
  switch (kind) {
    case VendorOpKind::kMemset:
      return true;
    case VendorOpKind::kWriteValue:
      return api.cuStreamWriteValue32_v2 != nullptr && api.cuStreamWriteValue64_v2 != nullptr && !capturing();
    case VendorOpKind::kStagedCopy:
      return api.cuMemAllocHost_v2 != nullptr && api.cuMemcpyHtoDAsync_v2 != nullptr && !capturing() &&
             staging_ready();
  }
  return false;
}

bool Stream::staging_ready() const {
  std::lock_guard<std::mutex> lock(staging_mutex_);
  if (staging_ != nullptr) return true;
  auto scope = device_->impl_->enter();
  if (!scope.ok()) return false;
  auto ring = StagingRing::create(*device_->impl_, static_cast<CUstream>(handle_));
  if (!ring.ok()) return false;
  staging_ = std::move(*ring);
  return true;
}

Status Stream::submit_vendor(const VendorOp& op) {
  const driver::Api& api = *device_->impl_->api;
  const CUstream stream = static_cast<CUstream>(handle_);
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  switch (op.kind) {
    case VendorOpKind::kMemset:
      switch (op.width) {
        case 1:
          return check(api, api.cuMemsetD8Async(op.target, static_cast<uint8_t>(op.value), op.length, stream),
                       "cuMemsetD8Async");
        case 2:
          return check(api, api.cuMemsetD16Async(op.target, static_cast<uint16_t>(op.value), op.length / 2, stream),
                       "cuMemsetD16Async");
        case 4:
          return check(api, api.cuMemsetD32Async(op.target, static_cast<uint32_t>(op.value), op.length / 4, stream),
                       "cuMemsetD32Async");
        default:
          break;
      }
      break;
    case VendorOpKind::kWriteValue:
      if (op.width == 4 && api.cuStreamWriteValue32_v2 != nullptr) {
        return check(api,
                     api.cuStreamWriteValue32_v2(stream, op.target, static_cast<uint32_t>(op.value),
                                                 driver::CU_STREAM_WRITE_VALUE_DEFAULT),
                     "cuStreamWriteValue32");
      }
      if (op.width == 8 && api.cuStreamWriteValue64_v2 != nullptr) {
        return check(api, api.cuStreamWriteValue64_v2(stream, op.target, op.value, driver::CU_STREAM_WRITE_VALUE_DEFAULT),
                     "cuStreamWriteValue64");
      }
      break;
    case VendorOpKind::kStagedCopy:
      if (op.data.size() != op.length) break;
      return staged_copy(op);
  }
  return internal_error("CUDA stream: no vendor operation " + std::string(vendor_op_name(op.kind)) + " of " +
                        std::to_string(op.width) + " bytes");
}

Status Stream::staged_copy(const VendorOp& op) {
  std::lock_guard<std::mutex> lock(staging_mutex_);
  if (staging_ == nullptr) return internal_error("staged copy: the stream has no staging memory");
  return staging_->copy(op.target, op.data);
}

}  // namespace devbin::cuda
