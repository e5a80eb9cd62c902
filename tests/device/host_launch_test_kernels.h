// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Test kernels of the host launcher (host_launch_test_kernels.c).
#ifndef DEVBIN_TESTS_DEVICE_HOST_LAUNCH_TEST_KERNELS_H_
#define DEVBIN_TESTS_DEVICE_HOST_LAUNCH_TEST_KERNELS_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct devbin_test_ids_t {
  uint64_t capacity;
  uint32_t* seen;  // times each global id ran
  uint32_t* workitem_id;
  uint32_t* workgroup_id;
  uint32_t* workgroup_size;
  uint32_t* lane_id;
  uint32_t* lane_count;
  uint64_t* grid_size;
} devbin_test_ids_t;

// Records the ids every work-item sees, at its global id.
void devbin_test_record_ids(void* context);

typedef struct devbin_test_shuffle_t {
  uint64_t capacity;
  uint32_t rounds;    // shuffles in a row
  uint32_t distance;  // each takes the value of lane (lane + distance) % lanes
  uint32_t* result;
} devbin_test_shuffle_t;

// value = global id; `rounds` times: value = shuffle(value * 3 + round).
void devbin_test_shuffle(void* context);

// Every lane shuffles once; lane *(uint32_t*)context a second time.
void devbin_test_diverge(void* context);

typedef struct devbin_test_frame_t {
  uint64_t capacity;
  uint32_t* sum;  // at each global id: the sum of its frame's bytes
} devbin_test_frame_t;

// Writes and reads back a 4 KiB local array byte by byte: its frame covers
// the fiber stack below the launcher's frames, where earlier lanes' frames
// were.
void devbin_test_deep_frame(void* context);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // DEVBIN_TESTS_DEVICE_HOST_LAUNCH_TEST_KERNELS_H_
