// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The C API's statuses and the registry of live handles (handles.h).
#include <mutex>
#include <unordered_set>

#include "c_api/handles.h"

namespace devbin::c_api {
namespace {

devbin_status_code_t c_code(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return DEVBIN_STATUS_OK;
    case StatusCode::kInvalidArgument: return DEVBIN_STATUS_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return DEVBIN_STATUS_NOT_FOUND;
    case StatusCode::kFailedPrecondition: return DEVBIN_STATUS_FAILED_PRECONDITION;
    case StatusCode::kDataLoss: return DEVBIN_STATUS_DATA_LOSS;
    case StatusCode::kUnavailable: return DEVBIN_STATUS_UNAVAILABLE;
    case StatusCode::kInternal: return DEVBIN_STATUS_INTERNAL;
  }
  return DEVBIN_STATUS_INTERNAL;
}


// Out of memory for a status itself: a static one, never a NULL that would
// read as success; devbin_status_free leaves it alone.
devbin_status_s g_out_of_memory{DEVBIN_STATUS_INTERNAL, "devbin: out of memory for an error message"};

struct Registry {
  std::mutex mutex;
  std::unordered_set<const void*> live;
};

// Never destroyed: handles may be freed from static destructors.
Registry& registry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

devbin_status_t to_c(const Status& status) {
  if (status.ok()) return nullptr;
  try {
    return new devbin_status_s{c_code(status.code()), status.message()};
  } catch (...) {
    return &g_out_of_memory;
  }
}

void register_handle(const void* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.live.insert(handle);
}

bool unregister_handle(const void* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.live.erase(handle) == 1;
}

bool is_live(const void* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.live.count(handle) == 1;
}

devbin_status_t check_live(const char* function, const char* what, const void* handle) {
  if (handle == nullptr) return null_argument(function, what);
  if (!is_live(handle)) {
    return fail(StatusCode::kInvalidArgument, std::string(function) + ": the " + what +
                                                  " handle is not a live devbin_" + what +
                                                  "_t (freed already, or never created)");
  }
  return nullptr;
}

devbin_status_t check_device_and_queue(const char* function, devbin_device_t* device, devbin_queue_t* queue) {
  if (devbin_status_t error = check_live(function, "device", device)) return error;
  return check_live(function, "queue", queue);
}

}  // namespace devbin::c_api

extern "C" {

devbin_status_code_t devbin_status_code(devbin_status_t status) {
  return status == nullptr ? DEVBIN_STATUS_OK : status->code;
}

const char* devbin_status_message(devbin_status_t status) { return status == nullptr ? "" : status->message.c_str(); }

void devbin_status_free(devbin_status_t status) {
  if (status != &devbin::c_api::g_out_of_memory) delete status;
}

}  // extern "C"
