// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// dispatch: devbin_dispatch_patch turns workgroup counts in device memory into
// a ready AQL kernel-dispatch packet (indirect dispatch), one work-item doing
// all of it.
#include "abi.h"
#include "target/target.h"

typedef DEVBIN_GLOBAL devbin_aql_kernel_dispatch_packet_t devbin_global_packet;

// The packet's first dword: header, then setup (the barrier-AND packet's
// reserved0). Storing it last, with release ordering at system scope, is what
// hands the packet to the packet processor: every other field is visible
// before it sees a valid type.
DEVBIN_INLINE void devbin_publish_packet(devbin_global_packet* packet, uint16_t header, uint16_t setup) {
  devbin_store_release_system_u32((DEVBIN_GLOBAL devbin_u32*)packet, (uint32_t)header | (uint32_t)setup << 16);
}

// A barrier-AND packet with no dependency signals (hsa_barrier_and_packet_t:
// bytes 4..55 zero) that keeps the host's completion signal at byte 56, so
// whoever waits on that signal still wakes. It keeps the requested header's
// barrier bit and fence scopes.
DEVBIN_INLINE void devbin_make_no_op(devbin_global_packet* packet, uint16_t header) {
  DEVBIN_GLOBAL devbin_u32* const reserved1 = (DEVBIN_GLOBAL devbin_u32*)packet + 1;
  *reserved1 = 0;
  DEVBIN_GLOBAL devbin_u64* const body = (DEVBIN_GLOBAL devbin_u64*)packet;
  for (uint32_t k = 1; k < 7; ++k) body[k] = 0;  // bytes 8..55: dep_signal[5], reserved2
  const uint16_t type_mask = 0xffu << DEVBIN_AQL_HEADER_TYPE_SHIFT;
  const uint16_t barrier_and =
      (uint16_t)((header & ~type_mask) | DEVBIN_AQL_PACKET_TYPE_BARRIER_AND << DEVBIN_AQL_HEADER_TYPE_SHIFT);
  devbin_publish_packet(packet, barrier_and, 0);
}

// Checks counts against the limits, in the order the status codes report:
// an error wins over an empty grid.
DEVBIN_INLINE uint32_t devbin_check_counts(const uint32_t counts[3], const devbin_dispatch_args_t* args,
                                           uint32_t grid_size[3]) {
  for (uint32_t d = 0; d < 3; ++d) {
    // The packet holds workgroup sizes in 16 bits.
    if (counts[d] > args->max_workgroup_count[d] || args->workgroup_size[d] > 0xffffu) {
      return DEVBIN_DISPATCH_STATUS_OVER_LIMIT;
    }
  }
  bool empty = false;
  for (uint32_t d = 0; d < 3; ++d) {
    const uint64_t size = (uint64_t)counts[d] * args->workgroup_size[d];
    if (size > 0xffffffffu) return DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW;
    grid_size[d] = (uint32_t)size;
    empty = empty || size == 0;
  }
  return empty ? DEVBIN_DISPATCH_STATUS_EMPTY : DEVBIN_DISPATCH_STATUS_OK;
}

DEVBIN_KERNEL void devbin_dispatch_patch(devbin_dispatch_args_t args) {
  if (devbin_global_id() != 0) return;

  const DEVBIN_GLOBAL devbin_u32* const source = (const DEVBIN_GLOBAL devbin_u32*)(uintptr_t)args.workgroup_counts;
  const uint32_t counts[3] = {source[0], source[1], source[2]};
  devbin_global_packet* const packet = (devbin_global_packet*)(uintptr_t)args.packet;

  uint32_t grid_size[3] = {0, 0, 0};
  const uint32_t status = devbin_check_counts(counts, &args, grid_size);
  // Written before the packet is published, so a host that waits on the
  // packet's completion reads the status of this very patch.
  if (args.status != 0) *(DEVBIN_GLOBAL devbin_u32*)(uintptr_t)args.status = status;

  if (status != DEVBIN_DISPATCH_STATUS_OK) {
    devbin_make_no_op(packet, args.header);
    return;
  }
  packet->workgroup_size_x = (uint16_t)args.workgroup_size[0];
  packet->workgroup_size_y = (uint16_t)args.workgroup_size[1];
  packet->workgroup_size_z = (uint16_t)args.workgroup_size[2];
  packet->reserved0 = 0;
  packet->grid_size_x = grid_size[0];
  packet->grid_size_y = grid_size[1];
  packet->grid_size_z = grid_size[2];
  // The target's hidden block counts, before the publish's release store
  // makes them visible with the packet.
  if (args.target_kernargs != 0) {
    DEVBIN_GLOBAL devbin_u32* const block_count =
        (DEVBIN_GLOBAL devbin_u32*)(uintptr_t)(args.target_kernargs + args.hidden_block_count_offset);
    for (uint32_t d = 0; d < 3; ++d) block_count[d] = counts[d];
  }
  devbin_publish_packet(packet, args.header, args.setup);
}
