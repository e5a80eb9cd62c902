// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend behind the neutral interface: a Device wraps a
// cuda::Device, a Queue a cuda::Stream of it.
#include "devbin/cuda.h"
#include "neutral_device.h"

namespace devbin {
namespace {

class CudaQueue final : public Queue {
 public:
  CudaQueue(const cuda::Device* owner, std::unique_ptr<cuda::Stream> stream)
      : owner_(owner), stream_(std::move(stream)) {}
  Status synchronize() override { return stream_->synchronize(); }
  const cuda::Device* owner() const { return owner_; }
  cuda::Stream& stream() { return *stream_; }

 private:
  const cuda::Device* owner_;
  std::unique_ptr<cuda::Stream> stream_;
};

class CudaBuffer final : public Buffer {
 public:
  explicit CudaBuffer(cuda::Buffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }

 private:
  cuda::Buffer buffer_;
};

class CudaDevice final : public Device {
 public:
  explicit CudaDevice(std::unique_ptr<cuda::Device> device) : device_(std::move(device)) {}

  DeviceId id() const override { return {Backend::kCuda, device_->properties().ordinal}; }
  const DeviceReport& report() const override { return device_->report(); }
  std::string summary() const override {
    const cuda::DeviceProperties& p = device_->properties();
    return std::to_string(p.multiprocessor_count) + " SMs, " + byte_size_text(p.total_memory_bytes);
  }
  Result<std::unique_ptr<Buffer>> allocate(uint64_t bytes) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer buffer, device_->allocate(bytes));
    return std::unique_ptr<Buffer>(new CudaBuffer(std::move(buffer)));
  }
  Result<std::unique_ptr<Queue>> create_queue() const override {
    DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::Stream> stream, device_->create_stream());
    return std::unique_ptr<Queue>(new CudaQueue(device_.get(), std::move(stream)));
  }
  Status fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->fill(*stream, target, length, pattern);
  }
  Status copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->copy(*stream, target, source, length);
  }
  Status batch(Queue& queue, const devbin_batch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->batch(*stream, args);
  }
  Status timestamp(Queue& queue, DevicePtr record) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->timestamp(*stream, record);
  }
  Status dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->dispatch_patch(*stream, args);
  }
  Result<ClockCalibration> calibrate_clock(Queue& queue, uint32_t samples) const override {
    DEVBIN_ASSIGN_OR_RETURN(cuda::Stream * stream, stream_of(queue));
    return device_->calibrate_clock(*stream, samples);
  }
  Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const override {
    return device_->copy_to_device(target, source, length);
  }
  Status copy_to_host(void* target, DevicePtr source, uint64_t length) const override {
    return device_->copy_to_host(target, source, length);
  }
  cuda::Device* as_cuda() override { return device_.get(); }

 private:
  // A queue is this device's, or the call is refused.
  Result<cuda::Stream*> stream_of(Queue& queue) const {
    auto* mine = dynamic_cast<CudaQueue*>(&queue);
    if (mine == nullptr || mine->owner() != device_.get()) {
      return invalid_argument("CUDA device " + std::to_string(device_->properties().ordinal) +
                              ": the queue belongs to another device");
    }
    return &mine->stream();
  }

  std::unique_ptr<cuda::Device> device_;
};

}  // namespace

Result<std::unique_ptr<Device>> open_cuda_device(int index, const OpenOptions& options, DeviceReport* report) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::Device> device, cuda::Device::open(index, options, report));
  return std::unique_ptr<Device>(new CudaDevice(std::move(device)));
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
