// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// CUDA events: made by the device, recorded on a stream, waited for, and
// timed against each other.
#include <memory>

#include "devbin_internal/cuda_context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"

namespace devbin::cuda {

using api::check;
using api::CUevent;

Result<std::unique_ptr<Event>> Device::create_event() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  CUevent handle = nullptr;
  DEVBIN_RETURN_IF_ERROR(
      check(*impl_->api, impl_->api->cuEventCreate(&handle, api::CU_EVENT_DEFAULT), "cuEventCreate"));
  return std::unique_ptr<Event>(new Event(this, handle));
}

Event::~Event() {
  Device::Impl& impl = *device_->impl_;
  impl.free_resource("an event", "cuEventDestroy", [&] { return impl.api->cuEventDestroy_v2(static_cast<CUevent>(handle_)); });
}

Status Event::record(Stream& stream) {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api,
               device_->impl_->api->cuEventRecord(static_cast<CUevent>(handle_), stream_handle(stream)),
               "cuEventRecord");
}

Status Event::synchronize() {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api, device_->impl_->api->cuEventSynchronize(static_cast<CUevent>(handle_)),
               "cuEventSynchronize");
}

Result<float> Event::elapsed_ms_since(const Event& start) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  float ms = 0;
  DEVBIN_RETURN_IF_ERROR(check(
      *device_->impl_->api,
      device_->impl_->api->cuEventElapsedTime(&ms, static_cast<CUevent>(start.handle_), static_cast<CUevent>(handle_)),
      "cuEventElapsedTime"));
  return ms;
}

}  // namespace devbin::cuda
