// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Makes a device's context current for the length of one call and puts the
// caller's back on the way out, whatever happens in between. The rule it
// serves: devbin leaves the calling thread's current CUDA context as it found
// it, so a runtime that shares the thread with its own CUDA code (or another
// library's) never finds its context swapped.
#ifndef DEVBIN_INTERNAL_CUDA_CONTEXT_SCOPE_H_
#define DEVBIN_INTERNAL_CUDA_CONTEXT_SCOPE_H_

#include "devbin/status.h"
#include "devbin_internal/cuda_api.h"

namespace devbin::cuda {

class ContextScope {
 public:
  // Reads the current context and, when it is not `context`, makes `context`
  // current. An error (the caller's context left as it was) when either call fails.
  static Result<ContextScope> enter(const api::Api& api, api::CUcontext context);

  ContextScope(ContextScope&& other) noexcept;
  ContextScope& operator=(ContextScope&&) = delete;
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
  // Makes the caller's context current again if enter() changed it.
  ~ContextScope();

 private:
  ContextScope(const api::Api* api, api::CUcontext previous, bool restore)
      : api_(api), previous_(previous), restore_(restore) {}
  const api::Api* api_;
  api::CUcontext previous_;
  bool restore_;
};

}  // namespace devbin::cuda

#endif  // DEVBIN_INTERNAL_CUDA_CONTEXT_SCOPE_H_
