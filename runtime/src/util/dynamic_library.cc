// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "util/dynamic_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

namespace devbin::util {

Status open_library(const std::string& path, const LibraryKind& kind, std::span<const EntryPoint> entry_points,
                    std::span<void*> addresses) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    return unavailable(std::string(kind.name) + " " + path + " not found (dlopen: " +
                       (reason ? reason : "unknown error") + "); " + std::string(kind.install) + ", or set " +
                       kind.path_env + " to its " + kind.default_path);
  }
  std::vector<std::string_view> missing;
  for (size_t i = 0; i < entry_points.size(); ++i) {
    const EntryPoint& entry = entry_points[i];
    void* address = dlsym(handle, entry.name);
    if (address == nullptr && entry.fallback != nullptr) address = dlsym(handle, entry.fallback);
    if (address == nullptr) missing.push_back(entry.missing_as != nullptr ? entry.missing_as : entry.name);
    addresses[i] = address;
  }
  if (missing.empty()) return Status::Ok();

  dlclose(handle);
  std::string list;
  for (std::string_view name : missing) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  const size_t total = entry_points.size();
  return unavailable(std::string(kind.name) + " " + path + " lacks " + std::to_string(missing.size()) + " of the " +
                     std::to_string(total) + " " + std::string(kind.entry_points) + " devbin needs: " + list + " (" +
                     std::string(missing.size() == total ? kind.none_found : kind.some_missing) + ")");
}

std::string library_path(const LibraryKind& kind) {
  const char* path = std::getenv(kind.path_env);
  return path != nullptr && *path != '\0' ? std::string(path) : std::string(kind.default_path);
}

}  // namespace devbin::util
