// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_dispatch_patch (device/dispatch.c), host build: the bytes of the AQL
// packet it writes, for valid counts, empty grids, counts over the limit and
// grids over UINT32_MAX work-items.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

constexpr uint16_t kDispatchHeader =
    DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH << DEVBIN_AQL_HEADER_TYPE_SHIFT | 1u << DEVBIN_AQL_HEADER_BARRIER_SHIFT |
    DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT |
    DEVBIN_AQL_FENCE_SCOPE_AGENT << DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT;
constexpr uint16_t kSetup = 3;  // three dimensions
constexpr uint32_t kStatusUnwritten = 0xdeadbeef;

// The packet as the host reserves it: INVALID header, its own fields set.
std::array<uint8_t, 64> reserved_packet() {
  devbin_aql_kernel_dispatch_packet_t packet;
  std::memset(&packet, 0xee, sizeof(packet));  // fields the kernel must set stand out
  packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID << DEVBIN_AQL_HEADER_TYPE_SHIFT;
  packet.private_segment_size = 0x11223344;
  packet.group_segment_size = 0x55667788;
  packet.kernel_object = 0x0123456789abcdefull;
  packet.kernarg_address = 0xfedcba9876543210ull;
  packet.reserved2 = 0;
  packet.completion_signal = 0x5151515151515151ull;
  std::array<uint8_t, 64> bytes;
  std::memcpy(bytes.data(), &packet, sizeof(packet));
  return bytes;
}

struct Patched {
  devbin_host_launch_result_t launched;
  std::array<uint8_t, 64> packet;
  uint32_t status;
  testing::AssertionResult guards_kept = testing::AssertionSuccess();
  std::vector<uint8_t> kernargs;  // the target's kernarg segment after the patch
};

// The target's kernarg segment: 64 bytes of explicit arguments then the
// hidden ones, every byte a known value so a store shows.
constexpr size_t kTargetKernargBytes = 256;
constexpr uint32_t kHiddenBlockCountOffset = 64;
std::vector<uint8_t> target_kernargs_before() {
  std::vector<uint8_t> bytes(kTargetKernargBytes);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(0xa5 ^ i);
  return bytes;
}

Patched run_patch(const KernelBuild& build, const Shape& shape, std::array<uint32_t, 3> counts,
                  std::array<uint32_t, 3> workgroup_size, std::array<uint32_t, 3> max_count, bool with_status = true,
                  bool with_block_counts = false) {
  const std::array<uint8_t, 64> before = reserved_packet();
  GuardedBytes packet(0, 64);  // 256-byte aligned, so 64-byte aligned as AQL queues are
  std::memcpy(packet.data(), before.data(), 64);
  GuardedBytes status(0, 4);
  std::memcpy(status.data(), &kStatusUnwritten, 4);
  GuardedBytes count_bytes(4, 12);
  std::memcpy(count_bytes.data(), counts.data(), 12);

  devbin_dispatch_args_t args{};
  args.workgroup_counts = device_address(count_bytes.data());
  args.packet = device_address(packet.data());
  args.status = with_status ? device_address(status.data()) : 0;
  std::memcpy(args.workgroup_size, workgroup_size.data(), 12);
  std::memcpy(args.max_workgroup_count, max_count.data(), 12);
  args.header = kDispatchHeader;
  args.setup = kSetup;
  const std::vector<uint8_t> kernargs_before = target_kernargs_before();
  GuardedBytes kernargs(8, kTargetKernargBytes);
  std::memcpy(kernargs.data(), kernargs_before.data(), kernargs_before.size());
  if (with_block_counts) {
    args.target_kernargs = device_address(kernargs.data());
    args.hidden_block_count_offset = kHiddenBlockCountOffset;
  }

  Patched result{launch(shape, [&] { build.dispatch_patch(args); }), {}, 0, testing::AssertionSuccess(), {}};
  std::memcpy(result.packet.data(), packet.data(), 64);
  std::memcpy(&result.status, status.data(), 4);
  result.kernargs.assign(kernargs.data(), kernargs.data() + kTargetKernargBytes);
  // Nothing but the packet, the status and the target's kernargs may change.
  for (const GuardedBytes* bytes : {&packet, &status, &kernargs}) {
    testing::AssertionResult kept = bytes->check_guards();
    if (!kept) result.guards_kept = kept;
  }
  testing::AssertionResult counts_kept = count_bytes.check(reinterpret_cast<const uint8_t*>(counts.data()));
  if (!counts_kept) result.guards_kept = counts_kept;
  return result;
}

template <class T>
T field(const std::array<uint8_t, 64>& packet, size_t offset) {
  T value;
  std::memcpy(&value, packet.data() + offset, sizeof(T));
  return value;
}

const std::vector<Shape> kDispatchShapes = {{1, 1, 1}, {1, 64, 32}, {3, 8, 4}, {2, 5, 4}};

class DispatchTest : public testing::TestWithParam<KernelBuild> {};

void expect_dispatch(const Patched& patched, std::array<uint32_t, 3> counts, std::array<uint32_t, 3> size) {
  ASSERT_EQ(patched.launched, DEVBIN_HOST_LAUNCH_OK) << devbin_host_launch_result_name(patched.launched);
  ASSERT_TRUE(patched.guards_kept);
  EXPECT_EQ(patched.status, DEVBIN_DISPATCH_STATUS_OK);
  const std::array<uint8_t, 64> before = reserved_packet();
  EXPECT_EQ(field<uint16_t>(patched.packet, 0), kDispatchHeader);
  EXPECT_EQ(field<uint16_t>(patched.packet, 2), kSetup);
  for (size_t d = 0; d < 3; ++d) {
    EXPECT_EQ(field<uint16_t>(patched.packet, 4 + 2 * d), size[d]) << "workgroup_size dimension " << d;
    EXPECT_EQ(field<uint32_t>(patched.packet, 12 + 4 * d), uint64_t{counts[d]} * size[d])
        << "grid_size dimension " << d;
  }
  EXPECT_EQ(field<uint16_t>(patched.packet, 10), 0u) << "reserved0";
  // Bytes 24..63 (segment sizes, kernel object, kernarg address, reserved2,
  // completion signal) are the host's.
  for (size_t i = 24; i < 64; ++i) EXPECT_EQ(patched.packet[i], before[i]) << "byte " << i;
}

// A barrier-AND with no dependencies that still signals the host's
// completion signal, and the status.
void expect_no_op(const Patched& patched, uint32_t status) {
  ASSERT_EQ(patched.launched, DEVBIN_HOST_LAUNCH_OK) << devbin_host_launch_result_name(patched.launched);
  ASSERT_TRUE(patched.guards_kept);
  EXPECT_EQ(patched.status, status);
  const uint16_t header = field<uint16_t>(patched.packet, 0);
  EXPECT_EQ(header & 0xffu, DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);
  EXPECT_EQ(header & ~0xffu, kDispatchHeader & ~0xffu) << "barrier bit and fence scopes kept";
  for (size_t i = 2; i < 56; ++i) EXPECT_EQ(patched.packet[i], 0u) << "byte " << i;
  EXPECT_EQ(field<uint64_t>(patched.packet, 56), field<uint64_t>(reserved_packet(), 56)) << "completion_signal";
}

TEST_P(DispatchTest, ValidCountsWriteTheGridThenTheHeader) {
  for (const Shape& shape : kDispatchShapes) {
    SCOPED_TRACE(shape_name(shape));
    const std::array<uint32_t, 3> max = {1u << 22, 65535, 65535};
    for (const auto& [counts, size] : std::vector<std::pair<std::array<uint32_t, 3>, std::array<uint32_t, 3>>>{
             {{1, 1, 1}, {64, 1, 1}},
             {{1000, 1, 1}, {256, 1, 1}},
             {{7, 9, 11}, {8, 4, 2}},
             {{1u << 22, 1, 1}, {1, 1, 1}},         // at max_workgroup_count
             {{4194303, 1, 1}, {1024, 1, 1}},       // 2^32 - 1024 work-items
             {{65535, 65535, 1}, {1, 1, 65535}}}) {  // the largest 16-bit workgroup size
      expect_dispatch(run_patch(GetParam(), shape, counts, size, max), counts, size);
    }
  }
}

TEST_P(DispatchTest, GridOfExactlyUint32MaxWorkItemsIsValid) {
  const std::array<uint32_t, 3> counts = {0xffffffffu, 1, 1};
  const std::array<uint32_t, 3> size = {1, 1, 1};
  expect_dispatch(run_patch(GetParam(), {1, 1, 1}, counts, size, {0xffffffffu, 1, 1}), counts, size);
  const std::array<uint32_t, 3> counts_2 = {0x55555555u, 1, 1};  // * 3 = 0xffffffff
  const std::array<uint32_t, 3> size_3 = {3, 1, 1};
  expect_dispatch(run_patch(GetParam(), {1, 1, 1}, counts_2, size_3, {0xffffffffu, 1, 1}), counts_2, size_3);
}

TEST_P(DispatchTest, ZeroCountInAnyDimensionBecomesABarrierAnd) {
  for (const Shape& shape : kDispatchShapes) {
    for (size_t d = 0; d < 3; ++d) {
      SCOPED_TRACE(shape_name(shape) + ", zero count in dimension " + std::to_string(d));
      std::array<uint32_t, 3> counts = {4, 5, 6};
      counts[d] = 0;
      expect_no_op(run_patch(GetParam(), shape, counts, {64, 2, 2}, {100, 100, 100}), DEVBIN_DISPATCH_STATUS_EMPTY);
    }
  }
}

TEST_P(DispatchTest, ZeroWorkgroupSizeIsAnEmptyGrid) {
  expect_no_op(run_patch(GetParam(), {1, 1, 1}, {4, 1, 1}, {0, 1, 1}, {100, 100, 100}), DEVBIN_DISPATCH_STATUS_EMPTY);
}

TEST_P(DispatchTest, CountOverTheLimitBecomesABarrierAnd) {
  for (size_t d = 0; d < 3; ++d) {
    SCOPED_TRACE("dimension " + std::to_string(d));
    std::array<uint32_t, 3> counts = {10, 10, 10};
    counts[d] = 11;
    expect_no_op(run_patch(GetParam(), {3, 8, 4}, counts, {32, 2, 2}, {10, 10, 10}), DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
  }
  // An error outranks an empty grid.
  expect_no_op(run_patch(GetParam(), {1, 1, 1}, {0, 11, 1}, {32, 2, 2}, {10, 10, 10}),
               DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
}

TEST_P(DispatchTest, WorkgroupSizeOver16BitsIsOverTheLimit) {
  expect_no_op(run_patch(GetParam(), {1, 1, 1}, {1, 1, 1}, {65536, 1, 1}, {10, 10, 10}),
               DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
}

TEST_P(DispatchTest, GridOverUint32MaxBecomesABarrierAnd) {
  for (size_t d = 0; d < 3; ++d) {
    SCOPED_TRACE("dimension " + std::to_string(d));
    std::array<uint32_t, 3> counts = {1, 1, 1};
    std::array<uint32_t, 3> size = {1, 1, 1};
    counts[d] = 1u << 22;
    size[d] = 1024;  // exactly 2^32 work-items
    expect_no_op(run_patch(GetParam(), {1, 64, 32}, counts, size, {0xffffffffu, 0xffffffffu, 0xffffffffu}),
                 DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW);
  }
  expect_no_op(run_patch(GetParam(), {1, 1, 1}, {0xffffffffu, 1, 1}, {0xffffu, 1, 1}, {0xffffffffu, 1, 1}),
               DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW);
}

TEST_P(DispatchTest, NoStatusAddressMeansNoStatusWrite) {
  const Patched patched = run_patch(GetParam(), {2, 5, 4}, {0, 1, 1}, {64, 1, 1}, {10, 10, 10}, false);
  expect_no_op(patched, kStatusUnwritten);
  const Patched valid = run_patch(GetParam(), {1, 1, 1}, {3, 1, 1}, {64, 1, 1}, {10, 10, 10}, false);
  ASSERT_TRUE(valid.guards_kept);
  EXPECT_EQ(valid.status, kStatusUnwritten);
  EXPECT_EQ(field<uint32_t>(valid.packet, 12), 192u);
}

// With target_kernargs, an OK outcome stores the counts at the hidden block
// count offset (x, y, z as uint32) and nothing else in the segment.
TEST_P(DispatchTest, HiddenBlockCountsAreStoredInTheTargetsKernargs) {
  for (const Shape& shape : kDispatchShapes) {
    SCOPED_TRACE(shape_name(shape));
    const std::array<uint32_t, 3> counts = {7, 9, 11};
    const std::array<uint32_t, 3> size = {8, 4, 2};
    const Patched patched = run_patch(GetParam(), shape, counts, size, {100, 100, 100}, true, true);
    expect_dispatch(patched, counts, size);
    std::vector<uint8_t> expected = target_kernargs_before();
    std::memcpy(expected.data() + kHiddenBlockCountOffset, counts.data(), 12);
    EXPECT_EQ(patched.kernargs, expected);
  }
}

// Without target_kernargs the segment is not touched.
TEST_P(DispatchTest, NoTargetKernargsMeansNoBlockCounts) {
  const Patched patched = run_patch(GetParam(), {1, 64, 32}, {3, 2, 1}, {64, 1, 1}, {10, 10, 10});
  expect_dispatch(patched, {3, 2, 1}, {64, 1, 1});
  EXPECT_EQ(patched.kernargs, target_kernargs_before());
}

// A no-op outcome runs no kernel, so the target's kernargs are left as they were.
TEST_P(DispatchTest, NoOpOutcomesLeaveTheBlockCountsAlone) {
  const std::vector<uint8_t> before = target_kernargs_before();
  const Patched empty = run_patch(GetParam(), {1, 1, 1}, {0, 2, 1}, {64, 1, 1}, {10, 10, 10}, true, true);
  expect_no_op(empty, DEVBIN_DISPATCH_STATUS_EMPTY);
  EXPECT_EQ(empty.kernargs, before);
  const Patched over = run_patch(GetParam(), {1, 1, 1}, {11, 2, 1}, {64, 1, 1}, {10, 10, 10}, true, true);
  expect_no_op(over, DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
  EXPECT_EQ(over.kernargs, before);
  const Patched overflow =
      run_patch(GetParam(), {1, 1, 1}, {1u << 22, 1, 1}, {1024, 1, 1}, {0xffffffffu, 1, 1}, true, true);
  expect_no_op(overflow, DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW);
  EXPECT_EQ(overflow.kernargs, before);
}

INSTANTIATE_TEST_SUITE_P(Builds, DispatchTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
