// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's clock calibration: the timestamp kernel's readings of the
// agent's real-time counter against CLOCK_MONOTONIC (devbin/clock.h).
#include <cstring>
#include <string>

#include "clock_sampling.h"
#include "devbin/hsa.h"

namespace devbin::hsa {

Result<ClockCalibration> Device::calibrate_clock(Queue& queue, uint32_t samples) const {
  if (properties_.timestamp_frequency_hz == 0) {
    return failed_precondition("HSA GPU agent " + std::to_string(properties_.index) + " (" + properties_.name +
                               ") reports no HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY (ROCm 6 and later do), so its "
                               "timestamps cannot be turned into host time");
  }
  DEVBIN_ASSIGN_OR_RETURN(Buffer record, allocate(sizeof(devbin_timestamp_record_t), MemoryKind::kHost));
  return sample_clock(
      samples, properties_.timestamp_frequency_hz,
      [&] {
        DEVBIN_RETURN_IF_ERROR(timestamp(queue, record.address()));
        return queue.synchronize();
      },
      [&]() -> Result<uint64_t> {
        devbin_timestamp_record_t value{};
        std::memcpy(&value, record.host_pointer(), sizeof(value));
        return value.steady;
      });
}

}  // namespace devbin::hsa
