// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Which driver call each small fill and update becomes (devbin/vendor_path.h),
// on the stand-in driver, whose log says what devbin called: each rule of the
// CUDA table at its edges and one step past them, the pattern periods, the
// staging memory's events, and the places no vendor path may be taken (a
// stream being captured, a Recorder, vendor paths off). The bytes each path
// writes are checked on the GPU (tests/cuda/gpu_test.cc VendorPath*).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cuda/staging_ring.h"
#include "devbin/cuda.h"
#include "devbin/vendor_path.h"
#include "tests/cuda/test_env.h"

namespace devbin {
namespace {

using testing::ScopedEnv;
using testing::stand_in_driver_copy;

using testing::StandInCall;
using testing::StandInCallLog;

// A stand-in driver of its own, a device and a stream on it, and the driver's log.
class VendorPathTest : public ::testing::Test {
 protected:
  void open(const char* mode) {
    const std::string path = stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, std::string("vendor-") + mode);
    path_ = std::make_unique<ScopedEnv>(cuda::kDriverPathEnv, path);
    mode_ = std::make_unique<ScopedEnv>("DEVBIN_STAND_IN_CUDA_MODE", mode);
    log_ = std::make_unique<StandInCallLog>(path);
    ASSERT_TRUE(log_->ok()) << path << ": " << dlerror();
    cuda::OpenOptions options;
    options.read_environment = false;
    auto device = cuda::Device::open(0, options);
    ASSERT_TRUE(device.ok()) << device.status().to_string();
    device_ = std::move(*device);
    auto buffer = device_->allocate(1 << 20);
    ASSERT_TRUE(buffer.ok());
    buffer_ = std::move(*buffer);
    auto stream = device_->create_stream();
    ASSERT_TRUE(stream.ok());
    stream_ = std::move(*stream);
    log_->reset();
  }
  void TearDown() override {
    stream_.reset();
    buffer_ = {};
    device_.reset();
    log_.reset();
  }

  // The calls since the last look, and the log emptied.
  std::vector<StandInCall> take_calls() { return log_->take(); }
  // The one call an operation made: its name.
  std::string only_call() {
    const std::vector<StandInCall> calls = take_calls();
    if (calls.size() != 1) return "(" + std::to_string(calls.size()) + " calls)";
    return calls[0].call;
  }

  DevicePtr base() const { return buffer_.address(); }

  std::unique_ptr<cuda::Device> device_;
  cuda::Buffer buffer_;
  std::unique_ptr<cuda::Stream> stream_;
  std::unique_ptr<StandInCallLog> log_;
  std::unique_ptr<ScopedEnv> path_, mode_;
};

const VendorPathRule& rule_for(const cuda::Device& device, VendorPathOperation operation, VendorOpKind path,
                               uint32_t width) {
  for (const VendorPathRule& rule : device.vendor_paths()) {
    if (rule.operation == operation && rule.path == path && rule.width == width) return rule;
  }
  ADD_FAILURE() << "no rule for " << vendor_op_name(path) << " of width " << width;
  static const VendorPathRule none{};
  return none;
}

TEST(PatternPeriod, SmallestRepeatingPiece) {
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{7}), 1u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{7, 7}), 1u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{7, 8}), 2u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{7, 7, 7, 7, 7, 7, 7, 7}), 1u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 1, 2, 1, 2, 1, 2}), 2u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 3, 4, 1, 2, 3, 4}), 4u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 3, 4, 1, 2, 3, 5}), 8u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}), 4u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}), 16u);
  EXPECT_EQ(pattern_period(std::vector<uint8_t>{1, 2, 1, 3}), 4u);
}

TEST_F(VendorPathTest, FillTakesTheMemsetOfItsPeriodUpToTheCrossover) {
  open("ok");
  struct Case {
    std::vector<uint8_t> pattern;
    const char* call;
    uint32_t period;
    uint64_t value;
  };
  const Case cases[] = {
      {{0xab}, "cuMemsetD8Async", 1, 0xab},
      {{0xab, 0xab, 0xab, 0xab}, "cuMemsetD8Async", 1, 0xab},
      {{0x01, 0x02}, "cuMemsetD16Async", 2, 0x0201},
      {{0x01, 0x02, 0x01, 0x02, 0x01, 0x02, 0x01, 0x02}, "cuMemsetD16Async", 2, 0x0201},
      {{0x01, 0x02, 0x03, 0x04}, "cuMemsetD32Async", 4, 0x04030201},
      {{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, "cuMemsetD32Async", 4, 0x04030201},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.call + std::string(" for a ") + std::to_string(c.pattern.size()) + "-byte pattern");
    const VendorPathRule& rule = rule_for(*device_, VendorPathOperation::kFill, VendorOpKind::kMemset, c.period);
    const uint64_t width = c.pattern.size();
    // The smallest fill the pattern allows, and the rule's largest.
    for (const uint64_t length : {width, rule.max_bytes / width * width}) {
      const DevicePtr target = base() + 64;  // inside the buffer; the stand-in writes nothing
      ASSERT_TRUE(device_->fill(*stream_, target, length, c.pattern).ok());
      const std::vector<StandInCall> calls = take_calls();
      ASSERT_EQ(calls.size(), 1u);
      EXPECT_STREQ(calls[0].call, c.call);
      EXPECT_EQ(calls[0].target, target);
      EXPECT_EQ(calls[0].value, c.value);
      EXPECT_EQ(calls[0].count, length / c.period);
    }
    // One pattern past the crossover: the kernel.
    const uint64_t past = rule.max_bytes / width * width + width;
    ASSERT_TRUE(device_->fill(*stream_, base(), past, c.pattern).ok());
    EXPECT_EQ(only_call(), "cuLaunchKernel");
  }
  // No period of 1, 2 or 4 bytes: the kernel, whatever the size.
  const std::vector<uint8_t> wide = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(device_->fill(*stream_, base(), 64, wide).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
  // A refused fill calls nothing.
  const uint8_t four[4] = {1, 2, 3, 4};
  EXPECT_FALSE(device_->fill(*stream_, base() + 2, 64, four).ok());
  EXPECT_TRUE(take_calls().empty());
}

TEST_F(VendorPathTest, UpdateTakesAWriteValueOrAStagedCopy) {
  open("ok");
  // Longer than the longest case below (9 bytes), so every case reads only
  // the caller's bytes.
  const uint8_t bytes[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
  ASSERT_TRUE(device_->update(*stream_, base() + 8, {bytes, 4}).ok());
  std::vector<StandInCall> calls = take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_STREQ(calls[0].call, "cuStreamWriteValue32_v2");
  EXPECT_EQ(calls[0].target, base() + 8);
  EXPECT_EQ(calls[0].value, 0x44332211u);

  ASSERT_TRUE(device_->update(*stream_, base() + 16, {bytes, 8}).ok());
  calls = take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_STREQ(calls[0].call, "cuStreamWriteValue64_v2");
  EXPECT_EQ(calls[0].value, 0x8877665544332211u);

  // Misaligned words, and lengths one either side of a word: a staged copy,
  // from devbin's memory (not the caller's), of the caller's bytes.
  struct Case {
    uint64_t offset, length;
  };
  for (const Case c : {Case{4, 8}, Case{2, 4}, Case{8, 3}, Case{8, 5}, Case{8, 7}, Case{8, 9}, Case{3, 1}}) {
    SCOPED_TRACE("update of " + std::to_string(c.length) + " bytes at +" + std::to_string(c.offset));
    ASSERT_TRUE(device_->update(*stream_, base() + c.offset, {bytes, c.length}).ok());
    calls = take_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_STREQ(calls[0].call, "cuMemcpyHtoDAsync_v2");
    EXPECT_EQ(calls[0].target, base() + c.offset);
    EXPECT_EQ(calls[0].count, c.length);
    uint64_t head = 0;
    std::memcpy(&head, bytes, std::min<uint64_t>(c.length, 8));
    EXPECT_EQ(calls[0].value, head);
  }
  // The largest update is one staged copy (in the segment the small copies
  // used: it still has room).
  std::vector<uint8_t> large(DEVBIN_UPDATE_MAX_BYTES, 0x5a);
  ASSERT_TRUE(device_->update(*stream_, base() + 1, large).ok());
  calls = take_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_STREQ(calls[0].call, "cuMemcpyHtoDAsync_v2");
  EXPECT_EQ(calls[0].count, DEVBIN_UPDATE_MAX_BYTES);
  // A refused update calls nothing.
  std::vector<uint8_t> too_large(DEVBIN_UPDATE_MAX_BYTES + 1);
  EXPECT_FALSE(device_->update(*stream_, base(), too_large).ok());
  EXPECT_TRUE(take_calls().empty());
}

// The staging memory is reused only after an event says the GPU passed the
// copies made from it: one event per segment, waited for when the ring comes
// back round to it.
TEST_F(VendorPathTest, StagingMemoryIsReusedOnlyAfterItsEvent) {
  open("ok");
  std::vector<uint8_t> largest(DEVBIN_UPDATE_MAX_BYTES, 1);
  // Updates at a 64-byte line start use exactly their length of a segment.
  const uint64_t per_segment = devbin::cuda::StagingRing::kSegmentBytes / DEVBIN_UPDATE_MAX_BYTES;
  const uint64_t segments = 9;  // of a ring of 4
  ASSERT_EQ(devbin::cuda::StagingRing::kSegments, 4u);
  const uint64_t updates = segments * per_segment;
  for (uint64_t i = 0; i < updates; ++i) ASSERT_TRUE(device_->update(*stream_, base(), largest).ok());
  const std::vector<StandInCall> calls = take_calls();
  std::vector<std::string> names;
  for (const StandInCall& call : calls) names.emplace_back(call.call);
  // Each copy that starts a segment after the first records the event of the
  // segment it leaves, and from the fifth segment on waits for the event of
  // the segment it returns to, which is the one recorded 4 segments earlier.
  std::vector<std::string> expected;
  for (uint64_t i = 0; i < updates; ++i) {
    if (i != 0 && i % per_segment == 0) {
      expected.emplace_back("cuEventRecord");
      if (i / per_segment >= 4) expected.emplace_back("cuEventSynchronize");
    }
    expected.emplace_back("cuMemcpyHtoDAsync_v2");
  }
  EXPECT_EQ(names, expected);
  std::vector<uint64_t> recorded, waited;
  for (const StandInCall& call : calls) {
    if (std::strcmp(call.call, "cuEventRecord") == 0) recorded.push_back(call.target);
    if (std::strcmp(call.call, "cuEventSynchronize") == 0) waited.push_back(call.target);
  }
  ASSERT_EQ(recorded.size(), 8u);
  ASSERT_EQ(waited.size(), 5u);
  for (size_t i = 0; i < waited.size(); ++i) EXPECT_EQ(waited[i], recorded[i]) << "wait " << i;
  // Destroying the stream marks the last segment's copies and waits for every pending segment.
  stream_.reset();
  const std::vector<StandInCall> teardown = take_calls();
  size_t records = 0, waits = 0;
  for (const StandInCall& call : teardown) {
    records += std::strcmp(call.call, "cuEventRecord") == 0;
    waits += std::strcmp(call.call, "cuEventSynchronize") == 0;
  }
  EXPECT_EQ(records, 1u);
  EXPECT_EQ(waits, 4u);
}

TEST_F(VendorPathTest, CapturedStreamTakesMemsetsButNoUpdatePath) {
  open("capturing");
  const uint8_t four[4] = {1, 2, 3, 4};
  ASSERT_TRUE(device_->fill(*stream_, base(), 64, four).ok());
  EXPECT_EQ(only_call(), "cuMemsetD32Async");
  // A staged copy would read devbin's memory when the graph replays, and the
  // write value is not taken while capturing: the update is captured as its
  // kernel, its bytes in the node.
  ASSERT_TRUE(device_->update(*stream_, base(), {four, 4}).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
  ASSERT_TRUE(device_->update(*stream_, base() + 1, {four, 3}).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
}

// Staging memory the driver refuses: the update runs its kernel instead of failing.
TEST_F(VendorPathTest, UpdateWithoutStagingMemoryRunsItsKernel) {
  open("no-pinned");
  const uint8_t bytes[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(device_->update(*stream_, base() + 1, bytes).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
  ASSERT_TRUE(device_->update(*stream_, base(), {bytes, 4}).ok());
  EXPECT_EQ(only_call(), "cuStreamWriteValue32_v2");
}

TEST_F(VendorPathTest, RecorderAndVendorPathsOffRunKernels) {
  open("ok");
  const uint8_t four[4] = {1, 2, 3, 4};
  std::vector<devbin_recorded_launch_t> records(4);
  std::vector<uint8_t> args(4 * 8192);
  auto recorder = device_->create_recorder(records, args);
  ASSERT_TRUE(recorder.ok());
  ASSERT_TRUE(device_->fill(**recorder, base(), 64, four).ok());
  ASSERT_TRUE(device_->update(**recorder, base(), {four, 4}).ok());
  EXPECT_EQ((*recorder)->recorded().size(), 2u);
  EXPECT_TRUE(take_calls().empty());

  device_->set_vendor_paths(false);
  ASSERT_TRUE(device_->fill(*stream_, base(), 64, four).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
  ASSERT_TRUE(device_->update(*stream_, base(), {four, 4}).ok());
  EXPECT_EQ(only_call(), "cuLaunchKernel");
  device_->set_vendor_paths(true);
  ASSERT_TRUE(device_->fill(*stream_, base(), 64, four).ok());
  EXPECT_EQ(only_call(), "cuMemsetD32Async");
}

}  // namespace
}  // namespace devbin
