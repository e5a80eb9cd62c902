// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A CUDA device's memory: device and page-locked host buffers, the
// synchronous copies and memset, and their teardown.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "devbin_internal/cuda_context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"
#include "devbin_internal/elf.h"

namespace devbin::cuda {

using api::check;

namespace {

// A cuda::Buffer as the neutral interface's Buffer.
class NeutralBuffer final : public devbin::Buffer {
 public:
  explicit NeutralBuffer(cuda::Buffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }

 private:
  cuda::Buffer buffer_;
};

// A cuda::HostBuffer as the neutral interface's Buffer: page-locked host
// memory, which the GPU reaches at the host's address (unified addressing).
class NeutralHostBuffer final : public devbin::Buffer {
 public:
  explicit NeutralHostBuffer(cuda::HostBuffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return reinterpret_cast<uintptr_t>(buffer_.data()); }
  uint64_t size() const override { return buffer_.size(); }
  void* host_pointer() const override { return buffer_.data(); }

 private:
  cuda::HostBuffer buffer_;
};

}  // namespace

Result<std::unique_ptr<devbin::Buffer>> Device::allocate_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer buffer, allocate(bytes));
  return std::unique_ptr<devbin::Buffer>(new NeutralBuffer(std::move(buffer)));
}

Result<std::unique_ptr<devbin::Buffer>> Device::allocate_host_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer buffer, allocate_host(bytes));
  return std::unique_ptr<devbin::Buffer>(new NeutralHostBuffer(std::move(buffer)));
}

Result<HostBuffer> Device::allocate_host(uint64_t bytes) const {
  if (bytes == 0) return invalid_argument("allocate_host: expected a non-zero size");
  const api::Api& api = *impl_->api;
  if (api.cuMemAllocHost_v2 == nullptr || api.cuMemFreeHost == nullptr) {
    return unavailable("cuMemAllocHost: the CUDA driver lacks cuMemAllocHost_v2 or cuMemFreeHost");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  void* data = nullptr;
  Status status = check(api, api.cuMemAllocHost_v2(&data, bytes), "cuMemAllocHost");
  if (!status.ok()) return status.annotate("allocating " + std::to_string(bytes) + " bytes of host memory");
  return HostBuffer(this, data, bytes);
}


Status Device::copy_to_device(DevicePtr target, const void* source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_device", target, source, length));
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyHtoD_v2(target, source, length), "cuMemcpyHtoD");
}

Status Device::copy_to_host(void* target, DevicePtr source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_host", source, target, length));
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyDtoH_v2(target, source, length), "cuMemcpyDtoH");
}

Status Device::memset_d8(DevicePtr target, uint8_t value, uint64_t length) const {
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemsetD8_v2(target, value, length), "cuMemsetD8");
}

Result<Buffer> Device::allocate(uint64_t bytes) const {
  if (bytes == 0) return invalid_argument("allocate: expected a non-zero size");
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  api::CUdeviceptr address = 0;
  Status status = check(*impl_->api, impl_->api->cuMemAlloc_v2(&address, bytes), "cuMemAlloc");
  if (!status.ok()) return status.annotate("allocating " + std::to_string(bytes) + " bytes");
  return Buffer(this, address, bytes);
}

// Teardown: what cannot be freed is told to the device, which close() reports.
template <>
void Memory<DevicePtr>::reset() {
  if (device_ != nullptr && address_ != 0) {
    Device::Impl& impl = *device_->impl_;
    impl.free_resource("a buffer of " + std::to_string(size_) + " bytes at " + elf::hex(address_), "cuMemFree",
                       [&] { return impl.api->cuMemFree_v2(address_); });
  }
  device_ = nullptr;
  address_ = 0;
  size_ = 0;
}

template <>
void Memory<void*>::reset() {
  if (device_ != nullptr && address_ != nullptr) {
    Device::Impl& impl = *device_->impl_;
    impl.free_resource("a host buffer of " + std::to_string(size_) + " bytes", "cuMemFreeHost",
                       [&] { return impl.api->cuMemFreeHost(address_); });
  }
  device_ = nullptr;
  address_ = nullptr;
  size_ = 0;
}

}  // namespace devbin::cuda
