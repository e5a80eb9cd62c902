// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Waiting for the GPU, against the stand-in: its system timestamp runs at
// 25 MHz (a timeout passed in nanoseconds would last 40 times too long), and
// DEVBIN_STAND_IN_HSA_HANG_AFTER hangs its packet processor like a hung GPU.
// devbin's waits block (HSA_WAIT_STATE_BLOCKED) in slices converted with
// HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY, and end at OpenOptions::wait_timeout
// with an error naming the operation and the packet that did not complete.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>

#include "devbin/hsa.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

class HsaWait : public HsaDevice {};

TEST_F(HsaWait, WaitsBlockForSlicesGivenInSystemTimestampTicks) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  auto buffer = device->allocate(4096);
  ASSERT_TRUE(queue.ok() && buffer.ok());
  const uint8_t one = 1;
  ASSERT_TRUE(device->fill(**queue, buffer->address(), 4096, {&one, 1}).ok());
  ASSERT_TRUE((*queue)->synchronize().ok());
  uint64_t timeout_ns = 0;
  int state = -1;
  ASSERT_EQ(stand_in_.last_wait(&timeout_ns, &state), 1);
  EXPECT_EQ(timeout_ns, 50000000u);  // the 50 ms slice, whatever the tick rate
  EXPECT_EQ(state, 0);               // HSA_WAIT_STATE_BLOCKED
}

TEST_F(HsaWait, AHungGpuGivesATimeoutNamingTheOperation) {
  setenv(DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV, "1", 1);
  OpenOptions options;
  options.wait_timeout = std::chrono::milliseconds(200);
  auto device = open_device(0, options);
  ASSERT_NE(device, nullptr);
  const uint64_t before_queue = stand_in_.live_bytes();
  auto queue = device->create_queue(64);
  // The hung queue is abandoned at the end: its kernarg ring stays.
  live_bytes_before_ += stand_in_.live_bytes() - before_queue;
  auto buffer = device->allocate(4096);
  auto record = device->allocate(16, MemoryKind::kHost);
  ASSERT_TRUE(queue.ok() && buffer.ok() && record.ok());
  const uint8_t one = 1;
  ASSERT_TRUE(device->fill(**queue, buffer->address(), 4096, {&one, 1}).ok());  // runs
  ASSERT_TRUE(device->timestamp(**queue, record->address()).ok());            // the GPU hangs here
  const auto start = std::chrono::steady_clock::now();
  Status synced = (*queue)->synchronize();
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(synced.ok());
  EXPECT_EQ(synced.code(), StatusCode::kUnavailable);
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(),
                      "Queue::synchronize: HSA GPU agent 0 completed 1 of the 2 packets waited for in ");
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(),
                      "ms (OpenOptions::wait_timeout); packet 1 (devbin_timestamp) has not completed: the GPU is hung");
}

// Destroying a queue on a hung GPU waits wait_timeout once, then abandons
// the queue: the kernarg ring the GPU may still read stays allocated.
TEST_F(HsaWait, AQueueOnAHungGpuIsAbandonedNotWaitedForForever) {
  setenv(DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV, "0", 1);
  OpenOptions options;
  options.wait_timeout = std::chrono::milliseconds(200);
  auto device = open_device(0, options);
  ASSERT_NE(device, nullptr);
  auto buffer = device->allocate(4096);
  ASSERT_TRUE(buffer.ok());
  const uint64_t before = stand_in_.live_bytes();
  auto queue = device->create_queue(64);
  ASSERT_TRUE(queue.ok());
  const uint64_t with_queue = stand_in_.live_bytes();
  ASSERT_GT(with_queue, before);  // the queue's kernarg ring
  const uint8_t one = 1;
  ASSERT_TRUE(device->fill(**queue, buffer->address(), 64, {&one, 1}).ok());  // never runs
  const auto start = std::chrono::steady_clock::now();
  queue->reset();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(stand_in_.live_bytes(), with_queue) << "the abandoned queue's kernarg ring was freed";
  live_bytes_before_ += with_queue - before;  // leaked on purpose: TearDown's balance allows it
}

// An enqueue that waits for ring space on a hung GPU ends the same way.
TEST_F(HsaWait, AFullRingOnAHungGpuTimesOutTheEnqueue) {
  setenv(DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV, "0", 1);
  OpenOptions options;
  options.wait_timeout = std::chrono::milliseconds(100);
  auto device = open_device(0, options);
  ASSERT_NE(device, nullptr);
  const uint64_t before_queue = stand_in_.live_bytes();
  auto queue = device->create_queue(64);
  live_bytes_before_ += stand_in_.live_bytes() - before_queue;  // abandoned at the end, hung
  auto buffer = device->allocate(4096);
  ASSERT_TRUE(queue.ok() && buffer.ok());
  const uint8_t one = 1;
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(device->fill(**queue, buffer->address(), 64, {&one, 1}).ok());
  Status full = device->fill(**queue, buffer->address(), 64, {&one, 1});
  ASSERT_FALSE(full.ok());
  EXPECT_PRED_FORMAT2(assert_contains, full.message(),
                      "devbin_fill (waiting for ring space): HSA GPU agent 0 completed 0 of the 1 packets");
}

TEST_F(HsaWait, ATimeoutMustBePositive) {
  OpenOptions options;
  options.wait_timeout = std::chrono::milliseconds(0);
  auto device = Device::open(0, options);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "OpenOptions::wait_timeout is 0 ms");
}

}  // namespace
}  // namespace devbin::hsa
