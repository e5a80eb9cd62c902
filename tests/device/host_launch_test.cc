// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The host launcher itself (device/target/host_launch.h): the ids each
// work-item sees, lockstep lane shuffles, and the launch errors that catch
// kernels a GPU would run wrongly.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/device/device_test_util.h"
#include "tests/device/host_launch_test_kernels.h"

namespace devbin::device_test {
namespace {

TEST(HostLaunchTest, EveryWorkItemRunsOnceWithItsIds) {
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{3, 8, 4}, Shape{2, 7, 4}, Shape{5, 64, 64}, Shape{2, 96, 32}}) {
    SCOPED_TRACE(shape_name(shape));
    const uint64_t items = uint64_t{shape.workgroup_count} * shape.workgroup_size;
    std::vector<uint32_t> seen(items), workitem(items), group(items), size(items), lane(items), lanes(items);
    std::vector<uint64_t> grid(items);
    devbin_test_ids_t ids{items, seen.data(), workitem.data(), group.data(), size.data(), lane.data(), lanes.data(),
                          grid.data()};
    ASSERT_EQ(devbin_host_launch({shape.workgroup_count, shape.workgroup_size, shape.lane_count},
                                 devbin_test_record_ids, &ids),
              DEVBIN_HOST_LAUNCH_OK);
    for (uint64_t id = 0; id < items; ++id) {
      ASSERT_EQ(seen[id], 1u) << "global id " << id;
      EXPECT_EQ(workitem[id], id % shape.workgroup_size);
      EXPECT_EQ(group[id], id / shape.workgroup_size);
      EXPECT_EQ(size[id], shape.workgroup_size);
      EXPECT_EQ(lane[id], (id % shape.workgroup_size) % shape.lane_count);
      EXPECT_EQ(lanes[id], shape.lane_count);
      EXPECT_EQ(grid[id], items);
    }
  }
}

TEST(HostLaunchTest, ShufflesExchangeInLockstep) {
  for (const Shape& shape : {Shape{1, 4, 4}, Shape{3, 64, 32}, Shape{2, 64, 64}, Shape{2, 3, 1}}) {
    for (uint32_t distance : {0u, 1u, 3u}) {
      SCOPED_TRACE(shape_name(shape) + ", distance " + std::to_string(distance));
      const uint64_t items = uint64_t{shape.workgroup_count} * shape.workgroup_size;
      std::vector<uint32_t> result(items);
      devbin_test_shuffle_t test{items, 3, distance, result.data()};
      ASSERT_EQ(devbin_host_launch({shape.workgroup_count, shape.workgroup_size, shape.lane_count},
                                   devbin_test_shuffle, &test),
                DEVBIN_HOST_LAUNCH_OK);
      // Each round runs on the values of the previous round: what lockstep
      // gives, and what a launcher that ran lanes one by one would not.
      const uint32_t lanes = shape.lane_count;
      for (uint64_t wave = 0; wave < items; wave += lanes) {
        std::vector<uint32_t> value(lanes);
        for (uint32_t lane = 0; lane < lanes; ++lane) value[lane] = static_cast<uint32_t>(wave + lane);
        for (uint32_t round = 0; round < 3; ++round) {
          std::vector<uint32_t> next(lanes);
          for (uint32_t lane = 0; lane < lanes; ++lane) next[lane] = value[(lane + distance) % lanes] * 3 + round;
          value = next;
        }
        for (uint32_t lane = 0; lane < lanes; ++lane) ASSERT_EQ(result[wave + lane], value[lane]) << "id " << wave + lane;
      }
    }
  }
}

TEST(HostLaunchTest, ShuffleInAPartialWavefrontFails) {
  std::vector<uint32_t> result(7);
  devbin_test_shuffle_t test{7, 1, 1, result.data()};
  EXPECT_EQ(devbin_host_launch({1, 7, 4}, devbin_test_shuffle, &test), DEVBIN_HOST_LAUNCH_BAD_SHUFFLE);
}

TEST(HostLaunchTest, LanesThatDivergeAroundAShuffleFail) {
  for (uint32_t extra_lane : {0u, 2u, 3u}) {
    EXPECT_EQ(devbin_host_launch({2, 8, 4}, devbin_test_diverge, &extra_lane), DEVBIN_HOST_LAUNCH_DIVERGED)
        << "lane " << extra_lane;
  }
  // A lane beyond the wavefront takes no extra shuffle: all lanes agree.
  uint32_t no_lane = 99;
  EXPECT_EQ(devbin_host_launch({2, 8, 4}, devbin_test_diverge, &no_lane), DEVBIN_HOST_LAUNCH_OK);
}

// A lane's fiber runs the work-items of wavefront after wavefront, and a
// lane abandoned at a shuffle gets a fresh stack: under AddressSanitizer no
// frame a finished or abandoned lane left (their redzones, poisoned) is
// where a later kernel's frame lies. Meaningful in sanitizer builds
// (scripts/asan.sh); elsewhere it checks the sums.
TEST(HostLaunchTest, LanesStartOnCleanStacks) {
  auto run_deep_frames = [] {
    const uint64_t items = 3 * 64;
    std::vector<uint32_t> sum(items);
    devbin_test_frame_t test{items, sum.data()};
    ASSERT_EQ(devbin_host_launch({3, 64, 32}, devbin_test_deep_frame, &test), DEVBIN_HOST_LAUNCH_OK);
    for (uint64_t id = 0; id < items; ++id) {
      uint32_t want = 0;
      for (uint32_t i = 0; i < 4096; ++i) want += static_cast<uint8_t>(id + i);
      ASSERT_EQ(sum[id], want) << "id " << id;
    }
  };
  run_deep_frames();
  // After lanes that finished, of another kernel.
  std::vector<uint32_t> result(64);
  devbin_test_shuffle_t shuffled{64, 2, 1, result.data()};
  ASSERT_EQ(devbin_host_launch({2, 32, 32}, devbin_test_shuffle, &shuffled), DEVBIN_HOST_LAUNCH_OK);
  run_deep_frames();
  // After lanes abandoned at a shuffle.
  uint32_t extra_lane = 5;
  ASSERT_EQ(devbin_host_launch({1, 32, 32}, devbin_test_diverge, &extra_lane), DEVBIN_HOST_LAUNCH_DIVERGED);
  run_deep_frames();
}

TEST(HostLaunchTest, RejectsBadGrids) {
  std::vector<uint32_t> result(4);
  devbin_test_shuffle_t test{4, 1, 1, result.data()};
  EXPECT_EQ(devbin_host_launch({0, 4, 4}, devbin_test_shuffle, &test), DEVBIN_HOST_LAUNCH_BAD_GRID);
  EXPECT_EQ(devbin_host_launch({1, 0, 4}, devbin_test_shuffle, &test), DEVBIN_HOST_LAUNCH_BAD_GRID);
  EXPECT_EQ(devbin_host_launch({1, 4, 0}, devbin_test_shuffle, &test), DEVBIN_HOST_LAUNCH_BAD_GRID);
  EXPECT_EQ(devbin_host_launch({1, 4, DEVBIN_HOST_MAX_LANES + 1}, devbin_test_shuffle, &test),
            DEVBIN_HOST_LAUNCH_BAD_GRID);
  EXPECT_EQ(devbin_host_launch({1, 4, 4}, nullptr, &test), DEVBIN_HOST_LAUNCH_BAD_GRID);
}

}  // namespace
}  // namespace devbin::device_test
