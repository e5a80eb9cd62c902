// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend where there is no AMD GPU: every way the runtime can be
// missing or unusable gives a Status saying which, never a crash or a hang.
// Runs for real: a path with no library, libc (a library with none of the
// entry points), a library with two of them (built by this test), and the
// installed libhsa-runtime64.so.1 (Debian's libhsa-runtime64-1 here).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "devbin/hsa.h"
#include "hsa/api.h"

namespace devbin::hsa {
namespace {

testing::AssertionResult assert_contains(const char* text_expr, const char*, const std::string& text,
                                         const std::string& needle) {
  if (text.find(needle) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << text_expr << " is \"" << text << "\"\n  which lacks \"" << needle << "\"";
}

// Sets DEVBIN_HSA_RUNTIME_PATH for one test (unset for nullptr).
class RuntimePath {
 public:
  explicit RuntimePath(const char* path) {
    if (const char* old = getenv(kRuntimePathEnv)) saved_ = old;
    if (path == nullptr) {
      unsetenv(kRuntimePathEnv);
    } else {
      setenv(kRuntimePathEnv, path, 1);
    }
  }
  ~RuntimePath() {
    if (saved_.empty()) {
      unsetenv(kRuntimePathEnv);
    } else {
      setenv(kRuntimePathEnv, saved_.c_str(), 1);
    }
  }

 private:
  std::string saved_;
};

// Every entry point of the backend gives `expected` (code and text) for an unusable runtime.
void expect_every_entry_point_fails(StatusCode code, const std::string& expected) {
  auto info = runtime_info();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), code);
  EXPECT_PRED_FORMAT2(assert_contains, info.status().message(), expected);

  auto agents = list_agents();
  ASSERT_FALSE(agents.ok());
  EXPECT_PRED_FORMAT2(assert_contains, agents.status().message(), expected);

  DeviceReport report;
  auto device = Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), code);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "HSA GPU agent 0: ");
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), expected);
  // The report says as much, in the shape the CUDA backend uses.
  EXPECT_EQ(report.backend, "hsa");
  EXPECT_EQ(report.index, 0);
  EXPECT_FALSE(report.selected);
  EXPECT_EQ(report.status.message(), device.status().message());

  auto reports = report_devices();
  ASSERT_FALSE(reports.ok());
  EXPECT_EQ(reports.status().code(), code);
  EXPECT_PRED_FORMAT2(assert_contains, reports.status().message(), expected);
}

TEST(HsaRuntime, LibraryAbsent) {
  RuntimePath path("/nonexistent/libhsa-runtime64.so.1");
  expect_every_entry_point_fails(StatusCode::kUnavailable, "HSA runtime /nonexistent/libhsa-runtime64.so.1 not found");
  auto info = runtime_info();
  EXPECT_PRED_FORMAT2(assert_contains, info.status().message(), "set DEVBIN_HSA_RUNTIME_PATH");
}

TEST(HsaRuntime, LibraryWithoutAnyEntryPoint) {
  RuntimePath path("libc.so.6");
  const std::string expected = "HSA runtime libc.so.6 lacks " + std::to_string(api::function_count()) + " of the " +
                               std::to_string(api::function_count()) + " entry points devbin needs";
  expect_every_entry_point_fails(StatusCode::kUnavailable, expected);
  EXPECT_PRED_FORMAT2(assert_contains, runtime_info().status().message(), "(it is not an HSA runtime library)");
}

TEST(HsaRuntime, LibraryWithSomeEntryPoints) {
  RuntimePath path(DEVBIN_HSA_PARTIAL_RUNTIME);
  const size_t count = api::function_count();
  expect_every_entry_point_fails(StatusCode::kUnavailable, "lacks " + std::to_string(count - 2) + " of the " +
                                                               std::to_string(count) + " entry points");
  const std::string message = runtime_info().status().message();
  // The list names what is missing, and only that.
  EXPECT_PRED_FORMAT2(assert_contains, message, "hsa_iterate_agents");
  EXPECT_PRED_FORMAT2(assert_contains, message, "hsa_amd_memory_pool_allocate");
  EXPECT_PRED_FORMAT2(assert_contains, message, "hsa_signal_wait_scacquire");
  EXPECT_EQ(message.find("hsa_init,"), std::string::npos) << message;
  EXPECT_EQ(message.find("hsa_status_string"), std::string::npos) << message;
  EXPECT_PRED_FORMAT2(assert_contains, message, "(an older or partial HSA runtime)");
}

// The installed runtime: on a machine without an AMD GPU, hsa_init fails (or
// finds no GPU agent) and devbin says which, quickly.
TEST(HsaRuntime, InstalledRuntime) {
  void* probe = dlopen(api::kDefaultLibrary, RTLD_NOW | RTLD_LOCAL);
  if (probe == nullptr) GTEST_SKIP() << api::kDefaultLibrary << " is not installed (Debian: libhsa-runtime64-1)";
  dlclose(probe);
  RuntimePath path(nullptr);

  const auto start = std::chrono::steady_clock::now();
  auto loaded = api::load();
  ASSERT_TRUE(loaded.ok()) << "the installed runtime has every entry point: " << loaded.status().to_string();
  const api::Api& runtime = *loaded.value();
  EXPECT_EQ(runtime.path, api::kDefaultLibrary);

  const bool have_kfd = access("/dev/kfd", F_OK) == 0;
  auto agents = list_agents();
  if (!have_kfd) {
    // hsa_init's own status, explained, and why.
    ASSERT_FALSE(runtime.init_status.ok());
    EXPECT_PRED_FORMAT2(assert_contains, runtime.init_status.message(), "hsa_init returned HSA_STATUS_ERROR");
    EXPECT_PRED_FORMAT2(assert_contains, runtime.init_status.message(),
                        "/dev/kfd does not exist: no amdgpu kernel driver is loaded");
    ASSERT_FALSE(agents.ok());
    EXPECT_EQ(agents.status().code(), StatusCode::kUnavailable);
    EXPECT_PRED_FORMAT2(assert_contains, agents.status().message(),
                        "HSA runtime libhsa-runtime64.so.1: hsa_init returned");
    expect_every_entry_point_fails(StatusCode::kUnavailable, "hsa_init returned");
  } else if (!agents.ok()) {
    // A driver but no usable GPU: still a clear Status.
    EXPECT_FALSE(agents.status().message().empty());
  }
  // A second call answers from the cache, the same way.
  auto again = list_agents();
  EXPECT_EQ(again.ok(), agents.ok());
  if (!again.ok()) {
    EXPECT_EQ(again.status().message(), agents.status().message());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "hsa_init must not hang";

  // The runtime's own words for a status, after devbin's name for it.
  const std::string text = api::error_text(runtime, api::HSA_STATUS_ERROR_OUT_OF_RESOURCES);
  EXPECT_PRED_FORMAT2(assert_contains, text, "HSA_STATUS_ERROR_OUT_OF_RESOURCES (0x1008): ");
  EXPECT_GT(text.size(), std::string("HSA_STATUS_ERROR_OUT_OF_RESOURCES (0x1008): ").size());
}

TEST(HsaStatus, NamesAndCodes) {
  EXPECT_EQ(api::status_name(api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT),
            "HSA_STATUS_ERROR_INVALID_CODE_OBJECT (0x1010)");
  EXPECT_EQ(api::status_name(static_cast<api::hsa_status_t>(0x2abc)), "HSA status 0x2abc");
  // ROCr's own codes (hsa_ext_amd.h), outside the 0x1000 block.
  EXPECT_EQ(api::status_name(api::HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION),
            "HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION (0x29)");
  EXPECT_EQ(api::status_name(api::HSA_STATUS_ERROR_ILLEGAL_INSTRUCTION), "HSA_STATUS_ERROR_ILLEGAL_INSTRUCTION (0x2a)");
  EXPECT_EQ(api::status_name(api::HSA_STATUS_ERROR_MEMORY_FAULT), "HSA_STATUS_ERROR_MEMORY_FAULT (0x2b)");
  EXPECT_EQ(api::status_name(api::HSA_STATUS_ERROR_OUT_OF_REGISTERS), "HSA_STATUS_ERROR_OUT_OF_REGISTERS (0x2d)");
  const api::Api no_runtime;  // no hsa_status_string: devbin's table alone
  EXPECT_EQ(api::error_text(no_runtime, api::HSA_STATUS_ERROR_FATAL), "HSA_STATUS_ERROR_FATAL (0x1026)");

  EXPECT_TRUE(api::check(no_runtime, api::HSA_STATUS_SUCCESS, "x").ok());
  Status status = api::check(no_runtime, api::HSA_STATUS_ERROR_INVALID_ISA, "hsa_executable_load_agent_code_object");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "hsa_executable_load_agent_code_object returned HSA_STATUS_ERROR_INVALID_ISA (0x100f)");
  EXPECT_EQ(api::check(no_runtime, api::HSA_STATUS_ERROR_OUT_OF_RESOURCES, "hsa_init").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(api::check(no_runtime, api::HSA_STATUS_ERROR_INVALID_ARGUMENT, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(api::check(no_runtime, api::HSA_STATUS_ERROR_INVALID_SYMBOL_NAME, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(api::check(no_runtime, api::HSA_STATUS_ERROR, "x").code(), StatusCode::kInternal);

  EXPECT_EQ(api::function_name(0), "hsa_status_string");
  EXPECT_EQ(api::function_name(api::function_count()), "unknown");
}

}  // namespace
}  // namespace devbin::hsa
