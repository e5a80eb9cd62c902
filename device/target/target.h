// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Selects the one per-target header for the builtin device library and adds
// what every target shares. device/*.c include only this, ../abi.h and
// device headers built on them (blit.h).
//
// Every target header provides:
//   DEVBIN_KERNEL                       the kernel entry attribute
//   DEVBIN_GLOBAL                       qualifier of a pointer to global memory
//   devbin_workitem_id()                work-item id in its workgroup (x)
//   devbin_workgroup_id()               workgroup id (x)
//   devbin_workgroup_size()             work-items per workgroup (x)
//   devbin_grid_size()                  work-items in the whole launch (x)
//   devbin_workgroup_count()            workgroups in the whole launch (x),
//                                       the last one possibly partial
//   devbin_lane_count(), devbin_lane_id()  wavefront/warp width and position
//   devbin_shuffle_u32(value, lane)     `value` of lane `lane` of the same
//                                       wavefront; every lane of a full
//                                       wavefront must call it together
//   devbin_steady_clock()               constant-rate clock
//   devbin_cycle_counter()              shader cycle counter, or 0
//   devbin_store_release_system_u32()   store with release ordering at
//                                       system scope (host + devices)
// Launches are one-dimensional: y and z are 1.
#ifndef DEVBIN_DEVICE_TARGET_TARGET_H_
#define DEVBIN_DEVICE_TARGET_TARGET_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Memory is reached through these types whatever object it holds (the host
// tests fill byte buffers through them), so they opt out of type-based
// aliasing. 16-byte words become single 128-bit accesses
// (global_load/store_dwordx4 or _b128 on AMDGPU, ld/st.global.v4 on NVPTX).
typedef uint8_t devbin_u8 __attribute__((may_alias));
typedef uint16_t devbin_u16 __attribute__((may_alias));
typedef uint32_t devbin_u32 __attribute__((may_alias));
typedef uint64_t devbin_u64 __attribute__((may_alias));
typedef uint32_t devbin_u32x4 __attribute__((vector_size(16), may_alias));

#if defined(__AMDGPU__)
#include "amdgpu.h"
#elif defined(__NVPTX__)
#include "nvptx.h"
#else
#include "host.h"
#endif

#define DEVBIN_INLINE static inline __attribute__((always_inline))

// Loops over a compile-time count, fully unrolled so that per-iteration
// registers never need run-time indexing.
#if defined(__clang__)
#define DEVBIN_UNROLL _Pragma("unroll")
#else
#define DEVBIN_UNROLL _Pragma("GCC unroll 16")
#endif

DEVBIN_INLINE uint64_t devbin_global_id(void) {
  return (uint64_t)devbin_workgroup_id() * devbin_workgroup_size() + devbin_workitem_id();
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_fshr)
#define DEVBIN_HAS_FSHR 1
#endif
#endif

// Bits `shift`..`shift+31` of the 64-bit value hi:lo, for shift in [0, 31]:
// one funnel shift (shf.r.wrap.b32 on NVPTX, v_alignbit_b32 on AMDGPU).
// clang leaves a select beside the shift for the portable form, hence the
// builtin where there is one.
DEVBIN_INLINE uint32_t devbin_funnel_shift_right(uint32_t lo, uint32_t hi, uint32_t shift) {
#if defined(DEVBIN_HAS_FSHR)
  return __builtin_elementwise_fshr(hi, lo, shift);
#else
  return shift == 0 ? lo : (lo >> shift) | (hi << (32u - shift));  // no shift reaches 32
#endif
}

#endif  // DEVBIN_DEVICE_TARGET_TARGET_H_
