// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Helpers shared by the CUDA backend's tests.
#ifndef DEVBIN_TESTS_CUDA_TEST_ENV_H_
#define DEVBIN_TESTS_CUDA_TEST_ENV_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace devbin::testing {

// Sets (or unsets, with nullopt) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The stand-in driver copied to a file of its own, so each test gets a fresh
// driver instance (the backend opens and initializes each path once per process).
inline std::string stand_in_driver_copy(const std::string& source, const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "devbin_cuda_stand_in";
  std::filesystem::create_directories(dir);
  // One file per process and name: tests may run in parallel, and a library
  // another process has mapped must never be overwritten.
  // A copy this process made earlier may still be mapped (the driver
  // loader keeps its library): it is reused, never written again. (One left
  // by an earlier process of the same pid is reused only if it is as new as
  // the source and as large.)
  const std::filesystem::path copy = dir / ("libcuda-" + name + "-" + std::to_string(getpid()) + ".so");
  std::error_code error;
  if (std::filesystem::exists(copy, error) &&
      std::filesystem::file_size(copy, error) == std::filesystem::file_size(source, error) &&
      std::filesystem::last_write_time(copy, error) >= std::filesystem::last_write_time(source, error)) {
    return copy.string();
  }
  std::filesystem::copy_file(source, copy, std::filesystem::copy_options::overwrite_existing);
  return copy.string();
}

}  // namespace devbin::testing

#endif  // DEVBIN_TESTS_CUDA_TEST_ENV_H_
