// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The fixture of the tests that run the real HSA backend against the HSA
// runtime stand-in built with the host executor (fake_runtime.cc,
// host_executor.cc): it points devbin at the stand-in, resets the stand-in's
// configuration, reaches the stand-in's own accessors the way devbin reaches
// the runtime (dlopen, dlsym), and checks that each test frees every byte it
// allocated.
#ifndef DEVBIN_TESTS_HSA_STAND_IN_FIXTURE_H_
#define DEVBIN_TESTS_HSA_STAND_IN_FIXTURE_H_

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "devbin/hsa.h"
#include "tests/hsa/fake_runtime.h"

namespace devbin::hsa {

inline testing::AssertionResult assert_contains(const char* text_expr, const char*, const std::string& text,
                                                const std::string& needle) {
  if (text.find(needle) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << text_expr << " is \"" << text << "\"\n  which lacks \"" << needle << "\"";
}

// The stand-in's own accessors (fake_runtime.h).
struct FakeAccess {
  size_t (*dispatch_count)() = nullptr;
  int (*dispatch_at)(size_t, devbin_fake_hsa_dispatch_t*) = nullptr;
  uint64_t (*packet_count)() = nullptr;
  uint64_t (*live_bytes)() = nullptr;
  int (*memory_node)(const void*) = nullptr;
  int (*last_wait)(uint64_t*, int*) = nullptr;
  uint64_t (*fault_count)() = nullptr;

  std::vector<devbin_fake_hsa_dispatch_t> dispatches_since(size_t first) const {
    std::vector<devbin_fake_hsa_dispatch_t> out;
    devbin_fake_hsa_dispatch_t record;
    for (size_t i = first; dispatch_at(i, &record) != 0; ++i) out.push_back(record);
    return out;
  }
};

class HsaDevice : public testing::Test {
 protected:
  // Every configuration variable the stand-in reads, unset before each test.
  static constexpr const char* kStandInSettings[] = {
      DEVBIN_FAKE_HSA_KERNARG_DELTA_ENV,    DEVBIN_FAKE_HSA_REJECT_ENV,
      DEVBIN_FAKE_HSA_ROCM_ENV,             DEVBIN_FAKE_HSA_CPU_NODES_ENV,
      DEVBIN_FAKE_HSA_HANG_AFTER_ENV,       DEVBIN_FAKE_HSA_INTERCEPT_ENV,
      DEVBIN_FAKE_HSA_NO_ASYNC_HANDLER_ENV, DEVBIN_FAKE_HSA_REFUSE_EVENT_HANDLER_ENV,
      DEVBIN_FAKE_HSA_FAULT_QUEUE_ERROR_ENV, DEVBIN_FAKE_HSA_BROKEN_AGENT_ENV,
      "DEVBIN_TARGET_OVERRIDE",
  };

  void SetUp() override {
    setenv(kRuntimePathEnv, DEVBIN_HSA_FAKE_RUNTIME, 1);
    setenv(DEVBIN_FAKE_HSA_AGENTS_ENV, "gfx1100", 1);
    for (const char* name : kStandInSettings) unsetenv(name);
    void* handle = dlopen(DEVBIN_HSA_FAKE_RUNTIME, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    fake_.dispatch_count = reinterpret_cast<size_t (*)()>(dlsym(handle, "devbin_fake_hsa_dispatch_count"));
    fake_.dispatch_at =
        reinterpret_cast<int (*)(size_t, devbin_fake_hsa_dispatch_t*)>(dlsym(handle, "devbin_fake_hsa_dispatch_at"));
    fake_.packet_count = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_fake_hsa_packet_count"));
    fake_.live_bytes = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_fake_hsa_live_bytes"));
    fake_.memory_node = reinterpret_cast<int (*)(const void*)>(dlsym(handle, "devbin_fake_hsa_memory_node"));
    fake_.last_wait = reinterpret_cast<int (*)(uint64_t*, int*)>(dlsym(handle, "devbin_fake_hsa_last_wait"));
    fake_.fault_count = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_fake_hsa_fault_count"));
    ASSERT_TRUE(fake_.dispatch_count && fake_.dispatch_at && fake_.packet_count && fake_.live_bytes &&
                fake_.memory_node && fake_.last_wait && fake_.fault_count);
    live_bytes_before_ = fake_.live_bytes();
  }

  void TearDown() override {
    // Every Buffer, Queue and Device of the test is gone: so is their memory.
    EXPECT_EQ(fake_.live_bytes(), live_bytes_before_);
    for (const char* name : kStandInSettings) unsetenv(name);
    unsetenv(kRuntimePathEnv);
  }

  std::unique_ptr<Device> open_device(int index = 0, const OpenOptions& options = {}) {
    DeviceReport report;
    auto device = Device::open(index, options, &report);
    EXPECT_TRUE(device.ok()) << device.status().to_string();
    return device.ok() ? std::move(device).value() : nullptr;
  }

  FakeAccess fake_;
  uint64_t live_bytes_before_ = 0;
};

}  // namespace devbin::hsa

#endif  // DEVBIN_TESTS_HSA_STAND_IN_FIXTURE_H_
