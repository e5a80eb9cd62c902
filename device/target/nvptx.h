// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// NVPTX (nvptx64-nvidia-cuda, sm_75 and later).
#ifndef DEVBIN_DEVICE_TARGET_NVPTX_H_
#define DEVBIN_DEVICE_TARGET_NVPTX_H_

// Included by target.h only, after its memory types.
#define DEVBIN_KERNEL __attribute__((nvptx_kernel))
#define DEVBIN_GLOBAL __attribute__((address_space(1)))

static inline uint32_t devbin_workitem_id(void) { return (uint32_t)__nvvm_read_ptx_sreg_tid_x(); }
static inline uint32_t devbin_workgroup_id(void) { return (uint32_t)__nvvm_read_ptx_sreg_ctaid_x(); }
static inline uint32_t devbin_workgroup_size(void) { return (uint32_t)__nvvm_read_ptx_sreg_ntid_x(); }
static inline uint32_t devbin_workgroup_count(void) { return (uint32_t)__nvvm_read_ptx_sreg_nctaid_x(); }
// nctaid.x reaches 2^31 - 1, so the product needs 64 bits.
static inline uint64_t devbin_grid_size(void) {
  return (uint64_t)(uint32_t)__nvvm_read_ptx_sreg_nctaid_x() * (uint32_t)__nvvm_read_ptx_sreg_ntid_x();
}

static inline uint32_t devbin_lane_count(void) { return 32; }
static inline uint32_t devbin_lane_id(void) { return (uint32_t)__nvvm_read_ptx_sreg_laneid(); }
// Callers use it only in full warps, hence the full member mask.
static inline uint32_t devbin_shuffle_u32(uint32_t value, uint32_t lane) {
  return (uint32_t)__nvvm_shfl_sync_idx_i32(0xffffffffu, (int)value, (int)lane, 0x1f);
}

// %globaltimer (ns) and %clock64.
static inline uint64_t devbin_steady_clock(void) { return __builtin_readsteadycounter(); }
static inline uint64_t devbin_cycle_counter(void) { return __builtin_readcyclecounter(); }

// st.release.sys.global.b32
static inline void devbin_store_release_system_u32(DEVBIN_GLOBAL devbin_u32* address, uint32_t value) {
  __scoped_atomic_store_n(address, value, __ATOMIC_RELEASE, __MEMORY_SCOPE_SYSTEM);
}

#endif  // DEVBIN_DEVICE_TARGET_NVPTX_H_
