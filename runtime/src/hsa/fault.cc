// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's GPU memory faults. ROCr learns of a fault from the kernel
// driver and calls every handler registered with
// hsa_amd_register_system_event_handler; unless one returns
// HSA_STATUS_SUCCESS it prints "Memory access fault by GPU node-..." and
// aborts the process (core/runtime/runtime.cpp, Runtime::VMFaultHandler). The
// queue's own error callback covers what the command processor reports (a
// bad packet, an illegal instruction) and, on newer kernel drivers only, the
// fault too. So devbin registers a handler: it takes the faults of every
// agent where devbin holds a queue and marks those queues failed, and
// synchronize() reports the fault's address and reasons.
//
// The event names the agent, not the queue, and after a fault the kernel
// driver stops the process's queues on that GPU, so every devbin queue of the
// agent fails with it. A fault on an agent where devbin holds no queue is not
// devbin's to take: the handler declines it and the runtime does as it would
// without devbin.
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "devbin_internal/text.h"
#include "hsa/device_impl.h"

namespace devbin::hsa {
namespace {

// Process-wide: ROCr keeps a handler for the life of the runtime, and has no
// way to unregister one, so the registry is never destroyed.
struct FaultRegistry {
  std::mutex mutex;
  std::set<const api::Api*> installed;
  std::multimap<uint64_t, FaultRecord*> queues;  // by agent handle
};

FaultRegistry& registry() {
  static auto* instance = new FaultRegistry();
  return *instance;
}

api::hsa_status_t on_system_event(const api::hsa_amd_event_t* event, void*) {
  if (event == nullptr || event->event_type != api::HSA_AMD_GPU_MEMORY_FAULT_EVENT) return api::HSA_STATUS_ERROR;
  const api::hsa_amd_gpu_memory_fault_info_t fault = event->memory_fault;
  FaultRegistry& faults = registry();
  std::lock_guard<std::mutex> lock(faults.mutex);
  auto [first, last] = faults.queues.equal_range(fault.agent.handle);
  if (first == last) return api::HSA_STATUS_ERROR;  // not devbin's agent
  for (auto it = first; it != last; ++it) it->second->record(fault);
  return api::HSA_STATUS_SUCCESS;
}

struct ReasonName {
  uint32_t bit;
  const char* text;
};
// hsa_amd_memory_fault_reason_t, in the words of ROCr's own message.
constexpr ReasonName kReasons[] = {
    {api::HSA_AMD_MEMORY_FAULT_PAGE_NOT_PRESENT, "page not present or supervisor privilege"},
    {api::HSA_AMD_MEMORY_FAULT_READ_ONLY, "write access to a read-only page"},
    {api::HSA_AMD_MEMORY_FAULT_NX, "execute access to a page marked NX"},
    {api::HSA_AMD_MEMORY_FAULT_HOST_ONLY, "GPU access to a host-only page"},
    {api::HSA_AMD_MEMORY_FAULT_DRAMECC, "DRAM ECC failure"},
    {api::HSA_AMD_MEMORY_FAULT_IMPRECISE, "the address may not be exact"},
    {api::HSA_AMD_MEMORY_FAULT_SRAMECC, "SRAM ECC failure"},
    {api::HSA_AMD_MEMORY_FAULT_HANG, "GPU reset after a hang"},
};

}  // namespace

void install_fault_handler(const api::Api& runtime) {
  if (runtime.hsa_amd_register_system_event_handler == nullptr) return;  // such a runtime aborts on a fault
  FaultRegistry& faults = registry();
  std::lock_guard<std::mutex> lock(faults.mutex);
  if (!faults.installed.insert(&runtime).second) return;
  // Runtimes before ROCm 6 take one handler per process and refuse a second
  // (HSA_STATUS_ERROR): another library's handler then decides, as it would
  // without devbin. Nothing else can fail here.
  (void)runtime.hsa_amd_register_system_event_handler(on_system_event, nullptr);
}

void watch_faults(FaultRecord* queue) {
  FaultRegistry& faults = registry();
  std::lock_guard<std::mutex> lock(faults.mutex);
  faults.queues.emplace(queue->agent.handle, queue);
}

void unwatch_faults(FaultRecord* queue) {
  FaultRegistry& faults = registry();
  std::lock_guard<std::mutex> lock(faults.mutex);
  for (auto it = faults.queues.begin(); it != faults.queues.end(); ++it) {
    if (it->second == queue) {
      faults.queues.erase(it);
      return;
    }
  }
}

std::string describe_fault(const api::hsa_amd_gpu_memory_fault_info_t& info) {
  std::string reasons;
  uint32_t known = 0;
  for (const ReasonName& reason : kReasons) {
    known |= reason.bit;
    if ((info.fault_reason_mask & reason.bit) == 0) continue;
    reasons += (reasons.empty() ? "" : "; ") + std::string(reason.text);
  }
  if ((info.fault_reason_mask & ~known) != 0 || reasons.empty()) {
    reasons += (reasons.empty() ? "" : "; ") + std::string("reason mask ") + util::hex(info.fault_reason_mask);
  }
  return "a GPU memory fault at address " + util::hex(info.virtual_address) + " (" + reasons + ")";
}

void FaultRecord::record(const api::hsa_amd_gpu_memory_fault_info_t& info) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!fault.has_value()) fault = info;  // the first fault is the cause
  }
  faulted.store(true, std::memory_order_release);
}

}  // namespace devbin::hsa
