// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The indirect dispatch protocol end to end on the host: the backend builds
// the target packet (INVALID header, body written, grid unknown) and the
// patcher's arguments; the device library's own devbin_dispatch_patch, built
// for the host, patches it from counts in memory. The result must be, byte for
// byte, the packet the backend builds for the same direct dispatch.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "devbin/hsa.h"
#include "device/target/host_launch.h"
#include "hsa/packet.h"

namespace devbin::hsa {
namespace {

struct alignas(64) PacketSlot {
  uint8_t bytes[64];
};

struct PatchRun {
  std::array<uint8_t, 64> packet;
  uint32_t status = 0xdeadbeef;
};

void run_patcher(void* context) { devbin_dispatch_patch(*static_cast<const devbin_dispatch_args_t*>(context)); }

constexpr uint64_t kCompletionSignal = 0x5151000000000042ull;

LoadedKernel target_kernel() {
  LoadedKernel kernel;
  kernel.kernel_object = 0x00007f0012340000ull;
  kernel.kernarg_segment_size = 40;
  kernel.group_segment_size = 1024;
  kernel.private_segment_size = 48;
  return kernel;
}

// The backend's indirect path, up to the patcher, then the patcher itself.
PatchRun patch_on_host(const IndirectDispatch& request, std::array<uint32_t, 3> counts) {
  PacketSlot slot;
  std::memset(slot.bytes, 0xcd, sizeof(slot.bytes));  // whatever the ring held before
  LoadedKernel patcher;
  patcher.kernel_object = 0x1000;
  auto packets =
      make_indirect_dispatch(patcher, 0x2000, request, reinterpret_cast<uintptr_t>(slot.bytes), kCompletionSignal);
  EXPECT_TRUE(packets.ok()) << packets.status().to_string();
  PatchRun run;
  if (!packets.ok()) return run;
  // As Device::dispatch_indirect does: reserve, then the body; no header.
  reserve_packet(slot.bytes);
  write_packet_body(slot.bytes, &packets->target);
  EXPECT_EQ(slot.bytes[0], DEVBIN_AQL_PACKET_TYPE_INVALID);

  alignas(4) uint32_t count_memory[3] = {counts[0], counts[1], counts[2]};
  devbin_dispatch_args_t args = packets->patch_args;
  args.workgroup_counts = reinterpret_cast<uintptr_t>(count_memory);
  args.status = reinterpret_cast<uintptr_t>(&run.status);
  // One work-item, as the patcher's packet asks.
  const devbin_host_grid_t grid{1, 1, 1};
  const devbin_host_launch_result_t launched = devbin_host_launch(grid, run_patcher, &args);
  EXPECT_EQ(launched, DEVBIN_HOST_LAUNCH_OK) << devbin_host_launch_result_name(launched);
  std::memcpy(run.packet.data(), slot.bytes, 64);
  return run;
}

// The backend's direct dispatch of the same kernel: packet built and published.
std::array<uint8_t, 64> direct_packet(const IndirectDispatch& request, std::array<uint32_t, 3> counts) {
  DispatchGeometry geometry;
  geometry.dimensions = request.dimensions;
  for (int d = 0; d < 3; ++d) {
    geometry.workgroup_size[d] = request.workgroup_size[d];
    geometry.grid_size[d] = counts[d] * request.workgroup_size[d];
  }
  EXPECT_TRUE(check_geometry(geometry).ok());
  PacketSlot slot;
  const auto packet = make_dispatch_packet(request.kernel, geometry, request.kernarg_address, kCompletionSignal);
  reserve_packet(slot.bytes);
  write_packet_body(slot.bytes, &packet);
  publish_packet(slot.bytes, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
  std::array<uint8_t, 64> bytes;
  std::memcpy(bytes.data(), slot.bytes, 64);
  return bytes;
}

IndirectDispatch request_1d(uint32_t workgroup_size) {
  IndirectDispatch request;
  request.kernel = target_kernel();
  request.kernarg_address = 0x00007f00abcd0040ull;
  request.dimensions = 1;
  request.workgroup_size[0] = workgroup_size;
  request.workgroup_counts = 0x4;  // replaced by the host memory holding the counts
  return request;
}

std::string describe(const std::array<uint8_t, 64>& a, const std::array<uint8_t, 64>& b) {
  std::string out;
  for (size_t i = 0; i < 64; ++i) {
    if (a[i] != b[i]) {
      char line[64];
      std::snprintf(line, sizeof(line), "byte %zu: patched %02x, direct %02x\n", i, a[i], b[i]);
      out += line;
    }
  }
  return out;
}

TEST(IndirectOnHost, PatchedPacketEqualsTheDirectOne1D) {
  for (uint32_t workgroups : {1u, 7u, 1000u, 65535u}) {
    const IndirectDispatch request = request_1d(256);
    const std::array<uint32_t, 3> counts = {workgroups, 1, 1};
    const PatchRun run = patch_on_host(request, counts);
    const auto direct = direct_packet(request, counts);
    EXPECT_EQ(run.packet, direct) << workgroups << " workgroups:\n" << describe(run.packet, direct);
    EXPECT_EQ(run.status, DEVBIN_DISPATCH_STATUS_OK);
  }
}

TEST(IndirectOnHost, PatchedPacketEqualsTheDirectOne3D) {
  IndirectDispatch request = request_1d(8);
  request.dimensions = 3;
  request.workgroup_size[1] = 4;
  request.workgroup_size[2] = 2;
  const std::array<uint32_t, 3> counts = {5, 6, 7};
  const PatchRun run = patch_on_host(request, counts);
  const auto direct = direct_packet(request, counts);
  EXPECT_EQ(run.packet, direct) << describe(run.packet, direct);
  // The fields the comparison rests on, spelled out.
  devbin_aql_kernel_dispatch_packet_t patched;
  std::memcpy(&patched, run.packet.data(), 64);
  EXPECT_EQ(patched.header, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH));
  EXPECT_EQ(patched.setup, 3);
  EXPECT_EQ(patched.grid_size_x, 40u);
  EXPECT_EQ(patched.grid_size_y, 24u);
  EXPECT_EQ(patched.grid_size_z, 14u);
  EXPECT_EQ(patched.workgroup_size_x, 8);
  EXPECT_EQ(patched.workgroup_size_y, 4);
  EXPECT_EQ(patched.workgroup_size_z, 2);
  EXPECT_EQ(patched.kernel_object, request.kernel.kernel_object);
  EXPECT_EQ(patched.completion_signal, kCompletionSignal);
}

// A zero count: the target becomes a barrier-AND with no dependencies that
// keeps the completion signal (so the queue's completion count still moves)
// and the ordering bits the backend asked for.
TEST(IndirectOnHost, ZeroCountBecomesAnOrderedNoOp) {
  const IndirectDispatch request = request_1d(64);
  const PatchRun run = patch_on_host(request, {0, 1, 1});
  EXPECT_EQ(run.status, DEVBIN_DISPATCH_STATUS_EMPTY);
  AqlBarrierAndPacket patched;
  std::memcpy(&patched, run.packet.data(), 64);
  EXPECT_EQ(patched.header, ordered_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND));
  for (uint64_t dep : patched.dep_signal) EXPECT_EQ(dep, 0u);
  EXPECT_EQ(patched.completion_signal, kCompletionSignal);
}

TEST(IndirectOnHost, CountOverTheLimitBecomesANoOpAndSaysSo) {
  IndirectDispatch request = request_1d(64);
  request.max_workgroup_count[0] = 100;
  const PatchRun run = patch_on_host(request, {101, 1, 1});
  EXPECT_EQ(run.status, DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
  EXPECT_EQ(run.packet[0], DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);

  const PatchRun overflow = patch_on_host(request_1d(1024), {0x00400000, 1, 1});  // 2^32 work-items
  EXPECT_EQ(overflow.status, DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW);
  EXPECT_EQ(overflow.packet[0], DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);
}

}  // namespace
}  // namespace devbin::hsa
