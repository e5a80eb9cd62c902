// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's packet builders: kernel checks against the loader, AQL
// headers and packets, writing them into a ring, the three packets of an
// indirect dispatch, grid sizing. Pure functions over plain memory (packet.cc),
// so the tests check them on machines without a GPU; runtime authors use
// Device's operations instead, and hsa.h keeps what they need (write_kernargs
// and IndirectDispatch for dispatch_indirect's target).
#ifndef DEVBIN_RUNTIME_SRC_HSA_PACKET_H_
#define DEVBIN_RUNTIME_SRC_HSA_PACKET_H_

#include <cstdint>
#include <span>

#include "devbin/code_object.h"
#include "devbin/hsa.h"
#include "devbin/status.h"
#include "device/abi.h"

namespace devbin::hsa {

// The loader's view of a kernel against its code object's metadata: sizes
// must agree (a disagreement means the blob's metadata cannot be trusted to
// lay out the kernargs), the kernel object must be set. Alignment is not
// compared: ROCm's loader reports 16 for every code object v3+ kernel
// whatever the metadata says; kernarg_alignment() takes the larger.
Status check_loaded_kernel(const KernelInfo& metadata, const LoadedKernel& loaded);
uint32_t kernarg_alignment(const KernelInfo& metadata, const LoadedKernel& loaded);

// AQL header: type | barrier << 8 | acquire scope << 9 | release scope << 11.
uint16_t aql_header(uint16_t type, bool barrier, uint16_t acquire_scope, uint16_t release_scope);
// Every packet devbin enqueues: in order after the previous one, with system-scope
// fences so host-written inputs are seen and results reach the host.
uint16_t ordered_header(uint16_t type);
// Kernel-dispatch setup field: dimensions in bits 0..1.
uint16_t aql_dispatch_setup(uint16_t dimensions);

// A kernel-dispatch packet body; the header stays INVALID until published.
devbin_aql_kernel_dispatch_packet_t make_dispatch_packet(const LoadedKernel& kernel, const DispatchGeometry& geometry,
                                                         DevicePtr kernarg_address, uint64_t completion_signal);

// hsa_barrier_and_packet_t.
struct AqlBarrierAndPacket {
  uint16_t header = DEVBIN_AQL_PACKET_TYPE_INVALID;
  uint16_t reserved0 = 0;
  uint32_t reserved1 = 0;
  uint64_t dep_signal[5] = {};
  uint64_t reserved2 = 0;
  uint64_t completion_signal = 0;
};
static_assert(sizeof(AqlBarrierAndPacket) == 64, "AQL packets are 64 bytes");
// Waits for up to five signals (zero handles are ignored by the packet processor).
Result<AqlBarrierAndPacket> make_barrier_and_packet(std::span<const uint64_t> dependencies, uint64_t completion_signal);

// Writing packets into an AQL ring (`slot` is 64 bytes, 64-byte aligned):
// reserve (INVALID header), write the body (bytes 4..63), publish header and
// setup with one 32-bit release store, after a store fence (the ring may be
// write-combined device memory), so the packet processor never sees a
// half-written packet.
void reserve_packet(void* slot);
void write_packet_body(void* slot, const void* packet);
void publish_packet(void* slot, uint16_t header, uint16_t setup);
// The slot of packet `index` in a ring of `size` packets (a power of two).
void* packet_slot(void* ring, uint32_t size, uint64_t index);

// The three packets of an indirect dispatch, in queue order: the patcher
// kernel (devbin_dispatch_patch), a barrier-AND that orders the target after
// the patcher's writes, and the target packet, its body written by the host
// and its header left INVALID for the patcher to publish (with grid =
// counts × workgroup size; a zero or refused count turns it into a no-op).
struct IndirectPackets {
  devbin_dispatch_args_t patch_args{};  // the patcher's explicit kernargs
  devbin_aql_kernel_dispatch_packet_t patcher{};
  uint16_t patcher_header = 0;
  uint16_t patcher_setup = 0;
  AqlBarrierAndPacket barrier;
  uint16_t barrier_header = 0;
  devbin_aql_kernel_dispatch_packet_t target{};  // header INVALID
};
Result<IndirectPackets> make_indirect_dispatch(const LoadedKernel& patcher, DevicePtr patcher_kernarg_address,
                                               const IndirectDispatch& request, DevicePtr target_packet_address,
                                               uint64_t completion_signal);

// Checks a geometry as write_kernargs and the packets need it: 1..3
// dimensions, 16-bit workgroup sizes, no zero grid, unused dimensions 1.
Status check_geometry(const DispatchGeometry& geometry);

// Work-group count for `work_items` independent items handled by a
// grid-stride loop: at most one resident wave of groups on the device.
uint32_t workgroup_count(const LaunchLimits& limits, uint64_t work_items);

}  // namespace devbin::hsa

#endif  // DEVBIN_RUNTIME_SRC_HSA_PACKET_H_
