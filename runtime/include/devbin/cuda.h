// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend: runs the builtin device library on NVIDIA GPUs.
//
// The driver (libcuda.so.1) is opened with dlopen when first needed; building
// devbin needs no CUDA install, and a process on a machine without a driver
// gets a clear Status, never a crash. Per device, Device::open builds the
// device's target from its compute capability (sm_MAJORMINOR), selects a TOC
// entry (DEVBIN_TARGET_OVERRIDE honoured), validates it, loads it with
// cuModuleLoadDataEx and resolves every kernel of DEVBIN_ABI_KERNELS.
//
// Operations are enqueued on a Stream and are asynchronous like the driver's
// own cuMemsetD32Async / cuMemcpyDtoDAsync; argument errors are reported at
// enqueue time. Launch shapes come from the device (multiprocessor count,
// occupancy of the kernel, its and the device's thread limits).
//
// Lifetimes: Buffers, HostBuffers, Streams and Events must go before their Device.
//
// Threads: any function may be called from any thread. Device::open may run
// on several threads at once, for the same ordinal or different ones (the
// driver is loaded once per process under a lock; each Device holds its own
// reference to the primary context). The const members of a Device
// (allocate, create_stream/event, the operations, copy_to_device/host,
// memset_d8, synchronize) and Stream::synchronize may be
// called from several threads at once, on different Streams or on the same
// one: each enqueue is one driver call, so it is atomic. On a shared Stream,
// what one thread enqueues runs in the order it enqueued it; the order
// between threads is whichever call reached the driver first, unspecified.
// A Stream's synchronize waits for everything enqueued on it before, by any
// thread. Every call makes the device's context current for its own length
// and puts the calling thread's back: CUDA keeps the current context per
// thread, so this needs no lock and never touches another thread's context.
// Buffers, HostBuffers, Streams and Events may be created and destroyed on any thread.
// Not safe: close(), ~Device() and set_launch_shape() (the non-const
// members) while any other thread uses that Device or any of its Buffers,
// Streams and Events; destroying or moving a Buffer, Stream or Event while
// another thread uses it; recording one Event from two threads at once;
// changing the environment (DEVBIN_TARGET_OVERRIDE, DEVBIN_CUDA_DRIVER_PATH,
// CUDA_VISIBLE_DEVICES: read by open) while another thread opens a device.
// Device memory is the caller's: two operations on different Streams that
// touch the same bytes are unordered unless the caller orders them (events,
// synchronize).
#ifndef DEVBIN_CUDA_H_
#define DEVBIN_CUDA_H_

#include <atomic>
#include <mutex>
#include <type_traits>
#include <utility>

#include "devbin/code_object.h"
#include "devbin/device.h"  // the neutral interface, and what it includes
#include "devbin/kernel_args.h"
#include "devbin/target_id.h"

namespace devbin::cuda {

// Points dlopen at another file than libcuda.so.1 (a driver in an unusual
// place, or a test's stand-in).
inline constexpr char kDriverPathEnv[] = "DEVBIN_CUDA_DRIVER_PATH";

struct DriverInfo {
  std::string library;                 // the path dlopen opened
  int version = 0;                     // cuDriverGetVersion: 13000 for CUDA 13.0
  std::string version_string() const;  // "13.0"
};

// The driver, opened once per process. Errors: library not found, library
// without the entry points devbin needs, cuInit failing (no device, driver and
// kernel module mismatch).
Result<DriverInfo> driver_info();

// Devices the driver shows (CUDA_VISIBLE_DEVICES applies). An error when the
// driver is unusable; zero devices is an error too, saying so.
Result<int> device_count();

struct DeviceProperties {
  int ordinal = 0;
  std::string name;
  std::string pci_bus_id;  // "0000:3b:00.0"
  uint32_t compute_capability_major = 0;
  uint32_t compute_capability_minor = 0;
  uint32_t multiprocessor_count = 0;
  uint32_t max_threads_per_block = 0;
  uint32_t max_threads_per_multiprocessor = 0;
  uint32_t max_grid_dim_x = 0;
  uint32_t warp_size = 0;
  uint32_t l2_cache_bytes = 0;
  uint64_t total_memory_bytes = 0;

  // sm_MAJORMINOR (SASS); the TOC is searched from it.
  NvidiaTarget target() const;
};

Result<DeviceProperties> query_device(int ordinal);

//===----------------------------------------------------------------------===//
// Pure helpers (no driver needed): launch shapes, clocks (argument checks: devbin/kernel_args.h).
//===----------------------------------------------------------------------===//

// The builtin kernels and OpenOptions are devbin/device.h's, both vendors alike.
using devbin::Kernel;
using devbin::kernel_name;
using devbin::kKernelCount;
using devbin::OpenOptions;

// What a launch shape is computed from, per kernel.
struct LaunchLimits {
  uint32_t multiprocessors = 1;
  uint32_t warp_size = 32;
  uint32_t threads_per_block = 32;         // the block size of full-size launches (a warp multiple)
  // Blocks per multiprocessor in a full-size launch (waves x resident), or
  // kCoveringGrid: as many blocks as the work needs, one grid-stride step per
  // work-item (up to max_grid_dim_x).
  uint32_t blocks_per_multiprocessor = 1;
  uint32_t resident_blocks_per_multiprocessor = 1;  // how many of those blocks fit at once (occupancy)
  uint32_t max_grid_dim_x = 1;
};

inline constexpr uint32_t kCoveringGrid = 0;

struct LaunchShape {
  uint32_t blocks = 0;
  uint32_t threads_per_block = 0;
};

// A grid for `work_items` independent items handled by a grid-stride loop:
// at most multiprocessors × blocks_per_multiprocessor blocks (unless
// kCoveringGrid) and max_grid_dim_x, fewer blocks and a smaller block (a warp
// multiple) when there is less work. Zero items give an empty shape (nothing
// to launch).
LaunchShape launch_shape(const LaunchLimits& limits, uint64_t work_items);

// Clock calibration is devbin/clock.h's: %globaltimer counts nanoseconds.
using devbin::calibrate;
using devbin::ClockCalibration;
using devbin::ClockSample;
using devbin::host_monotonic_ns;

//===----------------------------------------------------------------------===//
// Devices, memory, streams.
//===----------------------------------------------------------------------===//

class Device;

// Memory the driver allocated for a Device, freed when its owner goes (a
// failure then is kept for Device::close() to report). Move-only.
//   Buffer      device memory from cuMemAlloc (Address = DevicePtr);
//   HostBuffer  page-locked host memory from cuMemAllocHost (Address =
//               void*): what the driver's asynchronous copies from the
//               host read from.
template <class Address>
class Memory {
 public:
  Memory() = default;
  Memory(Memory&& other) noexcept { take(other); }
  Memory& operator=(Memory&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;
  ~Memory() { reset(); }

  Address address() const { return address_; }
  void* data() const requires std::is_pointer_v<Address> { return address_; }
  uint64_t size() const { return size_; }

 private:
  friend class Device;
  Memory(const Device* device, Address address, uint64_t size) : device_(device), address_(address), size_(size) {}
  void take(Memory& other) {
    device_ = std::exchange(other.device_, nullptr);
    address_ = std::exchange(other.address_, Address{});
    size_ = std::exchange(other.size_, 0);
  }
  void reset();  // frees, then empty (defined for each Address in device.cc)
  const Device* device_ = nullptr;
  Address address_{};
  uint64_t size_ = 0;
};
template <>
void Memory<DevicePtr>::reset();
template <>
void Memory<void*>::reset();

using Buffer = Memory<DevicePtr>;
using HostBuffer = Memory<void*>;

// What a Stream and an Event are: the device that created one and the
// driver's handle, freed by the owner's destructor (a failure there is kept
// for Device::close() to report).
class DriverObject {
 public:
  DriverObject(const DriverObject&) = delete;
  DriverObject& operator=(const DriverObject&) = delete;

 protected:
  DriverObject(const Device* device, void* handle) : device_(device), handle_(handle) {}
  ~DriverObject() = default;
  const Device* device_;
  void* handle_;
};

class StagingRing;  // runtime/src/cuda/staging_ring.h

// A CUDA stream as a devbin Queue: one devbin created (Device::create_stream,
// destroyed with it) or the caller's (Device::wrap_queue: never destroyed
// by devbin). Operations on it are driver calls in stream order
// (cuLaunchKernel, or a vendor path's memset, write value or copy), so they
// can be captured into a CUDA graph (cuStreamBeginCapture) like any other
// stream work: nothing devbin enqueues while the stream is captured
// synchronizes or allocates. A staged copy (never taken while capturing)
// waits for the GPU only when the staging memory is full of copies it has
// not yet made.
class Stream final : public DriverObject, public devbin::Queue {
 public:
  ~Stream() override;
  // cuStreamSynchronize; refused while the stream is being captured.
  Status synchronize() override;
  void* native_handle() const override { return handle_; }  // the CUstream
  bool capturing() const override;
  bool owned() const { return owned_; }

 protected:
  const devbin::Device* owner() const override;
  Status submit(std::span<const Launch> launches) override;
  // The vendor paths (devbin/vendor_path.h): memsets always; a write value
  // where the driver has cuStreamWriteValue32/64_v2; a staged copy where it
  // has page-locked memory and cuMemcpyHtoDAsync. Neither of the last two
  // while the stream is being captured: the operation is then captured as
  // its kernel.
  bool takes(VendorOpKind kind) const override;
  Status submit_vendor(const VendorOp& op) override;

 private:
  friend class Device;
  Stream(const Device* device, void* handle, bool owned);
  // Makes the staging memory at the first staged copy; false when it cannot
  // be made (the driver refused the page-locked memory: an update then takes
  // its kernel, and the next one tries again).
  bool staging_ready() const;
  Status staged_copy(const VendorOp& op);
  bool owned_;
  // Page-locked staging memory for staged copies (runtime/src/cuda/staging_ring.h),
  // made under the mutex; staging_made_ says it exists without taking the mutex.
  mutable std::mutex staging_mutex_;
  mutable std::unique_ptr<StagingRing> staging_;
  mutable std::atomic<bool> staging_made_{false};
};

class Event : public DriverObject {
 public:
  ~Event();
  Status record(Stream& stream);
  Status synchronize();
  // Milliseconds between `start` and this event (both recorded and complete).
  Result<float> elapsed_ms_since(const Event& start) const;

 private:
  friend class Device;
  using DriverObject::DriverObject;
};

class Device final : public devbin::Device {
 public:
  // Retains the device's primary context (shared with the CUDA runtime and
  // other libraries in the process) and loads its library. `report`, when
  // given, is filled in also on failure, as far as opening got.
  // Every call leaves the calling thread's current context as it found it.
  static Result<std::unique_ptr<Device>> open(int ordinal, const OpenOptions& options = {},
                                              DeviceReport* report = nullptr);
  // Frees what close() frees, without a word on failure: call close() to hear.
  ~Device() override;
  // Unloads the module and releases the primary context, and says what could
  // not be freed, with every Buffer, Stream and Event of this device that
  // could not be freed before it. The device takes no work afterwards; its
  // Buffers, HostBuffers, Streams and Events must be gone first.
  Status close();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const DeviceProperties& properties() const { return properties_; }
  DeviceId id() const override { return {Backend::kCuda, properties_.ordinal}; }
  const DeviceReport& report() const override { return report_; }
  std::string summary() const override;  // "132 SMs, 79.2 GiB"
  const CodeObjectInfo& code_object() const { return code_object_; }
  const DriverInfo& driver() const { return driver_info_; }
  const LaunchLimits& launch_limits(Kernel kernel) const { return limits_[static_cast<size_t>(kernel)]; }
  // Replaces the shape of full-size launches of `kernel`: the block size
  // (0: the kernel's default) and the blocks per multiprocessor (unset: the
  // kernel's default; kCoveringGrid: as many as the work needs). Defaults:
  // copy and fill take 256-thread blocks in a covering grid (the fastest shape,
  // bench/RESULTS.md); the other kernels the block size
  // cuOccupancyMaxPotentialBlockSize suggests, one resident wave. Block sizes
  // must be warp multiples within the kernel's and the device's limits. For
  // tuning and benchmarks.
  Status set_launch_shape(Kernel kernel, uint32_t threads_per_block,
                          std::optional<uint32_t> blocks_per_multiprocessor = std::nullopt);

  // The driver's handles, for callers that launch or capture the kernels
  // themselves (a CUDA graph, cuLaunchKernelEx with their own attributes):
  // the CUcontext, and the CUfunction of `kernel`, valid while the Device lives.
  void* native_context() const;
  void* native_function(Kernel kernel) const;

  Result<Buffer> allocate(uint64_t bytes) const;
  Result<std::unique_ptr<Stream>> create_stream() const;
  Result<std::unique_ptr<Event>> create_event() const;

  // A devbin Queue over the caller's CUstream (devbin/device.h wrap_queue):
  // refused for a null stream (pass CU_STREAM_LEGACY, 0x1, or
  // CU_STREAM_PER_THREAD, 0x2, for a default stream) and for a stream of
  // another context or one the driver does not know (cuStreamGetCtx).
  Result<std::unique_ptr<devbin::Queue>> wrap_queue(void* native_queue) const override;
  // wrap_queue's stream, as a Stream.
  Result<std::unique_ptr<Stream>> wrap_stream(void* cu_stream) const;

  // The builtin operations (fill, copy, batch, copy_rect, fill_rect,
  // timestamp, dispatch_patch, update, calibrate_clock) are devbin::Device's,
  // on any devbin Queue of this device: a Stream, or a Recorder.

  // Page-locked host memory (cuMemAllocHost): memory the GPU reads and
  // writes at its host address, and what the driver's asynchronous copies
  // from the host want (the neutral Device::allocate_host hands it out).
  Result<HostBuffer> allocate_host(uint64_t bytes) const;
  // Synchronous host <-> device transfers and byte fills (tests, self-test).
  Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const override;
  Status copy_to_host(void* target, DevicePtr source, uint64_t length) const override;
  Status memset_d8(DevicePtr target, uint8_t value, uint64_t length) const;
  Status synchronize() const;

  // The CUDA table of vendor paths (runtime/src/cuda/vendor_paths.cc).
  std::span<const VendorPathRule> vendor_paths() const override;
  cuda::Device* as_cuda() override { return this; }

 protected:
  LaunchGrid grid(Kernel kernel, GridKind kind, uint64_t count) const override;
  uint32_t recorded_args_size(Kernel kernel) const override;
  Status record(const Launch& launch, devbin_recorded_launch_t& out, std::span<uint8_t> args) const override;
  Result<std::unique_ptr<devbin::Buffer>> allocate_buffer(uint64_t bytes) const override;
  Result<std::unique_ptr<devbin::Buffer>> allocate_host_buffer(uint64_t bytes) const override;
  Result<std::unique_ptr<devbin::Queue>> create_own_queue() const override;
  Result<uint64_t> timestamp_frequency_hz() const override;
  std::string name() const override;

 private:
  template <class>
  friend class Memory;
  friend class Stream;
  friend class Event;
  friend class StagingRing;
  struct Impl;
  explicit Device(std::unique_ptr<Impl> impl);
  // cuLaunchKernel of each launch on `stream`, in the device's context.
  Status launch(Stream& stream, std::span<const Launch> launches) const;

  std::unique_ptr<Impl> impl_;
  DeviceProperties properties_;
  DeviceReport report_;
  CodeObjectInfo code_object_;
  DriverInfo driver_info_;
  LaunchLimits limits_[kKernelCount];
};

}  // namespace devbin::cuda

#endif  // DEVBIN_CUDA_H_
