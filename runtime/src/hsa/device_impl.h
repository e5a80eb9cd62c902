// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the HSA backend's files share: the runtime, agents (topology.cc),
// memory pools (memory.cc), and the internals of Device (device.cc) and
// Queue (queue.cc) that the operations (operations.cc) build packets with.
#ifndef DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_
#define DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <vector>

#include "devbin/hsa.h"
#include "hsa/api.h"
#include "hsa/packet.h"

namespace devbin::hsa {

//===----------------------------------------------------------------------===//
// Topology (topology.cc)
//===----------------------------------------------------------------------===//

// The runtime, loaded and initialized; any failure on the way as a Status.
Result<const api::Api*> usable_runtime();

struct Agent {
  api::hsa_agent_t handle{};
  AgentProperties properties;
  std::vector<api::hsa_agent_t> cpus;  // where system and kernarg memory come from
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

  ~Impl();  // device.cc

  // Memory from `pool` the GPU may access (memory.cc).
  Result<void*> allocate(api::hsa_amd_memory_pool_t pool, uint64_t bytes, bool system) const;
};

// The queue and its kernarg ring (queue.cc).
struct Queue::Impl {
  const api::Api* api = nullptr;
  api::hsa_queue_t* queue = nullptr;
  // Every packet devbin enqueues decrements it once on completion, and the
  // barrier bit keeps completions in order: -value is the number of packets
  // completed, which frees their ring and kernarg slots.
  api::hsa_signal_t progress{};
  bool has_progress = false;
  uint8_t* kernargs = nullptr;  // `size` slots of kernarg_slot_bytes
  uint32_t kernarg_slot_bytes = 0;
  // Held for the whole of an enqueue: taking ring slots (and waiting for them
  // to be free), writing their kernargs and packets, ringing the doorbell.
  // One enqueue's packets are therefore contiguous in the ring, and doorbell
  // values only grow, whichever threads enqueue.
  std::mutex mutex;
  uint64_t submitted = 0;  // packets enqueued (the doorbell's last value + 1); guarded by `mutex`
  std::atomic<int> error{api::HSA_STATUS_SUCCESS};

  static void on_error(api::hsa_status_t status, api::hsa_queue_t*, void* data);

  Status queue_error() const;

  // Waits until `count` packets have completed.
  Status wait_completed(uint64_t count) const;

  // `count` packet slots at the write index (INVALID headers), once the
  // packets that used them before have completed. Called with `mutex` held.
  Result<uint64_t> reserve_slots(uint64_t count);

  void* slot(uint64_t index) const;
  // The kernarg segment that goes with packet slot `index`.
  uint8_t* kernarg_slot(uint64_t index) const;

  // Tells the packet processor packets up to `last_index` are there.
  void ring_doorbell(uint64_t last_index);

  // Fills reserved slots whose packet could not be built with no-ops, so the
  // packet processor moves on.
  void publish_no_ops(std::initializer_list<void*> slots);

  ~Impl();
};

}  // namespace devbin::hsa

#endif  // DEVBIN_RUNTIME_SRC_HSA_DEVICE_IMPL_H_
