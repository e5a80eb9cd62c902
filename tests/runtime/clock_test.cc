// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Clock calibration (devbin/clock.h): the device's steady counter mapped to
// host CLOCK_MONOTONIC nanoseconds, for a nanosecond clock (NVIDIA's
// %globaltimer) and a 100 MHz one (AMD's real-time counter).
#include "devbin/clock.h"

#include <gtest/gtest.h>

namespace devbin {
namespace {

TEST(ClockTest, NarrowestWindowWins) {
  const ClockSample samples[] = {
      {1000, 5000, 3000},     // window 2000
      {10000, 13400, 10200},  // window 200: host 10100 at device 13400
      {20000, 0, 20010},      // device reading 0: unusable
      {30000, 33000, 29000},  // host clock backwards: unusable
  };
  auto calibration = calibrate(samples);
  ASSERT_TRUE(calibration.ok()) << calibration.status().to_string();
  EXPECT_EQ(calibration->host_ns_at, 10100u);
  EXPECT_EQ(calibration->ticks_at, 13400u);
  EXPECT_EQ(calibration->uncertainty_ns, 100u);
  EXPECT_EQ(calibration->samples, 4u);
  EXPECT_EQ(calibration->to_host_ns(13400), 10100u);
  EXPECT_EQ(calibration->to_host_ns(14400), 11100u);
  EXPECT_EQ(calibration->to_host_ns(13000), 9700u);  // before the reference
}

TEST(ClockTest, WallClockDeviceFarAheadOfMonotonicHost) {
  // %globaltimer counts from the epoch; CLOCK_MONOTONIC from boot.
  const uint64_t device = 1'790'000'000'000'000'000ull;
  const ClockSample samples[] = {{5'000'000'000ull, device, 5'000'020'000ull}};
  auto calibration = calibrate(samples);
  ASSERT_TRUE(calibration.ok());
  EXPECT_EQ(calibration->to_host_ns(device + 1000), 5'000'011'000ull);  // exact at 1.8e18
}

TEST(ClockTest, HundredMegahertzCounter) {
  // 100 MHz: a tick is 10 ns.
  const ClockSample samples[] = {{2'000'000, 77'000'000'000ull, 2'000'400}};
  auto calibration = calibrate(samples, 100'000'000);
  ASSERT_TRUE(calibration.ok());
  EXPECT_EQ(calibration->frequency_hz, 100'000'000u);
  EXPECT_EQ(calibration->to_host_ns(77'000'000'000ull), 2'000'200u);
  EXPECT_EQ(calibration->to_host_ns(77'000'000'100ull), 2'001'200u);
  EXPECT_EQ(calibration->to_host_ns(76'999'999'990ull), 2'000'100u);
}

TEST(ClockTest, NoUsableSampleOrFrequency) {
  const ClockSample samples[] = {{10, 0, 20}};
  EXPECT_EQ(calibrate(samples).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(calibrate({}).status().code(), StatusCode::kFailedPrecondition);
  const ClockSample good[] = {{10, 5, 20}};
  EXPECT_EQ(calibrate(good, 0).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ClockTest, HostClockMoves) {
  const uint64_t first = host_monotonic_ns();
  EXPECT_GT(first, 0u);
  EXPECT_GE(host_monotonic_ns(), first);
}

}  // namespace
}  // namespace devbin
