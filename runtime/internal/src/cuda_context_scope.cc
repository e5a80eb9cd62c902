// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/cuda_context_scope.h"

#include <utility>

namespace devbin::cuda {

Result<ContextScope> ContextScope::enter(const api::Api& api, api::CUcontext context) {
  api::CUcontext previous = nullptr;
  DEVBIN_RETURN_IF_ERROR(api::check(api, api.cuCtxGetCurrent(&previous), "cuCtxGetCurrent"));
  if (previous == context) return ContextScope(&api, previous, false);
  DEVBIN_RETURN_IF_ERROR(api::check(api, api.cuCtxSetCurrent(context), "cuCtxSetCurrent"));
  return ContextScope(&api, previous, true);
}

ContextScope::ContextScope(ContextScope&& other) noexcept
    : api_(other.api_), previous_(other.previous_), restore_(std::exchange(other.restore_, false)) {}

ContextScope::~ContextScope() {
  // No one is left to tell if this fails: the call's own result is already
  // decided. The driver took this context before, so it takes it back.
  if (restore_) (void)api_->cuCtxSetCurrent(previous_);
}

}  // namespace devbin::cuda
