// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Where this folder's tests find the other folders' stand-ins for
// libcuda.so.1 (tests/cuda) and libhsa-runtime64.so.1 (tests/hsa): the paths
// the build passes (tests/CMakeLists.txt; Bazel: runfiles paths), else next to
// this test's folder where CMake puts them.
#ifndef DEVBIN_TESTS_RUNTIME_STAND_INS_H_
#define DEVBIN_TESTS_RUNTIME_STAND_INS_H_

#include <filesystem>
#include <string>
#include <system_error>

namespace devbin::testing {

#ifdef DEVBIN_TEST_STAND_IN_DRIVER
inline constexpr const char* kConfiguredStandInDriver = DEVBIN_TEST_STAND_IN_DRIVER;
#else
inline constexpr const char* kConfiguredStandInDriver = nullptr;
#endif
#ifdef DEVBIN_HSA_STAND_IN_RUNTIME
inline constexpr const char* kConfiguredStandInRuntime = DEVBIN_HSA_STAND_IN_RUNTIME;
#else
inline constexpr const char* kConfiguredStandInRuntime = nullptr;
#endif

// The stand-in `file` of tests/`folder`, or "" with the reason in `why`.
inline std::string stand_in(const char* configured, const char* folder, const char* file, std::string* why = nullptr) {
  if (configured != nullptr && std::filesystem::exists(configured)) return configured;
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path candidate = self.parent_path().parent_path() / folder / file;
  if (!error && std::filesystem::exists(candidate)) return candidate.string();
  if (why != nullptr) {
    *why = configured == nullptr ? std::string("the build did not pass the path of tests/") + folder + "/" + file
                                 : std::string(configured) + " does not exist";
  }
  return "";
}

inline std::string stand_in_driver_path(std::string* why = nullptr) {
  return stand_in(kConfiguredStandInDriver, "cuda", "libdevbin_test_stand_in_driver.so", why);
}
inline std::string stand_in_hsa_runtime_path(std::string* why = nullptr) {
  return stand_in(kConfiguredStandInRuntime, "hsa", "libdevbin_hsa_stand_in_runtime.so", why);
}

}  // namespace devbin::testing

#endif  // DEVBIN_TESTS_RUNTIME_STAND_INS_H_
