// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What a cuda::Device holds of the driver: its API table, the device and its
// primary context, the loaded module and its kernels, and the teardown
// failures close() reports. Shared by the files of the CUDA backend.
#ifndef DEVBIN_RUNTIME_SRC_CUDA_DEVICE_IMPL_H_
#define DEVBIN_RUNTIME_SRC_CUDA_DEVICE_IMPL_H_

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "devbin_internal/cuda_context_scope.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"

namespace devbin::cuda {

struct Device::Impl {
  const api::Api* api = nullptr;
  api::CUdevice device = 0;
  api::CUcontext context = nullptr;
  bool context_retained = false;
  api::CUmodule module = nullptr;
  api::CUfunction functions[kKernelCount] = {};
  std::mutex teardown_mutex;
  std::vector<std::string> teardown_failures;  // what Buffers, Streams and Events could not free
  bool closed = false;

  // The device's context, current until the scope ends.
  Result<ContextScope> enter() const {
    if (closed) return failed_precondition("the CUDA device is closed");
    return ContextScope::enter(*api, context);
  }

  // `what` could not be freed: `status` says why.
  void teardown_failed(const std::string& what, const Status& status) {
    std::lock_guard<std::mutex> lock(teardown_mutex);
    teardown_failures.push_back(what + ": " + status.message());
  }

  // Frees one resource with the driver call `free` (named `call`) in the
  // device's context; a failure is kept for close() to report, never thrown
  // away (a destructor has no one else to tell).
  template <class Free>
  void free_resource(const std::string& what, std::string_view call, Free free) {
    auto scope = enter();
    Status freed = scope.ok() ? api::check(*api, free(), call) : scope.status();
    if (!freed.ok()) teardown_failed(what, freed);
  }

  // Unloads the module and drops the context reference; what failed, with
  // every earlier teardown failure.
  Status release() {
    if (closed) return Status::Ok();
    if (module != nullptr) {
      auto scope = ContextScope::enter(*api, context);
      Status unloaded =
          scope.ok() ? api::check(*api, api->cuModuleUnload(module), "cuModuleUnload") : scope.status();
      if (!unloaded.ok()) teardown_failed("the module", unloaded);
      module = nullptr;
    }
    if (context_retained) {
      Status released = api::check(*api, api->cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease");
      if (!released.ok()) teardown_failed("the primary context reference", released);
      context_retained = false;
    }
    closed = true;
    std::lock_guard<std::mutex> lock(teardown_mutex);
    if (teardown_failures.empty()) return Status::Ok();
    std::string message = "could not free " + std::to_string(teardown_failures.size()) + " resource(s): ";
    for (size_t i = 0; i < teardown_failures.size(); ++i) message += (i ? "; " : "") + teardown_failures[i];
    teardown_failures.clear();
    return internal_error(std::move(message));
  }

  ~Impl() { (void)release(); }
};

// The driver, loaded and initialized; any failure on the way as a Status
// (cuda/properties.cc).
Result<const api::Api*> usable_api();

inline api::CUstream stream_handle(const Stream& stream) { return static_cast<api::CUstream>(stream.native_handle()); }

}  // namespace devbin::cuda

#endif  // DEVBIN_RUNTIME_SRC_CUDA_DEVICE_IMPL_H_
