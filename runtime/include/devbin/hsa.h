// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend: runs the builtin device library on AMD GPUs.
//
// The runtime (libhsa-runtime64.so.1, ROCm's or Debian's) is opened with
// dlopen when first needed; building devbin needs no ROCm install, and a
// process on a machine without an AMD GPU gets a clear Status, never a crash.
// Per GPU agent, Device::open reads the agent's ISA names, selects a TOC entry
// for the agent's own ISA (DEVBIN_TARGET_OVERRIDE honoured), validates it,
// loads it (code-object reader, executable, freeze) and resolves every kernel
// of DEVBIN_ABI_KERNELS, checking what the loader reports (kernarg, group and
// private segment sizes) against the code object's metadata.
//
// What the runtime can load: ROCr lists each agent's ISA, then (ROCm 6.4 and
// later) the generic ISA its loader also accepts. Selection prefers the
// exact code object; a generic one is used only where the runtime lists its
// generic ISA, else the open is refused, naming the ROCm needed. A
// loader refusal (INVALID_ISA_NAME, INVALID_CODE_OBJECT, ...) says the code
// object's version and the ROCm that loads it (README, "ROCm versions").
// Host and kernarg memory come from the CPU agent nearest the GPU
// (HSA_AMD_AGENT_INFO_NEAREST_CPU).
//
// Operations are AQL packets on a Queue, asynchronous and in order (every
// packet carries the barrier bit), like the CUDA backend's Stream. Argument
// errors are reported at enqueue time; Queue::synchronize reports queue errors
// the runtime delivers (an illegal instruction, a packet it refused, named
// with ROCr's status codes) and GPU memory faults: devbin registers a system
// event handler (hsa_amd_register_system_event_handler) that takes the faults
// of every agent where it holds a queue, so ROCr does not abort the process,
// and the queues of that agent fail with the fault's address and reasons
// (the kernel driver stops them). A fault on an agent where devbin holds no
// queue is left to the runtime, which aborts unless another handler takes it.
// Every wait for the GPU (synchronize, an enqueue waiting for ring space,
// destroying a Queue) blocks in the runtime in slices given in system
// timestamp ticks (HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY) and ends after
// OpenOptions::wait_timeout with an error naming the operation and the packet
// that did not complete. After dispatch_indirect's patcher completes, the
// doorbell is rung once more, so an interception layer (rocprofiler and other
// tools: ROCr's InterceptQueue forwards packets only up to the first INVALID
// header, and only at a doorbell) forwards the target packet the patcher
// published.
//
// The kernarg builder below and the packet builders (runtime/src/hsa/packet.h)
// are pure functions over plain memory, so everything but the runtime calls is
// tested on machines without a GPU.
//
// Lifetimes: Buffers and Queues must go before their Device. A caller's TOC
// (OpenOptions::toc), and the bytes its entries point at, must outlive every
// Device opened from it: the runtime's loader may keep reading the code
// object where it was loaded from.
//
// Threads: any function may be called from any thread. Device::open may run
// on several threads at once, for the same agent or different ones (the
// runtime is loaded and initialized once per process under a lock, and the
// HSA runtime's own calls are thread-safe; each Device loads its own
// executable). The const members of a Device (allocate, create_queue, the
// kernels, dispatch_indirect, copy_to_device/host) and Queue::synchronize may
// be called from several threads at once, on different Queues or on the same
// one. An enqueue holds its Queue's lock from taking ring slots (waiting, if
// the ring is full, for the packets that used them to complete) to ringing
// the doorbell, so it is atomic: its packets are contiguous in the ring
// (dispatch_indirect's three too), kernarg slots are never shared, and
// doorbell values only grow. On a shared Queue, what one thread enqueues runs
// in the order it enqueued it (every packet carries the barrier bit); the
// order between threads is whichever took the lock first, unspecified.
// Queue::synchronize waits for every packet enqueued before it, by any
// thread, without holding the lock, so the others go on enqueueing.
// The runtime's own threads call into devbin too: the memory fault handler
// (it marks the agent's queues failed, under a process-wide lock and each
// queue's fault lock) and the handler that rings the doorbell again after a
// patcher (under the doorbell's lock, which is never held while waiting; a
// Queue's destructor waits for its pending handlers).
// Not safe: ~Device() while any other thread uses that Device or any of its
// Buffers and Queues; destroying a Queue while another thread enqueues on it
// or synchronizes it; destroying or moving a Buffer while another thread uses
// it; changing the environment (DEVBIN_TARGET_OVERRIDE,
// DEVBIN_HSA_RUNTIME_PATH, ROCR_VISIBLE_DEVICES: read by open) while another
// thread opens a device. Memory is the caller's: kernargs and workgroup
// counts given to dispatch_indirect must be written before the call, and two
// operations on different Queues that touch the same bytes are unordered
// unless the caller orders them (synchronize).
#ifndef DEVBIN_HSA_H_
#define DEVBIN_HSA_H_

#include "devbin/code_object.h"
#include "devbin/device.h"  // the neutral interface, and what it includes
#include "devbin/target_id.h"

namespace devbin::hsa {

// Points dlopen at another file than libhsa-runtime64.so.1 (a runtime in an
// unusual place, or a test's stand-in).
inline constexpr char kRuntimePathEnv[] = "DEVBIN_HSA_RUNTIME_PATH";

struct RuntimeInfo {
  std::string library;         // the path dlopen opened
  uint16_t version_major = 0;  // the HSA specification version the runtime implements
  uint16_t version_minor = 0;
  std::string version_string() const;  // "1.1"
};

// The runtime, opened and initialized once per process. Errors: library not
// found, library without the entry points devbin needs, hsa_init failing
// (no /dev/kfd, no permission), each saying which.
Result<RuntimeInfo> runtime_info();

struct AgentProperties {
  int ordinal = 0;           // among the GPU agents, in hsa_iterate_agents order (ROCR_VISIBLE_DEVICES applies)
  // OK, or why the runtime would not describe this agent. list_agents still
  // lists such an agent, with `ordinal` and whatever was read before the
  // failure, so one broken agent hides no other; opening it fails the same way.
  Status status;
  std::string name;          // HSA_AGENT_INFO_NAME: "gfx942"
  std::string product_name;  // HSA_AMD_AGENT_INFO_PRODUCT_NAME: "AMD Instinct MI300X" ("" when not reported)
  std::string pci_bus_id;    // "0000:c1:00.0" ("" when not reported)
  std::vector<std::string> isa_names;  // "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-", the agent's preferred ISA first
  uint32_t compute_unit_count = 0;
  uint32_t wavefront_size = 0;
  uint32_t workgroup_max_size = 0;
  uint32_t max_waves_per_cu = 0;
  uint32_t grid_max_size = 0;
  uint32_t queue_min_size = 0;  // packets
  uint32_t queue_max_size = 0;
  uint32_t chip_id = 0;
  // HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY: the rate of the counter the
  // timestamp kernel reads; 0 when the runtime does not report it (before ROCm 6).
  uint64_t timestamp_frequency_hz = 0;
  // The CPU agent nearest the GPU (HSA_AMD_AGENT_INFO_NEAREST_CPU), as an
  // ordinal among the CPU agents in hsa_iterate_agents order: host and
  // kernarg memory come from its pools. -1 when the runtime does not say
  // (before ROCm 6): the first CPU agent with those pools serves.
  int nearest_cpu = -1;

  // The target of the first ISA name, as selection sees it; `status` when
  // that is not OK.
  Result<AmdgpuTargetId> target() const;
};

// Every GPU agent, each with its own `status`. An error when the runtime is
// unusable; zero GPU agents is an error too, saying so.
Result<std::vector<AgentProperties>> list_agents();

//===----------------------------------------------------------------------===//
// Pure helpers (no runtime needed): kernels, kernargs, dispatch shapes.
//===----------------------------------------------------------------------===//

// The builtin kernels and OpenOptions are devbin/device.h's, both vendors alike.
using devbin::Kernel;
using devbin::kernel_name;
using devbin::kKernelCount;
using devbin::OpenOptions;

// What the loader reports for a kernel symbol (HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_*).
struct LoadedKernel {
  uint64_t kernel_object = 0;  // the kernel descriptor's address, for the packet
  uint32_t kernarg_segment_size = 0;
  uint32_t kernarg_segment_align = 0;
  uint32_t group_segment_size = 0;
  uint32_t private_segment_size = 0;
  bool dynamic_callstack = false;
};

// A dispatch's shape in work-items, as the AQL packet carries it.
struct DispatchGeometry {
  uint16_t dimensions = 1;                 // 1..3
  uint32_t workgroup_size[3] = {1, 1, 1};  // 1..65535 each (16-bit packet fields)
  uint32_t grid_size[3] = {1, 1, 1};       // work-items, >= 1 each; unused dimensions are 1
};
// 1-D: `workgroups` groups of `workgroup_size`.
DispatchGeometry linear_geometry(uint32_t workgroups, uint32_t workgroup_size);

// What the hidden arguments are filled from, beyond the geometry.
struct HiddenArgumentValues {
  DevicePtr queue = 0;  // hidden_queue_ptr: the hsa_queue_t the packet goes to
};

// Lays out a kernarg segment: zeroes `segment`, copies `explicit_args` to
// offset 0 (its size must be the metadata's explicit_args_size), then fills
// each hidden argument the metadata's .args list at its offset: block counts
// (grid / workgroup), group sizes, remainders (grid % workgroup), grid dims,
// global offsets (0), dynamic LDS size (0), queue pointer; every other hidden
// kind (printf, hostcall, heap, default queue, completion action, multigrid,
// apertures, …) stays zero. Errors: a segment smaller than the metadata's
// kernarg_segment_size, an argument outside it, a known hidden kind with an
// unexpected size, a bad geometry.
Status write_kernargs(std::span<uint8_t> segment, const KernelInfo& kernel, std::span<const uint8_t> explicit_args,
                      const DispatchGeometry& geometry, const HiddenArgumentValues& hidden = {});

// The offset of hidden_block_count_x in `kernel`'s kernarg segment, with
// hidden_block_count_y and _z the next two uint32s (code object v5/v6 lays
// them out so); nullopt when the kernel takes no hidden block counts (its
// grid comes from the packet). An error when the metadata has only some of
// the three, another size than 4 bytes, or another layout.
Result<std::optional<uint32_t>> hidden_block_count_offset(const KernelInfo& kernel);

// An indirect dispatch: workgroup counts read by the device from memory.
// The target's kernargs are the caller's, hidden ones included; the grid is
// not known when they are written. With hidden_block_count_offset set, the
// patcher stores the counts in the target's hidden_block_count_x/y/z before
// publishing the packet (HIP kernels read gridDim there); otherwise a target
// must take its grid from the packet (as devbin's builtins do). The patcher
// never rewrites hidden_remainder_* (zero: the grid is whole workgroups) nor
// hidden_group_size_* (the caller knows the workgroup size).
struct IndirectDispatch {
  LoadedKernel kernel;            // the kernel to launch (group/private sizes go to its packet)
  DevicePtr kernarg_address = 0;  // its kernarg segment, laid out by the caller
  uint16_t dimensions = 1;
  uint32_t workgroup_size[3] = {1, 1, 1};
  DevicePtr workgroup_counts = 0;  // const uint32_t[3], 4-byte aligned, written before the dispatch runs
  uint32_t max_workgroup_count[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
  DevicePtr status = 0;  // uint32_t* for DEVBIN_DISPATCH_STATUS_*, or 0
  // hidden_block_count_offset(the target's metadata), or nullopt: no block
  // counts stored. Needs a kernarg_address.
  std::optional<uint32_t> hidden_block_count_offset;
};

// What the operations size their grids by (Device::launch_limits()).
struct LaunchLimits {
  uint32_t compute_units = 1;
  uint32_t workgroup_size = 256;
  uint32_t workgroups_per_compute_unit = 1;
};

//===----------------------------------------------------------------------===//
// Devices, memory, queues.
//===----------------------------------------------------------------------===//

class Device;

enum class MemoryKind : uint8_t {
  kDevice,  // the GPU's coarse-grained memory (VRAM on a dGPU)
  kHost,    // fine-grained system memory, GPU-accessible; host_pointer() is valid
  kKernarg,  // system memory from the kernarg pool (what a packet's kernarg segment must be in); host_pointer() is valid
};

// Memory from an AMD memory pool; freed when the Buffer goes.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  DevicePtr address() const { return reinterpret_cast<uintptr_t>(pointer_); }
  uint64_t size() const { return size_; }
  MemoryKind kind() const { return kind_; }
  // The host's view of kHost and kKernarg memory; nullptr for kDevice.
  void* host_pointer() const { return kind_ != MemoryKind::kDevice ? pointer_ : nullptr; }

 private:
  friend class Device;
  void reset();
  const Device* device_ = nullptr;
  void* pointer_ = nullptr;
  uint64_t size_ = 0;
  MemoryKind kind_ = MemoryKind::kDevice;
};

// An AQL queue as a devbin Queue, with devbin's own kernarg ring and
// completion counter: one devbin created (Device::create_queue, destroyed
// with it) or the caller's (Device::wrap_queue: devbin writes packets into
// it through the write-index protocol and never destroys it).
class Queue final : public devbin::Queue {
 public:
  // Waits for devbin's packets, at most OpenOptions::wait_timeout; a queue
  // whose packets did not complete by then (a hung GPU) is abandoned: its
  // AQL queue (when devbin's), completion signal and kernarg ring are left
  // allocated, since the GPU may still use them, and the destructor returns.
  ~Queue() override;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  // Waits until every packet devbin enqueued so far has completed (with the
  // barrier bit, every packet before them in the queue too). Errors: the
  // runtime's queue error (devbin's own queues only: a wrapped queue's error
  // callback is the caller's) or a GPU memory fault on the agent (address
  // and reasons), kInternal; no progress within OpenOptions::wait_timeout,
  // kUnavailable, naming the packet that did not complete.
  Status synchronize() override;
  void* native_handle() const override;  // the hsa_queue_t*
  uint32_t size() const;                 // packets
  bool owned() const;

 protected:
  const devbin::Device* owner() const override;
  Status submit(std::span<const Launch> launches) override;

 private:
  friend class Device;
  struct Impl;
  explicit Queue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Device final : public devbin::Device {
 public:
  // Loads the agent's library. `report`, when given, is filled in also on
  // failure, as far as opening got.
  static Result<std::unique_ptr<Device>> open(int index, const OpenOptions& options = {},
                                              DeviceReport* report = nullptr);
  ~Device() override;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const AgentProperties& properties() const { return properties_; }
  DeviceId id() const override { return {Backend::kHsa, properties_.ordinal}; }
  const DeviceReport& report() const override { return report_; }
  std::string summary() const override;  // "104 CUs, wave64"
  const CodeObjectInfo& code_object() const { return code_object_; }
  const RuntimeInfo& runtime() const { return runtime_info_; }
  const LoadedKernel& kernel(Kernel kernel) const { return kernels_[static_cast<size_t>(kernel)]; }
  const LaunchLimits& launch_limits() const { return limits_; }

  Result<Buffer> allocate(uint64_t bytes, MemoryKind kind = MemoryKind::kDevice) const;
  // `packets`: a power of two within the agent's queue sizes; 0 picks 1024 (or the nearest allowed).
  Result<std::unique_ptr<Queue>> create_queue(uint32_t packets = 0) const;

  // A devbin Queue over the caller's hsa_queue_t* (devbin/device.h
  // wrap_queue), which must be a queue of this device's agent; the runtime
  // cannot tell devbin which agent a queue serves. Refused: a null queue, a
  // size that is not a power of two of at least 4 packets, no ring or
  // doorbell, a queue type other than MULTI or SINGLE.
  Result<std::unique_ptr<devbin::Queue>> wrap_queue(void* native_queue) const override;
  // wrap_queue's queue, as a Queue.
  Result<std::unique_ptr<Queue>> wrap_hsa_queue(void* hsa_queue) const;

  // The builtin operations (fill, copy, batch, copy_rect, fill_rect,
  // timestamp, dispatch_patch, update, calibrate_clock) are
  // devbin::Device's, on any devbin Queue of this device.
  // A timestamp's `steady` counts ticks of properties().timestamp_frequency_hz.

  // Launches request.kernel with workgroup counts read from device memory
  // when the queue reaches it: the patcher packet, a barrier-AND and the
  // target packet the patcher publishes.
  Status dispatch_indirect(Queue& queue, const IndirectDispatch& request) const;

  // Synchronous host <-> device transfers (hsa_memory_copy).
  Status copy_to_device(DevicePtr target, const void* source, uint64_t length) const override;
  Status copy_to_host(void* target, DevicePtr source, uint64_t length) const override;

  hsa::Device* as_hsa() override { return this; }

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
  friend class Buffer;
  friend class Queue;
  struct Impl;
  explicit Device(std::unique_ptr<Impl> impl);
  // Gives a new Queue::Impl over impl->queue devbin's state: the doorbell,
  // labels, fault watching, the completion signal, the kernarg ring.
  Result<std::unique_ptr<Queue>> attach_queue(std::unique_ptr<Queue::Impl> impl, bool owned) const;
  // Writes each launch as a kernel-dispatch packet on `queue`, under its lock.
  Status launch(Queue& queue, std::span<const Launch> launches) const;
  // The kernel's metadata, which the loaded code object has for every kernel.
  const KernelInfo& metadata(Kernel kernel) const { return *metadata_[static_cast<size_t>(kernel)]; }

  std::unique_ptr<Impl> impl_;
  AgentProperties properties_;
  DeviceReport report_;
  CodeObjectInfo code_object_;
  RuntimeInfo runtime_info_;
  LoadedKernel kernels_[kKernelCount];
  const KernelInfo* metadata_[kKernelCount] = {};  // into code_object_
  LaunchLimits limits_;
};

// One report per GPU agent: each opened (select, validate, load, resolve) as
// Device::open does, with its outcome in `status`. The runtime's own failure
// (not installed, hsa_init failing, no GPU agent) is the error.
Result<std::vector<DeviceReport>> report_devices(const OpenOptions& options = {});

}  // namespace devbin::hsa

#endif  // DEVBIN_HSA_H_
