// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One interface for every GPU devbin runs on, whatever its vendor: enumerate
// the backends and their GPUs, open one, allocate, enqueue the builtin
// kernels on a queue, synchronize, turn timestamps into host time, and read
// the device report. The CUDA (devbin/cuda.h) and HSA (devbin/hsa.h)
// backends implement it; what only one vendor has (CUDA events and the
// driver's own calls, HSA memory kinds and dispatch_indirect) stays in the
// vendor header, reachable from the neutral object (Device::as_cuda(),
// Device::as_hsa()).
//
// Threads: see the vendor headers; the neutral objects add no state of their own.
#ifndef DEVBIN_DEVICE_H_
#define DEVBIN_DEVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/clock.h"
#include "devbin/select.h"
#include "devbin/status.h"
#include "devbin/toc.h"
#include "device/abi.h"

namespace devbin {

namespace cuda {
class Device;
}
namespace hsa {
class Device;
}

using DevicePtr = uint64_t;

// The builtin kernels (device/abi.h's DEVBIN_ABI_KERNELS), both vendors alike.
enum class Kernel : uint8_t {
#define DEVBIN_KERNEL_ENUM_(name, args) name,
  DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_ENUM_)
#undef DEVBIN_KERNEL_ENUM_
};
inline constexpr size_t kKernelCount = 0
#define DEVBIN_KERNEL_COUNT_(name, args) +1
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_COUNT_)
#undef DEVBIN_KERNEL_COUNT_
    ;
std::string_view kernel_name(Kernel kernel);  // "devbin_fill"

struct OpenOptions {
  // nullptr: embedded_toc(). A caller's TOC, and the bytes its entries point
  // at, must outlive every Device opened from it: an HSA runtime may keep
  // reading the code object where it was loaded from.
  const Toc* toc = nullptr;
  // A TOC entry to force on this device (file name or target id). When
  // unset and read_environment is true, DEVBIN_TARGET_OVERRIDE is read: its
  // entry of this device's vendor, if it names one (devbin/select.h).
  std::optional<std::string> override_entry;
  bool read_environment = true;
  // HSA: how long a wait for the GPU (Queue::synchronize, an enqueue waiting
  // for ring space, destroying a queue) lasts before it fails with a timeout
  // naming the operation and the packet that did not complete, instead of
  // waiting forever on a hung GPU. Must be positive. CUDA waits in the driver
  // (cuStreamSynchronize) and does not use it.
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(60)};
};

struct DeviceSelectionReport {
  std::string entry;  // TOC entry name: "nvptx64-nvidia-cuda--sm_90.cubin"
  SelectionKind kind = SelectionKind::kExact;
  std::string reason;  // one line: why this entry
  bool jit = false;    // the driver compiled the entry at load time (PTX)
};

// What opening one device did: which code object it chose and why, how long
// loading took, and whether the device is usable.
struct DeviceReport {
  std::string backend;    // "cuda", "hsa"
  int index = -1;         // the backend's device ordinal (after CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES)
  std::string name;       // "NVIDIA H100 80GB HBM3"
  std::string target;     // the device's own target: "sm_90", "gfx942:sramecc+:xnack-"
  bool selected = false;  // `selection` is valid
  DeviceSelectionReport selection;
  // select + validate + load + resolving every kernel of the ABI.
  std::chrono::nanoseconds load_time{0};
  // OK when the device's library is loaded and every kernel resolved; else why not.
  Status status;

  double load_time_ms() const { return std::chrono::duration<double, std::milli>(load_time).count(); }
};

enum class Backend : uint8_t { kCuda, kHsa };
inline constexpr Backend kBackends[] = {Backend::kCuda, Backend::kHsa};
std::string_view backend_name(Backend backend);  // "cuda", "hsa"
// "cuda" or "hsa"; nothing for anything else.
std::optional<Backend> parse_backend(std::string_view name);

// One GPU: its backend and the backend's ordinal for it.
struct DeviceId {
  Backend backend = Backend::kCuda;
  int index = 0;
};

// A backend as this process finds it.
struct BackendInfo {
  Backend backend = Backend::kCuda;
  Status status;        // OK when its library loaded and shows GPUs; else why not
  std::string version;  // the driver's CUDA version ("13.0") or the HSA runtime's ("1.1"); "" when not loaded
  std::string library;  // the path dlopen opened; "" when not loaded
  int device_count = 0;
};
// Every backend, usable or not, in kBackends order.
std::vector<BackendInfo> list_backends();

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual DevicePtr address() const = 0;
  virtual uint64_t size() const = 0;
};

// In-order work on one device: a CUDA stream or an HSA AQL queue.
class Queue {
 public:
  virtual ~Queue() = default;
  // Waits for everything enqueued so far; the device's error, if one came.
  virtual Status synchronize() = 0;
};

class Device {
 public:
  // Opens `id` as its vendor's Device::open does (select, validate, load);
  // `report`, when given, is filled in also on failure.
  static Result<std::unique_ptr<Device>> open(DeviceId id, const OpenOptions& options = {},
                                              DeviceReport* report = nullptr);
  virtual ~Device() = default;

  virtual DeviceId id() const = 0;
  virtual const DeviceReport& report() const = 0;
  // What the report does not say: "132 SMs, 79.2 GiB", "104 CUs, wave64".
  virtual std::string summary() const = 0;

  virtual Result<std::unique_ptr<Buffer>> allocate(uint64_t bytes) const = 0;
  virtual Result<std::unique_ptr<Queue>> create_queue() const = 0;

  // The builtin kernels, enqueued on a queue of this device (device/abi.h
  // says what each does; devbin/kernel_args.h what each accepts).
  virtual Status fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const = 0;
  virtual Status copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const = 0;
  // Runs a batch table already in device memory (args.ops, written before
  // the queue reaches the batch): devbin/kernel_args.h builds and numbers
  // one (make_batch_fill/copy, number_batch_table) and its arguments
  // (make_batch_args).
  virtual Status batch(Queue& queue, const devbin_batch_args_t& args) const = 0;
  // Rectangular copy and fill of 2D and 3D regions (device/abi.h
  // devbin_copy_rect_args_t, devbin_fill_rect_args_t; what each accepts:
  // make_copy_rect_args, make_fill_rect_args). A workgroup per row chunk.
  virtual Status copy_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_region_t& source,
                           const devbin_rect_extent_t& extent) const = 0;
  virtual Status fill_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                           std::span<const uint8_t> pattern) const = 0;
  // Writes a devbin_timestamp_record_t (8-byte aligned) when the queue reaches it.
  virtual Status timestamp(Queue& queue, DevicePtr record) const = 0;
  virtual Status dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const = 0;
  // Writes `data` (1 to DEVBIN_UPDATE_MAX_BYTES bytes) at `target` (any
  // alignment) when the queue reaches it, the bytes travelling in the launch
  // arguments (devbin_update, no staging buffer): one launch per
  // DEVBIN_UPDATE_BYTES. The bytes are copied when the call returns, so the
  // caller may reuse `data` at once. Each launch is enqueued atomically; on a
  // queue shared between threads another thread's work may fall between the
  // launches of one long update.
  virtual Status update(Queue& queue, DevicePtr target, std::span<const uint8_t> data) const = 0;
  // Maps timestamp records to host CLOCK_MONOTONIC nanoseconds (devbin/clock.h).
  virtual Result<ClockCalibration> calibrate_clock(Queue& queue, uint32_t samples = 16) const = 0;

  // Synchronous host <-> device transfers.
  virtual Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const = 0;
  virtual Status copy_to_host(void* target, DevicePtr source, uint64_t length) const = 0;

  // The vendor's own device, for what only it has; nullptr for the other vendor.
  virtual cuda::Device* as_cuda() { return nullptr; }
  virtual hsa::Device* as_hsa() { return nullptr; }
};

}  // namespace devbin

#endif  // DEVBIN_DEVICE_H_
