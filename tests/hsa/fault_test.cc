// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// GPU memory faults, against the stand-in's model of ROCr (stand_in_runtime.h): a
// kernel that reaches unmapped memory faults; the fault goes to the system
// event handlers; without one that takes it ROCr prints its message and
// aborts the process. devbin registers a handler, so the process lives and
// synchronize() says where the fault was and why.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <string>

#include "devbin/hsa.h"
#include "devbin_internal/text.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

// Nothing is ever mapped at the first 64 KiB.
constexpr DevicePtr kUnmapped = 0x10000;

class HsaFault : public HsaDevice {};

TEST_F(HsaFault, AFaultIsReportedBySynchronizeAndTheProcessLives) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  auto other = device->create_queue(64);  // another queue on the same agent
  ASSERT_TRUE(queue.ok() && other.ok());
  const uint64_t faults_before = stand_in_.fault_count();
  const uint8_t pattern[4] = {1, 2, 3, 4};
  ASSERT_TRUE(device->fill(**queue, kUnmapped, 256, pattern).ok());  // the GPU finds out, not the enqueue
  Status status = (*queue)->synchronize();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(stand_in_.fault_count(), faults_before + 1);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "the HSA queue failed: a GPU memory fault at address 0x10000 (page not present or supervisor "
                      "privilege) on HSA GPU agent 0");
  // The kernel driver stops every queue of the process on the agent: both fail.
  Status other_status = (*other)->synchronize();
  EXPECT_PRED_FORMAT2(assert_contains, other_status.message(), "a GPU memory fault at address 0x10000");
  // No more work is taken, and the message says why.
  EXPECT_PRED_FORMAT2(assert_contains, device->fill(**queue, kUnmapped, 4, pattern).message(), "GPU memory fault");
}

// The first unmapped byte is the address: a copy that runs off the end of
// its target.
TEST_F(HsaFault, TheAddressIsTheFirstUnmappedByte) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  auto source = device->allocate(8192);
  auto target = device->allocate(4096);  // the stand-in maps whole 4 KiB pages
  ASSERT_TRUE(queue.ok() && source.ok() && target.ok());
  ASSERT_TRUE(device->copy(**queue, target->address(), source->address(), 8192).ok());
  Status status = (*queue)->synchronize();
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "a GPU memory fault at address " + util::hex(target->address() + 4096));
}

// Kernel drivers with exception reporting also give the queue an error
// callback: the message keeps the fault's address and adds the status.
TEST_F(HsaFault, TheQueueErrorIsNamedBesideTheFault) {
  setenv(DEVBIN_STAND_IN_HSA_FAULT_QUEUE_ERROR_ENV, "1", 1);
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  ASSERT_TRUE(queue.ok());
  auto record = device->allocate(16, MemoryKind::kHost);
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(device->timestamp(**queue, kUnmapped + 8).ok());
  Status status = (*queue)->synchronize();
  EXPECT_PRED_FORMAT2(assert_contains, status.message(), "a GPU memory fault at address 0x10008");
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "the queue reported HSA_STATUS_ERROR_MEMORY_FAULT (0x2b)");
}

// What happens without devbin's handler (a ROCm 5 runtime that already has
// another library's handler refuses a second one): ROCr's message, then abort.
TEST_F(HsaFault, WithoutAHandlerTheRuntimeAbortsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        setenv(DEVBIN_STAND_IN_HSA_REFUSE_EVENT_HANDLER_ENV, "1", 1);
        auto device = Device::open(0);
        if (!device.ok()) return;
        auto queue = (*device)->create_queue(64);
        const uint8_t zero = 0;
        if (!queue.ok() || !(*device)->fill(**queue, kUnmapped, 64, {&zero, 1}).ok()) return;
        (void)(*queue)->synchronize();
      },
      "Memory access fault by GPU node-1 \\(Agent handle: 0x[0-9a-f]+\\) on address 0x10000\\. Reason: Page not "
      "present or supervisor privilege\\.");
}

}  // namespace
}  // namespace devbin::hsa
