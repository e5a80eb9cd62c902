// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_update (device/update.c), host build: the payload's bytes land at
// the target for every length and alignment, and nothing outside it changes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

// The arguments as device/abi.h lays them out (the runtime's make_update_args
// is tested against the same rule in tests/runtime/kernel_args_test.cc).
devbin_update_args_t update_args(uint8_t* target, const std::vector<uint8_t>& data) {
  devbin_update_args_t args{};
  args.target = device_address(target);
  args.length = static_cast<uint32_t>(data.size());
  args.shift = static_cast<uint32_t>(args.target % 4);
  // An empty vector's data() may be null, which memcpy must not see.
  if (!data.empty()) std::memcpy(reinterpret_cast<uint8_t*>(args.payload) + args.shift, data.data(), data.size());
  return args;
}

class UpdateTest : public testing::TestWithParam<KernelBuild> {};

testing::AssertionResult run_update(const KernelBuild& build, const Shape& shape, size_t offset, size_t length,
                                    uint64_t seed) {
  GuardedBytes target(offset, length);
  const std::vector<uint8_t> data = random_bytes(length, seed);
  const devbin_update_args_t args = update_args(target.data(), data);
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.update(args); });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    return testing::AssertionFailure() << devbin_host_launch_result_name(launched);
  }
  return target.check(data.data());
}

TEST_P(UpdateTest, EveryLengthAtEveryAlignment) {
  for (const Shape& shape : {Shape{1, 64, 32}, Shape{3, 5, 4}, Shape{1, 1, 1}}) {
    for (size_t offset = 0; offset < 8; ++offset) {
      for (size_t length = 0; length <= 300; ++length) {
        ASSERT_TRUE(run_update(GetParam(), shape, offset, length, offset * 1000 + length))
            << shape_name(shape) << ", offset " << offset << ", length " << length;
      }
    }
  }
}

TEST_P(UpdateTest, AWholeLaunchOf4KiB) {
  for (const Shape& shape : {Shape{4, 256, 64}, Shape{2, 96, 32}, Shape{1025, 1, 1}}) {
    for (size_t offset : {0u, 1u, 2u, 3u, 13u}) {
      for (size_t length : {size_t{4093}, size_t{4095}, size_t{DEVBIN_UPDATE_BYTES}}) {
        ASSERT_TRUE(run_update(GetParam(), shape, offset, length, offset + length))
            << shape_name(shape) << ", offset " << offset << ", length " << length;
      }
    }
  }
}

// Arguments the host never builds store nothing.
TEST_P(UpdateTest, BadArgumentsStoreNothing) {
  GuardedBytes target(5, 64);
  const std::vector<uint8_t> before(target.data(), target.data() + 64);
  devbin_update_args_t args = update_args(target.data(), random_bytes(64, 7));
  args.length = DEVBIN_UPDATE_BYTES + 1;
  ASSERT_EQ(launch({1, 64, 32}, [&] { GetParam().update(args); }), DEVBIN_HOST_LAUNCH_OK);
  EXPECT_TRUE(target.check(before.data()));
  args = update_args(target.data(), random_bytes(64, 7));
  args.shift = 0;  // the target is at 5 mod 4 = 1
  ASSERT_EQ(launch({1, 64, 32}, [&] { GetParam().update(args); }), DEVBIN_HOST_LAUNCH_OK);
  EXPECT_TRUE(target.check(before.data()));
}

INSTANTIATE_TEST_SUITE_P(Builds, UpdateTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
