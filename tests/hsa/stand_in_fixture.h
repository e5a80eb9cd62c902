// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The fixture of the tests that run the real HSA backend against the HSA
// runtime stand-in built with the host executor (stand_in_runtime.cc,
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
#include "tests/hsa/stand_in_runtime.h"

namespace devbin::hsa {

inline testing::AssertionResult assert_contains(const char* text_expr, const char*, const std::string& text,
                                                const std::string& needle) {
  if (text.find(needle) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << text_expr << " is \"" << text << "\"\n  which lacks \"" << needle << "\"";
}

// The stand-in's own accessors (stand_in_runtime.h).
struct StandInAccess {
  size_t (*dispatch_count)() = nullptr;
  int (*dispatch_at)(size_t, devbin_stand_in_hsa_dispatch_t*) = nullptr;
  uint64_t (*packet_count)() = nullptr;
  uint64_t (*live_bytes)() = nullptr;
  int (*memory_node)(const void*) = nullptr;
  int (*last_wait)(uint64_t*, int*) = nullptr;
  uint64_t (*fault_count)() = nullptr;

  std::vector<devbin_stand_in_hsa_dispatch_t> dispatches_since(size_t first) const {
    std::vector<devbin_stand_in_hsa_dispatch_t> out;
    devbin_stand_in_hsa_dispatch_t record;
    for (size_t i = first; dispatch_at(i, &record) != 0; ++i) out.push_back(record);
    return out;
  }
};

class HsaDevice : public testing::Test {
 protected:
  // Every configuration variable the stand-in reads, unset before each test.
  static constexpr const char* kStandInSettings[] = {
      DEVBIN_STAND_IN_HSA_KERNARG_DELTA_ENV,    DEVBIN_STAND_IN_HSA_REJECT_ENV,
      DEVBIN_STAND_IN_HSA_ROCM_ENV,             DEVBIN_STAND_IN_HSA_CPU_NODES_ENV,
      DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV,       DEVBIN_STAND_IN_HSA_INTERCEPT_ENV,
      DEVBIN_STAND_IN_HSA_NO_ASYNC_HANDLER_ENV, DEVBIN_STAND_IN_HSA_REFUSE_EVENT_HANDLER_ENV,
      DEVBIN_STAND_IN_HSA_FAULT_QUEUE_ERROR_ENV, DEVBIN_STAND_IN_HSA_BROKEN_AGENT_ENV,
      "DEVBIN_TARGET_OVERRIDE",
  };

  void SetUp() override {
    setenv(kRuntimePathEnv, DEVBIN_HSA_STAND_IN_RUNTIME, 1);
    setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100", 1);
    for (const char* name : kStandInSettings) unsetenv(name);
    void* handle = dlopen(DEVBIN_HSA_STAND_IN_RUNTIME, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    stand_in_.dispatch_count = reinterpret_cast<size_t (*)()>(dlsym(handle, "devbin_stand_in_hsa_dispatch_count"));
    stand_in_.dispatch_at =
        reinterpret_cast<int (*)(size_t, devbin_stand_in_hsa_dispatch_t*)>(dlsym(handle, "devbin_stand_in_hsa_dispatch_at"));
    stand_in_.packet_count = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_stand_in_hsa_packet_count"));
    stand_in_.live_bytes = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_stand_in_hsa_live_bytes"));
    stand_in_.memory_node = reinterpret_cast<int (*)(const void*)>(dlsym(handle, "devbin_stand_in_hsa_memory_node"));
    stand_in_.last_wait = reinterpret_cast<int (*)(uint64_t*, int*)>(dlsym(handle, "devbin_stand_in_hsa_last_wait"));
    stand_in_.fault_count = reinterpret_cast<uint64_t (*)()>(dlsym(handle, "devbin_stand_in_hsa_fault_count"));
    ASSERT_TRUE(stand_in_.dispatch_count && stand_in_.dispatch_at && stand_in_.packet_count && stand_in_.live_bytes &&
                stand_in_.memory_node && stand_in_.last_wait && stand_in_.fault_count);
    live_bytes_before_ = stand_in_.live_bytes();
  }

  void TearDown() override {
    // Every Buffer, Queue and Device of the test is gone: so is their memory.
    EXPECT_EQ(stand_in_.live_bytes(), live_bytes_before_);
    for (const char* name : kStandInSettings) unsetenv(name);
    unsetenv(kRuntimePathEnv);
  }

  std::unique_ptr<Device> open_device(int index = 0, const OpenOptions& options = {}) {
    DeviceReport report;
    auto device = Device::open(index, options, &report);
    EXPECT_TRUE(device.ok()) << device.status().to_string();
    return device.ok() ? std::move(device).value() : nullptr;
  }

  StandInAccess stand_in_;
  uint64_t live_bytes_before_ = 0;
};

}  // namespace devbin::hsa

#endif  // DEVBIN_TESTS_HSA_STAND_IN_FIXTURE_H_
