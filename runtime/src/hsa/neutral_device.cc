// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend behind the neutral interface: a Device wraps an
// hsa::Device, a Queue an AQL queue of it; buffers are device memory.
#include "devbin/hsa.h"
#include "vendor_device.h"

namespace devbin {
namespace {

struct HsaTraits {
  using Native = hsa::Device;
  using NativeQueue = hsa::Queue;
  using NativeBuffer = hsa::Buffer;
  static constexpr Backend kBackend = Backend::kHsa;
  static int index(const Native& device) { return device.properties().index; }
  static std::string name(const Native& device) { return "HSA GPU agent " + std::to_string(index(device)); }
  static std::string summary(const Native& device) {
    const hsa::AgentProperties& p = device.properties();
    return std::to_string(p.compute_unit_count) + " CUs, wave" + std::to_string(p.wavefront_size);
  }
  static Result<std::unique_ptr<NativeQueue>> create_native_queue(const Native& device) { return device.create_queue(); }
};

}  // namespace

Result<std::unique_ptr<Device>> open_hsa_device(int index, const OpenOptions& options, DeviceReport* report) {
  return open_vendor_device<HsaTraits>(index, options, report);
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
