// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "hsa/api.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <iterator>
#include <memory>

#include "devbin_internal/dynamic_library.h"

namespace devbin::hsa::api {
namespace {

constexpr util::LibraryKind kRuntimeLibrary = {
    .name = "HSA runtime",
    .default_path = kDefaultLibrary,
    .path_env = kRuntimePathEnv,
    .install = "install ROCm (or Debian's libhsa-runtime64-1)",
    .entry_points = "entry points",
    .none_found = "it is not an HSA runtime library",
    .some_missing = "an older or partial HSA runtime",
};

constexpr util::EntryPoint kEntryPoints[] = {
#define DEVBIN_HSA_ENTRY_POINT_(name, type) {#name},
    DEVBIN_HSA_API_FUNCTIONS(DEVBIN_HSA_ENTRY_POINT_)
#undef DEVBIN_HSA_ENTRY_POINT_
};

// Why hsa_init fails on most machines: the kernel driver's device node.
std::string kfd_note() {
  constexpr char kKfd[] = "/dev/kfd";
  if (access(kKfd, F_OK) != 0) return std::string("; ") + kKfd + " does not exist: no amdgpu kernel driver is loaded";
  if (access(kKfd, R_OK | W_OK) != 0) {
    return std::string("; ") + kKfd + " exists but this user may not open it (add the user to the render group)";
  }
  return {};
}

void bind(Api& api, void* const* addresses) {
  size_t next = 0;
#define DEVBIN_HSA_ASSIGN_(name, type) api.name = reinterpret_cast<type>(addresses[next++]);
  DEVBIN_HSA_API_FUNCTIONS(DEVBIN_HSA_ASSIGN_)
#undef DEVBIN_HSA_ASSIGN_
}

Result<std::unique_ptr<Api>> open_runtime(const std::string& path) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Api> api, util::open_api<Api>(path, kRuntimeLibrary, kEntryPoints, bind));
  // Never shut down: the reference is the process's, like the library.
  api->init_status = check(*api, api->hsa_init(), "hsa_init");
  if (!api->init_status.ok()) {
    api->init_status = Status(api->init_status.code(), api->init_status.message() + kfd_note());
  }
  // Optional entry points: the library is open (RTLD_NOLOAD finds it) and
  // stays loaded for the process.
  if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD); handle != nullptr) {
#define DEVBIN_HSA_OPTIONAL_(name, type) api->name = reinterpret_cast<type>(dlsym(handle, #name));
    DEVBIN_HSA_OPTIONAL_FUNCTIONS(DEVBIN_HSA_OPTIONAL_)
#undef DEVBIN_HSA_OPTIONAL_
    dlclose(handle);  // drops the reference RTLD_NOLOAD took, not open_library's
  }
  if (api->init_status.ok()) {
    if (Status frequency = check(*api,
                                 api->hsa_system_get_info(HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY,
                                                          &api->timestamp_frequency_hz),
                                 "hsa_system_get_info(TIMESTAMP_FREQUENCY)");
        !frequency.ok()) {
      api->init_status = frequency;
    } else if (api->timestamp_frequency_hz == 0) {
      api->init_status = internal_error(
          "hsa_system_get_info(TIMESTAMP_FREQUENCY) reports 0 Hz; waits could not be bounded");
    }
    Status major = check(*api, api->hsa_system_get_info(HSA_SYSTEM_INFO_VERSION_MAJOR, &api->version_major),
                         "hsa_system_get_info(VERSION_MAJOR)");
    Status minor = check(*api, api->hsa_system_get_info(HSA_SYSTEM_INFO_VERSION_MINOR, &api->version_minor),
                         "hsa_system_get_info(VERSION_MINOR)");
    if (!major.ok()) api->init_status = major;
    if (!minor.ok()) api->init_status = minor;
  }
  return api;
}

struct StatusNameEntry {
  hsa_status_t status;
  const char* name;
};

constexpr StatusNameEntry kStatusNames[] = {
#define DEVBIN_HSA_STATUS_NAME_(name, value) {HSA_STATUS_##name, "HSA_STATUS_" #name},
    DEVBIN_HSA_STATUSES(DEVBIN_HSA_STATUS_NAME_)
#undef DEVBIN_HSA_STATUS_NAME_
};

}  // namespace

std::string_view function_name(size_t index) {
  return index < function_count() ? std::string_view(kEntryPoints[index].name) : std::string_view("unknown");
}
size_t function_count() { return std::size(kEntryPoints); }

Result<const Api*> load() { return util::load_once<Api>(kRuntimeLibrary, open_runtime); }

std::string status_name(hsa_status_t status) {
  char code[16];
  std::snprintf(code, sizeof(code), "0x%x", static_cast<unsigned>(status));
  for (const StatusNameEntry& entry : kStatusNames) {
    if (entry.status == status) return std::string(entry.name) + " (" + code + ")";
  }
  return std::string("HSA status ") + code;
}

std::string error_text(const Api& api, hsa_status_t status) {
  std::string out = status_name(status);
  const char* text = nullptr;
  if (api.hsa_status_string != nullptr && api.hsa_status_string(status, &text) == HSA_STATUS_SUCCESS &&
      text != nullptr) {
    std::string_view explanation(text);
    // ROCm's strings repeat the enumerator name before a colon; keep only the explanation.
    if (size_t colon = explanation.find(": ");
        colon != std::string_view::npos && explanation.substr(0, colon).starts_with("HSA_STATUS")) {
      explanation.remove_prefix(colon + 2);
    }
    while (!explanation.empty() &&
           (explanation.back() == '\n' || explanation.back() == ' ' || explanation.back() == '.')) {
      explanation.remove_suffix(1);
    }
    if (!explanation.empty()) out += ": " + std::string(explanation);
  }
  return out;
}

Status check(const Api& api, hsa_status_t status, std::string_view call) {
  if (status == HSA_STATUS_SUCCESS) return Status::Ok();
  std::string message = std::string(call) + " returned " + error_text(api, status);
  switch (status) {
    case HSA_STATUS_ERROR_OUT_OF_RESOURCES:
    case HSA_STATUS_ERROR_NOT_INITIALIZED:
    case HSA_STATUS_ERROR_INVALID_AGENT:
    case HSA_STATUS_ERROR_INVALID_RUNTIME_STATE:
    case HSA_STATUS_ERROR_FATAL:
      return unavailable(std::move(message));
    case HSA_STATUS_ERROR_INVALID_CODE_OBJECT:
    case HSA_STATUS_ERROR_INVALID_ISA:
    case HSA_STATUS_ERROR_INVALID_ISA_NAME:
    case HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS:
    case HSA_STATUS_ERROR_INVALID_EXECUTABLE:
    case HSA_STATUS_ERROR_INVALID_CODE_OBJECT_READER:
      return failed_precondition(std::move(message));
    case HSA_STATUS_ERROR_INVALID_SYMBOL_NAME:
      return not_found(std::move(message));
    case HSA_STATUS_ERROR_INVALID_ARGUMENT:
      return invalid_argument(std::move(message));
    case HSA_STATUS_ERROR_OUT_OF_REGISTERS:
      return failed_precondition(std::move(message));
    default:
      return internal_error(std::move(message));
  }
}

}  // namespace devbin::hsa::api
