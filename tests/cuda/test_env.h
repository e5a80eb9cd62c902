// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Helpers shared by the CUDA backend's tests.
#ifndef DEVBIN_TESTS_CUDA_TEST_ENV_H_
#define DEVBIN_TESTS_CUDA_TEST_ENV_H_

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// One entry of the stand-in driver's log of stream-ordered calls (stand_in_driver.c).
struct StandInCall {
  const char* call;
  uint64_t target;
  uint64_t value;
  uint64_t count;
};

// The stand-in driver's call log, reached as devbin reaches the driver: the
// same file opened with dlopen, its log functions with dlsym.
class StandInCallLog {
 public:
  explicit StandInCallLog(const std::string& path) : library_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    if (library_ == nullptr) return;
    calls_ = reinterpret_cast<unsigned (*)(StandInCall*, unsigned)>(dlsym(library_, "devbin_stand_in_calls"));
    reset_ = reinterpret_cast<void (*)()>(dlsym(library_, "devbin_stand_in_reset_calls"));
  }
  ~StandInCallLog() {
    if (library_ != nullptr) dlclose(library_);
  }
  StandInCallLog(const StandInCallLog&) = delete;
  StandInCallLog& operator=(const StandInCallLog&) = delete;

  // Whether the library and both log functions were found.
  bool ok() const { return calls_ != nullptr && reset_ != nullptr; }
  void reset() { reset_(); }
  // The calls since the last look (the last 4096 at most), and the log emptied.
  std::vector<StandInCall> take() {
    std::vector<StandInCall> out(4096);
    const unsigned total = calls_(out.data(), static_cast<unsigned>(out.size()));
    out.resize(std::min<size_t>(total, out.size()));
    reset_();
    return out;
  }

 private:
  void* library_;
  unsigned (*calls_)(StandInCall*, unsigned) = nullptr;
  void (*reset_)() = nullptr;
};

}  // namespace devbin::testing

#endif  // DEVBIN_TESTS_CUDA_TEST_ENV_H_
