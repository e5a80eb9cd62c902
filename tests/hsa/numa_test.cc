// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Host and kernarg memory from the GPU's own NUMA node: the stand-in shows
// two CPU agents (DEVBIN_STAND_IN_HSA_CPU_NODES=2), each with its pools, and
// names CPU agent k % 2 nearest GPU agent k (HSA_AMD_AGENT_INFO_NEAREST_CPU).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "devbin/hsa.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

class HsaNuma : public HsaDevice {};

TEST_F(HsaNuma, HostAndKernargMemoryComeFromTheNearestCpu) {
  setenv(DEVBIN_STAND_IN_HSA_CPU_NODES_ENV, "2", 1);
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100,gfx1201", 1);
  for (int index : {0, 1}) {
    SCOPED_TRACE("GPU agent " + std::to_string(index));
    auto device = open_device(index);
    ASSERT_NE(device, nullptr);
    EXPECT_EQ(device->properties().nearest_cpu, index);
    auto host = device->allocate(4096, MemoryKind::kHost);
    auto local = device->allocate(4096);
    auto queue = device->create_queue(64);
    ASSERT_TRUE(host.ok() && local.ok() && queue.ok());
    EXPECT_EQ(stand_in_.memory_node(host->host_pointer()), index);
    EXPECT_EQ(stand_in_.memory_node(reinterpret_cast<void*>(local->address())), -1);  // the GPU's own memory
    // The kernarg segment of a dispatch.
    const size_t first = stand_in_.dispatch_count();
    const uint8_t one = 1;
    ASSERT_TRUE(device->fill(**queue, local->address(), 64, {&one, 1}).ok());
    ASSERT_TRUE((*queue)->synchronize().ok());
    const auto dispatches = stand_in_.dispatches_since(first);
    ASSERT_EQ(dispatches.size(), 1u);
    EXPECT_EQ(stand_in_.memory_node(reinterpret_cast<void*>(dispatches[0].kernarg_address)), index);
  }
  // One node: everything on node 0.
  setenv(DEVBIN_STAND_IN_HSA_CPU_NODES_ENV, "1", 1);
  auto device = open_device(1);
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->properties().nearest_cpu, 0);
  auto host = device->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(stand_in_.memory_node(host->host_pointer()), 0);
}

}  // namespace
}  // namespace devbin::hsa
