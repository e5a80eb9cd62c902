// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The test-only HSA runtime stand-in (fake_runtime.cc): what a test can ask it
// and how it is configured. It implements the entry points devbin resolves,
// shows GPU agents with the ISAs a test names, loads code objects as ROCm's
// loader does (PT_LOAD segments into memory; a kernel object is the address
// of its kernel descriptor there), and runs AQL queues on host threads:
// barrier-AND packets wait on their signals, kernel-dispatch packets go to
// the executor it was built with (kernel_executor.h): the host build of the
// device library, or the code object's machine code on the AMDGPU emulator.
// It stands in for hardware this machine lacks; it does not imitate a real
// runtime's timing, memory model or error behaviour beyond what is written here.
#ifndef DEVBIN_TESTS_HSA_FAKE_RUNTIME_H_
#define DEVBIN_TESTS_HSA_FAKE_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

// Configuration, read from the environment when the runtime needs it.
#define DEVBIN_FAKE_HSA_AGENTS_ENV "DEVBIN_FAKE_HSA_AGENTS"  // "gfx1100,gfx90a:xnack-" (default "gfx1100")
#define DEVBIN_FAKE_HSA_KERNARG_DELTA_ENV "DEVBIN_FAKE_HSA_KERNARG_DELTA"  // added to reported kernarg sizes
#define DEVBIN_FAKE_HSA_REJECT_ENV "DEVBIN_FAKE_HSA_REJECT"                // "1": loading fails with INVALID_ISA
// The emulator executor's emulator: the folder of ../shared/amdgpu-emulator.
#define DEVBIN_AMDGPU_EMULATOR_ENV "DEVBIN_AMDGPU_EMULATOR"

#ifdef __cplusplus
extern "C" {
#endif

// One kernel-dispatch packet as the packet processor took it.
typedef struct devbin_fake_hsa_dispatch_t {
  char kernel[64];  // the kernel's name, "" for an unknown kernel object
  uint16_t header;
  uint16_t setup;
  uint16_t workgroup_size[3];
  uint32_t grid_size[3];
  uint64_t kernarg_address;
  uint64_t completion_signal;
  uint64_t queue_index;  // the packet's index in its queue
} devbin_fake_hsa_dispatch_t;

// Every kernel-dispatch packet processed so far, in order (all queues).
size_t devbin_fake_hsa_dispatch_count(void);
int devbin_fake_hsa_dispatch_at(size_t index, devbin_fake_hsa_dispatch_t* out);
// Packets of any type processed so far, and doorbell writes seen.
uint64_t devbin_fake_hsa_packet_count(void);
// Bytes allocated from memory pools and not freed.
uint64_t devbin_fake_hsa_live_bytes(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // DEVBIN_TESTS_HSA_FAKE_RUNTIME_H_
