// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/cuda_api.h"

#include <dlfcn.h>

#include <iterator>
#include <memory>
#include <type_traits>

#include "devbin_internal/dynamic_library.h"

namespace devbin::cuda::api {
namespace {

constexpr util::LibraryKind kDriverLibrary = {
    .name = "CUDA driver",
    .default_path = kDefaultLibrary,
    .path_env = kDriverPathEnv,
    .install = "install the NVIDIA driver",
    .entry_points = "driver entry points",
    .none_found = "it is not a CUDA driver library",
    .some_missing = "the driver is too old: devbin needs CUDA 11.0 or later",
};

// Every entry point of DEVBIN_CUDA_DRIVER_FUNCTIONS, in order, then cuEventElapsedTime.
constexpr util::EntryPoint kEntryPoints[] = {
#define DEVBIN_CUDA_ENTRY_POINT_(name, signature) {#name},
    DEVBIN_CUDA_DRIVER_FUNCTIONS(DEVBIN_CUDA_ENTRY_POINT_)
#undef DEVBIN_CUDA_ENTRY_POINT_
    {"cuEventElapsedTime_v2", "cuEventElapsedTime", "cuEventElapsedTime_v2 (or cuEventElapsedTime)"},
};

void bind(Api& api, void* const* addresses) {
  size_t next = 0;
#define DEVBIN_CUDA_ASSIGN_(name, signature) api.name = reinterpret_cast<Fn<signature>>(addresses[next++]);
  DEVBIN_CUDA_DRIVER_FUNCTIONS(DEVBIN_CUDA_ASSIGN_)
#undef DEVBIN_CUDA_ASSIGN_
  api.cuEventElapsedTime = reinterpret_cast<Fn<CUresult(float*, CUevent, CUevent)>>(addresses[next++]);
}

Result<std::unique_ptr<Api>> open_driver(const std::string& path) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Api> api, util::open_api<Api>(path, kDriverLibrary, kEntryPoints, bind));
  // The optional entry points, from the library open_api keeps loaded
  // (RTLD_NOLOAD takes a second reference to it, dropped again below).
  if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) {
    auto optional = [handle](auto& entry, const char* name) {
      entry = reinterpret_cast<std::remove_reference_t<decltype(entry)>>(dlsym(handle, name));
    };
#define DEVBIN_CUDA_OPTIONAL_(name, signature) optional(api->name, #name);
    DEVBIN_CUDA_DRIVER_OPTIONAL_FUNCTIONS(DEVBIN_CUDA_OPTIONAL_)
#undef DEVBIN_CUDA_OPTIONAL_
    dlclose(handle);
  }
  api->init_status = check(*api, api->cuInit(0), "cuInit");
  if (api->init_status.ok()) {
    Status version = check(*api, api->cuDriverGetVersion(&api->version), "cuDriverGetVersion");
    if (!version.ok()) api->init_status = version;
  }
  return api;
}

}  // namespace

std::string library_path() { return util::library_path(kDriverLibrary); }

Result<const Api*> load() { return util::load_once<Api>(kDriverLibrary, open_driver); }

std::string version_string(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

std::string error_text(const Api& api, CUresult result) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.cuGetErrorName == nullptr || api.cuGetErrorName(result, &name) != CUDA_SUCCESS || name == nullptr) {
    name = "CUDA error";
  }
  if (api.cuGetErrorString == nullptr || api.cuGetErrorString(result, &text) != CUDA_SUCCESS) text = nullptr;
  std::string out = std::string(name) + " (" + std::to_string(result) + ")";
  if (text != nullptr) out += std::string(": ") + text;
  return out;
}

Status check(const Api& api, CUresult result, std::string_view call) {
  if (result == CUDA_SUCCESS) return Status::Ok();
  std::string message = std::string(call) + " failed: " + error_text(api, result);
  switch (result) {
    case CUDA_ERROR_NO_DEVICE:
      return unavailable(message + " (no NVIDIA GPU is visible: check nvidia-smi and CUDA_VISIBLE_DEVICES)");
    case CUDA_ERROR_INSUFFICIENT_DRIVER:
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
      return unavailable(message + " (the kernel module and libcuda.so.1 do not match, or the driver is too old)");
    case CUDA_ERROR_NOT_INITIALIZED:
      return unavailable(std::move(message));
    case CUDA_ERROR_NO_BINARY_FOR_GPU:
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
    case CUDA_ERROR_INVALID_PTX:
    case CUDA_ERROR_INVALID_IMAGE:
    case CUDA_ERROR_JIT_COMPILER_NOT_FOUND:
      return failed_precondition(std::move(message));
    case CUDA_ERROR_NOT_FOUND:
      return not_found(std::move(message));
    case CUDA_ERROR_INVALID_VALUE:
      return invalid_argument(std::move(message));
    default:
      return internal_error(std::move(message));
  }
}

}  // namespace devbin::cuda::api
