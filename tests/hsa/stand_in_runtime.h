// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The test-only HSA runtime stand-in (stand_in_runtime.cc): what a test can ask it
// and how it is configured. It implements the entry points devbin resolves,
// shows GPU agents with the ISAs a test names, loads code objects as ROCm's
// loader does (PT_LOAD segments into memory; a kernel object is the address
// of its kernel descriptor there), and runs AQL queues on host threads:
// barrier-AND packets wait on their signals, kernel-dispatch packets go to
// the executor it was built with (kernel_executor.h): the host build of the
// device library, or the code object's machine code on the AMDGPU emulator.
// It stands in for hardware this machine lacks; it does not imitate a real
// runtime's timing, memory model or error behaviour beyond what is written here.
//
// What it models of ROCr (ROCm's HSA runtime) besides:
//   - the ISA list and the loader of a ROCm generation (DEVBIN_STAND_IN_HSA_ROCM):
//     6.4 lists each agent's ISA then its generic ISA and loads generic code
//     objects; 6.3 lists no generic ISA and refuses generic code objects
//     (gfx9, gfx10-1, gfx10-3 and gfx11 generic with INVALID_ISA_NAME,
//     gfx9-4 and gfx12 generic with INVALID_CODE_OBJECT); 5.2 (Debian's)
//     also refuses code object v6 with INVALID_CODE_OBJECT;
//   - the GPU's page table: a kernel-dispatch packet of one of devbin's
//     kernels whose arguments (device/abi.h) or kernarg segment reach memory
//     no pool allocation or queue ring covers faults before it runs, at the
//     first unmapped byte, as the GPU's MMU would (a real GPU faults mid-kernel);
//     for devbin_batch the table and every operation the kernel would run
//     (not those it skips), for the rect kernels every row of both regions;
//   - pool allocations of more than the address space can hold fail
//     (OUT_OF_RESOURCES), never wrap to a small block;
//   - ROCr's VM-fault handling: the fault goes to every handler registered
//     with hsa_amd_register_system_event_handler; unless one returns
//     HSA_STATUS_SUCCESS, ROCr's "Memory access fault by GPU node-..." goes to
//     stderr and the process aborts. Either way the agent's queues stop (the
//     kernel driver evicts them) and the faulting packet never completes;
//   - an interception layer (DEVBIN_STAND_IN_HSA_INTERCEPT): ROCr's
//     InterceptQueue forwards packets to the GPU only at a doorbell, up to
//     the first INVALID header;
//   - a hung GPU (DEVBIN_STAND_IN_HSA_HANG_AFTER);
//   - two NUMA nodes (DEVBIN_STAND_IN_HSA_CPU_NODES), each a CPU agent with its
//     own pools, and HSA_AMD_AGENT_INFO_NEAREST_CPU;
//   - waits in system timestamp ticks at HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY
//     (25 MHz here, so a timeout given in nanoseconds is 40 times too long).
#ifndef DEVBIN_TESTS_HSA_STAND_IN_RUNTIME_H_
#define DEVBIN_TESTS_HSA_STAND_IN_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

// Configuration, read from the environment when the runtime needs it.
#define DEVBIN_STAND_IN_HSA_AGENTS_ENV "DEVBIN_STAND_IN_HSA_AGENTS"  // "gfx1100,gfx90a:xnack-" (default "gfx1100")
#define DEVBIN_STAND_IN_HSA_KERNARG_DELTA_ENV "DEVBIN_STAND_IN_HSA_KERNARG_DELTA"  // added to reported kernarg sizes
#define DEVBIN_STAND_IN_HSA_REJECT_ENV "DEVBIN_STAND_IN_HSA_REJECT"                // "1": loading fails with INVALID_ISA
#define DEVBIN_STAND_IN_HSA_ROCM_ENV "DEVBIN_STAND_IN_HSA_ROCM"                    // "6.4" (default), "6.3", "5.2"
#define DEVBIN_STAND_IN_HSA_CPU_NODES_ENV "DEVBIN_STAND_IN_HSA_CPU_NODES"  // "2": GPU agent k is nearest CPU agent k % 2
#define DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV "DEVBIN_STAND_IN_HSA_HANG_AFTER"  // "N": each queue processes N packets, then hangs
#define DEVBIN_STAND_IN_HSA_INTERCEPT_ENV "DEVBIN_STAND_IN_HSA_INTERCEPT"    // "1": queues created are intercepted
// "1": hsa_amd_signal_async_handler fails (HSA_STATUS_ERROR_OUT_OF_RESOURCES).
#define DEVBIN_STAND_IN_HSA_NO_ASYNC_HANDLER_ENV "DEVBIN_STAND_IN_HSA_NO_ASYNC_HANDLER"
// "1": hsa_amd_register_system_event_handler fails (HSA_STATUS_ERROR), as
// ROCm 5's does when another handler was registered first.
#define DEVBIN_STAND_IN_HSA_REFUSE_EVENT_HANDLER_ENV "DEVBIN_STAND_IN_HSA_REFUSE_EVENT_HANDLER"
// "1": a memory fault also reaches the queues' error callbacks as
// HSA_STATUS_ERROR_MEMORY_FAULT (kernel drivers with exception reporting).
#define DEVBIN_STAND_IN_HSA_FAULT_QUEUE_ERROR_ENV "DEVBIN_STAND_IN_HSA_FAULT_QUEUE_ERROR"
// "gfx90a": GPU agents of that target fail hsa_agent_iterate_isas
// (HSA_STATUS_ERROR), as a runtime does for an agent it cannot describe.
#define DEVBIN_STAND_IN_HSA_BROKEN_AGENT_ENV "DEVBIN_STAND_IN_HSA_BROKEN_AGENT"
// The emulator executor's emulator: the folder of ../shared/amdgpu-emulator.
#define DEVBIN_AMDGPU_EMULATOR_ENV "DEVBIN_AMDGPU_EMULATOR"

#ifdef __cplusplus
extern "C" {
#endif

// One kernel-dispatch packet as the packet processor took it.
typedef struct devbin_stand_in_hsa_dispatch_t {
  char kernel[64];  // the kernel's name, "" for an unknown kernel object
  uint16_t header;
  uint16_t setup;
  uint16_t workgroup_size[3];
  uint32_t grid_size[3];
  uint64_t kernarg_address;
  uint64_t completion_signal;
  uint64_t queue_index;  // the packet's index in its queue
} devbin_stand_in_hsa_dispatch_t;

// Every kernel-dispatch packet processed so far, in order (all queues).
size_t devbin_stand_in_hsa_dispatch_count(void);
int devbin_stand_in_hsa_dispatch_at(size_t index, devbin_stand_in_hsa_dispatch_t* out);
// Packets of any type processed so far, and doorbell writes seen.
uint64_t devbin_stand_in_hsa_packet_count(void);
// Bytes allocated from memory pools and not freed.
uint64_t devbin_stand_in_hsa_live_bytes(void);
// The NUMA node of the CPU agent whose pool the allocation holding `pointer`
// came from; -1 for GPU memory or a pointer outside every allocation.
int devbin_stand_in_hsa_memory_node(const void* pointer);
// The last hsa_signal_wait_scacquire: its timeout_hint in nanoseconds and its
// wait state (0 BLOCKED, 1 ACTIVE); 0 when there was none.
int devbin_stand_in_hsa_last_wait(uint64_t* timeout_ns, int* wait_state);
// GPU memory faults raised so far (a handler took each, or the process aborted).
uint64_t devbin_stand_in_hsa_fault_count(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // DEVBIN_TESTS_HSA_STAND_IN_RUNTIME_H_
