// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The host launcher (device/target/host_launch.h): lanes of a wavefront are
// fibers, so that lane shuffles can be emulated exactly on one CPU thread and
// lanes that diverge around a shuffle are caught.
//
// On x86-64 a fiber switch is a few instructions of our own (below): the
// tests switch tens of millions of times, and ucontext's swapcontext makes a
// sigprocmask system call on every switch. Elsewhere, ucontext.
#define _GNU_SOURCE  // ucontext, clock_gettime under -std=c11

#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && !defined(DEVBIN_HOST_FIBERS_UCONTEXT)
#define DEVBIN_HOST_FIBERS_X86_64 1
#else
#include <ucontext.h>
#endif

#include "device/target/host_launch.h"
#include "device/target/target.h"

#if defined(__SANITIZE_ADDRESS__)
#define DEVBIN_HOST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DEVBIN_HOST_ASAN 1
#endif
#endif
#if defined(DEVBIN_HOST_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define DEVBIN_HOST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DEVBIN_HOST_TSAN 1
#endif
#endif
#if defined(DEVBIN_HOST_TSAN)
#include <sanitizer/tsan_interface.h>
// For the functions a lane enters and leaves by a stack switch: no TSan
// instrumentation, so no function entry or exit is recorded for them on a
// fiber's shadow call stack (a lane never returns from fiber_main, and a
// fiber is reused for the next wavefront: it must be left with an empty one).
#if defined(__clang__)
#define DEVBIN_HOST_SWITCHES __attribute__((disable_sanitizer_instrumentation))
#else
#define DEVBIN_HOST_SWITCHES __attribute__((no_sanitize_thread))
#endif
#else
#define DEVBIN_HOST_SWITCHES
#endif

enum { kStackBytes = 256 * 1024 };

typedef enum lane_state_t { kLaneReady, kLaneWaiting, kLaneDone } lane_state_t;

// A lane's fiber outlives its wavefront: a finished lane waits at the top of
// its loop for the next wavefront (kFiberIdle), so the sanitizers' per-fiber
// state (AddressSanitizer's fake stack: an mmap, a munmap and page faults
// each) is made once per lane and thread, not once per work-item. A fiber
// abandoned at a shuffle (DIVERGED) has kernel frames on its stacks and is
// made anew (kFiberNone).
typedef enum fiber_life_t { kFiberNone, kFiberIdle } fiber_life_t;

#if defined(DEVBIN_HOST_FIBERS_X86_64)
// A suspended fiber is its stack pointer; its stack holds, from there up, the
// callee-saved registers and the address to resume at (the System V ABI lets
// a call clobber everything else). MXCSR and the x87 control word are
// callee-saved too, but nothing here changes them, so they are not switched.
typedef struct fiber_t {
  void* stack_pointer;
} fiber_t;

// void devbin_host_fiber_switch(void** save, void* load)
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".type devbin_host_fiber_switch, @function\n"
    "devbin_host_fiber_switch:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size devbin_host_fiber_switch, .-devbin_host_fiber_switch\n");
void devbin_host_fiber_switch(void** save, void* load);

static void fiber_switch(fiber_t* from, fiber_t* to) { devbin_host_fiber_switch(&from->stack_pointer, to->stack_pointer); }

// A fresh fiber's stack as devbin_host_fiber_switch leaves a suspended one,
// resuming at `entry` with the stack aligned as after a call.
static void fiber_make(fiber_t* fiber, char* stack, size_t size, void (*entry)(void)) {
  uint64_t* top = (uint64_t*)(((uintptr_t)(stack + size)) & ~(uintptr_t)15);
  *--top = 0;  // no return address: entry never returns
  *--top = (uint64_t)(uintptr_t)entry;
  for (int i = 0; i < 6; ++i) *--top = 0;  // rbp, rbx, r12..r15
  fiber->stack_pointer = top;
}
#else
typedef ucontext_t fiber_t;

static void fiber_switch(fiber_t* from, fiber_t* to) { swapcontext(from, to); }

static void fiber_make(fiber_t* fiber, char* stack, size_t size, void (*entry)(void)) {
  getcontext(fiber);
  fiber->uc_stack.ss_sp = stack;
  fiber->uc_stack.ss_size = size;
  fiber->uc_link = NULL;
  makecontext(fiber, entry, 0);
}
#endif

typedef struct wavefront_t {
  uint32_t width;  // lane_count of the launch
  uint32_t lanes;  // lanes present: width, or fewer at a workgroup's end
  void (*body)(void* context);
  void* context;
  fiber_t scheduler;
  fiber_t fiber[DEVBIN_HOST_MAX_LANES];
  devbin_host_work_item_t item[DEVBIN_HOST_MAX_LANES];
  lane_state_t state[DEVBIN_HOST_MAX_LANES];
  fiber_life_t life[DEVBIN_HOST_MAX_LANES];
  uint32_t waiting_for[DEVBIN_HOST_MAX_LANES];  // the generation a waiting lane waits to end
  // Shuffle g writes slot[g & 1]: a lane can only reach shuffle g + 2 after
  // every lane has left shuffle g, so two buffers suffice.
  uint32_t slot[2][DEVBIN_HOST_MAX_LANES];
  uint32_t arrived;
  uint32_t generation;
  uint32_t running;
  devbin_host_launch_result_t error;
  char* stacks;
  const void* scheduler_stack;  // AddressSanitizer bookkeeping
  size_t scheduler_stack_size;
  void* asan_fake_stack[DEVBIN_HOST_MAX_LANES];  // each lane's, while it is switched out
#if defined(DEVBIN_HOST_TSAN)
  // ThreadSanitizer's view of the fibers: each lane's, made when first
  // needed and kept for the next wavefronts (making one costs TSan an mmap),
  // and the scheduler's (the launching thread's).
  void* tsan_scheduler;
  void* tsan_fiber[DEVBIN_HOST_MAX_LANES];
#endif
} wavefront_t;

_Thread_local const devbin_host_work_item_t* devbin_host_current_work_item;
static _Thread_local wavefront_t* current_wavefront;

// AddressSanitizer must be told about every stack switch, or it reports the
// fibers' frames as overflows of the thread's stack; ThreadSanitizer too, or
// it takes the fibers' calls and returns for the thread's and loses its stack.
// Switches between the fibers of one thread synchronize (flags 0): lanes of a
// wavefront take turns, they never run at once.
DEVBIN_HOST_SWITCHES static void enter_fiber(wavefront_t* w, uint32_t lane) {
#if defined(DEVBIN_HOST_TSAN)
  __tsan_switch_to_fiber(w->tsan_fiber[lane], 0);
#endif
#if defined(DEVBIN_HOST_ASAN)
  void* fake_stack = NULL;
  __sanitizer_start_switch_fiber(&fake_stack, w->stacks + (size_t)lane * kStackBytes, kStackBytes);
  fiber_switch(&w->scheduler, &w->fiber[lane]);
  __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#else
  fiber_switch(&w->scheduler, &w->fiber[lane]);
#endif
}

// A lane's fake stack is kept while it is switched out (NULL before its
// first start: AddressSanitizer makes one when the lane first needs it).
DEVBIN_HOST_SWITCHES static void fiber_started(wavefront_t* w, uint32_t lane) {
#if defined(DEVBIN_HOST_ASAN)
  __sanitizer_finish_switch_fiber(w->asan_fake_stack[lane], &w->scheduler_stack, &w->scheduler_stack_size);
#else
  (void)w;
  (void)lane;
#endif
}

DEVBIN_HOST_SWITCHES static void leave_fiber(wavefront_t* w, uint32_t lane) {
#if defined(DEVBIN_HOST_TSAN)
  __tsan_switch_to_fiber(w->tsan_scheduler, 0);
#endif
#if defined(DEVBIN_HOST_ASAN)
  __sanitizer_start_switch_fiber(&w->asan_fake_stack[lane], w->scheduler_stack, w->scheduler_stack_size);
  fiber_switch(&w->fiber[lane], &w->scheduler);
  __sanitizer_finish_switch_fiber(w->asan_fake_stack[lane], &w->scheduler_stack, &w->scheduler_stack_size);
#else
  fiber_switch(&w->fiber[lane], &w->scheduler);
#endif
}

// Runs the lane's work-item of each wavefront it is entered for; between
// wavefronts it waits here, idle. `w` is the thread's cached wavefront, the
// same for every launch on this thread.
DEVBIN_HOST_SWITCHES static void fiber_main(void) {
  wavefront_t* const w = current_wavefront;
  const uint32_t lane = w->running;
  fiber_started(w, lane);
  for (;;) {
    w->body(w->context);
    w->state[lane] = kLaneDone;
    leave_fiber(w, lane);
  }
}

#if defined(DEVBIN_HOST_ASAN)
// An abandoned lane's fake stack still holds its kernel frames: a fiber made
// for it takes that fake stack back and leaves for good, and
// AddressSanitizer frees it (start_switch_fiber without a save).
DEVBIN_HOST_SWITCHES static void fiber_retire(void) {
  wavefront_t* const w = current_wavefront;
  const uint32_t lane = w->running;
  __sanitizer_finish_switch_fiber(w->asan_fake_stack[lane], &w->scheduler_stack, &w->scheduler_stack_size);
  w->asan_fake_stack[lane] = NULL;
  __sanitizer_start_switch_fiber(NULL, w->scheduler_stack, w->scheduler_stack_size);
  fiber_switch(&w->fiber[lane], &w->scheduler);
}
#endif

uint32_t devbin_host_shuffle_u32(uint32_t value, uint32_t source_lane) {
  wavefront_t* const w = current_wavefront;
  if (w == NULL) return 0;
  if (w->lanes != w->width || source_lane >= w->lanes) {
    if (w->error == DEVBIN_HOST_LAUNCH_OK) w->error = DEVBIN_HOST_LAUNCH_BAD_SHUFFLE;
    return 0;
  }
  const uint32_t lane = w->running;
  const uint32_t generation = w->generation;
  w->slot[generation & 1][lane] = value;
  if (++w->arrived == w->lanes) {
    w->arrived = 0;
    ++w->generation;
  } else {
    w->state[lane] = kLaneWaiting;
    w->waiting_for[lane] = generation;
    while (w->generation == generation) leave_fiber(w, lane);
  }
  return w->slot[generation & 1][source_lane];
}

uint64_t devbin_host_steady_clock(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void tsan_fibers_prepare(wavefront_t* w) {
#if defined(DEVBIN_HOST_TSAN)
  w->tsan_scheduler = __tsan_get_current_fiber();
  for (uint32_t lane = 0; lane < w->lanes; ++lane) {
    if (w->tsan_fiber[lane] == NULL) w->tsan_fiber[lane] = __tsan_create_fiber(0);
  }
#else
  (void)w;
#endif
}

// A lane abandoned at a shuffle (DIVERGED) left frames of the kernel on its
// fiber's stack, its shadow call stack and its fake stack: those go, and the
// next wavefront makes the lane a new fiber.
static void abandoned_fibers_finish(wavefront_t* w) {
  for (uint32_t lane = 0; lane < w->lanes; ++lane) {
    if (w->state[lane] == kLaneDone) continue;
    w->life[lane] = kFiberNone;
#if defined(DEVBIN_HOST_TSAN)
    __tsan_destroy_fiber(w->tsan_fiber[lane]);
    w->tsan_fiber[lane] = NULL;
#endif
#if defined(DEVBIN_HOST_ASAN)
    char* const stack = w->stacks + (size_t)lane * kStackBytes;
    fiber_make(&w->fiber[lane], stack, kStackBytes, fiber_retire);
    w->running = lane;
    enter_fiber(w, lane);
    // The abandoned frames' redzones on the real stack.
    __asan_unpoison_memory_region(stack, kStackBytes);
#endif
  }
}

// Runs the lanes of one wavefront round-robin until all finish.
static devbin_host_launch_result_t run_lanes(wavefront_t* w) {
  for (uint32_t lane = 0; lane < w->lanes; ++lane) {
    if (w->life[lane] == kFiberNone) {
      fiber_make(&w->fiber[lane], w->stacks + (size_t)lane * kStackBytes, kStackBytes, fiber_main);
      w->life[lane] = kFiberIdle;
    }
    w->state[lane] = kLaneReady;
  }
  w->arrived = 0;
  w->generation = 0;
  for (;;) {
    uint32_t done = 0;
    int progress = 0;
    for (uint32_t lane = 0; lane < w->lanes; ++lane) {
      if (w->state[lane] == kLaneDone) {
        ++done;
        continue;
      }
      if (w->state[lane] == kLaneWaiting && w->waiting_for[lane] == w->generation) continue;
      w->state[lane] = kLaneReady;
      w->running = lane;
      devbin_host_current_work_item = &w->item[lane];
      enter_fiber(w, lane);
      devbin_host_current_work_item = NULL;
      progress = 1;
    }
    if (done == w->lanes) return DEVBIN_HOST_LAUNCH_OK;
    // Every lane left is waiting at a shuffle the others never reach; their
    // fibers are abandoned (nothing on their stacks needs unwinding).
    if (!progress) return DEVBIN_HOST_LAUNCH_DIVERGED;
  }
}

static devbin_host_launch_result_t run_wavefront(wavefront_t* w) {
  tsan_fibers_prepare(w);
  const devbin_host_launch_result_t result = run_lanes(w);
  abandoned_fibers_finish(w);
  return result;
}

// One wavefront and its fiber stacks per thread, kept between launches:
// tests launch hundreds of thousands of small grids.
static _Thread_local wavefront_t* cached_wavefront;

devbin_host_launch_result_t devbin_host_launch(devbin_host_grid_t grid, void (*body)(void* context),
                                               void* context) {
  if (grid.workgroup_count == 0 || grid.workgroup_size == 0 || grid.lane_count == 0 ||
      grid.lane_count > DEVBIN_HOST_MAX_LANES || body == NULL) {
    return DEVBIN_HOST_LAUNCH_BAD_GRID;
  }
  if (current_wavefront != NULL) return DEVBIN_HOST_LAUNCH_BAD_GRID;  // a launch from inside a kernel
  if (cached_wavefront == NULL) {
    wavefront_t* const fresh = calloc(1, sizeof(wavefront_t));
    char* const stacks = malloc((size_t)DEVBIN_HOST_MAX_LANES * kStackBytes);
    if (fresh == NULL || stacks == NULL) {
      free(fresh);
      free(stacks);
      return DEVBIN_HOST_LAUNCH_OUT_OF_MEMORY;
    }
    fresh->stacks = stacks;
    cached_wavefront = fresh;
  }
  wavefront_t* const w = cached_wavefront;
  w->width = grid.lane_count;
  w->body = body;
  w->context = context;
  w->error = DEVBIN_HOST_LAUNCH_OK;
  current_wavefront = w;

  const uint64_t grid_size = (uint64_t)grid.workgroup_count * grid.workgroup_size;
  devbin_host_launch_result_t result = DEVBIN_HOST_LAUNCH_OK;
  for (uint32_t group = 0; group < grid.workgroup_count && result == DEVBIN_HOST_LAUNCH_OK; ++group) {
    for (uint32_t first = 0; first < grid.workgroup_size && result == DEVBIN_HOST_LAUNCH_OK;
         first += grid.lane_count) {
      const uint32_t left = grid.workgroup_size - first;
      w->lanes = left < grid.lane_count ? left : grid.lane_count;
      for (uint32_t lane = 0; lane < w->lanes; ++lane) {
        w->item[lane] = (devbin_host_work_item_t){
            .workitem_id = first + lane,
            .workgroup_id = group,
            .workgroup_size = grid.workgroup_size,
            .lane_id = lane,
            .lane_count = grid.lane_count,
            .grid_size = grid_size,
        };
      }
      result = run_wavefront(w);
      if (result == DEVBIN_HOST_LAUNCH_OK) result = w->error;
    }
  }
  current_wavefront = NULL;
  return result;
}

const char* devbin_host_launch_result_name(devbin_host_launch_result_t result) {
  switch (result) {
    case DEVBIN_HOST_LAUNCH_OK:
      return "ok";
    case DEVBIN_HOST_LAUNCH_BAD_GRID:
      return "bad grid";
    case DEVBIN_HOST_LAUNCH_OUT_OF_MEMORY:
      return "out of memory";
    case DEVBIN_HOST_LAUNCH_BAD_SHUFFLE:
      return "shuffle in a partial wavefront or from a missing lane";
    case DEVBIN_HOST_LAUNCH_DIVERGED:
      return "lanes of a wavefront diverged around a shuffle";
  }
  return "unknown";
}
