// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One implementation of the neutral interface (devbin/device.h) over either
// vendor's device. Each backend supplies a traits struct
// (cuda/neutral_device.cc, hsa/neutral_device.cc):
//
//   using Native = cuda::Device;          // the vendor device
//   using NativeQueue = cuda::Stream;     // what create_native_queue returns
//   using NativeBuffer = cuda::Buffer;
//   static constexpr Backend kBackend;
//   static int index(const Native&);
//   static std::string name(const Native&);     // "CUDA device 0"
//   static std::string summary(const Native&);  // "132 SMs, 79.2 GiB"
//   static Result<std::unique_ptr<NativeQueue>> create_native_queue(const Native&);
//
// The rule it relies on: both vendor devices spell the queue operations the
// same (fill, copy, batch, copy_rect, fill_rect, timestamp, dispatch_patch, update, calibrate_clock on a native
// queue; allocate, copy_to_device, copy_to_host), so each operation is
// forwarded once, here.
#ifndef DEVBIN_RUNTIME_VENDOR_DEVICE_H_
#define DEVBIN_RUNTIME_VENDOR_DEVICE_H_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "devbin/cuda.h"
#include "devbin/hsa.h"
#include "neutral_device.h"

namespace devbin {

template <class Traits>
class VendorQueue final : public Queue {
 public:
  using Native = typename Traits::Native;
  using NativeQueue = typename Traits::NativeQueue;
  VendorQueue(const Native* owner, std::unique_ptr<NativeQueue> queue) : owner_(owner), queue_(std::move(queue)) {}
  Status synchronize() override { return queue_->synchronize(); }
  const Native* owner() const { return owner_; }
  NativeQueue& native() { return *queue_; }

 private:
  const Native* owner_;
  std::unique_ptr<NativeQueue> queue_;
};

template <class Traits>
class VendorBuffer final : public Buffer {
 public:
  using NativeBuffer = typename Traits::NativeBuffer;
  explicit VendorBuffer(NativeBuffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }

 private:
  NativeBuffer buffer_;
};

template <class Traits>
class VendorDevice final : public Device {
 public:
  using Native = typename Traits::Native;
  using NativeQueue = typename Traits::NativeQueue;

  explicit VendorDevice(std::unique_ptr<Native> device) : device_(std::move(device)) {}

  DeviceId id() const override { return {Traits::kBackend, Traits::index(*device_)}; }
  const DeviceReport& report() const override { return device_->report(); }
  std::string summary() const override { return Traits::summary(*device_); }
  Result<std::unique_ptr<Buffer>> allocate(uint64_t bytes) const override {
    DEVBIN_ASSIGN_OR_RETURN(typename Traits::NativeBuffer buffer, device_->allocate(bytes));
    return std::unique_ptr<Buffer>(new VendorBuffer<Traits>(std::move(buffer)));
  }
  Result<std::unique_ptr<Queue>> create_queue() const override {
    DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<NativeQueue> queue, Traits::create_native_queue(*device_));
    return std::unique_ptr<Queue>(new VendorQueue<Traits>(device_.get(), std::move(queue)));
  }
  Status fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->fill(*native, target, length, pattern);
  }
  Status copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->copy(*native, target, source, length);
  }
  Status batch(Queue& queue, const devbin_batch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->batch(*native, args);
  }
  Status copy_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_region_t& source,
                   const devbin_rect_extent_t& extent) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->copy_rect(*native, target, source, extent);
  }
  Status fill_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                   std::span<const uint8_t> pattern) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->fill_rect(*native, target, extent, pattern);
  }
  Status timestamp(Queue& queue, DevicePtr record) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->timestamp(*native, record);
  }
  Status dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->dispatch_patch(*native, args);
  }
  Status update(Queue& queue, DevicePtr target, std::span<const uint8_t> data) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->update(*native, target, data);
  }
  Result<ClockCalibration> calibrate_clock(Queue& queue, uint32_t samples) const override {
    DEVBIN_ASSIGN_OR_RETURN(NativeQueue * native, native_queue(queue));
    return device_->calibrate_clock(*native, samples);
  }
  Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const override {
    return device_->copy_to_device(target, source, length);
  }
  Status copy_to_host(void* target, DevicePtr source, uint64_t length) const override {
    return device_->copy_to_host(target, source, length);
  }
  cuda::Device* as_cuda() override {
    if constexpr (std::is_same_v<Native, cuda::Device>) return device_.get();
    return nullptr;
  }
  hsa::Device* as_hsa() override {
    if constexpr (std::is_same_v<Native, hsa::Device>) return device_.get();
    return nullptr;
  }

 private:
  // A queue is this device's, or the call is refused.
  Result<NativeQueue*> native_queue(Queue& queue) const {
    auto* mine = dynamic_cast<VendorQueue<Traits>*>(&queue);
    if (mine == nullptr || mine->owner() != device_.get()) {
      return invalid_argument(Traits::name(*device_) + ": the queue belongs to another device");
    }
    return &mine->native();
  }

  std::unique_ptr<Native> device_;
};

// Opens the vendor device and wraps it.
template <class Traits>
Result<std::unique_ptr<Device>> open_vendor_device(int index, const OpenOptions& options, DeviceReport* report) {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<typename Traits::Native> device,
                          Traits::Native::open(index, options, report));
  return std::unique_ptr<Device>(new VendorDevice<Traits>(std::move(device)));
}

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_VENDOR_DEVICE_H_
