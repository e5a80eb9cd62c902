// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the C API's files (runtime/src/c_api/) share: the handles behind the
// opaque C types, C statuses from C++ ones, and the registry of live handles.
//
// The rules the handles keep:
//  - A buffer or queue holds its device: freeing a device while its buffers
//    and queues live frees the device's handle at once, and the device itself
//    with its last child, so no order of frees crashes.
//  - Every handle is registered while it lives. A call given a handle that
//    is not live (freed, never created) is refused with a message; a free of
//    one does nothing, so a double free is harmless.
#ifndef DEVBIN_RUNTIME_SRC_C_API_HANDLES_H_
#define DEVBIN_RUNTIME_SRC_C_API_HANDLES_H_

#include <memory>
#include <new>
#include <string>

#include "devbin/devbin.h"
#include "devbin/device.h"
#include "devbin/status.h"
#include "devbin/toc.h"

struct devbin_status_s {
  devbin_status_code_t code;
  std::string message;
};

struct devbin_device_s {
  std::shared_ptr<devbin::Device> device;
  size_t entry_index = 0;
};

struct devbin_queue_s {
  std::shared_ptr<devbin::Device> device;  // destroyed after `queue`
  std::unique_ptr<devbin::Queue> queue;
  devbin::Recorder* recorder = nullptr;  // `queue`, when it is a recorder
};

struct devbin_buffer_s {
  std::shared_ptr<devbin::Device> device;  // destroyed after `buffer`
  std::unique_ptr<devbin::Buffer> buffer;
};

namespace devbin::c_api {

// A C status for a C++ one: NULL for OK (never NULL for an error, even
// without memory for it).
devbin_status_t to_c(const Status& status);
inline devbin_status_t fail(StatusCode code, const std::string& message) { return to_c(Status(code, message)); }
inline devbin_status_t null_argument(const char* function, const char* what) {
  return fail(StatusCode::kInvalidArgument, std::string(function) + ": " + what + " is null");
}

// Runs `body`, turning any exception into a status.
template <typename Body>
devbin_status_t guarded(const char* function, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(StatusCode::kInternal, std::string(function) + ": out of memory");
  } catch (...) {
    return fail(StatusCode::kInternal, std::string(function) + ": an unexpected C++ exception");
  }
}

// The registry of live handles (any kind).
void register_handle(const void* handle);
// True when `handle` was live and is now forgotten; false for one that is not live.
bool unregister_handle(const void* handle);
bool is_live(const void* handle);

// NULL, or why `handle` (of the kind `what` names: "device", "queue",
// "buffer") cannot be used by `function`.
devbin_status_t check_live(const char* function, const char* what, const void* handle);
// Both live, and the queue is the device's.
devbin_status_t check_device_and_queue(const char* function, devbin_device_t* device, devbin_queue_t* queue);

// The index of `entry`, an entry of the embedded TOC.
size_t toc_index_of(const TocEntry* entry);

// Registers and hands out a new handle.
template <typename Handle>
Handle* publish(std::unique_ptr<Handle> handle) {
  register_handle(handle.get());
  return handle.release();
}

// Frees a live handle; nothing for one that is not.
template <typename Handle>
void release(Handle* handle) {
  if (handle != nullptr && unregister_handle(handle)) delete handle;
}

}  // namespace devbin::c_api

#endif  // DEVBIN_RUNTIME_SRC_C_API_HANDLES_H_
