// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// AMDGPU (amdgcn-amd-amdhsa, code object v6, every generic target we ship).
//
// Workgroup size and grid size come from the AQL dispatch packet, not from
// the hidden kernel arguments: the kernels then need no hidden arguments, so
// their kernarg segment is exactly the one argument struct.
#ifndef DEVBIN_DEVICE_TARGET_AMDGPU_H_
#define DEVBIN_DEVICE_TARGET_AMDGPU_H_

// Included by target.h only, after its memory types.

// Code size (blit.h's knobs). Every code object of the AMDGPU set carries
// every kernel, one per processor family, so the set is kept small
// (bench/RESULTS.md has the sizes):
// - the range helpers out of line: one copy that every blit kernel calls
//   (s_getpc_b64 and s_swappc_b64; the return is s_setpc_b64). With the
//   copy knobs below the helpers need none of the callee-saved VGPRs (v40
//   and up), so no call stores registers to scratch:
//   tests/build_tools/device_binaries_test.py checks that every kernel has
//   private_segment_fixed_size 0 and no dynamic stack;
// - one misaligned-copy body with the shift's dword part chosen at run time,
//   every block range-checked, one row of words per lane and step, and a
//   one-word run for launches that are not whole wavefronts: the body is
//   compiled twice instead of 16 times.
// (build_tools/device_flags.json also compiles AMDGPU with -Os.) The price is
// a call per range, a few selects and compares per 16-byte word and fewer
// loads in flight per lane (bench/RESULTS.md says what is known of the cost).
#ifndef DEVBIN_RANGE
#define DEVBIN_RANGE static __attribute__((noinline))
#endif
#ifndef DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED
#define DEVBIN_COPY_SHIFT_DWORDS_SPECIALISED 0
#endif
#ifndef DEVBIN_COPY_UNGUARDED_BLOCKS
#define DEVBIN_COPY_UNGUARDED_BLOCKS 0
#endif
#ifndef DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE
#define DEVBIN_COPY_SHUFFLE_WORDS_PER_LANE 1
#endif
#ifndef DEVBIN_COPY_CARRY_WORDS_PER_ITEM
#define DEVBIN_COPY_CARRY_WORDS_PER_ITEM 1
#endif
#define DEVBIN_KERNEL __attribute__((amdgpu_kernel, visibility("default")))
#define DEVBIN_GLOBAL __attribute__((address_space(1)))
#define DEVBIN_CONSTANT __attribute__((address_space(4)))

static inline uint32_t devbin_workitem_id(void) { return __builtin_amdgcn_workitem_id_x(); }
static inline uint32_t devbin_workgroup_id(void) { return __builtin_amdgcn_workgroup_id_x(); }

// hsa_kernel_dispatch_packet_t: workgroup_size_x at byte 4, grid_size_x at 12.
static inline uint32_t devbin_workgroup_size(void) {
  return ((const DEVBIN_CONSTANT uint16_t*)__builtin_amdgcn_dispatch_ptr())[2];
}
static inline uint64_t devbin_grid_size(void) {
  return ((const DEVBIN_CONSTANT uint32_t*)__builtin_amdgcn_dispatch_ptr())[3];
}
// The grid need not be a multiple of the workgroup size: the last workgroup
// may be partial.
static inline uint32_t devbin_workgroup_count(void) {
  const uint32_t grid = (uint32_t)devbin_grid_size();
  const uint32_t size = devbin_workgroup_size();
  return grid / size + (grid % size != 0);
}

static inline uint32_t devbin_lane_count(void) { return __builtin_amdgcn_wavefrontsize(); }
static inline uint32_t devbin_lane_id(void) {
  return __builtin_amdgcn_mbcnt_hi(~0u, __builtin_amdgcn_mbcnt_lo(~0u, 0u));
}
static inline uint32_t devbin_shuffle_u32(uint32_t value, uint32_t lane) {
  return (uint32_t)__builtin_amdgcn_ds_bpermute((int)(lane << 2), (int)value);
}

// s_memrealtime (gfx9, gfx10) or s_sendmsg_rtn_b64 REALTIME (gfx11+).
static inline uint64_t devbin_steady_clock(void) { return __builtin_readsteadycounter(); }

// gfx11 exposes only a 20-bit SHADER_CYCLES register, which wraps within a
// millisecond: not a cycle counter a profiler can use, so it reads as "none".
// gfx9/gfx10 have s_memtime, gfx12 the 64-bit SHADER_CYCLES_HI/LO pair,
// gfx1250/gfx1251 s_get_shader_cycles_u64.
static inline uint64_t devbin_cycle_counter(void) {
#if defined(__GFX11__)
  return 0;
#else
  return __builtin_readcyclecounter();
#endif
}

static inline void devbin_store_release_system_u32(DEVBIN_GLOBAL devbin_u32* address, uint32_t value) {
  __scoped_atomic_store_n(address, value, __ATOMIC_RELEASE, __MEMORY_SCOPE_SYSTEM);
}

#endif  // DEVBIN_DEVICE_TARGET_AMDGPU_H_
