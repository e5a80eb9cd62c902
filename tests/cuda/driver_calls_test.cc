// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's driver calls (bench/cuda/driver_calls.h) on the stand-in
// driver: each reaches the driver devbin loaded as the call it names, with
// its arguments, in the device's context and with the caller's put back; an
// entry point the driver lacks is kUnavailable naming it; argument errors
// reach no driver call.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/cuda/driver_calls.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"
#include "tests/cuda/test_env.h"

namespace devbin {
namespace {

using testing::ScopedEnv;
using testing::stand_in_driver_copy;

using testing::StandInCall;
using testing::StandInCallLog;

class DriverCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "driver-calls");
    path_ = std::make_unique<ScopedEnv>(cuda::kDriverPathEnv, path);
    log_ = std::make_unique<StandInCallLog>(path);
    ASSERT_TRUE(log_->ok()) << path << ": " << dlerror();
    cuda::OpenOptions options;
    options.read_environment = false;
    auto device = cuda::Device::open(0, options);
    ASSERT_TRUE(device.ok()) << device.status().to_string();
    device_ = std::move(*device);
    auto stream = device_->create_stream();
    ASSERT_TRUE(stream.ok());
    stream_ = std::move(*stream);
    auto driver = bench::DriverCalls::open(*device_);
    ASSERT_TRUE(driver.ok()) << driver.status().to_string();
    driver_ = std::make_unique<bench::DriverCalls>(std::move(*driver));
    log_->reset();
  }
  void TearDown() override {
    driver_.reset();
    stream_.reset();
    device_.reset();
    log_.reset();
  }

  // The calls since the last look, and the log emptied.
  std::vector<StandInCall> take_calls() { return log_->take(); }

  std::unique_ptr<ScopedEnv> path_;
  std::unique_ptr<StandInCallLog> log_;
  std::unique_ptr<cuda::Device> device_;
  std::unique_ptr<cuda::Stream> stream_;
  std::unique_ptr<bench::DriverCalls> driver_;
};

TEST_F(DriverCallsTest, EachCallReachesTheDriverWithItsArguments) {
  ASSERT_TRUE(driver_->memset_d32(*stream_, 0x10000, 0x04030201, 16).ok());
  ASSERT_TRUE(driver_->copy(*stream_, 0x20000, 0x30000, 4099).ok());
  const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(driver_->copy_to_device_async(*stream_, 0x40000, bytes, 8).ok());
  const std::vector<StandInCall> calls = take_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_STREQ(calls[0].call, "cuMemsetD32Async");
  EXPECT_EQ(calls[0].target, 0x10000u);
  EXPECT_EQ(calls[0].value, 0x04030201u);
  EXPECT_EQ(calls[0].count, 16u);
  EXPECT_STREQ(calls[1].call, "cuMemcpyDtoDAsync_v2");
  EXPECT_EQ(calls[1].target, 0x20000u);
  EXPECT_EQ(calls[1].value, 0x30000u);
  EXPECT_EQ(calls[1].count, 4099u);
  EXPECT_STREQ(calls[2].call, "cuMemcpyHtoDAsync_v2");
  EXPECT_EQ(calls[2].target, 0x40000u);
  EXPECT_EQ(calls[2].value, 0x0807060504030201u);
  EXPECT_EQ(calls[2].count, 8u);
  // An empty host copy is no call.
  ASSERT_TRUE(driver_->copy_to_device_async(*stream_, 0x40000, bytes, 0).ok());
  EXPECT_TRUE(take_calls().empty());
}

// The stand-in holds no context current but while a call runs (it refuses
// a memset without one); the caller's (none) is back after each.
TEST_F(DriverCallsTest, EveryCallLeavesTheCallersContextCurrent) {
  auto api = cuda::api::load();
  ASSERT_TRUE(api.ok());
  cuda::api::CUcontext current = reinterpret_cast<cuda::api::CUcontext>(0x1);
  ASSERT_EQ((*api)->cuCtxGetCurrent(&current), 0);
  ASSERT_EQ(current, nullptr);
  ASSERT_TRUE(driver_->memset_d32(*stream_, 0x10000, 7, 1).ok());
  ASSERT_TRUE(driver_->copy(*stream_, 0x20000, 0x30000, 1).ok());
  ASSERT_EQ((*api)->cuCtxGetCurrent(&current), 0);
  EXPECT_EQ(current, nullptr);
}

TEST_F(DriverCallsTest, MissingEntryPointsAreNamedAndArgumentErrorsCallNothing) {
  const DevicePtr addresses[2] = {0x1000, 0x2000};
  const uint64_t lengths[1] = {16};
  Status mismatched = driver_->copy_batch(*stream_, addresses, addresses, lengths);
  EXPECT_EQ(mismatched.code(), StatusCode::kInvalidArgument) << mismatched.to_string();
  EXPECT_NE(mismatched.message().find("2 targets, 2 sources and 1 lengths"), std::string::npos) << mismatched.message();
  EXPECT_TRUE(driver_->copy_batch(*stream_, {}, {}, {}).ok());  // no copies: nothing to do
  Status no_batch = driver_->copy_batch(*stream_, {addresses, 1}, {addresses + 1, 1}, lengths);
  EXPECT_EQ(no_batch.code(), StatusCode::kUnavailable);
  EXPECT_NE(no_batch.message().find("cuMemcpyBatchAsync: the CUDA driver"), std::string::npos) << no_batch.message();
  EXPECT_NE(no_batch.message().find("came with CUDA 12.8"), std::string::npos) << no_batch.message();
  Status no_2d = driver_->copy_2d(*stream_, 0x10000, 4101, 0x20000, 4099, 4097, 2);
  EXPECT_EQ(no_2d.code(), StatusCode::kUnavailable);
  EXPECT_NE(no_2d.message().find("cuMemcpy2DAsync: the CUDA driver"), std::string::npos) << no_2d.message();
  const uint8_t pattern[4] = {1, 2, 3, 4};
  for (size_t width : {1u, 2u, 4u}) {
    Status no_memset = driver_->memset_2d(*stream_, 0x10000, 4352, {pattern, width}, 4096, 2);
    EXPECT_EQ(no_memset.code(), StatusCode::kUnavailable) << no_memset.message();
    EXPECT_NE(no_memset.message().find("cuMemsetD2D" + std::to_string(8 * width) + "Async"), std::string::npos)
        << no_memset.message();
  }
  EXPECT_EQ(driver_->memset_2d(*stream_, 0x10000, 4352, {pattern, 3}, 4095, 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(driver_->memset_2d(*stream_, 0x10000, 4352, {pattern, 4}, 4094, 2).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(take_calls().empty());
}

}  // namespace
}  // namespace devbin
