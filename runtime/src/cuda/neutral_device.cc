// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's place in the neutral interface: opening a device by
// ordinal, and the backend's entry in list_backends().
#include "devbin/cuda.h"
#include "neutral_device.h"

namespace devbin {

Result<std::unique_ptr<Device>> open_cuda_device(int index, const OpenOptions& options, DeviceReport* report) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::Device> device, cuda::Device::open(index, options, report));
  return std::unique_ptr<Device>(std::move(device));
}

BackendInfo cuda_backend_info() {
  BackendInfo info;
  info.backend = Backend::kCuda;
  auto driver = cuda::driver_info();
  if (!driver.ok()) {
    info.status = driver.status();
    return info;
  }
  info.version = driver->version_string();
  info.library = driver->library;
  auto count = cuda::device_count();  // an error for none, saying why
  if (count.ok()) {
    info.device_count = *count;
  } else {
    info.status = count.status();
  }
  return info;
}

}  // namespace devbin
