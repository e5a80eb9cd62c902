// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The neutral interface's own parts: names, the backend list, and opening a
// device through its vendor.
#include "devbin/device.h"

#include <cinttypes>
#include <cstdio>

#include "neutral_device.h"

namespace devbin {

std::string_view kernel_name(Kernel kernel) {
  switch (kernel) {
#define DEVBIN_KERNEL_NAME_(name, args) \
  case Kernel::name:                    \
    return #name;
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_NAME_)
#undef DEVBIN_KERNEL_NAME_
  }
  return "unknown kernel";
}

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::kCuda: return "cuda";
    case Backend::kHsa: return "hsa";
  }
  return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) {
  for (Backend backend : kBackends) {
    if (backend_name(backend) == name) return backend;
  }
  return std::nullopt;
}

std::vector<BackendInfo> list_backends() { return {cuda_backend_info(), hsa_backend_info()}; }

Result<std::unique_ptr<Device>> Device::open(DeviceId id, const OpenOptions& options, DeviceReport* report) {
  switch (id.backend) {
    case Backend::kCuda: return open_cuda_device(id.index, options, report);
    case Backend::kHsa: return open_hsa_device(id.index, options, report);
  }
  return invalid_argument("Device::open: unknown backend " + std::to_string(static_cast<int>(id.backend)));
}

std::string byte_size_text(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (uint64_t{1} << 30));
  } else if (bytes >= (uint64_t{1} << 20)) {
    std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (uint64_t{1} << 20));
  } else {
    std::snprintf(text, sizeof(text), "%" PRIu64 " B", bytes);
  }
  return text;
}

}  // namespace devbin
