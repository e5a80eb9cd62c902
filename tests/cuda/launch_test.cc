// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's pure parts: launch shapes (clock calibration: tests/runtime/clock_test.cc).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "devbin/cuda.h"

namespace devbin::cuda {
namespace {

LaunchLimits h100_like() {
  LaunchLimits limits;
  limits.multiprocessors = 132;
  limits.warp_size = 32;
  limits.threads_per_block = 1024;
  limits.blocks_per_multiprocessor = 2;
  limits.max_grid_dim_x = 0x7fffffff;
  return limits;
}

TEST(CudaLaunchShapeTest, Table) {
  struct Case {
    uint64_t items;
    uint32_t blocks;
    uint32_t threads;
  };
  const Case cases[] = {
      {0, 0, 0},                       // nothing to launch
      {1, 1, 32},                      // one warp, not one thread: partial warps cost the same
      {4, 1, 32},                      //
      {33, 1, 64},                     // rounded up to whole warps
      {1000, 1, 1024},                 //
      {1024, 1, 1024},                 //
      {1025, 2, 1024},                 //
      {270336, 264, 1024},             // exactly one resident wave: 132 SMs x 2 blocks x 1024
      {uint64_t{1} << 26, 264, 1024},  // a 1 GiB fill: the grid-stride loop covers the rest
  };
  for (const Case& c : cases) {
    const LaunchShape shape = launch_shape(h100_like(), c.items);
    EXPECT_EQ(shape.blocks, c.blocks) << c.items << " items";
    EXPECT_EQ(shape.threads_per_block, c.threads) << c.items << " items";
  }
}

TEST(CudaLaunchShapeTest, CoveringGridGivesEveryItemOneStep) {
  LaunchLimits limits = h100_like();
  limits.threads_per_block = 256;
  limits.blocks_per_multiprocessor = kCoveringGrid;
  // A 1 GiB copy: 2^26 words, two per item.
  EXPECT_EQ(launch_shape(limits, uint64_t{1} << 25).blocks, (uint64_t{1} << 25) / 256);
  EXPECT_EQ(launch_shape(limits, 257).blocks, 2u);
  EXPECT_EQ(launch_shape(limits, 100).threads_per_block, 128u);
  limits.max_grid_dim_x = 1000;  // still bounded by the device's grid limit
  EXPECT_EQ(launch_shape(limits, uint64_t{1} << 25).blocks, 1000u);
}

TEST(CudaLaunchShapeTest, FollowsTheDevice) {
  LaunchLimits limits = h100_like();
  limits.multiprocessors = 46;  // a smaller GPU
  limits.threads_per_block = 256;
  limits.blocks_per_multiprocessor = 6;
  EXPECT_EQ(launch_shape(limits, uint64_t{1} << 30).blocks, 46u * 6u);
  EXPECT_EQ(launch_shape(limits, uint64_t{1} << 30).threads_per_block, 256u);
  limits.max_grid_dim_x = 100;
  EXPECT_EQ(launch_shape(limits, uint64_t{1} << 30).blocks, 100u);
}


TEST(CudaKernelTest, NamesFollowTheAbiList) {
  EXPECT_EQ(kKernelCount, 8u);
  EXPECT_EQ(kernel_name(Kernel::devbin_update), "devbin_update");
  EXPECT_EQ(kernel_name(Kernel::devbin_fill), "devbin_fill");
  EXPECT_EQ(kernel_name(Kernel::devbin_copy), "devbin_copy");
  EXPECT_EQ(kernel_name(Kernel::devbin_batch), "devbin_batch");
  EXPECT_EQ(kernel_name(Kernel::devbin_copy_rect), "devbin_copy_rect");
  EXPECT_EQ(kernel_name(Kernel::devbin_fill_rect), "devbin_fill_rect");
  EXPECT_EQ(kernel_name(Kernel::devbin_dispatch_patch), "devbin_dispatch_patch");
  EXPECT_EQ(kernel_name(Kernel::devbin_timestamp), "devbin_timestamp");
}

}  // namespace
}  // namespace devbin::cuda
