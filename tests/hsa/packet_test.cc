// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's pure parts: AQL packet bytes against the HSA layout,
// header bits, the publish protocol on a plain-memory ring, kernarg layout
// from code-object metadata (the embedded builtins and synthetic metadata),
// loader/metadata checks and launch shapes.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "devbin/code_object.h"
#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "devbin/toc.h"
#include "hsa/packet.h"

namespace devbin::hsa {
namespace {

// "text contains needle", printing both when it does not.
testing::AssertionResult assert_contains(const char* text_expr, const char*, const std::string& text,
                                         const std::string& needle) {
  if (text.find(needle) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << text_expr << " is \"" << text << "\"\n  which lacks \"" << needle << "\"";
}

template <typename T>
T load_le(const uint8_t* bytes) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<T>(bytes[i]) << (8 * i));
  return value;
}

template <typename T>
std::array<uint8_t, 64> bytes_of_packet(const T& packet) {
  static_assert(sizeof(T) == 64);
  std::array<uint8_t, 64> bytes;
  std::memcpy(bytes.data(), &packet, 64);
  return bytes;
}

// 64-byte aligned packet memory, as an AQL ring is.
struct alignas(64) Ring {
  uint8_t bytes[64 * 8];
};

TEST(AqlHeader, FieldsSitAtTheSpecBitPositions) {
  // HSA 1.2 hsa_packet_header_t: type bits 0..7, barrier bit 8, acquire
  // fence scope bits 9..10, release fence scope bits 11..12.
  EXPECT_EQ(aql_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH, false, 0, 0), 0x0002);
  EXPECT_EQ(aql_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND, false, 0, 0), 0x0003);
  EXPECT_EQ(aql_header(0, true, 0, 0), 0x0100);
  EXPECT_EQ(aql_header(0, false, DEVBIN_AQL_FENCE_SCOPE_AGENT, 0), 0x0200);
  EXPECT_EQ(aql_header(0, false, DEVBIN_AQL_FENCE_SCOPE_SYSTEM, 0), 0x0400);
  EXPECT_EQ(aql_header(0, false, 0, DEVBIN_AQL_FENCE_SCOPE_AGENT), 0x0800);
  EXPECT_EQ(aql_header(0, false, 0, DEVBIN_AQL_FENCE_SCOPE_SYSTEM), 0x1000);
  // Scopes wider than two bits do not spill into neighbouring fields.
  EXPECT_EQ(aql_header(0, false, 7, 0), 0x0600);
  EXPECT_EQ(ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), 0x1502);
  EXPECT_EQ(ordered_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND), 0x1503);
  EXPECT_EQ(aql_dispatch_setup(1), 1);
  EXPECT_EQ(aql_dispatch_setup(3), 3);
}

TEST(DispatchPacket, FieldsSitAtTheSpecByteOffsets) {
  LoadedKernel kernel;
  kernel.kernel_object = 0x1122334455667788ull;
  kernel.private_segment_size = 0xa1a2a3a4;
  kernel.group_segment_size = 0xb1b2b3b4;
  DispatchGeometry geometry;
  geometry.dimensions = 3;
  geometry.workgroup_size[0] = 0x0102;
  geometry.workgroup_size[1] = 0x0304;
  geometry.workgroup_size[2] = 0x0506;
  geometry.grid_size[0] = 0x10203040;
  geometry.grid_size[1] = 0x50607080;
  geometry.grid_size[2] = 0x90a0b0c0;
  const auto packet = make_dispatch_packet(kernel, geometry, 0xc1c2c3c4c5c6c7c8ull, 0xd1d2d3d4d5d6d7d8ull);
  const auto bytes = bytes_of_packet(packet);
  // hsa_kernel_dispatch_packet_t, byte by byte.
  EXPECT_EQ(load_le<uint16_t>(&bytes[0]), DEVBIN_AQL_PACKET_TYPE_INVALID);  // header: not yet published
  EXPECT_EQ(load_le<uint16_t>(&bytes[2]), 3);                               // setup: dimensions
  EXPECT_EQ(load_le<uint16_t>(&bytes[4]), 0x0102);
  EXPECT_EQ(load_le<uint16_t>(&bytes[6]), 0x0304);
  EXPECT_EQ(load_le<uint16_t>(&bytes[8]), 0x0506);
  EXPECT_EQ(load_le<uint16_t>(&bytes[10]), 0);  // reserved0
  EXPECT_EQ(load_le<uint32_t>(&bytes[12]), 0x10203040u);
  EXPECT_EQ(load_le<uint32_t>(&bytes[16]), 0x50607080u);
  EXPECT_EQ(load_le<uint32_t>(&bytes[20]), 0x90a0b0c0u);
  EXPECT_EQ(load_le<uint32_t>(&bytes[24]), 0xa1a2a3a4u);
  EXPECT_EQ(load_le<uint32_t>(&bytes[28]), 0xb1b2b3b4u);
  EXPECT_EQ(load_le<uint64_t>(&bytes[32]), 0x1122334455667788ull);
  EXPECT_EQ(load_le<uint64_t>(&bytes[40]), 0xc1c2c3c4c5c6c7c8ull);
  EXPECT_EQ(load_le<uint64_t>(&bytes[48]), 0u);  // reserved2
  EXPECT_EQ(load_le<uint64_t>(&bytes[56]), 0xd1d2d3d4d5d6d7d8ull);
}

TEST(BarrierAndPacket, FieldsSitAtTheSpecByteOffsets) {
  const uint64_t deps[] = {0x11, 0x22, 0x33, 0x44, 0x55};
  auto packet = make_barrier_and_packet(deps, 0x99);
  ASSERT_TRUE(packet.ok()) << packet.status().to_string();
  const auto bytes = bytes_of_packet(packet.value());
  EXPECT_EQ(load_le<uint16_t>(&bytes[0]), DEVBIN_AQL_PACKET_TYPE_INVALID);
  EXPECT_EQ(load_le<uint16_t>(&bytes[2]), 0);
  EXPECT_EQ(load_le<uint32_t>(&bytes[4]), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(load_le<uint64_t>(&bytes[8 + 8 * i]), deps[i]) << "dep_signal " << i;
  EXPECT_EQ(load_le<uint64_t>(&bytes[48]), 0u);
  EXPECT_EQ(load_le<uint64_t>(&bytes[56]), 0x99u);

  auto none = make_barrier_and_packet({}, 7);
  ASSERT_TRUE(none.ok());
  for (uint64_t dep : none->dep_signal) EXPECT_EQ(dep, 0u);

  const uint64_t six[6] = {1, 2, 3, 4, 5, 6};
  auto too_many = make_barrier_and_packet(six, 0);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(assert_contains, too_many.status().message(), "6 dependencies");
}

TEST(PacketRing, ReserveWriteThenPublish) {
  Ring ring;
  std::memset(ring.bytes, 0xab, sizeof(ring.bytes));
  void* slot = packet_slot(ring.bytes, 8, 10);  // index 10 wraps to slot 2
  ASSERT_EQ(slot, ring.bytes + 2 * 64);
  EXPECT_EQ(packet_slot(ring.bytes, 8, 7), ring.bytes + 7 * 64);
  EXPECT_EQ(packet_slot(ring.bytes, 8, 8), ring.bytes);

  reserve_packet(slot);
  EXPECT_EQ(load_le<uint16_t>(ring.bytes + 128), DEVBIN_AQL_PACKET_TYPE_INVALID);
  EXPECT_EQ(load_le<uint16_t>(ring.bytes + 130), 0);

  LoadedKernel kernel;
  kernel.kernel_object = 0x4242;
  const auto packet = make_dispatch_packet(kernel, linear_geometry(4, 64), 0x1000, 0x2000);
  write_packet_body(slot, &packet);
  // The body is in place, the header still INVALID.
  EXPECT_EQ(load_le<uint16_t>(ring.bytes + 128), DEVBIN_AQL_PACKET_TYPE_INVALID);
  EXPECT_EQ(std::memcmp(ring.bytes + 128 + 4, reinterpret_cast<const uint8_t*>(&packet) + 4, 60), 0);

  publish_packet(slot, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
  EXPECT_EQ(load_le<uint16_t>(ring.bytes + 128), 0x1502);
  EXPECT_EQ(load_le<uint16_t>(ring.bytes + 130), 1);
  // Neighbouring slots untouched.
  for (size_t i = 0; i < 64; ++i) {
    ASSERT_EQ(ring.bytes[64 + i], 0xab);
    ASSERT_EQ(ring.bytes[192 + i], 0xab);
  }
}

TEST(PacketRing, AConsumerThatSeesTheHeaderSeesTheWholeBody) {
  // A packet processor stand-in: spins on an acquire load of the first dword
  // and then reads the body. Run under TSan/ASan builds, this is the protocol
  // check; on any build it must never see a half-written packet.
  constexpr int kRounds = 2000;
  Ring ring;
  void* slot = ring.bytes;
  std::atomic<int> mismatches{0};
  std::atomic<int> round{-1};
  std::thread consumer([&] {
    for (int r = 0; r < kRounds; ++r) {
      while (round.load(std::memory_order_acquire) != r) {
      }
      const uint32_t expected_grid = static_cast<uint32_t>(r) * 64 + 64;
      while ((std::atomic_ref<uint32_t>(*static_cast<uint32_t*>(slot)).load(std::memory_order_acquire) & 0xff) !=
             DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH) {
      }
      devbin_aql_kernel_dispatch_packet_t seen;
      std::memcpy(reinterpret_cast<uint8_t*>(&seen) + 4, static_cast<uint8_t*>(slot) + 4, 60);
      if (seen.grid_size_x != expected_grid || seen.kernarg_address != uint64_t(r)) ++mismatches;
      round.store(-1 - r - 1, std::memory_order_release);  // consumed
    }
  });
  for (int r = 0; r < kRounds; ++r) {
    reserve_packet(slot);
    LoadedKernel kernel;
    kernel.kernel_object = 1;
    const auto packet =
        make_dispatch_packet(kernel, linear_geometry(static_cast<uint32_t>(r) + 1, 64), static_cast<uint64_t>(r), 0);
    round.store(r, std::memory_order_release);
    write_packet_body(slot, &packet);
    publish_packet(slot, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
    while (round.load(std::memory_order_acquire) != -1 - r - 1) {
    }
  }
  consumer.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Geometry, Checks) {
  EXPECT_TRUE(check_geometry(linear_geometry(10, 256)).ok());
  DispatchGeometry bad;
  bad.dimensions = 0;
  EXPECT_PRED_FORMAT2(assert_contains, check_geometry(bad).message(), "0 dimensions");
  bad = {};
  bad.workgroup_size[0] = 65536;
  EXPECT_PRED_FORMAT2(assert_contains, check_geometry(bad).message(), "65536; expected 1..65535");
  bad = {};
  bad.grid_size[1] = 4;
  EXPECT_PRED_FORMAT2(assert_contains, check_geometry(bad).message(), "grid_size[1] is 4 in a 1-dimensional dispatch");
  bad = {};
  bad.grid_size[0] = 0;
  EXPECT_PRED_FORMAT2(assert_contains, check_geometry(bad).message(), "grid_size[0] is 0");
  // The packet's grid is 32-bit in work-items: linear_geometry saturates.
  EXPECT_EQ(linear_geometry(0x01000000, 1024).grid_size[0], UINT32_MAX);
}

//===----------------------------------------------------------------------===//
// Kernargs
//===----------------------------------------------------------------------===//

// A code-object v5/v6 kernel's metadata as clang-22 emits it for a kernel
// taking one 24-byte struct and reading the whole implicit-argument area
// (tests/hsa/hidden_args_probe.c), plus a kind it does not emit there.
KernelInfo v5_kernel() {
  KernelInfo kernel;
  kernel.name = "k";
  kernel.symbol = "k.kd";
  kernel.explicit_args_size = 24;
  kernel.kernarg_segment_size = 24 + 256;
  kernel.kernarg_segment_align = 8;
  kernel.args = {
      {0, 24, "by_value"},
      {24, 4, "hidden_block_count_x"},
      {28, 4, "hidden_block_count_y"},
      {32, 4, "hidden_block_count_z"},
      {36, 2, "hidden_group_size_x"},
      {38, 2, "hidden_group_size_y"},
      {40, 2, "hidden_group_size_z"},
      {42, 2, "hidden_remainder_x"},
      {44, 2, "hidden_remainder_y"},
      {46, 2, "hidden_remainder_z"},
      {64, 8, "hidden_global_offset_x"},
      {72, 8, "hidden_global_offset_y"},
      {80, 8, "hidden_global_offset_z"},
      {88, 2, "hidden_grid_dims"},
      {104, 8, "hidden_hostcall_buffer"},
      {112, 8, "hidden_multigrid_sync_arg"},
      {120, 8, "hidden_heap_v1"},
      {128, 8, "hidden_default_queue"},
      {136, 8, "hidden_completion_action"},
      {144, 4, "hidden_dynamic_lds_size"},
      {224, 8, "hidden_queue_ptr"},
  };
  return kernel;
}

TEST(Kernargs, ExplicitArgumentsThenEveryHiddenArgumentAtItsOffset) {
  const KernelInfo kernel = v5_kernel();
  std::vector<uint8_t> segment(kernel.kernarg_segment_size + 40, 0xee);  // the slot may be larger
  std::array<uint8_t, 24> explicit_args;
  for (size_t i = 0; i < explicit_args.size(); ++i) explicit_args[i] = static_cast<uint8_t>(i + 1);
  DispatchGeometry geometry;
  geometry.dimensions = 2;
  geometry.workgroup_size[0] = 256;
  geometry.workgroup_size[1] = 4;
  geometry.grid_size[0] = 1000;  // 3 full groups, remainder 232
  geometry.grid_size[1] = 8;     // 2 full groups, remainder 0
  HiddenArgumentValues hidden;
  hidden.queue = 0x7f0011223340ull;
  Status status = write_kernargs(segment, kernel, explicit_args, geometry, hidden);
  ASSERT_TRUE(status.ok()) << status.to_string();

  EXPECT_EQ(std::memcmp(segment.data(), explicit_args.data(), 24), 0);
  const uint8_t* s = segment.data();
  EXPECT_EQ(load_le<uint32_t>(s + 24), 3u);
  EXPECT_EQ(load_le<uint32_t>(s + 28), 2u);
  EXPECT_EQ(load_le<uint32_t>(s + 32), 1u);
  EXPECT_EQ(load_le<uint16_t>(s + 36), 256);
  EXPECT_EQ(load_le<uint16_t>(s + 38), 4);
  EXPECT_EQ(load_le<uint16_t>(s + 40), 1);
  EXPECT_EQ(load_le<uint16_t>(s + 42), 232);
  EXPECT_EQ(load_le<uint16_t>(s + 44), 0);
  EXPECT_EQ(load_le<uint16_t>(s + 46), 0);
  EXPECT_EQ(load_le<uint16_t>(s + 88), 2);
  EXPECT_EQ(load_le<uint64_t>(s + 224), hidden.queue);
  // Everything else zero: global offsets, the unsupported hidden kinds and the
  // padding between arguments, up to the end of the whole slot.
  for (size_t i = 48; i < segment.size(); ++i) {
    if (i == 88 || i == 89 || (i >= 224 && i < 232)) continue;
    ASSERT_EQ(segment[i], 0) << "byte " << i;
  }
}

TEST(Kernargs, RefusesWhatDoesNotFit) {
  const KernelInfo kernel = v5_kernel();
  std::array<uint8_t, 24> explicit_args{};
  std::vector<uint8_t> segment(kernel.kernarg_segment_size);
  const DispatchGeometry geometry = linear_geometry(1, 64);

  std::vector<uint8_t> small(kernel.kernarg_segment_size - 1);
  Status status = write_kernargs(small, kernel, explicit_args, geometry);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "the segment is 279 bytes; the metadata's kernarg_segment_size is 280");

  std::array<uint8_t, 16> short_args{};
  status = write_kernargs(segment, kernel, short_args, geometry);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(), "16 bytes of explicit arguments; the metadata expects 24");

  KernelInfo outside = kernel;
  outside.args.push_back({276, 8, "hidden_none"});
  status = write_kernargs(segment, outside, explicit_args, geometry);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "'hidden_none' at offset 276 (8 bytes) lies outside the 280-byte");

  KernelInfo overlap = kernel;
  overlap.args[1].offset = 16;
  status = write_kernargs(segment, overlap, explicit_args, geometry);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(), "'hidden_block_count_x' at offset 16 overlaps the 24 bytes");

  KernelInfo wrong_size = kernel;
  wrong_size.args[4].size = 4;  // hidden_group_size_x
  status = write_kernargs(segment, wrong_size, explicit_args, geometry);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(), "'hidden_group_size_x' is 4 bytes; expected 2");

  DispatchGeometry bad = geometry;
  bad.workgroup_size[0] = 0;
  EXPECT_FALSE(write_kernargs(segment, kernel, explicit_args, bad).ok());
}

// The probe kernel clang-22 built (hidden_args_probe.c): every hidden
// argument its metadata lists gets the value its kind calls for, at the
// metadata's offset.
TEST(Kernargs, ClangBuiltKernelHiddenArgumentsAtTheirMetadataOffsets) {
#ifndef DEVBIN_HSA_HIDDEN_ARGS_PROBE
  GTEST_SKIP() << "clang-22/ld.lld-22 were not found at configure time; the probe kernel was not built";
#else
  std::FILE* file = std::fopen(DEVBIN_HSA_HIDDEN_ARGS_PROBE, "rb");
  ASSERT_NE(file, nullptr) << DEVBIN_HSA_HIDDEN_ARGS_PROBE;
  std::vector<uint8_t> bytes;
  uint8_t chunk[4096];
  for (size_t n; (n = std::fread(chunk, 1, sizeof(chunk), file)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
  std::fclose(file);
  auto info = inspect_code_object(bytes);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  const KernelInfo* kernel = info->find_kernel("devbin_hidden_args_probe");
  ASSERT_NE(kernel, nullptr);
  ASSERT_EQ(kernel->explicit_args_size, 24u);

  std::vector<uint8_t> segment(kernel->kernarg_segment_size, 0xee);
  std::array<uint8_t, 24> explicit_args{};
  DispatchGeometry geometry;
  geometry.dimensions = 3;
  geometry.workgroup_size[0] = 64;
  geometry.workgroup_size[1] = 2;
  geometry.workgroup_size[2] = 3;
  geometry.grid_size[0] = 1000;
  geometry.grid_size[1] = 9;
  geometry.grid_size[2] = 6;
  HiddenArgumentValues hidden;
  hidden.queue = 0x00007f0000a0b000ull;
  Status status = write_kernargs(segment, *kernel, explicit_args, geometry, hidden);
  ASSERT_TRUE(status.ok()) << status.to_string();

  int known = 0;
  for (const KernelArg& arg : kernel->args) {
    const std::string& kind = arg.value_kind;
    if (!kind.starts_with("hidden_")) continue;
    ASSERT_LE(arg.size, 8u) << kind;
    const uint8_t* at = segment.data() + arg.offset;
    const int d = kind.empty() ? 0 : kind.back() - 'x';
    uint64_t value = 0;
    for (uint32_t i = 0; i < arg.size; ++i) value |= uint64_t{at[i]} << (8 * i);
    if (kind.starts_with("hidden_block_count_")) {
      EXPECT_EQ(value, geometry.grid_size[d] / geometry.workgroup_size[d]) << kind;
      ++known;
    } else if (kind.starts_with("hidden_group_size_")) {
      EXPECT_EQ(value, geometry.workgroup_size[d]) << kind;
      ++known;
    } else if (kind.starts_with("hidden_remainder_")) {
      EXPECT_EQ(value, geometry.grid_size[d] % geometry.workgroup_size[d]) << kind;
      ++known;
    } else if (kind == "hidden_grid_dims") {
      EXPECT_EQ(value, 3u);
      ++known;
    } else if (kind == "hidden_queue_ptr") {
      EXPECT_EQ(value, hidden.queue);
      ++known;
    } else {
      EXPECT_EQ(value, 0u) << kind << " (global offsets and features devbin does not provide are zero)";
    }
  }
  // Block counts, group sizes and remainders in three dimensions, grid dims, queue pointer.
  EXPECT_EQ(known, 11) << "the probe's metadata lacks hidden arguments it should list";

  // Where an indirect dispatch's patcher stores the block counts: the
  // metadata's hidden_block_count_x, y and z following it.
  auto offset = hidden_block_count_offset(*kernel);
  ASSERT_TRUE(offset.ok()) << offset.status().to_string();
  ASSERT_TRUE(offset->has_value());
  for (const KernelArg& arg : kernel->args) {
    if (arg.value_kind == "hidden_block_count_x") {
      EXPECT_EQ(**offset, arg.offset);
    }
    if (arg.value_kind == "hidden_block_count_z") {
      EXPECT_EQ(**offset + 8, arg.offset);
    }
  }
#endif
}

// Every AMDGPU code object embedded in this build: each ABI kernel's kernargs
// laid out from its own metadata, and its explicit argument size is the ABI
// struct's.
TEST(Kernargs, EmbeddedBuiltinsLayOutFromTheirMetadata) {
  const Toc& toc = embedded_toc();
  int checked = 0;
  for (const TocEntry& entry : toc.entries) {
    if (entry.triple != kAmdgpuTriple) continue;
    auto info = inspect_and_validate(entry);
    ASSERT_TRUE(info.ok()) << entry.name << ": " << info.status().to_string();
    const size_t abi_sizes[] = {
#define DEVBIN_TEST_SIZE_(name, args) sizeof(args),
        DEVBIN_ABI_KERNELS(DEVBIN_TEST_SIZE_)
#undef DEVBIN_TEST_SIZE_
    };
    for (size_t k = 0; k < kKernelCount; ++k) {
      const std::string name(kernel_name(static_cast<Kernel>(k)));
      const KernelInfo* kernel = info->find_kernel(name);
      ASSERT_NE(kernel, nullptr) << entry.name << " lacks " << name;
      EXPECT_EQ(kernel->symbol, name + ".kd");
      std::vector<uint8_t> explicit_args(abi_sizes[k], 0x5a);
      std::vector<uint8_t> segment(kernel->kernarg_segment_size + 64, 0xee);
      Status status = write_kernargs(segment, *kernel, explicit_args, linear_geometry(7, 64));
      ASSERT_TRUE(status.ok()) << entry.name << " " << name << ": " << status.to_string();
      for (size_t i = 0; i < explicit_args.size(); ++i) ASSERT_EQ(segment[i], 0x5a);
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "this build embeds no AMDGPU code object";
}

//===----------------------------------------------------------------------===//
// Loader checks
//===----------------------------------------------------------------------===//

TEST(LoadedKernelCheck, SizesMustAgreeWithTheMetadata) {
  KernelInfo metadata;
  metadata.name = "devbin_fill";
  metadata.kernarg_segment_size = 40;
  metadata.kernarg_segment_align = 8;
  metadata.group_segment_fixed_size = 0;
  metadata.private_segment_fixed_size = 0;
  LoadedKernel loaded;
  loaded.kernel_object = 0x7000;
  loaded.kernarg_segment_size = 40;
  loaded.kernarg_segment_align = 16;  // ROCm's loader says 16 for every v3+ kernel
  EXPECT_TRUE(check_loaded_kernel(metadata, loaded).ok());
  EXPECT_EQ(kernarg_alignment(metadata, loaded), 16u);
  metadata.kernarg_segment_align = 64;
  EXPECT_EQ(kernarg_alignment(metadata, loaded), 64u);

  LoadedKernel bad = loaded;
  bad.kernarg_segment_size = 296;
  Status status = check_loaded_kernel(metadata, bad);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "devbin_fill: the loader reports a kernarg segment size of 296 bytes, "
                      "the code object's metadata 40");
  bad = loaded;
  bad.group_segment_size = 1024;
  EXPECT_PRED_FORMAT2(assert_contains, check_loaded_kernel(metadata, bad).message(),
                      "group segment size of 1024 bytes");
  bad = loaded;
  bad.private_segment_size = 16;
  EXPECT_PRED_FORMAT2(assert_contains, check_loaded_kernel(metadata, bad).message(),
                      "private segment size of 16 bytes");
  bad = loaded;
  bad.kernel_object = 0;
  EXPECT_PRED_FORMAT2(assert_contains, check_loaded_kernel(metadata, bad).message(), "null kernel object");
  bad = loaded;
  bad.dynamic_callstack = true;
  EXPECT_PRED_FORMAT2(assert_contains, check_loaded_kernel(metadata, bad).message(), "dynamic call stack");
}

//===----------------------------------------------------------------------===//
// Indirect dispatch
//===----------------------------------------------------------------------===//

IndirectDispatch valid_request() {
  IndirectDispatch request;
  request.kernel.kernel_object = 0xabc0;
  request.kernel.kernarg_segment_size = 40;
  request.kernel.group_segment_size = 512;
  request.kernel.private_segment_size = 32;
  request.kernarg_address = 0x5000;
  request.dimensions = 2;
  request.workgroup_size[0] = 128;
  request.workgroup_size[1] = 2;
  request.workgroup_counts = 0x6000;
  request.max_workgroup_count[0] = 1000;
  request.max_workgroup_count[1] = 10;
  request.max_workgroup_count[2] = 1;
  request.status = 0x7000;
  return request;
}

TEST(IndirectDispatchPackets, PatcherThenBarrierThenTheInvalidTarget) {
  LoadedKernel patcher;
  patcher.kernel_object = 0x1110;
  patcher.kernarg_segment_size = 56;
  const IndirectDispatch request = valid_request();
  auto packets_or = make_indirect_dispatch(patcher, 0x8000, request, 0x9040, 0x5151);
  ASSERT_TRUE(packets_or.ok()) << packets_or.status().to_string();
  const IndirectPackets& packets = packets_or.value();

  // The patcher's arguments point it at the target slot with the header it publishes.
  EXPECT_EQ(packets.patch_args.workgroup_counts, 0x6000u);
  EXPECT_EQ(packets.patch_args.packet, 0x9040u);
  EXPECT_EQ(packets.patch_args.status, 0x7000u);
  EXPECT_EQ(packets.patch_args.workgroup_size[0], 128u);
  EXPECT_EQ(packets.patch_args.workgroup_size[1], 2u);
  EXPECT_EQ(packets.patch_args.workgroup_size[2], 1u);
  EXPECT_EQ(packets.patch_args.max_workgroup_count[0], 1000u);
  EXPECT_EQ(packets.patch_args.max_workgroup_count[1], 10u);
  EXPECT_EQ(packets.patch_args.header, 0x1502);
  EXPECT_EQ(packets.patch_args.setup, 2);

  // The patcher: one work-item, its own kernargs, ordered.
  EXPECT_EQ(packets.patcher.kernel_object, 0x1110u);
  EXPECT_EQ(packets.patcher.kernarg_address, 0x8000u);
  EXPECT_EQ(packets.patcher.grid_size_x, 1u);
  EXPECT_EQ(packets.patcher.workgroup_size_x, 1);
  EXPECT_EQ(packets.patcher_header, 0x1502);
  EXPECT_EQ(packets.patcher_setup, 1);
  EXPECT_EQ(packets.patcher.completion_signal, 0x5151u);

  // The barrier-AND waits for the patcher (barrier bit) with no dependencies.
  EXPECT_EQ(packets.barrier_header & 0xff, DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);
  EXPECT_NE(packets.barrier_header & (1u << DEVBIN_AQL_HEADER_BARRIER_SHIFT), 0);
  for (uint64_t dep : packets.barrier.dep_signal) EXPECT_EQ(dep, 0u);
  EXPECT_EQ(packets.barrier.completion_signal, 0x5151u);

  // The target: INVALID until the patcher publishes it, grid unknown.
  EXPECT_EQ(packets.target.header, DEVBIN_AQL_PACKET_TYPE_INVALID);
  EXPECT_EQ(packets.target.grid_size_x, 0u);
  EXPECT_EQ(packets.target.grid_size_y, 0u);
  EXPECT_EQ(packets.target.grid_size_z, 0u);
  EXPECT_EQ(packets.target.workgroup_size_x, 128);
  EXPECT_EQ(packets.target.workgroup_size_y, 2);
  EXPECT_EQ(packets.target.workgroup_size_z, 1);
  EXPECT_EQ(packets.target.kernel_object, 0xabc0u);
  EXPECT_EQ(packets.target.kernarg_address, 0x5000u);
  EXPECT_EQ(packets.target.group_segment_size, 512u);
  EXPECT_EQ(packets.target.private_segment_size, 32u);
  EXPECT_EQ(packets.target.completion_signal, 0x5151u);
}

TEST(IndirectDispatchPackets, HiddenBlockCountsGoToThePatchersArguments) {
  LoadedKernel patcher;
  patcher.kernel_object = 0x1110;
  IndirectDispatch request = valid_request();
  auto plain = make_indirect_dispatch(patcher, 0x8000, request, 0x9040, 1);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->patch_args.target_kernargs, 0u) << "no offset, no block counts";
  request.hidden_block_count_offset = 24;
  auto packets = make_indirect_dispatch(patcher, 0x8000, request, 0x9040, 1);
  ASSERT_TRUE(packets.ok()) << packets.status().to_string();
  EXPECT_EQ(packets->patch_args.target_kernargs, 0x5000u);
  EXPECT_EQ(packets->patch_args.hidden_block_count_offset, 24u);
  EXPECT_TRUE(check_dispatch_args(packets->patch_args).ok());
  for (uint32_t bad : {26u, 30u}) {  // misaligned; the counts past the 40-byte segment
    request.hidden_block_count_offset = bad;
    auto refused = make_indirect_dispatch(patcher, 0x8000, request, 0x9040, 1);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_PRED_FORMAT2(assert_contains, refused.status().message(), "hidden block counts at kernarg address 0x5000");
  }
}

KernelInfo kernel_with_block_counts(std::initializer_list<KernelArg> hidden) {
  KernelInfo kernel;
  kernel.name = "k";
  kernel.explicit_args_size = 8;
  kernel.kernarg_segment_size = 264;
  kernel.args.push_back({0, 8, "global_buffer"});
  for (const KernelArg& arg : hidden) kernel.args.push_back(arg);
  return kernel;
}

TEST(IndirectDispatchPackets, HiddenBlockCountOffsetFromTheMetadata) {
  auto none = hidden_block_count_offset(kernel_with_block_counts({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto found = hidden_block_count_offset(kernel_with_block_counts(
      {{16, 4, "hidden_block_count_x"}, {20, 4, "hidden_block_count_y"}, {24, 4, "hidden_block_count_z"}}));
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found->value_or(0), 16u);
  auto partial = hidden_block_count_offset(kernel_with_block_counts({{16, 4, "hidden_block_count_x"}}));
  EXPECT_PRED_FORMAT2(assert_contains, partial.status().message(), "no 'hidden_block_count_y'");
  auto apart = hidden_block_count_offset(kernel_with_block_counts(
      {{16, 4, "hidden_block_count_x"}, {24, 4, "hidden_block_count_y"}, {28, 4, "hidden_block_count_z"}}));
  EXPECT_PRED_FORMAT2(assert_contains, apart.status().message(), "'hidden_block_count_y' is 4 bytes at offset 24");
  auto wide = hidden_block_count_offset(kernel_with_block_counts(
      {{16, 8, "hidden_block_count_x"}, {20, 4, "hidden_block_count_y"}, {24, 4, "hidden_block_count_z"}}));
  EXPECT_EQ(wide.status().code(), StatusCode::kFailedPrecondition);
}

TEST(IndirectDispatchPackets, RefusesBadRequests) {
  LoadedKernel patcher;
  patcher.kernel_object = 0x1110;
  struct Case {
    const char* expected;
    void (*spoil)(IndirectDispatch&, DevicePtr&);
  };
  const Case cases[] = {
      {"target packet address 0x9044 is null or not 64-byte aligned", [](IndirectDispatch&, DevicePtr& t) { t += 4; }},
      {"workgroup_counts address 0x6002", [](IndirectDispatch& r, DevicePtr&) { r.workgroup_counts += 2; }},
      {"workgroup_counts address 0x0", [](IndirectDispatch& r, DevicePtr&) { r.workgroup_counts = 0; }},
      {"status address 0x7001", [](IndirectDispatch& r, DevicePtr&) { r.status += 1; }},
      {"kernel object is null", [](IndirectDispatch& r, DevicePtr&) { r.kernel.kernel_object = 0; }},
      {"kernarg address is null", [](IndirectDispatch& r, DevicePtr&) { r.kernarg_address = 0; }},
      {"workgroup_size[0] is 65536", [](IndirectDispatch& r, DevicePtr&) { r.workgroup_size[0] = 65536; }},
      {"workgroup_size[2] is 4 in a 2-dimensional", [](IndirectDispatch& r, DevicePtr&) { r.workgroup_size[2] = 4; }},
      {"4 dimensions", [](IndirectDispatch& r, DevicePtr&) { r.dimensions = 4; }},
  };
  for (const Case& c : cases) {
    IndirectDispatch request = valid_request();
    DevicePtr target = 0x9040;
    c.spoil(request, target);
    auto packets = make_indirect_dispatch(patcher, 0x8000, request, target, 1);
    ASSERT_FALSE(packets.ok()) << c.expected;
    EXPECT_EQ(packets.status().code(), StatusCode::kInvalidArgument);
    EXPECT_PRED_FORMAT2(assert_contains, packets.status().message(), c.expected);
  }
}

TEST(LaunchShape, OneResidentWaveAtMost) {
  LaunchLimits limits;
  limits.compute_units = 100;
  limits.workgroup_size = 256;
  limits.workgroups_per_compute_unit = 8;
  EXPECT_EQ(workgroup_count(limits, 0), 0u);
  EXPECT_EQ(workgroup_count(limits, 1), 1u);
  EXPECT_EQ(workgroup_count(limits, 256), 1u);
  EXPECT_EQ(workgroup_count(limits, 257), 2u);
  EXPECT_EQ(workgroup_count(limits, uint64_t{1} << 40), 800u);
  limits.compute_units = 0xffffffff;
  limits.workgroups_per_compute_unit = 0xffffffff;
  // Never a grid over the packet's 32-bit work-item count.
  EXPECT_LE(uint64_t{workgroup_count(limits, uint64_t{1} << 60)} * 256, uint64_t{UINT32_MAX});
}

TEST(KernelNames, FollowTheAbiList) {
  EXPECT_EQ(kernel_name(Kernel::devbin_fill), "devbin_fill");
  EXPECT_EQ(kernel_name(Kernel::devbin_copy), "devbin_copy");
  EXPECT_EQ(kernel_name(Kernel::devbin_batch), "devbin_batch");
  EXPECT_EQ(kernel_name(Kernel::devbin_copy_rect), "devbin_copy_rect");
  EXPECT_EQ(kernel_name(Kernel::devbin_fill_rect), "devbin_fill_rect");
  EXPECT_EQ(kernel_name(Kernel::devbin_dispatch_patch), "devbin_dispatch_patch");
  EXPECT_EQ(kernel_name(Kernel::devbin_timestamp), "devbin_timestamp");
  EXPECT_EQ(kernel_name(Kernel::devbin_update), "devbin_update");
  EXPECT_EQ(kKernelCount, 8u);
}

}  // namespace
}  // namespace devbin::hsa
