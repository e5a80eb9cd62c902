// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The host (x86-64, gcc or clang): the kernels run on the CPU over a grid the
// host launcher (target/host_launch.h) emulates, one wavefront of fibers at a
// time, so that kernel logic is unit-tested without a GPU. The ids read the
// work-item the launcher is running now.
#ifndef DEVBIN_DEVICE_TARGET_HOST_H_
#define DEVBIN_DEVICE_TARGET_HOST_H_

// Included by target.h only, after its memory types.
#define DEVBIN_KERNEL
#define DEVBIN_GLOBAL

// What the launcher tells the running work-item about itself.
typedef struct devbin_host_work_item_t {
  uint32_t workitem_id;
  uint32_t workgroup_id;
  uint32_t workgroup_size;
  uint32_t lane_id;
  uint32_t lane_count;
  uint64_t grid_size;
} devbin_host_work_item_t;

// Set by the launcher before it resumes a work-item.
extern _Thread_local const devbin_host_work_item_t* devbin_host_current_work_item;

// Implemented by the launcher: a lockstep exchange among the fibers of one
// wavefront; a call from a partial wavefront or a diverged one is recorded as
// a launch error.
uint32_t devbin_host_shuffle_u32(uint32_t value, uint32_t lane);
uint64_t devbin_host_steady_clock(void);

static inline uint32_t devbin_workitem_id(void) { return devbin_host_current_work_item->workitem_id; }
static inline uint32_t devbin_workgroup_id(void) { return devbin_host_current_work_item->workgroup_id; }
static inline uint32_t devbin_workgroup_size(void) { return devbin_host_current_work_item->workgroup_size; }
static inline uint64_t devbin_grid_size(void) { return devbin_host_current_work_item->grid_size; }
static inline uint32_t devbin_workgroup_count(void) {
  return (uint32_t)(devbin_host_current_work_item->grid_size / devbin_host_current_work_item->workgroup_size);
}
static inline uint32_t devbin_lane_count(void) { return devbin_host_current_work_item->lane_count; }
static inline uint32_t devbin_lane_id(void) { return devbin_host_current_work_item->lane_id; }
static inline uint32_t devbin_shuffle_u32(uint32_t value, uint32_t lane) {
  return devbin_host_shuffle_u32(value, lane);
}

static inline uint64_t devbin_steady_clock(void) { return devbin_host_steady_clock(); }
static inline uint64_t devbin_cycle_counter(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  return 0;
#endif
}

// The host has one coherence domain: a release store is system scope.
static inline void devbin_store_release_system_u32(devbin_u32* address, uint32_t value) {
  __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

#endif  // DEVBIN_DEVICE_TARGET_HOST_H_
