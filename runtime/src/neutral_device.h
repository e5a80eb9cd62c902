// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The backends' implementations of the neutral interface (devbin/device.h),
// one per vendor (cuda/neutral_device.cc, hsa/neutral_device.cc).
#ifndef DEVBIN_RUNTIME_NEUTRAL_DEVICE_H_
#define DEVBIN_RUNTIME_NEUTRAL_DEVICE_H_

#include <memory>

#include "devbin/device.h"

namespace devbin {

Result<std::unique_ptr<Device>> open_cuda_device(int index, const OpenOptions& options, DeviceReport* report);
BackendInfo cuda_backend_info();
Result<std::unique_ptr<Device>> open_hsa_device(int index, const OpenOptions& options, DeviceReport* report);
BackendInfo hsa_backend_info();

// "79.2 GiB", "64.0 MiB", "4096 B".
std::string byte_size_text(uint64_t bytes);

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_NEUTRAL_DEVICE_H_
