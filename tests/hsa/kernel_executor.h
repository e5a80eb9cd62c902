// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What runs a kernel in the HSA runtime stand-in (stand_in_runtime.cc). The
// stand-in is one HSA runtime (agents, memory pools, the loader, AQL queues
// and their packet processor) linked with one of two executors:
//   host_executor.cc      the host build of the device library (tests/device),
//                         chosen by kernel name: fast, no AMDGPU code involved;
//   emulator_executor.cc  the code object's own AMDGPU machine code, run on the
//                         instruction-set emulator of DEVBIN_AMDGPU_EMULATOR.
// The runtime calls these from its packet processors; an executor runs one
// dispatch at a time, to completion.
#ifndef DEVBIN_TESTS_HSA_KERNEL_EXECUTOR_H_
#define DEVBIN_TESTS_HSA_KERNEL_EXECUTOR_H_

#include <cstdint>
#include <string>

#include "device/abi.h"
#include "hsa/api.h"

namespace devbin::hsa::stand_in {

// A code object as the loader placed it: every PT_LOAD segment at
// base + p_vaddr, in one allocation (host memory is the emulated GPU's memory).
struct LoadedImage {
  uint8_t* base = nullptr;
  uint64_t size = 0;
  uint32_t elf_flags = 0;  // e_flags: EF_AMDGPU_MACH and the feature bits
};

// A kernel of a loaded image. The kernel object packets carry is the address
// of its 64-byte kernel descriptor (`<name>.kd`) inside the image, as with
// ROCm's loader.
struct LoadedKernelSymbol {
  std::string name;  // "devbin_fill", without ".kd"
  const LoadedImage* image = nullptr;
  uint64_t descriptor = 0;  // address of the kernel descriptor
};

// The GPU agent a dispatch runs on.
struct AgentModel {
  std::string processor;  // "gfx1100"
  uint32_t wavefront_size = 0;
};

// One kernel-dispatch packet, taken from the ring: `packet` points at the
// ring slot itself, which stays untouched until the dispatch returns.
struct KernelDispatch {
  const AgentModel* agent = nullptr;
  const LoadedKernelSymbol* kernel = nullptr;
  const devbin_aql_kernel_dispatch_packet_t* packet = nullptr;
  const api::hsa_queue_t* queue = nullptr;
  uint64_t dispatch_id = 0;  // the packet's index in its queue
};

// Called by the loader for each code object an executable loads for
// `agent`: HSA_STATUS_SUCCESS, or the status the load returns with what went
// wrong in `error` (hsa_status_string reports it).
api::hsa_status_t executor_accepts(const AgentModel& agent, const LoadedImage& image, std::string* error);

// The rate of the clock kernels read (devbin_timestamp_record_t::steady), in
// Hz, as HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY reports it.
uint64_t executor_timestamp_frequency_hz();

// Runs one dispatch to completion: HSA_STATUS_SUCCESS, or the status the
// queue's error callback receives (the queue then stops), with what went
// wrong in `error`.
api::hsa_status_t executor_run(const KernelDispatch& dispatch, std::string* error);

}  // namespace devbin::hsa::stand_in

#endif  // DEVBIN_TESTS_HSA_KERNEL_EXECUTOR_H_
