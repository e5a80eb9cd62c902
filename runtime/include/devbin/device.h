// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One interface for every GPU devbin runs on, whatever its vendor: enumerate
// the backends and their GPUs, open one, allocate, enqueue the builtin
// kernels on a queue, synchronize, turn timestamps into host time, and read
// the device report. The CUDA (devbin/cuda.h) and HSA (devbin/hsa.h)
// devices derive from it; what only one vendor has (CUDA events and the
// driver's own calls, HSA memory kinds and dispatch_indirect) stays in the
// vendor header, reachable from the neutral object (Device::as_cuda(),
// Device::as_hsa()).
//
// Every operation (fill, copy, batch, copy_rect, fill_rect, timestamp,
// dispatch_patch, update) is written once, here and in
// runtime/src/operations.cc: checked (devbin/kernel_args.h), turned into
// launch descriptions (devbin/launch.h) with the backend's grid policy, and
// handed to a Queue. A Queue is where they go:
//   - devbin's own queue (create_queue): a CUDA stream or an HSA AQL queue
//     devbin created and destroys;
//   - a caller's native queue (wrap_queue): the caller's CUstream or
//     hsa_queue_t*, which the caller keeps owning;
//   - a Recorder (create_recorder): the launches written into the caller's
//     memory (devbin/recording.h), for the caller to submit or replay.
// Who orders what: on a queue (own or wrapped), devbin's operations run in
// the order they were enqueued, after everything enqueued on that queue
// before them: CUDA stream order; on HSA every packet devbin writes carries
// the barrier bit, so it starts only once every earlier packet of the queue,
// the caller's included, completed. Work the caller enqueues on a wrapped
// queue after a devbin call runs after that call's work. A recording is
// ordered by whoever submits it.
//
// Threads: see the vendor headers.
#ifndef DEVBIN_DEVICE_H_
#define DEVBIN_DEVICE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/clock.h"
#include "devbin/launch.h"
#include "devbin/recording.h"
#include "devbin/select.h"
#include "devbin/status.h"
#include "devbin/toc.h"
#include "devbin/vendor_path.h"
#include "device/abi.h"

namespace devbin {

namespace cuda {
class Device;
}
namespace hsa {
class Device;
}

// A device address, the same type on every backend (devbin::cuda and
// devbin::hsa use this one).
using DevicePtr = uint64_t;


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

class Device;

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual DevicePtr address() const = 0;  // where the kernels reach it
  virtual uint64_t size() const = 0;
  // Where the host reaches it: host memory (Device::allocate_host); nullptr
  // for device memory.
  virtual void* host_pointer() const { return nullptr; }
};

// Where a device's operations go (see above): in-order work on one device.
class Queue {
 public:
  virtual ~Queue() = default;
  // Waits for everything enqueued so far; the device's error, if one came.
  // A Recorder runs nothing and refuses; a CUDA stream being captured into a
  // graph refuses too (a wait would end the capture).
  virtual Status synchronize() = 0;
  // The CUstream or hsa_queue_t* the work goes to; nullptr for a Recorder.
  virtual void* native_handle() const = 0;
  // True while the queue is a CUDA stream being captured into a graph: the
  // operations are recorded into the graph, and nothing that waits or
  // allocates may run (calibrate_clock refuses).
  virtual bool capturing() const { return false; }

 protected:
  friend class Device;
  // The device whose kernels this queue runs.
  virtual const Device* owner() const = 0;
  // Takes the launches of one operation, in order, each atomically (one
  // driver call, or one AQL packet written under the queue's lock);
  // an error leaves the launches before it enqueued.
  virtual Status submit(std::span<const Launch> launches) = 0;
  // Whether the queue takes vendor operations of `kind` now
  // (devbin/vendor_path.h); by default none, so every operation is a kernel.
  virtual bool takes(VendorOpKind kind) const;
  // Enqueues one vendor operation of a kind takes() accepted, in queue order.
  virtual Status submit_vendor(const VendorOp& op);
};

// A Queue that writes each launch into the caller's memory
// (devbin/recording.h) instead of running it: `launches` takes one record per
// launch, `args` the argument bytes each record points at (64-byte aligned
// pieces). An operation is recorded whole or not at all: one that does not
// fit what is left is refused, naming what it needs, and writes nothing. The
// memory is the caller's and must outlive the recorder's use of it.
class Recorder final : public Queue {
 public:
  Recorder(const Device* device, std::span<devbin_recorded_launch_t> launches, std::span<uint8_t> args)
      : device_(device), launches_(launches), args_(args) {}
  Status synchronize() override;
  void* native_handle() const override { return nullptr; }
  // What has been recorded so far, in order.
  std::span<const devbin_recorded_launch_t> recorded() const { return launches_.first(count_); }
  uint64_t args_used() const { return args_used_; }
  // Forgets every record: the memory is written again from its start.
  void reset() {
    count_ = 0;
    args_used_ = 0;
  }

 protected:
  const Device* owner() const override { return device_; }
  Status submit(std::span<const Launch> launches) override;

 private:
  const Device* device_;
  std::span<devbin_recorded_launch_t> launches_;
  std::span<uint8_t> args_;
  size_t count_ = 0;
  uint64_t args_used_ = 0;
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

  // Device memory (the vendor headers offer more kinds).
  Result<std::unique_ptr<Buffer>> allocate(uint64_t bytes) const { return allocate_buffer(bytes); }
  // Host memory the GPU reads and writes (host_pointer() for the host,
  // address() for the kernels): what a Recorder's argument memory on HSA
  // must be (the kernarg pool), batch tables written from the host, and
  // sources of host-to-device copies (CUDA: page-locked, cuMemAllocHost).
  Result<std::unique_ptr<Buffer>> allocate_host(uint64_t bytes) const { return allocate_host_buffer(bytes); }
  // A queue devbin creates and destroys (a CUDA stream, an AQL queue).
  Result<std::unique_ptr<Queue>> create_queue() const { return create_own_queue(); }
  // The caller's own queue: a CUstream of this device's context (CUDA), or
  // an hsa_queue_t* of this device's agent (HSA). The caller keeps owning
  // it and must keep it alive while the wrapper lives; destroying the
  // wrapper waits for devbin's work on it (at most OpenOptions::wait_timeout
  // on HSA) and leaves the native queue alive. Refused, saying why: a null
  // queue, a CUDA stream of another context or one the driver does not know,
  // an hsa_queue_t whose size is not a power of two of at least 4 packets or
  // that has no ring or doorbell. HSA: devbin takes packet slots with the
  // write-index protocol (atomic add, then a wait for the packet processor to
  // free them), so the caller and other threads may produce on the same queue
  // (the queue must then be HSA_QUEUE_TYPE_MULTI), and devbin owns the
  // kernarg memory of the packets it writes.
  virtual Result<std::unique_ptr<Queue>> wrap_queue(void* native_queue) const = 0;
  // A Recorder over the caller's memory (see Recorder).
  Result<std::unique_ptr<Recorder>> create_recorder(std::span<devbin_recorded_launch_t> launches,
                                                    std::span<uint8_t> args) const;

  // The builtin kernels, enqueued on a queue of this device (device/abi.h
  // says what each does; devbin/kernel_args.h what each accepts). A queue of
  // another device is refused. An argument error is reported before
  // anything is enqueued. A small fill or update may take the vendor's
  // cheaper call with the same result (devbin/vendor_path.h).
  Status fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const;
  Status copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const;
  // Runs a batch table already in device memory (args.ops, written before
  // the queue reaches the batch): devbin/kernel_args.h builds and numbers
  // one (make_batch_fill/copy, batch_number) and its arguments
  // (make_batch_args). chunk_bytes 0 is DEVBIN_BATCH_CHUNK_BYTES.
  Status batch(Queue& queue, const devbin_batch_args_t& args) const;
  // Rectangular copy and fill of 2D and 3D regions (device/abi.h
  // devbin_copy_rect_args_t, devbin_fill_rect_args_t; what each accepts:
  // make_copy_rect_args, make_fill_rect_args). `status`, when not 0, is a
  // zeroed uint32_t the kernel sets to a DEVBIN_KERNEL_STATUS_* code if it
  // refuses the region (device/abi.h), as batch's args.status.
  Status copy_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_region_t& source,
                   const devbin_rect_extent_t& extent, DevicePtr status = 0) const;
  Status fill_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                   std::span<const uint8_t> pattern, DevicePtr status = 0) const;
  // Writes a devbin_timestamp_record_t (8-byte aligned) when the queue reaches it.
  Status timestamp(Queue& queue, DevicePtr record) const;
  // Patches the AQL packet args.packet (64-byte aligned) from the counts at
  // args.workgroup_counts, as device/abi.h describes.
  Status dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const;
  // Writes `data` (1 to DEVBIN_UPDATE_MAX_BYTES bytes) at `target` (any
  // alignment) when the queue reaches it. As a kernel the bytes travel in the
  // launch arguments (devbin_update): one launch per DEVBIN_UPDATE_BYTES; a
  // vendor path (devbin/vendor_path.h) writes them with the driver's call
  // instead. The bytes are copied when the call returns (into the launch, the
  // kernarg ring, a graph node being captured, the recording or a stream's
  // staging memory), so the caller may reuse `data` at once. Each launch is
  // enqueued atomically; on a queue shared between threads another thread's
  // work may fall between the launches of one long update.
  Status update(Queue& queue, DevicePtr target, std::span<const uint8_t> data) const;
  // Maps timestamp records to host CLOCK_MONOTONIC nanoseconds
  // (devbin/clock.h): `samples` timestamps, each waited for. Refused on a
  // Recorder and on a stream being captured.
  Result<ClockCalibration> calibrate_clock(Queue& queue, uint32_t samples = 16) const;

  // Synchronous host <-> device transfers.
  virtual Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const = 0;
  virtual Status copy_to_host(void* target, DevicePtr source, uint64_t length) const = 0;

  // The backend's table of vendor paths (devbin/vendor_path.h): where a small
  // fill or update takes the driver's cheaper call instead of its kernel.
  virtual std::span<const VendorPathRule> vendor_paths() const { return {}; }
  // On by default. Off: every operation runs its kernel, whatever the table
  // says (to compare the paths, or to keep every operation a kernel).
  void set_vendor_paths(bool enabled) { vendor_paths_on_.store(enabled, std::memory_order_relaxed); }
  bool vendor_paths_on() const { return vendor_paths_on_.load(std::memory_order_relaxed); }

  // The vendor's own device, for what only it has; nullptr for the other vendor.
  virtual cuda::Device* as_cuda() { return nullptr; }
  virtual hsa::Device* as_hsa() { return nullptr; }

 protected:
  friend class Recorder;
  // The backend's parts: its grid policy, how it writes a recorded launch,
  // its memory and queues, its clock.
  virtual LaunchGrid grid(Kernel kernel, GridKind kind, uint64_t count) const = 0;
  // The bytes a recorded launch of `kernel` takes in the argument memory.
  virtual uint32_t recorded_args_size(Kernel kernel) const = 0;
  // Writes `launch` as a record, its argument bytes into `args` (of
  // recorded_args_size bytes, 64-byte aligned).
  virtual Status record(const Launch& launch, devbin_recorded_launch_t& out, std::span<uint8_t> args) const = 0;
  virtual Result<std::unique_ptr<Buffer>> allocate_buffer(uint64_t bytes) const = 0;
  virtual Result<std::unique_ptr<Buffer>> allocate_host_buffer(uint64_t bytes) const = 0;
  virtual Result<std::unique_ptr<Queue>> create_own_queue() const = 0;
  // The rate of the timestamp kernel's steady counter; an error when unknown.
  virtual Result<uint64_t> timestamp_frequency_hz() const = 0;
  virtual std::string name() const = 0;  // "CUDA device 0", "HSA GPU agent 1"

 private:
  // OK when `queue` is a queue of this device; every operation asks first.
  Status check_owner(const Queue& queue) const;
  // Hands one operation's launches to `queue`, a queue of this device.
  Status submit(Queue& queue, std::span<const Launch> launches) const;
  // The vendor path the table gives this operation on `queue`, or nullptr
  // for the kernel path.
  const VendorPathRule* vendor_path(const Queue& queue, VendorPathOperation operation, uint32_t width,
                                    DevicePtr target, uint64_t length) const;

  std::atomic<bool> vendor_paths_on_{true};
};

}  // namespace devbin

#endif  // DEVBIN_DEVICE_H_
