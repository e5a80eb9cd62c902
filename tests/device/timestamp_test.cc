// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_timestamp (device/timestamp.c), host build: one record, from the
// steady clock, whatever the grid.
#include <gtest/gtest.h>

#include <time.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

class TimestampTest : public testing::TestWithParam<KernelBuild> {};

TEST_P(TimestampTest, WritesOneRecordFromTheSteadyClock) {
  uint64_t previous = 0;
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{4, 64, 32}, Shape{3, 5, 4}}) {
    SCOPED_TRACE(shape_name(shape));
    GuardedBytes target(0, sizeof(devbin_timestamp_record_t));
    devbin_timestamp_args_t args{device_address(target.data())};
    const uint64_t before = monotonic_ns();
    ASSERT_EQ(launch(shape, [&] { GetParam().timestamp(args); }), DEVBIN_HOST_LAUNCH_OK);
    const uint64_t after = monotonic_ns();
    ASSERT_TRUE(target.check_guards());
    devbin_timestamp_record_t record;
    std::memcpy(&record, target.data(), sizeof(record));
    EXPECT_GE(record.steady, before);
    EXPECT_LE(record.steady, after);
    EXPECT_GE(record.steady, previous);
    previous = record.steady;
#if defined(__x86_64__)
    EXPECT_NE(record.cycles, 0u) << "the host's cycle counter is the TSC";
#endif
  }
}

INSTANTIATE_TEST_SUITE_P(Builds, TimestampTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
