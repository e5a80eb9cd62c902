// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The blit kernels' argument checks (devbin/kernel_args.h), shared by every backend.
#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "devbin/kernel_args.h"

namespace devbin {
namespace {

TEST(KernelArgsTest, EveryWidthReplicatesItsPattern) {
  for (size_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    for (size_t i = 0; i < width; ++i) pattern[i] = static_cast<uint8_t>(0x10 + i);
    auto args = make_fill_args(0x10000, 64 * width, pattern);
    ASSERT_TRUE(args.ok()) << args.status().to_string();
    EXPECT_EQ(args->target, 0x10000u);
    EXPECT_EQ(args->length, 64 * width);
    EXPECT_EQ(args->pattern_width, width);
    uint8_t bytes[16];
    std::memcpy(bytes, args->pattern, 16);
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(bytes[i], pattern[i % width]) << "width " << width << " byte " << i;
  }
}

TEST(KernelArgsTest, RefusesWhatTheKernelCannotDo) {
  const uint8_t p16[16] = {};
  const uint8_t p3[3] = {};
  const uint8_t p32[32] = {};
  auto width = make_fill_args(0x1000, 12, std::span<const uint8_t>(p3, 3));
  EXPECT_EQ(width.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(width.status().message().find("3 bytes wide; expected 1, 2, 4, 8 or 16"), std::string::npos);
  EXPECT_EQ(make_fill_args(0x1000, 32, std::span<const uint8_t>(p32, 32)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make_fill_args(0x1000, 0, std::span<const uint8_t>()).status().code(), StatusCode::kInvalidArgument);
  auto offset = make_fill_args(0x1008, 32, p16);
  EXPECT_NE(offset.status().message().find("target 0x1008 is not a multiple of the 16-byte pattern width"),
            std::string::npos)
      << offset.status().message();
  auto length = make_fill_args(0x1000, 40, p16);
  EXPECT_NE(length.status().message().find("length 40 is not a multiple of the 16-byte pattern width"),
            std::string::npos)
      << length.status().message();
  EXPECT_EQ(make_fill_args(0, 16, p16).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(make_fill_args(0xfffffffffffffff0ull, 32, p16).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(make_fill_args(0, 0, p16).ok());  // nothing to do is not an error
}

TEST(KernelArgsTest, BatchOperationsAreTheFillAndCopyArguments) {
  const uint8_t pattern[2] = {0xab, 0xcd};
  auto fill = make_batch_fill(0x2002, 10, pattern);
  ASSERT_TRUE(fill.ok()) << fill.status().to_string();
  EXPECT_EQ(fill->kind, DEVBIN_BATCH_FILL);
  EXPECT_EQ(fill->target, 0x2002u);
  EXPECT_EQ(fill->length, 10u);
  EXPECT_EQ(fill->pattern_width, 2u);
  EXPECT_EQ(fill->pattern[3], 0xcdabcdabu);
  auto copy = make_batch_copy(0x1003, 0x3001, 77);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->kind, DEVBIN_BATCH_COPY);
  EXPECT_EQ(copy->source, 0x3001u);
  // The same refusals as a lone fill or copy, with the same words.
  auto odd = make_batch_fill(0x2001, 10, pattern);
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(odd.status().message().find("not a multiple of the 2-byte pattern width"), std::string::npos);
  EXPECT_NE(make_batch_copy(0x1000, 0x100f, 16).status().message().find("overlap"), std::string::npos);
}

TEST(KernelArgsTest, BatchTablesAreNumberedInChunks) {
  std::vector<devbin_batch_op_t> ops;
  for (uint64_t length : {uint64_t{64}, uint64_t{0}, uint64_t{16384}, uint64_t{16385}, uint64_t{1} << 30, uint64_t{1}}) {
    ops.push_back(*make_batch_copy(0x100000000ull, 0x200000000ull, length));
  }
  auto chunks = batch_number(ops);
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  const uint64_t first[] = {0, 1, 1, 2, 4, 4 + 65536};
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(ops[i].first_chunk, first[i]) << "operation " << i;
  EXPECT_EQ(*chunks, 4u + 65536u + 1u);
  EXPECT_EQ(*batch_number(ops, 16), 4u + 1024u + 1025u + (uint64_t{1} << 26) + 1u);
  EXPECT_EQ(*batch_number(std::span<devbin_batch_op_t>()), 0u);

  for (uint32_t chunk_bytes : {0u, 8u, 24u, DEVBIN_BATCH_MAX_CHUNK_BYTES + 16}) {
    auto refused = batch_number(ops, chunk_bytes);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << chunk_bytes;
    EXPECT_NE(refused.status().message().find("expected a non-zero multiple of 16 up to 16777216"), std::string::npos)
        << refused.status().message();
  }
  ops[2].kind = 7;
  auto kind = batch_number(ops);
  EXPECT_NE(kind.status().message().find("operation 2 has kind 7; expected DEVBIN_BATCH_FILL (1) or DEVBIN_BATCH_COPY (2)"),
            std::string::npos)
      << kind.status().message();
  ops[2].kind = DEVBIN_BATCH_COPY;
  ops[3].kind = DEVBIN_BATCH_FILL;
  ops[3].pattern_width = 1;
  ops[3].length = DEVBIN_BATCH_MAX_CHUNK_INDEX * 16;
  auto long_op = batch_number(ops, 16);
  EXPECT_NE(long_op.status().message().find("operation 3 is 17592186044416 bytes long"), std::string::npos)
      << long_op.status().message();
  EXPECT_TRUE(batch_number(ops, 32).ok());

  // Entries filled in directly are checked as make_batch_fill/copy check them.
  struct Case {
    devbin_batch_op_t op;
    const char* expected;
  };
  const Case cases[] = {
      {{0x1002, 0, 16, 0, {}, DEVBIN_BATCH_FILL, 4, 0, 0}, "batch operation 1: fill: target 0x1002 is not a multiple"},
      {{0x1000, 0, 18, 0, {}, DEVBIN_BATCH_FILL, 4, 0, 0}, "batch operation 1: fill: length 18 is not a multiple"},
      {{0x1000, 0, 64, 0, {}, DEVBIN_BATCH_FILL, 32, 0, 0}, "batch operation 1: fill: the pattern is 32 bytes wide"},
      {{0x1000, 0, 64, 0, {}, DEVBIN_BATCH_FILL, 0, 0, 0}, "batch operation 1: fill: the pattern is 0 bytes wide"},
      {{0, 0, 64, 0, {}, DEVBIN_BATCH_FILL, 16, 0, 0}, "batch operation 1: fill: target is null"},
      {{0x1000, 0x1010, 32, 0, {}, DEVBIN_BATCH_COPY, 0, 0, 0}, "batch operation 1: copy: target [0x1000, 0x1020)"},
      {{0x1000, 0, 1, 0, {}, DEVBIN_BATCH_COPY, 0, 0, 0}, "batch operation 1: copy: source is null"},
      {{0xfffffffffffffff0ull, 0x1000, 32, 0, {}, DEVBIN_BATCH_COPY, 0, 0, 0}, "wraps around the address space"},
  };
  for (const Case& c : cases) {
    std::vector<devbin_batch_op_t> table = {*make_batch_copy(0x5000, 0x6000, 100), c.op};
    auto refused = batch_number(table);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << c.expected;
    EXPECT_NE(refused.status().message().find(c.expected), std::string::npos) << refused.status().message();
  }
  std::vector<devbin_batch_op_t> direct = {{0x1000, 0, 64, 0, {0xaabbccdd}, DEVBIN_BATCH_FILL, 4, 0, 0},
                                           {0x2000, 0x3000, 0, 0, {}, DEVBIN_BATCH_COPY, 0, 0, 0},
                                           {0x20001, 0x40003, 40000, 0, {}, DEVBIN_BATCH_COPY, 0, 0, 0}};
  EXPECT_EQ(*batch_number(direct), 1u + 0u + 3u);

  EXPECT_TRUE(make_batch_args(0x1000, 3, 10).ok());
  EXPECT_EQ(make_batch_args(0x1000, 0, 10)->chunk_count, 0u);  // no operations, nothing to run
  EXPECT_TRUE(make_batch_args(0, 0, 0).ok());
  EXPECT_NE(make_batch_args(0x1004, 3, 10).status().message().find("table address 0x1004 is null or not 8-byte aligned"),
            std::string::npos);
  EXPECT_EQ(make_batch_args(0, 3, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(make_batch_args(0x1000, 3, 10, 100).status().code(), StatusCode::kInvalidArgument);
}

TEST(KernelArgsTest, AnyAlignmentButNoOverlap) {
  EXPECT_TRUE(make_copy_args(0x1003, 0x3001, 4097).ok());
  EXPECT_TRUE(make_copy_args(0x1000, 0x1010, 16).ok());  // adjacent ranges do not overlap
  EXPECT_TRUE(make_copy_args(0x1010, 0x1000, 16).ok());
  EXPECT_TRUE(make_copy_args(0x1000, 0x1000, 0).ok());
  auto overlap = make_copy_args(0x1000, 0x100f, 16);
  EXPECT_EQ(overlap.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(overlap.status().message().find("overlap"), std::string::npos);
  EXPECT_EQ(make_copy_args(0x100f, 0x1000, 16).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(make_copy_args(0, 0x1000, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(make_copy_args(0x1000, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(make_copy_args(0xffffffffffffff00ull, 0x1000, 0x100).status().code(), StatusCode::kInvalidArgument);
}

// The bench's shape: 65536 rows of 4097 bytes at pitches 4101 and 4099.
TEST(KernelArgsTest, CopyRectNumbersRowChunks) {
  const devbin_rect_region_t target{0x100000000, 4101, 0};
  const devbin_rect_region_t source{0x200000000, 4099, 0};
  auto args = make_copy_rect_args(target, source, {4097, 65536, 1});
  ASSERT_TRUE(args.ok()) << args.status().to_string();
  EXPECT_EQ(args->chunks_per_row, 1u);
  EXPECT_EQ(args->chunk_bytes, DEVBIN_BATCH_CHUNK_BYTES);
  EXPECT_EQ(rect_chunk_count(args->chunks_per_row, args->extent), 65536u);
  // Three 4097-byte rows to a copy's workgroup, seven to a fill's.
  const auto groups = [&](uint32_t group_bytes) {
    return rect_workgroup_count(args->chunks_per_row, args->chunk_bytes, args->extent, group_bytes);
  };
  EXPECT_EQ(groups(kRectCopyGroupBytes), 21846u);
  EXPECT_EQ(groups(kRectFillGroupBytes), 9363u);
  EXPECT_EQ(args->target.row_pitch, 4101u);
  EXPECT_EQ(args->source.base, 0x200000000u);
  // One wide row: a chunk per 16 KiB, the last one shorter.
  auto wide = make_copy_rect_args({0x10000000, 0, 0}, {0x90000000, 0, 0}, {(1u << 30) + 1, 1, 1});
  ASSERT_TRUE(wide.ok()) << wide.status().to_string();
  EXPECT_EQ(wide->chunks_per_row, (1u << 30) / DEVBIN_BATCH_CHUNK_BYTES + 1);
  EXPECT_EQ(rect_workgroup_count(wide->chunks_per_row, wide->chunk_bytes, wide->extent, kRectFillGroupBytes), wide->chunks_per_row);
  // 3D, a chunk size of the caller's.
  auto cube = make_copy_rect_args({0x100000, 100, 1000}, {0x200000, 64, 640}, {64, 10, 7}, 48);
  ASSERT_TRUE(cube.ok()) << cube.status().to_string();
  EXPECT_EQ(cube->chunks_per_row, 2u);
  EXPECT_EQ(rect_chunk_count(cube->chunks_per_row, cube->extent), 140u);
  EXPECT_EQ(rect_workgroup_count(cube->chunks_per_row, cube->chunk_bytes, cube->extent, kRectFillGroupBytes), 140u);
  EXPECT_EQ(rect_span({0x100000, 100, 1000}, {64, 10, 7}), 6000u + 900u + 64u);
  // Pitches an extent does not use are ignored, and an empty extent moves nothing.
  EXPECT_TRUE(make_copy_rect_args({0x1000, 0, 0}, {0x3000, 1, 2}, {100, 1, 1}).ok());
  auto empty = make_copy_rect_args({0, 0, 0}, {0, 0, 0}, {100, 0, 3});
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(rect_chunk_count(empty->chunks_per_row, empty->extent), 0u);
  EXPECT_EQ(rect_workgroup_count(empty->chunks_per_row, empty->chunk_bytes, empty->extent, kRectCopyGroupBytes), 0u);
}

TEST(KernelArgsTest, CopyRectRefusesOverlapsAndOverflow) {
  auto message = [](const Result<devbin_copy_rect_args_t>& args) {
    EXPECT_EQ(args.status().code(), StatusCode::kInvalidArgument);
    return args.status().message();
  };
  const devbin_rect_region_t source{0x900000, 64, 4096};
  EXPECT_NE(message(make_copy_rect_args({0x100000, 63, 0}, source, {64, 2, 1})).find(
                "target row_pitch 63 is less than the width 64"),
            std::string::npos);
  // The source's rows may overlap: pitch 0 repeats one row, 10 reads overlapping rows.
  EXPECT_TRUE(make_copy_rect_args({0x100000, 64, 4096}, {0x900000, 0, 0}, {64, 2, 3}).ok());
  EXPECT_TRUE(make_copy_rect_args({0x100000, 64, 4096}, {0x900000, 10, 0}, {64, 2, 1}).ok());
  EXPECT_NE(message(make_copy_rect_args({0x100000, 100, 263}, source, {64, 3, 2})).find(
                "target slice_pitch 263 is less than a slice's 264 bytes"),
            std::string::npos);
  EXPECT_TRUE(make_copy_rect_args({0x100000, 100, 264}, source, {64, 3, 2}).ok());
  // Bounding ranges that overlap, even where rows interleave without touching.
  EXPECT_NE(message(make_copy_rect_args({0x100000, 128, 0}, {0x100040, 128, 0}, {64, 4, 1})).find(
                "bounding range [0x100000, 0x1001c0) and the source's [0x100040, 0x100200) overlap"),
            std::string::npos);
  EXPECT_TRUE(make_copy_rect_args({0x100000, 128, 0}, {0x1001c0, 128, 0}, {64, 4, 1}).ok());  // adjacent
  EXPECT_NE(message(make_copy_rect_args({0, 64, 0}, source, {64, 2, 1})).find("target base is null"),
            std::string::npos);
  EXPECT_NE(message(make_copy_rect_args({0x100000, 1ull << 62, 0}, source, {64, 5, 1})).find("overflows 64 bits"),
            std::string::npos);
  EXPECT_NE(message(make_copy_rect_args({0x100000, 64, 1ull << 62}, source, {64, 1, 5})).find("overflows 64 bits"),
            std::string::npos);
  EXPECT_NE(message(make_copy_rect_args({0xfffffffffff00000ull, 1 << 20, 0}, source, {64, 2, 1}))
                .find("wraps around the address space"),
            std::string::npos);
  EXPECT_NE(message(make_copy_rect_args({0x100000, 64, 0}, source, {64, 2, 1}, 24)).find(
                "copy_rect: chunk size 24 bytes"),
            std::string::npos);
  // 2^16 slices of 2^16 rows of one chunk each: 2^32 chunks, one too many.
  EXPECT_NE(message(make_copy_rect_args({0x100000, 1, 1 << 16}, {0x100000000000ull, 1, 1 << 16}, {1, 1 << 16, 1 << 16}))
                .find("exceed the 4294967295 chunks one launch takes"),
            std::string::npos);
  EXPECT_TRUE(
      make_copy_rect_args({0x100000, 1, 1 << 16}, {0x100000000000ull, 1, 1 << 16}, {1, 1 << 16, (1 << 16) - 1}).ok());
}

TEST(KernelArgsTest, FillRectRowsStartOnPatternElements) {
  for (size_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    for (size_t i = 0; i < width; ++i) pattern[i] = static_cast<uint8_t>(0x30 + i);
    const uint64_t w = width;
    auto args = make_fill_rect_args({0x10000 + w, 4096 + w * 3, (4096 + w * 3) * 9}, {4096, 8, 3}, pattern);
    ASSERT_TRUE(args.ok()) << args.status().to_string();
    EXPECT_EQ(args->pattern_width, width);
    uint8_t bytes[16];
    std::memcpy(bytes, args->pattern, 16);
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(bytes[i], pattern[i % width]);
    EXPECT_EQ(rect_chunk_count(args->chunks_per_row, args->extent), 24u);
    if (width == 1) continue;
    struct Case {
      devbin_rect_region_t region;
      devbin_rect_extent_t extent;
      const char* field;
    };
    for (const Case& c : {Case{{0x10001, 4096, 0}, {64, 2, 1}, "base"}, Case{{0x10000, 4097, 0}, {64, 2, 1}, "row_pitch"},
                          Case{{0x10000, 4096, 4096 * 3 - 1}, {64, 2, 2}, "slice_pitch"},
                          Case{{0x10000, 4096, 0}, {w + 1, 2, 1}, "width"}}) {
      auto refused = make_fill_rect_args(c.region, c.extent, pattern);
      EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(refused.status().message().find(std::string("fill_rect: ") + c.field), std::string::npos)
          << refused.status().message();
      EXPECT_NE(refused.status().message().find("is not a multiple of the " + std::to_string(width) + "-byte pattern width"),
                std::string::npos)
          << refused.status().message();
    }
  }
  const uint8_t p3[3] = {};
  EXPECT_EQ(make_fill_rect_args({0x1000, 64, 0}, {12, 2, 1}, std::span<const uint8_t>(p3, 3)).status().code(),
            StatusCode::kInvalidArgument);
  const uint8_t p4[4] = {1, 2, 3, 4};
  EXPECT_NE(make_fill_rect_args({0x1000, 60, 0}, {64, 2, 1}, p4).status().message().find("row_pitch 60 is less"),
            std::string::npos);
  EXPECT_EQ(make_fill_rect_args({0, 64, 0}, {64, 2, 1}, p4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(make_fill_rect_args({0, 0, 0}, {0, 2, 1}, p4).ok());
}

TEST(KernelArgsTest, TimestampRecordIsAlignedAndNotNull) {
  auto args = make_timestamp_args(0x1008);
  ASSERT_TRUE(args.ok()) << args.status().to_string();
  EXPECT_EQ(args->target, 0x1008u);
  EXPECT_EQ(make_timestamp_args(0).status().code(), StatusCode::kInvalidArgument);
  auto misaligned = make_timestamp_args(0x1004);
  EXPECT_NE(misaligned.status().message().find("is null or not 8-byte aligned"), std::string::npos);
}

TEST(KernelArgsTest, DispatchArgsFollowTheAqlPacket) {
  devbin_dispatch_args_t args{};
  args.packet = 0x1000;
  args.workgroup_counts = 0x2004;
  args.status = 0;
  args.workgroup_size[0] = 64, args.workgroup_size[1] = 1, args.workgroup_size[2] = 1;
  args.header = DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH | (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << 11) | (1u << 8);
  args.setup = 1;
  EXPECT_TRUE(check_dispatch_args(args).ok()) << check_dispatch_args(args).to_string();
  devbin_dispatch_args_t bad = args;
  bad.packet = 0x1020;
  EXPECT_NE(check_dispatch_args(bad).message().find("not 64-byte aligned"), std::string::npos);
  bad = args;
  bad.workgroup_counts = 0;
  EXPECT_EQ(check_dispatch_args(bad).code(), StatusCode::kInvalidArgument);
  bad = args;
  bad.status = 0x3002;
  EXPECT_NE(check_dispatch_args(bad).message().find("status address"), std::string::npos);
  for (uint32_t size : {0u, 0x10000u}) {
    bad = args;
    bad.workgroup_size[2] = size;
    EXPECT_NE(check_dispatch_args(bad).message().find("workgroup_size[2] is " + std::to_string(size)),
              std::string::npos);
  }
  // Hidden block counts: 4-byte aligned, not wrapping; no kernargs, no check.
  devbin_dispatch_args_t counts = args;
  counts.target_kernargs = 0x4000;
  counts.hidden_block_count_offset = 256;
  EXPECT_TRUE(check_dispatch_args(counts).ok());
  counts.hidden_block_count_offset = 258;
  EXPECT_NE(check_dispatch_args(counts).message().find("are not 4-byte aligned"), std::string::npos);
  counts.target_kernargs = UINT64_MAX - 15;
  counts.hidden_block_count_offset = 8;
  EXPECT_NE(check_dispatch_args(counts).message().find("wraps around"), std::string::npos);
  counts.target_kernargs = 0;
  counts.hidden_block_count_offset = 3;
  EXPECT_TRUE(check_dispatch_args(counts).ok()) << "the offset is unused without target_kernargs";
}

// Issue 26: the host bounds chunk_count by what a table of op_count
// operations can number, and keeps a status word the caller gives.
TEST(KernelArgsTest, BatchChunkCountIsBoundedAndStatusKept) {
  EXPECT_EQ(max_batch_chunk_count(1, DEVBIN_BATCH_CHUNK_BYTES), DEVBIN_BATCH_MAX_CHUNK_INDEX - 1);
  EXPECT_EQ(max_batch_chunk_count(UINT32_MAX, 16), UINT64_MAX / 16 + UINT32_MAX);
  auto huge = make_batch_args(0x1000, 1, UINT64_MAX);
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(huge.status().message().find("chunk_count 18446744073709551615 for 1 operations"), std::string::npos)
      << huge.status().message();
  EXPECT_TRUE(make_batch_args(0x1000, 1, DEVBIN_BATCH_MAX_CHUNK_INDEX - 1).ok());
  EXPECT_FALSE(make_batch_args(0x1000, 1, DEVBIN_BATCH_MAX_CHUNK_INDEX).ok());
  EXPECT_NE(make_batch_args(UINT64_MAX - 63, 2, 2).status().message().find("wraps"), std::string::npos);
  devbin_batch_args_t requested{0x1000, 3, 2, 256, 0x2004};
  auto kept = make_batch_args(requested);
  ASSERT_TRUE(kept.ok()) << kept.status().to_string();
  EXPECT_EQ(kept->status, 0x2004u);
  requested.status = 0x2002;
  EXPECT_NE(make_batch_args(requested).status().message().find("status address 0x2002 is not 4-byte aligned"),
            std::string::npos);
  std::vector<devbin_batch_op_t> ops(2);
  ops[0] = *make_batch_fill(0x1000, 64, std::vector<uint8_t>{1, 2, 3, 4});
  ops[1] = *make_batch_copy(0x2000, 0x3000, 600);
  ASSERT_TRUE(batch_number(ops, 256).ok());
  EXPECT_EQ(ops[0].chunk_bytes, 256u);
  EXPECT_EQ(ops[1].chunk_bytes, 256u);
  const uint8_t pattern[1] = {7};
  auto rect = make_fill_rect_args({0x1000, 64, 0}, {32, 2, 1}, pattern, 256, 0x4000);
  ASSERT_TRUE(rect.ok());
  EXPECT_EQ(rect->status, 0x4000u);
  EXPECT_FALSE(make_copy_rect_args({0x1000, 64, 0}, {0x9000, 64, 0}, {32, 2, 1}, 256, 0x4001).ok());
}

// The patcher publishes args.header as is: only a KERNEL_DISPATCH header
// with valid fence scopes, and 1 to 3 dimensions, may reach the queue (an
// INVALID header stalls it for good).
TEST(KernelArgsTest, DispatchHeaderIsAKernelDispatchOfOneToThreeDimensions) {
  devbin_dispatch_args_t args{};
  args.packet = 0x1000;
  args.workgroup_counts = 0x2004;
  args.workgroup_size[0] = args.workgroup_size[1] = args.workgroup_size[2] = 1;
  args.setup = 1;
  for (uint16_t header : {uint16_t{0x0002}, uint16_t{0x0102}, uint16_t{0x1502}, uint16_t{0x1202}}) {
    args.header = header;
    EXPECT_TRUE(check_dispatch_args(args).ok()) << header << ": " << check_dispatch_args(args).to_string();
  }
  const struct {
    uint16_t header;
    const char* expected;
  } headers[] = {{0x0001, "has packet type 1; expected KERNEL_DISPATCH (2)"},
                 {0x0000, "has packet type 0; expected KERNEL_DISPATCH (2)"},
                 {0xffff, "has packet type 255"},
                 {0x0003, "has packet type 3"},
                 {0x0602, "acquire fence scope 3; expected NONE (0), AGENT (1) or SYSTEM (2)"},
                 {0x1802, "release fence scope 3"},
                 {0x2002, "sets reserved bits 13-15"}};
  for (const auto& bad : headers) {
    args.header = bad.header;
    const Status status = check_dispatch_args(args);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad.header;
    EXPECT_NE(status.message().find(bad.expected), std::string::npos) << status.message();
  }
  args.header = 0x0002;
  for (uint16_t setup : {uint16_t{0}, uint16_t{4}, uint16_t{7}, uint16_t{0x0101}, uint16_t{0xffff}}) {
    args.setup = setup;
    const Status status = check_dispatch_args(args);
    EXPECT_NE(status.message().find("setup " + std::to_string(setup) + "; expected the dimensions, 1, 2 or 3"),
              std::string::npos)
        << status.message();
  }
  for (uint16_t setup : {uint16_t{1}, uint16_t{2}, uint16_t{3}}) {
    args.setup = setup;
    EXPECT_TRUE(check_dispatch_args(args).ok());
  }
}

// The payload sits at target % 4 in the words the kernel stores.
TEST(KernelArgsTest, UpdatePayloadLinesUpWithTheTargetsWords) {
  std::vector<uint8_t> data(DEVBIN_UPDATE_BYTES);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  for (uint64_t target : {0x1000ull, 0x1001ull, 0x1002ull, 0x1003ull}) {
    for (size_t length : {size_t{1}, size_t{64}, size_t{4093}, size_t{DEVBIN_UPDATE_BYTES}}) {
      auto args = make_update_args(target, std::span<const uint8_t>(data).first(length));
      ASSERT_TRUE(args.ok()) << args.status().message();
      EXPECT_EQ(args->target, target);
      EXPECT_EQ(args->length, length);
      EXPECT_EQ(args->shift, target % 4);
      const uint8_t* payload = reinterpret_cast<const uint8_t*>(args->payload);
      EXPECT_EQ(std::memcmp(payload + target % 4, data.data(), length), 0);
      for (size_t i = 0; i < target % 4; ++i) EXPECT_EQ(payload[i], 0u) << "byte " << i << " before the data";
    }
  }
}

TEST(KernelArgsTest, UpdateRefusesNullEmptyAndTooLong) {
  std::vector<uint8_t> data(DEVBIN_UPDATE_MAX_BYTES + 1, 1);
  const std::span<const uint8_t> all(data);
  EXPECT_TRUE(check_update(0x1000, all.first(DEVBIN_UPDATE_MAX_BYTES)).ok());
  EXPECT_TRUE(check_update(0x1001, all.first(1)).ok());
  EXPECT_NE(check_update(0x1000, all).message().find("65537 bytes; an inline update takes at most 65536"),
            std::string::npos);
  EXPECT_NE(check_update(0x1000, {}).message().find("the host data is null"), std::string::npos);
  EXPECT_NE(check_update(0x1000, all.first(0)).message().find("the host data is empty"), std::string::npos);
  EXPECT_NE(check_update(0, all.first(4)).message().find("target is null"), std::string::npos);
  EXPECT_NE(check_update(UINT64_MAX - 2, all.first(4)).message().find("wraps around"), std::string::npos);
  EXPECT_EQ(check_update(0, all.first(4)).code(), StatusCode::kInvalidArgument);
  // One launch takes at most DEVBIN_UPDATE_BYTES; Device::update splits.
  EXPECT_NE(make_update_args(0x1000, all.first(DEVBIN_UPDATE_BYTES + 1)).status().message().find("in one launch"),
            std::string::npos);
  EXPECT_FALSE(make_update_args(0x1000, all.first(0)).ok());
}

}  // namespace
}  // namespace devbin
