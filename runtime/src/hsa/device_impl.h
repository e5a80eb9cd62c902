// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the HSA backend's files share: the runtime, agents (topology.cc),
// memory pools (memory.cc), what the runtime can load (isa_support.cc), GPU
// memory faults (fault.cc), and the internals of Device (device.cc) and Queue
// (queue.cc) that the operations (operations.cc) build packets with.
#ifndef DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_
#define DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/hsa.h"
#include "hsa/api.h"
#include "hsa/packet.h"

namespace devbin::hsa {

//===----------------------------------------------------------------------===//
// Topology (topology.cc)
//===----------------------------------------------------------------------===//

// The runtime, loaded and initialized; any failure on the way as a Status.
Result<const api::Api*> usable_api();

struct Agent {
  api::hsa_agent_t handle{};
  AgentProperties properties;
  // Where system and kernarg memory come from, nearest first: the CPU agent
  // the runtime names HSA_AMD_AGENT_INFO_NEAREST_CPU (the GPU's NUMA node),
  // then the others in the runtime's order.
  std::vector<api::hsa_agent_t> cpus;
};

struct AgentCollection {
  const api::Api* api = nullptr;
  std::vector<api::hsa_agent_t> gpus;
  std::vector<api::hsa_agent_t> cpus;
  Status error;
};

// Every agent, GPUs and CPUs apart; no GPU agent is an error.
Result<AgentCollection> collect_agents(const api::Api& runtime);
// GPU agent `index` with its properties and the CPU agents.
Result<Agent> find_agent(const api::Api& runtime, int index);

//===----------------------------------------------------------------------===//
// Memory pools (memory.cc)
//===----------------------------------------------------------------------===//

// The memory pools a device uses.
struct Pools {
  api::hsa_amd_memory_pool_t device{};   // GPU, global, coarse-grained
  api::hsa_amd_memory_pool_t host{};     // CPU, global, fine-grained
  api::hsa_amd_memory_pool_t kernarg{};  // CPU, global, kernarg-capable
  bool has_device = false;
  bool has_host = false;
  bool has_kernarg = false;
};

Result<Pools> find_pools(const api::Api& runtime, api::hsa_agent_t gpu, const std::vector<api::hsa_agent_t>& cpus,
                         const std::string& agent_name);

//===----------------------------------------------------------------------===//
// What the runtime can load (isa_support.cc)
//===----------------------------------------------------------------------===//

// An agent's ISA names split as ROCr lists them: its own first, then (ROCm
// 6.4 and later) the generic ISA the loader also accepts for it.
struct AgentIsas {
  std::vector<std::string> native;   // "amdgcn-amd-amdhsa--gfx1100"
  std::vector<std::string> generic;  // "amdgcn-amd-amdhsa--gfx11-generic"
};
AgentIsas split_isas(const std::vector<std::string>& isa_names);

// Whether the runtime lists the generic ISA `entry` (a generic code object)
// needs: ROCr loads a generic code object only for an agent whose ISA list
// names that generic processor (Isa::IsCompatible).
bool runtime_lists_generic(const AgentIsas& isas, const TocEntry& entry);

// The ROCm release a code object needs: code object v6 loads from ROCm 6.3,
// generic code objects from ROCm 6.4 (README, "ROCm versions").
std::string rocm_needed(uint32_t code_object_version, bool generic);

// The hint added when the loader refuses `entry` with `status`: what the
// status means for this code object (its version, generic or not), the ROCm
// it needs, and how to force another entry.
std::string load_refusal_hint(api::hsa_status_t status, const TocEntry& entry, const CodeObjectInfo& info,
                              const std::string& agent_isa);

//===----------------------------------------------------------------------===//
// Device and Queue internals
//===----------------------------------------------------------------------===//

struct Device::Impl {
  const api::Api* api = nullptr;
  api::hsa_agent_t agent{};
  Pools pools;
  api::hsa_code_object_reader_t reader{};
  api::hsa_executable_t executable{};
  bool has_reader = false;
  bool has_executable = false;
  uint32_t kernarg_slot_bytes = 0;  // one kernarg segment of any ABI kernel
  uint32_t kernarg_slot_align = 16;
  std::chrono::milliseconds wait_timeout{0};  // OpenOptions::wait_timeout

  ~Impl();  // device.cc

  // Memory from `pool` the GPU may access (memory.cc).
  Result<void*> allocate(api::hsa_amd_memory_pool_t pool, uint64_t bytes, bool system) const;
};

// The doorbell, shared with the async handlers that ring it again after an
// indirect dispatch's patcher completed (queue.cc). Values only grow: every
// store is of the highest index rung so far, under `mutex`, which is never
// held while waiting for the GPU.
struct Doorbell {
  const api::Api* api = nullptr;
  api::hsa_signal_t signal{};
  std::mutex mutex;
  std::condition_variable idle;
  int64_t last = -1;  // the highest value stored
  bool open = true;   // false once the queue is being destroyed
  int pending = 0;    // async handlers registered and not yet run

  void ring(int64_t value);
  void ring_again();  // stores `last` once more, if the queue is open
};

// A GPU memory fault as a queue keeps it: the first one the runtime
// reported for the queue's agent (fault.cc).
struct FaultRecord {
  api::hsa_agent_t agent{};
  std::mutex mutex;
  std::optional<api::hsa_amd_gpu_memory_fault_info_t> fault;  // guarded by mutex
  std::atomic<bool> faulted{false};

  void record(const api::hsa_amd_gpu_memory_fault_info_t& info);
};

// What a packet slot holds, for the messages of a wait that timed out.
enum SlotLabel : uint16_t {
  // 0 .. kKernelCount-1: a dispatch of that kernel
  kLabelIndirectBarrier = 0x100,
  kLabelIndirectTarget = 0x101,
  kLabelNoOp = 0x102,
};

// Packet slots an enqueue took: ring index `index` and on, and devbin's own
// packet number `sequence` for the first (what its kernarg slot follows).
struct Reservation {
  uint64_t index = 0;
  uint64_t sequence = 0;
};

// The queue and its kernarg ring (queue.cc).
struct Queue::Impl {
  const api::Api* api = nullptr;
  const Device* device = nullptr;
  api::hsa_queue_t* queue = nullptr;
  // devbin created `queue` and destroys it; false for a wrapped queue, where
  // other producers take slots too, so a ring slot's reuse follows the
  // queue's read index and a kernarg slot's devbin's own completions.
  bool owned = true;
  int agent_index = 0;
  std::chrono::milliseconds wait_timeout{0};
  // Every packet devbin enqueues decrements it once on completion, and the
  // barrier bit keeps completions in order: -value is the number of packets
  // completed, which frees their ring and kernarg slots.
  api::hsa_signal_t progress{};
  bool has_progress = false;
  uint8_t* kernargs = nullptr;  // kernarg_slots slots of kernarg_slot_bytes
  uint32_t kernarg_slot_bytes = 0;
  uint32_t kernarg_slots = 0;  // the ring's size: devbin's packet n uses slot n % kernarg_slots
  // Held for the whole of an enqueue: taking ring slots (and waiting for them
  // to be free), writing their kernargs and packets, ringing the doorbell.
  // One enqueue's packets are therefore contiguous in the ring, and doorbell
  // values only grow, whichever threads enqueue.
  std::mutex mutex;
  uint64_t submitted = 0;  // devbin's packets enqueued on the queue; guarded by `mutex`
  std::atomic<int> error{api::HSA_STATUS_SUCCESS};
  std::shared_ptr<Doorbell> doorbell;
  std::unique_ptr<std::atomic<uint16_t>[]> labels;  // a SlotLabel per ring slot
  // Set when an indirect dispatch could not arrange its doorbell to ring
  // again (hsa_amd_signal_async_handler absent or refused): said in a timeout.
  std::atomic<int> rering_failure{api::HSA_STATUS_SUCCESS};

  FaultRecord faults;  // a GPU memory fault on this queue's agent (fault.cc delivers it)

  static void on_error(api::hsa_status_t status, api::hsa_queue_t*, void* data);

  // The queue's failure, if it has one: a memory fault, or the runtime's
  // queue error (bad packet, illegal instruction, ...).
  Status queue_error();

  // Waits until `count` packets have completed, at most wait_timeout;
  // `operation` names what waits, for the timeout's message.
  Status wait_completed(uint64_t count, std::string_view operation);

  // `count` packet slots at the write index (INVALID headers), once the
  // packets that used them before have been consumed, with as many kernarg
  // slots. Called with `mutex` held; `operation` names the enqueue, for a
  // timeout's message. The caller publishes all `count` packets (or no-ops)
  // and then calls published(count).
  Result<Reservation> reserve_slots(uint64_t count, std::string_view operation);
  void published(uint64_t count) { submitted += count; }
  // Waits until the packet processor has consumed every packet before ring
  // index `index` (a wrapped queue's other producers' too), at most wait_timeout.
  Status wait_consumed(uint64_t index, std::string_view operation);
  void label(uint64_t index, uint16_t what);

  // After packet `index` (an indirect dispatch's patcher) completes, the
  // doorbell is rung once more: an interception layer (ROCr's InterceptQueue,
  // loaded with rocprofiler and other tools) forwards packets to the GPU only
  // up to the first INVALID header and moves on only at the next doorbell,
  // so the target packet the patcher publishes would never be forwarded.
  void ring_again_after(uint64_t index);

  void* slot(uint64_t index) const;
  // The kernarg segment of devbin's packet number `sequence`.
  uint8_t* kernarg_slot(uint64_t sequence) const;

  // Tells the packet processor packets up to `last_index` are there.
  void ring_doorbell(uint64_t last_index);

  // Fills reserved slots whose packet could not be built with no-ops, so the
  // packet processor moves on.
  void publish_no_ops(std::initializer_list<void*> slots);

  ~Impl();
};

//===----------------------------------------------------------------------===//
// GPU memory faults (fault.cc)
//===----------------------------------------------------------------------===//

// Registers devbin's system event handler with the runtime, once per runtime
// (hsa_amd_register_system_event_handler, where the runtime has it). The
// handler takes a memory fault on an agent where devbin holds a queue, so the
// runtime does not abort the process, and hands it to those queues.
void install_fault_handler(const api::Api& runtime);
// A queue takes the faults of its agent from creation to destruction.
void watch_faults(FaultRecord* record);
void unwatch_faults(FaultRecord* record);
// "a GPU memory fault at address 0x1000 (page not present or supervisor privilege)".
std::string describe_fault(const api::hsa_amd_gpu_memory_fault_info_t& info);

}  // namespace devbin::hsa

#endif  // DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_
