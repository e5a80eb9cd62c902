// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's clock calibration: the timestamp kernel's readings of the
// agent's real-time counter against CLOCK_MONOTONIC (devbin/clock.h).
#include <cstring>
#include <string>
#include <vector>

#include "devbin/hsa.h"

namespace devbin::hsa {

Result<ClockCalibration> Device::calibrate_clock(Queue& queue, uint32_t samples) const {
  if (samples == 0) return invalid_argument("calibrate_clock: expected at least one sample");
  if (properties_.timestamp_frequency_hz == 0) {
    return failed_precondition("HSA GPU agent " + std::to_string(properties_.index) + " (" + properties_.name +
                               ") reports no HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY (ROCm 6 and later do), so its "
                               "timestamps cannot be turned into host time");
  }
  DEVBIN_ASSIGN_OR_RETURN(Buffer record, allocate(sizeof(devbin_timestamp_record_t), MemoryKind::kHost));
  std::vector<ClockSample> readings;
  readings.reserve(samples);
  for (uint32_t i = 0; i < samples; ++i) {
    ClockSample sample;
    sample.host_before_ns = host_monotonic_ns();
    DEVBIN_RETURN_IF_ERROR(timestamp(queue, record.address()));
    DEVBIN_RETURN_IF_ERROR(queue.synchronize());
    sample.host_after_ns = host_monotonic_ns();
    devbin_timestamp_record_t value{};
    std::memcpy(&value, record.host_pointer(), sizeof(value));
    sample.device_ticks = value.steady;
    readings.push_back(sample);
  }
  return calibrate(readings, properties_.timestamp_frequency_hz);
}

}  // namespace devbin::hsa
