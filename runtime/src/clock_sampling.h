// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Both backends' calibrate_clock: the timestamp kernel run to completion
// between two host clock readings, `samples` times, then calibrate()
// (devbin/clock.h). The host window brackets the kernel's enqueue and its
// completion only, not the read-back, so the uncertainty stays small.
#ifndef DEVBIN_RUNTIME_CLOCK_SAMPLING_H_
#define DEVBIN_RUNTIME_CLOCK_SAMPLING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "devbin/clock.h"
#include "devbin/status.h"

namespace devbin {

// `run()`: enqueue the timestamp kernel and wait for it (a Status);
// `read()`: the record's steady value it wrote (a Result<uint64_t>).
template <typename Run, typename Read>
Result<ClockCalibration> sample_clock(uint32_t samples, uint64_t frequency_hz, Run run, Read read) {
  if (samples == 0 || samples > kMaxClockSamples) {
    return invalid_argument("calibrate_clock: " + std::to_string(samples) + " samples; expected 1 to " +
                            std::to_string(kMaxClockSamples));
  }
  std::vector<ClockSample> readings;
  readings.reserve(samples);
  for (uint32_t i = 0; i < samples; ++i) {
    ClockSample sample;
    sample.host_before_ns = host_monotonic_ns();
    DEVBIN_RETURN_IF_ERROR(run());
    sample.host_after_ns = host_monotonic_ns();
    DEVBIN_ASSIGN_OR_RETURN(sample.device_ticks, read());
    readings.push_back(sample);
  }
  return calibrate(readings, frequency_hz);
}

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_CLOCK_SAMPLING_H_
