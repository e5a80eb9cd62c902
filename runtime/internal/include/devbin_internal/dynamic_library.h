// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One way to reach a GPU driver library at run time, for both backends: open
// it with dlopen, resolve a table of entry points, report every missing one,
// open each distinct path once per process and never unload it.
#ifndef DEVBIN_INTERNAL_DYNAMIC_LIBRARY_H_
#define DEVBIN_INTERNAL_DYNAMIC_LIBRARY_H_

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "devbin/status.h"

namespace devbin::util {

// How the messages name a library and what they advise.
struct LibraryKind {
  std::string_view name;      // "CUDA driver": each message starts "<name> <path> ..."
  const char* default_path;   // "libcuda.so.1": what dlopen opens unless `path_env` is set
  const char* path_env;       // "DEVBIN_CUDA_DRIVER_PATH": points dlopen at another file
  std::string_view install;   // "install the NVIDIA driver": advice when the library is absent
  std::string_view entry_points;  // "driver entry points": "lacks 3 of the 37 <entry_points> devbin needs"
  std::string_view none_found;    // the note when every entry point is missing: "it is not a CUDA driver library"
  std::string_view some_missing;  // the note when some are: "the driver is too old: ..."
};

// An entry point: dlsym tries `name`, then `fallback` when there is one; a
// missing one is reported as `missing_as` (default: `name`).
struct EntryPoint {
  const char* name = nullptr;
  const char* fallback = nullptr;
  const char* missing_as = nullptr;
};

// Opens `path` with RTLD_NOW | RTLD_LOCAL and resolves every entry point into
// `addresses` (the same order). RTLD_LOCAL keeps the library's symbols out of
// the global namespace, so an application's own CUDA, HSA or HIP use is not
// disturbed (it shares the same loaded library when it opens the same file).
// A library that is absent, or lacks any entry point (an unrelated .so, a
// library of another generation), is kUnavailable; the message lists every
// missing entry point, so one run tells the user everything, and the library
// is closed again. Once resolved it stays loaded for the process.
Status open_library(const std::string& path, const LibraryKind& kind, std::span<const EntryPoint> entry_points,
                    std::span<void*> addresses);

// The file to open: kind.path_env when set and not empty, else kind.default_path.
std::string library_path(const LibraryKind& kind);

// What `open(library_path(kind))` returned: called once per distinct path and
// process, its result kept (never freed: the library stays loaded and
// initialized for the process, as the vendors' own runtimes keep it).
// Thread-safe.
template <typename Api>
Result<const Api*> load_once(const LibraryKind& kind, Result<std::unique_ptr<Api>> (*open)(const std::string& path)) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::string, Result<std::unique_ptr<Api>>>();
  const std::string path = library_path(kind);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(path);
  if (it == cache->end()) it = cache->emplace(path, open(path)).first;
  if (!it->second.ok()) return it->second.status();
  return static_cast<const Api*>(it->second.value().get());
}

// Opens `path` and binds its entry points into a new Api: `bind` stores
// addresses[i] into the member for entry_points[i]. Api has `std::string path`.
template <typename Api, size_t N>
Result<std::unique_ptr<Api>> open_api(const std::string& path, const LibraryKind& kind,
                                      const EntryPoint (&entry_points)[N], void (*bind)(Api&, void* const*)) {
  auto api = std::make_unique<Api>();
  api->path = path;
  void* addresses[N] = {};
  DEVBIN_RETURN_IF_ERROR(open_library(path, kind, entry_points, addresses));
  bind(*api, addresses);
  return api;
}

// `loaded` when its initialization (Api::init_status: cuInit, hsa_init)
// succeeded, else that error, annotated "<name> <path>".
template <typename Api>
Result<const Api*> initialized(Result<const Api*> loaded, std::string_view name) {
  if (!loaded.ok()) return loaded.status();
  const Api* api = loaded.value();
  if (api->init_status.ok()) return api;
  Status status = api->init_status;
  status.annotate(std::string(name) + " " + api->path);
  return status;
}

}  // namespace devbin::util

#endif  // DEVBIN_INTERNAL_DYNAMIC_LIBRARY_H_
