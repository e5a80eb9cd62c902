// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/clock.h"

#include <time.h>

#include <string>

namespace devbin {

uint64_t ClockCalibration::to_host_ns(uint64_t ticks) const {
  // Signed: a reading before the calibration's own maps before host_ns_at.
  const __int128 elapsed_ticks = static_cast<__int128>(ticks) - static_cast<__int128>(ticks_at);
  const __int128 elapsed_ns = elapsed_ticks * 1000000000 / static_cast<__int128>(frequency_hz);
  return static_cast<uint64_t>(static_cast<__int128>(host_ns_at) + elapsed_ns);
}

Result<ClockCalibration> calibrate(std::span<const ClockSample> samples, uint64_t frequency_hz) {
  if (frequency_hz == 0) return failed_precondition("clock calibration: the device reports a 0 Hz clock");
  const ClockSample* best = nullptr;
  for (const ClockSample& sample : samples) {
    if (sample.host_after_ns < sample.host_before_ns || sample.device_ticks == 0) continue;
    if (best == nullptr || sample.host_after_ns - sample.host_before_ns < best->host_after_ns - best->host_before_ns) {
      best = &sample;
    }
  }
  if (best == nullptr) {
    return failed_precondition("clock calibration: none of the " + std::to_string(samples.size()) +
                               " samples is usable (expected a non-zero device reading between two ordered host "
                               "readings)");
  }
  const uint64_t window = best->host_after_ns - best->host_before_ns;
  ClockCalibration calibration;
  calibration.host_ns_at = best->host_before_ns + window / 2;
  calibration.ticks_at = best->device_ticks;
  calibration.frequency_hz = frequency_hz;
  calibration.uncertainty_ns = (window + 1) / 2;
  calibration.samples = static_cast<uint32_t>(samples.size());
  return calibration;
}

uint64_t host_monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace devbin
