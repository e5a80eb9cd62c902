// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's place in the neutral interface: opening a device by
// agent index, and the backend's entry in list_backends().
#include "devbin/hsa.h"
#include "neutral_device.h"

namespace devbin {

Result<std::unique_ptr<Device>> open_hsa_device(int index, const OpenOptions& options, DeviceReport* report) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<hsa::Device> device, hsa::Device::open(index, options, report));
  return std::unique_ptr<Device>(std::move(device));
}

BackendInfo hsa_backend_info() {
  BackendInfo info;
  info.backend = Backend::kHsa;
  auto runtime = hsa::runtime_info();
  if (!runtime.ok()) {
    info.status = runtime.status();
    return info;
  }
  info.version = runtime->version_string();
  info.library = runtime->library;
  auto agents = hsa::list_agents();  // an error for none, saying why
  if (agents.ok()) {
    info.device_count = static_cast<int>(agents->size());
  } else {
    info.status = agents.status();
  }
  return info;
}

}  // namespace devbin
