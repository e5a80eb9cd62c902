// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/dynamic_library.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "devbin_internal/file_type.h"

namespace devbin::util {

Status open_library(const std::string& path, const LibraryKind& kind, std::span<const EntryPoint> entry_points,
                    std::span<void*> addresses) {
  const std::string advice = "; " + std::string(kind.install) + ", or set " + kind.path_env + " to its " +
                             kind.default_path;
  // A path with a slash names a file, which dlopen opens and reads: a FIFO
  // would block it forever and a device file feed it garbage, so only a
  // regular file (or a link to one) goes to dlopen. A bare name is searched
  // for by dlopen itself, in the loader's own directories.
  const bool names_file = path.find('/') != std::string::npos;
  if (names_file) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      const int error = errno;
      if (error == ENOENT || error == ENOTDIR) {
        return unavailable(std::string(kind.name) + " " + path + " not found (stat: " + std::strerror(error) + ")" +
                           advice);
      }
      return unavailable(std::string(kind.name) + " " + path + " cannot be read (stat: " + std::strerror(error) +
                         ")" + advice);
    }
    if (!S_ISREG(info.st_mode)) {
      return unavailable(std::string(kind.name) + " " + path + " is " + file_type_name(info.st_mode) +
                         ", not a shared library file" + advice);
    }
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    const std::string reason = error != nullptr ? error : "unknown error";
    // dlopen has one failure for everything; only an absent file is "not found".
    const bool absent = !names_file && reason.find("No such file or directory") != std::string::npos;
    return unavailable(std::string(kind.name) + " " + path + (absent ? " not found" : " could not be loaded") +
                       " (dlopen: " + reason + ")" + advice);
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
