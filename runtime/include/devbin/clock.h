// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Device clocks in host time. The timestamp kernel writes the device's
// steady counter (devbin_timestamp_record_t::steady): nanoseconds of
// %globaltimer on NVIDIA, ticks of the AMD real-time counter at the agent's
// HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY on AMD. A calibration maps those
// ticks to host CLOCK_MONOTONIC nanoseconds, both vendors alike.
#ifndef DEVBIN_CLOCK_H_
#define DEVBIN_CLOCK_H_

#include <cstdint>
#include <span>

#include "devbin/status.h"

namespace devbin {

// One reading of the device's steady counter between two host CLOCK_MONOTONIC readings.
struct ClockSample {
  uint64_t host_before_ns = 0;
  uint64_t device_ticks = 0;
  uint64_t host_after_ns = 0;
};

// host_ns = host_ns_at + (ticks - ticks_at) * 1e9 / frequency_hz, computed
// exactly (128-bit), from the sample with the narrowest host window; half
// that window bounds its error.
struct ClockCalibration {
  uint64_t host_ns_at = 0;  // the middle of the best sample's host window
  uint64_t ticks_at = 0;    // the device reading in it
  uint64_t frequency_hz = 1000000000;
  uint64_t uncertainty_ns = 0;
  uint32_t samples = 0;

  uint64_t to_host_ns(uint64_t ticks) const;
};

// The most samples calibrate_clock takes: each is a launch and a
// synchronize (microseconds), and the best of a few dozen is as good as it
// gets; more is a mistake (UINT32_MAX samples would reserve 96 GiB and run
// four billion launches).
inline constexpr uint32_t kMaxClockSamples = 1024;

// Errors: no usable sample (a zero device reading, or host readings out of
// order), a zero frequency.
Result<ClockCalibration> calibrate(std::span<const ClockSample> samples, uint64_t frequency_hz = 1000000000);

// CLOCK_MONOTONIC in nanoseconds: the host clock calibrations map to.
uint64_t host_monotonic_ns();

}  // namespace devbin

#endif  // DEVBIN_CLOCK_H_
