// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Kernels that report what the host launcher (host_launch.c) shows them, for
// host_launch_test.cc: written against target/target.h like device/*.c.
#include "host_launch_test_kernels.h"

#include "device/target/target.h"

void devbin_test_record_ids(void* context) {
  devbin_test_ids_t* const ids = context;
  const uint64_t id = devbin_global_id();
  if (id >= ids->capacity) return;
  ids->seen[id] += 1;
  ids->workitem_id[id] = devbin_workitem_id();
  ids->workgroup_id[id] = devbin_workgroup_id();
  ids->workgroup_size[id] = devbin_workgroup_size();
  ids->lane_id[id] = devbin_lane_id();
  ids->lane_count[id] = devbin_lane_count();
  ids->grid_size[id] = devbin_grid_size();
}

void devbin_test_shuffle(void* context) {
  devbin_test_shuffle_t* const test = context;
  const uint64_t id = devbin_global_id();
  const uint32_t lanes = devbin_lane_count();
  const uint32_t lane = devbin_lane_id();
  uint32_t value = (uint32_t)id;
  for (uint32_t round = 0; round < test->rounds; ++round) {
    value = devbin_shuffle_u32(value * 3 + round, (lane + test->distance) % lanes);
  }
  if (id < test->capacity) test->result[id] = value;
}

void devbin_test_diverge(void* context) {
  const uint32_t* const extra_lane = context;
  (void)devbin_shuffle_u32(1, 0);
  if (devbin_lane_id() == *extra_lane) (void)devbin_shuffle_u32(2, 0);
}

void devbin_test_deep_frame(void* context) {
  devbin_test_frame_t* const test = context;
  const uint64_t id = devbin_global_id();
  volatile uint8_t frame[4096];
  for (uint32_t i = 0; i < sizeof(frame); ++i) frame[i] = (uint8_t)(id + i);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < sizeof(frame); ++i) sum += frame[i];
  if (id < test->capacity) test->sum[id] = sum;
}
