// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend behind the neutral interface: a Device wraps a
// cuda::Device, a Queue a cuda::Stream of it.
#include "devbin/cuda.h"
#include "vendor_device.h"

namespace devbin {
namespace {

struct CudaTraits {
  using Native = cuda::Device;
  using NativeQueue = cuda::Stream;
  using NativeBuffer = cuda::Buffer;
  static constexpr Backend kBackend = Backend::kCuda;
  static int index(const Native& device) { return device.properties().ordinal; }
  static std::string name(const Native& device) { return "CUDA device " + std::to_string(index(device)); }
  static std::string summary(const Native& device) {
    const cuda::DeviceProperties& p = device.properties();
    return std::to_string(p.multiprocessor_count) + " SMs, " + byte_size_text(p.total_memory_bytes);
  }
  static Result<std::unique_ptr<NativeQueue>> create_native_queue(const Native& device) { return device.create_stream(); }
};

}  // namespace

Result<std::unique_ptr<Device>> open_cuda_device(int index, const OpenOptions& options, DeviceReport* report) {
  return open_vendor_device<CudaTraits>(index, options, report);
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
