// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Issue 26 on the emulated AMD GPU: the shipped machine code of devbin_batch,
// devbin_copy_rect and devbin_fill_rect given tables and regions the host
// would refuse (launched directly, tests/hsa/direct_launch.h) skips what is
// bad, stores nothing outside what is good, and says why in its status
// word; and the reproduction through Device::batch (a table
// numbered for 16 KiB chunks launched with 256-byte ones) stores nothing
// instead of a quarter of each operation. One agent per code object
// (full_sweep in emulated_agents.h): the emulator is slow.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstring>
#include <string>
#include <vector>

#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "tests/hsa/direct_launch.h"
#include "tests/hsa/emulated_agents.h"
#include "tests/hsa/stand_in_runtime.h"

namespace devbin::hsa {
namespace {

using direct::DirectLaunch;
using direct::launch_direct;

std::vector<EmulatedAgent> one_agent_per_code_object() {
  std::vector<EmulatedAgent> agents;
  for (const EmulatedAgent& agent : kEmulatedAgents) {
    if (agent.full_sweep) agents.push_back(agent);
  }
  return agents;
}

class EmulatedHostile : public ::testing::TestWithParam<EmulatedAgent> {
 protected:
  void SetUp() override {
#ifdef DEVBIN_HSA_EMULATED_SKIP
    GTEST_SKIP() << DEVBIN_HSA_EMULATED_SKIP;
#else
    const char* directory = std::getenv(DEVBIN_AMDGPU_EMULATOR_ENV);
    if (directory == nullptr || *directory == '\0') {
      GTEST_SKIP() << DEVBIN_AMDGPU_EMULATOR_ENV << " is not set: point it at ../shared/amdgpu-emulator";
    }
    setenv(kRuntimePathEnv, DEVBIN_HSA_EMULATED_RUNTIME, 1);
    setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, GetParam().isa, 1);
    unsetenv("DEVBIN_TARGET_OVERRIDE");
    auto device = Device::open(0);
    ASSERT_TRUE(device.ok()) << device.status().to_string();
    device_ = std::move(device).value();
    auto queue = device_->create_queue(256);
    ASSERT_TRUE(queue.ok()) << queue.status().to_string();
    queue_ = std::move(queue).value();
    auto memory = device_->allocate(kBytes);
    ASSERT_TRUE(memory.ok());
    memory_ = std::move(memory).value();
    base_ = memory_.address();
#endif
  }
  void TearDown() override { unsetenv(kRuntimePathEnv); }

  void clear() {
    const std::vector<uint8_t> zeros(kBytes, 0);
    ASSERT_TRUE(device_->copy_to_device(base_, zeros.data(), kBytes).ok());
  }
  std::vector<uint8_t> read(uint64_t offset, size_t length) {
    std::vector<uint8_t> bytes(length);
    EXPECT_TRUE(device_->copy_to_host(bytes.data(), base_ + offset, length).ok());
    return bytes;
  }
  uint32_t status() {
    uint32_t word = 0;
    EXPECT_TRUE(device_->copy_to_host(&word, base_ + kStatus, 4).ok());
    return word;
  }
  bool untouched(uint64_t offset, size_t length) {
    for (uint8_t b : read(offset, length)) {
      if (b != 0) return false;
    }
    return true;
  }
  bool filled(uint64_t offset, size_t length) {
    const std::vector<uint8_t> bytes = read(offset, length);
    for (size_t i = 0; i < length; ++i) {
      if (bytes[i] != kPattern[i % 4]) return false;
    }
    return true;
  }
  // Three 1 KiB fills at 0, 4096 and 8192, numbered for `chunk_bytes`, at kTable.
  std::vector<devbin_batch_op_t> three_fills(uint32_t chunk_bytes, uint64_t* chunks, size_t length = 1024) {
    std::vector<devbin_batch_op_t> ops;
    for (uint64_t i = 0; i < 3; ++i) ops.push_back(*make_batch_fill(base_ + 4096 * i, length, kPattern));
    *chunks = *batch_number(ops, chunk_bytes);
    return ops;
  }
  void upload(const std::vector<devbin_batch_op_t>& ops) {
    ASSERT_TRUE(device_->copy_to_device(base_ + kTable, ops.data(), ops.size() * sizeof(ops[0])).ok());
  }
  uint32_t run_batch(const devbin_batch_args_t& args) {
    DirectLaunch keep;
    EXPECT_TRUE(launch_direct(*device_, *queue_, Kernel::devbin_batch, args, 3, keep).ok());
    EXPECT_TRUE(queue_->synchronize().ok());
    return status();
  }

  static constexpr uint64_t kBytes = 32768;
  static constexpr uint64_t kTable = 24576;
  static constexpr uint64_t kStatus = 32764;
  static constexpr uint8_t kPattern[4] = {0x81, 0x42, 0x23, 0x14};
  std::unique_ptr<Device> device_;
  std::unique_ptr<Queue> queue_;
  Buffer memory_;
  uint64_t base_ = 0;
};

TEST_P(EmulatedHostile, BatchSkipsAndReportsABadOperation) {
  clear();
  uint64_t chunks = 0;
  std::vector<devbin_batch_op_t> ops = three_fills(256, &chunks);
  ops[1].target = 0;  // null: the host refuses it, the kernel must too
  upload(ops);
  EXPECT_EQ(run_batch({base_ + kTable, chunks, 3, 256, base_ + kStatus}), DEVBIN_KERNEL_STATUS_ADDRESS);
  EXPECT_TRUE(filled(0, 1024));
  EXPECT_TRUE(untouched(4096, 4096));
  EXPECT_TRUE(filled(8192, 1024));

  clear();
  ops = three_fills(256, &chunks);
  ops[1].kind = DEVBIN_BATCH_COPY;
  ops[1].source = ops[1].target + 8;  // overlapping
  upload(ops);
  EXPECT_EQ(run_batch({base_ + kTable, chunks, 3, 256, base_ + kStatus}), DEVBIN_KERNEL_STATUS_OVERLAP);
  EXPECT_TRUE(filled(0, 1024));
  EXPECT_TRUE(untouched(4096, 4096));
  EXPECT_TRUE(filled(8192, 1024));
}

TEST_P(EmulatedHostile, BatchChunkCountOrSizeNotTheTablesStoresNothing) {
  clear();
  uint64_t chunks = 0;
  std::vector<devbin_batch_op_t> ops = three_fills(256, &chunks);
  upload(ops);
  EXPECT_EQ(run_batch({base_ + kTable, UINT64_MAX, 3, 256, base_ + kStatus}), DEVBIN_KERNEL_STATUS_CHUNK_COUNT);
  EXPECT_EQ(run_batch({base_ + kTable, chunks, 3, 512, base_ + kStatus}), DEVBIN_KERNEL_STATUS_CHUNK_COUNT);
  EXPECT_TRUE(untouched(0, 12288));
  // One chunk each under both sizes: only the recorded chunk_bytes tells.
  clear();
  ops = three_fills(16384, &chunks, 256);
  upload(ops);
  EXPECT_EQ(run_batch({base_ + kTable, chunks, 3, 256, base_ + kStatus}), DEVBIN_KERNEL_STATUS_CHUNK_BYTES);
  EXPECT_TRUE(untouched(0, 12288));
}

// The reproduction through the backend: numbered with 16 KiB chunks,
// launched with 256-byte ones, a quarter of every 1 KiB was written.
TEST_P(EmulatedHostile, BatchThroughTheBackendLaunchedWithAnotherChunkSize) {
  clear();
  uint64_t chunks = 0;
  std::vector<devbin_batch_op_t> ops = three_fills(DEVBIN_BATCH_CHUNK_BYTES, &chunks);
  upload(ops);
  auto args = make_batch_args(base_ + kTable, 3, chunks, 256);
  ASSERT_TRUE(args.ok());
  ASSERT_TRUE(device_->batch(*queue_, *args).ok());
  ASSERT_TRUE(queue_->synchronize().ok());
  EXPECT_TRUE(untouched(0, 12288));
}

TEST_P(EmulatedHostile, RectKernelsRefuseWhatTheHostWould) {
  clear();
  devbin_copy_rect_args_t copy{};
  copy.target = {base_, 16, 0};  // 32-byte rows at pitch 16 overlap
  copy.source = {base_ + 8192, 32, 0};
  copy.extent = {32, 4, 1};
  copy.chunk_bytes = 256;
  copy.chunks_per_row = 1;
  copy.status = base_ + kStatus;
  DirectLaunch keep;
  ASSERT_TRUE(launch_direct(*device_, *queue_, Kernel::devbin_copy_rect, copy, 2, keep).ok());
  ASSERT_TRUE(queue_->synchronize().ok());
  EXPECT_EQ(status(), DEVBIN_KERNEL_STATUS_OVERLAP);
  EXPECT_TRUE(untouched(0, 4096));

  devbin_fill_rect_args_t fill{};
  fill.target = {UINT64_MAX - 127, 64, 0};  // wraps
  fill.extent = {64, 4, 1};
  fill.chunk_bytes = 256;
  fill.chunks_per_row = 1;
  std::memcpy(fill.pattern, kPattern, 4);
  fill.pattern_width = 4;
  fill.status = base_ + kStatus;
  ASSERT_TRUE(launch_direct(*device_, *queue_, Kernel::devbin_fill_rect, fill, 2, keep).ok());
  ASSERT_TRUE(queue_->synchronize().ok());
  EXPECT_EQ(status(), DEVBIN_KERNEL_STATUS_ADDRESS);
}

INSTANTIATE_TEST_SUITE_P(Agents, EmulatedHostile, ::testing::ValuesIn(one_agent_per_code_object()),
                         [](const ::testing::TestParamInfo<EmulatedAgent>& info) {
                           std::string name = info.param.isa;
                           for (char& c : name) {
                             if (c == ':' || c == '+' || c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace devbin::hsa
