// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A CUDA stream as a devbin Queue: made by the device or the caller's own
// wrapped, its launches, its vendor operations
// (devbin/vendor_path.h) and its wait.
#include <mutex>
#include <string>

#include "devbin_internal/cuda_context_scope.h"
#include "cuda/device_impl.h"
#include "cuda/staging_ring.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"
#include "devbin_internal/elf.h"

namespace devbin::cuda {

using api::check;
using api::CUcontext;
using api::CUstream;

Stream::Stream(const Device* device, void* handle, bool owned) : DriverObject(device, handle), owned_(owned) {}

Stream::~Stream() {
  // The staging memory goes first: freeing it waits for the copies made from it.
  staging_.reset();
  if (!owned_) return;  // the caller's stream stays
  Device::Impl& impl = *device_->impl_;
  impl.free_resource("a stream", "cuStreamDestroy",
                     [&] { return impl.api->cuStreamDestroy_v2(stream_handle(*this)); });
}

const devbin::Device* Stream::owner() const { return device_; }

Status Stream::submit(std::span<const Launch> launches) { return device_->launch(*this, launches); }

bool Stream::capturing() const {
  auto scope = device_->impl_->enter();
  if (!scope.ok()) return false;
  int status = api::CU_STREAM_CAPTURE_STATUS_NONE;
  const api::CUresult result =
      device_->impl_->api->cuStreamIsCapturing(stream_handle(*this), &status);
  return result == api::CUDA_SUCCESS && status != api::CU_STREAM_CAPTURE_STATUS_NONE;
}

Status Stream::synchronize() {
  // A synchronize during capture is an error the driver answers by
  // invalidating the capture: refuse before it reaches the driver.
  if (capturing()) {
    return failed_precondition("Stream::synchronize: the stream is being captured into a CUDA graph; waiting would "
                               "end the capture (synchronize after cuStreamEndCapture)");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api, device_->impl_->api->cuStreamSynchronize(stream_handle(*this)),
               "cuStreamSynchronize");
}

bool Stream::takes(VendorOpKind kind) const {
  const api::Api& api = *device_->impl_->api;
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
  if (staging_made_.load(std::memory_order_acquire)) return true;
  std::lock_guard<std::mutex> lock(staging_mutex_);
  if (staging_ != nullptr) return true;
  auto scope = device_->impl_->enter();
  if (!scope.ok()) return false;
  auto ring = StagingRing::create(*device_->impl_, stream_handle(*this));
  if (!ring.ok()) return false;
  staging_ = std::move(*ring);
  staging_made_.store(true, std::memory_order_release);
  return true;
}

Status Stream::submit_vendor(const VendorOp& op) {
  const api::Api& api = *device_->impl_->api;
  const CUstream stream = stream_handle(*this);
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
                                                 api::CU_STREAM_WRITE_VALUE_DEFAULT),
                     "cuStreamWriteValue32");
      }
      if (op.width == 8 && api.cuStreamWriteValue64_v2 != nullptr) {
        return check(api, api.cuStreamWriteValue64_v2(stream, op.target, op.value, api::CU_STREAM_WRITE_VALUE_DEFAULT),
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

namespace {

// The stream handles that name a default stream rather than a created one
// (cuda.h's CU_STREAM_LEGACY and CU_STREAM_PER_THREAD).
constexpr uintptr_t kStreamLegacy = 0x1;
constexpr uintptr_t kStreamPerThread = 0x2;

}  // namespace

Result<std::unique_ptr<Stream>> Device::create_stream() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  CUstream handle = nullptr;
  // A blocking stream (flags 0): the synchronous copies on the legacy default
  // stream then wait for work enqueued here, as callers expect.
  DEVBIN_RETURN_IF_ERROR(check(*impl_->api, impl_->api->cuStreamCreate(&handle, 0), "cuStreamCreate"));
  return std::unique_ptr<Stream>(new Stream(this, handle, true));
}

Result<std::unique_ptr<devbin::Queue>> Device::create_own_queue() const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, create_stream());
  return std::unique_ptr<devbin::Queue>(std::move(stream));
}

Result<std::unique_ptr<devbin::Queue>> Device::wrap_queue(void* native_queue) const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, wrap_stream(native_queue));
  return std::unique_ptr<devbin::Queue>(std::move(stream));
}

Result<std::unique_ptr<Stream>> Device::wrap_stream(void* cu_stream) const {
  if (cu_stream == nullptr) {
    return invalid_argument(name() + ": wrap_queue: a null CUstream; a stream devbin does not own must be named: "
                            "a created stream, or CU_STREAM_LEGACY (0x1) / CU_STREAM_PER_THREAD (0x2) for a "
                            "default stream");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const uintptr_t handle = reinterpret_cast<uintptr_t>(cu_stream);
  // A default stream belongs to whichever context is current when work is
  // enqueued on it: devbin makes its own current for every call.
  if (handle != kStreamLegacy && handle != kStreamPerThread) {
    CUcontext context = nullptr;
    const api::CUresult found = impl_->api->cuStreamGetCtx(static_cast<CUstream>(cu_stream), &context);
    if (found != api::CUDA_SUCCESS) {
      return invalid_argument(name() + ": wrap_queue: the driver does not know CUstream " + elf::hex(handle) +
                              " (cuStreamGetCtx: " + api::error_text(*impl_->api, found) +
                              "): a destroyed stream, or not a stream");
    }
    if (context != impl_->context) {
      return invalid_argument(name() + ": wrap_queue: CUstream " + elf::hex(handle) + " belongs to CUDA context " +
                              elf::hex(reinterpret_cast<uintptr_t>(context)) + "; expected a stream of this "
                              "device's primary context " + elf::hex(reinterpret_cast<uintptr_t>(impl_->context)) +
                              " (another device, or a context the caller created)");
    }
  }
  return std::unique_ptr<Stream>(new Stream(this, cu_stream, false));
}

}  // namespace devbin::cuda
