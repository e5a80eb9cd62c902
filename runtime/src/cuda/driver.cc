#include "cuda/driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace devbin::cuda::driver {
namespace {

// Resolves every entry point; a library without them (an unrelated .so, a
// driver stub of another version) is refused with the full list of what is
// missing, so one run tells the user everything.
Status resolve(void* handle, Api* api) {
  std::vector<std::string_view> missing;
  size_t total = 0;
#define DEVBIN_CUDA_RESOLVE_(name, signature)                        \
  ++total;                                                           \
  api->name = reinterpret_cast<Fn<signature>>(dlsym(handle, #name)); \
  if (api->name == nullptr) missing.push_back(#name);
  DEVBIN_CUDA_DRIVER_FUNCTIONS(DEVBIN_CUDA_RESOLVE_)
#undef DEVBIN_CUDA_RESOLVE_
  ++total;
  void* elapsed = dlsym(handle, "cuEventElapsedTime_v2");
  if (elapsed == nullptr) elapsed = dlsym(handle, "cuEventElapsedTime");
  api->cuEventElapsedTime = reinterpret_cast<Fn<CUresult(float*, CUevent, CUevent)>>(elapsed);
  if (elapsed == nullptr) missing.push_back("cuEventElapsedTime_v2 (or cuEventElapsedTime)");
  if (missing.empty()) return Status::Ok();

  std::string list;
  for (std::string_view name : missing) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return unavailable("CUDA driver " + api->path + " lacks " + std::to_string(missing.size()) + " of the " +
                     std::to_string(total) + " driver entry points devbin needs: " + list +
                     (missing.size() == total ? " (it is not a CUDA driver library)"
                                              : " (the driver is too old: devbin needs CUDA 11.0 or later)"));
}

Result<std::unique_ptr<Api>> open_driver(const std::string& path) {
  auto api = std::make_unique<Api>();
  api->path = path;
  // RTLD_LOCAL keeps the driver's symbols out of the global namespace, so an
  // application's own CUDA use is not disturbed.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    return unavailable("CUDA driver " + path + " not found (dlopen: " + (reason ? reason : "unknown error") +
                       "); install the NVIDIA driver, or set " + kDriverPathEnv + " to its libcuda.so.1");
  }
  if (Status status = resolve(handle, api.get()); !status.ok()) {
    dlclose(handle);
    return status;
  }
  api->init_status = check(*api, api->cuInit(0), "cuInit");
  if (api->init_status.ok()) {
    Status version = check(*api, api->cuDriverGetVersion(&api->version), "cuDriverGetVersion");
    if (!version.ok()) api->init_status = version;
  }
  return api;
}

}  // namespace

std::string library_path() {
  const char* path = std::getenv(kDriverPathEnv);
  return path != nullptr && *path != '\0' ? std::string(path) : std::string(kDefaultLibrary);
}

Result<const Api*> load() {
  static std::mutex mutex;
  // Never freed: the driver stays loaded for the process, as the CUDA runtime keeps it.
  static auto* cache = new std::map<std::string, Result<std::unique_ptr<Api>>>();
  const std::string path = library_path();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(path);
  if (it == cache->end()) it = cache->emplace(path, open_driver(path)).first;
  if (!it->second.ok()) return it->second.status();
  return static_cast<const Api*>(it->second.value().get());
}

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

}  // namespace devbin::cuda::driver
