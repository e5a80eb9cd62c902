// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend behind the neutral interface: a Device wraps an
// hsa::Device, a Queue an AQL queue of it; buffers are device memory.
#include "devbin/hsa.h"
#include "neutral_device.h"

namespace devbin {
namespace {

class HsaQueue final : public Queue {
 public:
  HsaQueue(const hsa::Device* owner, std::unique_ptr<hsa::Queue> queue) : owner_(owner), queue_(std::move(queue)) {}
  Status synchronize() override { return queue_->synchronize(); }
  const hsa::Device* owner() const { return owner_; }
  hsa::Queue& queue() { return *queue_; }

 private:
  const hsa::Device* owner_;
  std::unique_ptr<hsa::Queue> queue_;
};

class HsaBuffer final : public Buffer {
 public:
  explicit HsaBuffer(hsa::Buffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }

 private:
  hsa::Buffer buffer_;
};

class HsaDevice final : public Device {
 public:
  explicit HsaDevice(std::unique_ptr<hsa::Device> device) : device_(std::move(device)) {}

  DeviceId id() const override { return {Backend::kHsa, device_->properties().index}; }
  const DeviceReport& report() const override { return device_->report(); }
  std::string summary() const override {
    const hsa::AgentProperties& p = device_->properties();
    return std::to_string(p.compute_unit_count) + " CUs, wave" + std::to_string(p.wavefront_size);
  }
  Result<std::unique_ptr<Buffer>> allocate(uint64_t bytes) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Buffer buffer, device_->allocate(bytes));
    return std::unique_ptr<Buffer>(new HsaBuffer(std::move(buffer)));
  }
  Result<std::unique_ptr<Queue>> create_queue() const override {
    DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<hsa::Queue> queue, device_->create_queue());
    return std::unique_ptr<Queue>(new HsaQueue(device_.get(), std::move(queue)));
  }
  Status fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->fill(*aql, target, length, pattern);
  }
  Status copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->copy(*aql, target, source, length);
  }
  Status batch(Queue& queue, const devbin_batch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->batch(*aql, args);
  }
  Status timestamp(Queue& queue, DevicePtr record) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->timestamp(*aql, record);
  }
  Status dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->dispatch_patch(*aql, args);
  }
  Result<ClockCalibration> calibrate_clock(Queue& queue, uint32_t samples) const override {
    DEVBIN_ASSIGN_OR_RETURN(hsa::Queue * aql, queue_of(queue));
    return device_->calibrate_clock(*aql, samples);
  }
  Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const override {
    return device_->copy_to_device(target, source, length);
  }
  Status copy_to_host(void* target, DevicePtr source, uint64_t length) const override {
    return device_->copy_to_host(target, source, length);
  }
  hsa::Device* as_hsa() override { return device_.get(); }

 private:
  // A queue is this device's, or the call is refused.
  Result<hsa::Queue*> queue_of(Queue& queue) const {
    auto* mine = dynamic_cast<HsaQueue*>(&queue);
    if (mine == nullptr || mine->owner() != device_.get()) {
      return invalid_argument("HSA GPU agent " + std::to_string(device_->properties().index) +
                              ": the queue belongs to another device");
    }
    return &mine->queue();
  }

  std::unique_ptr<hsa::Device> device_;
};

}  // namespace

Result<std::unique_ptr<Device>> open_hsa_device(int index, const OpenOptions& options, DeviceReport* report) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<hsa::Device> device, hsa::Device::open(index, options, report));
  return std::unique_ptr<Device>(new HsaDevice(std::move(device)));
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
