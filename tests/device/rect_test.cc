// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_copy_rect and devbin_fill_rect (device/rect.c), host build: 2D and
// 3D regions of every width, odd pitches, rows of several chunks, grids of
// fewer and more workgroups than chunks, against a plain reference, with
// the bytes between rows and around the region checked untouched; and
// launches the kernels must refuse without a store.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

class RectTest : public testing::TestWithParam<KernelBuild> {};

// A region's placement relative to its buffer: the base's offset from a
// 256-byte boundary and the pitches.
struct Layout {
  size_t offset;
  uint64_t row_pitch;
  uint64_t slice_pitch;
};

uint64_t span(const Layout& layout, const devbin_rect_extent_t& extent) {
  if (extent.width == 0 || extent.height == 0 || extent.depth == 0) return 0;
  return (extent.depth - 1) * layout.slice_pitch + (extent.height - 1) * layout.row_pitch + extent.width;
}

devbin_rect_region_t region_at(const uint8_t* base, const Layout& layout) {
  devbin_rect_region_t region{};
  region.base = device_address(base);
  region.row_pitch = layout.row_pitch;
  region.slice_pitch = layout.slice_pitch;
  return region;
}

// Calls `row(offset_in_region)` for the start of every row of the extent.
template <class Row>
void for_each_row(const Layout& layout, const devbin_rect_extent_t& extent, Row row) {
  for (uint64_t s = 0; s < extent.depth; ++s) {
    for (uint64_t r = 0; r < extent.height; ++r) row(s * layout.slice_pitch + r * layout.row_pitch);
  }
}

uint32_t chunks_per_row(uint64_t width, uint32_t chunk_bytes) {
  return static_cast<uint32_t>((width + chunk_bytes - 1) / chunk_bytes);
}

std::string describe(const devbin_rect_extent_t& extent, const Layout& target, uint32_t chunk_bytes,
                     const Shape& shape) {
  return std::to_string(extent.width) + " x " + std::to_string(extent.height) + " x " + std::to_string(extent.depth) +
         ", target offset " + std::to_string(target.offset) + " pitches " + std::to_string(target.row_pitch) + "/" +
         std::to_string(target.slice_pitch) + ", chunk " + std::to_string(chunk_bytes) + ", grid " +
         shape_name(shape);
}

testing::AssertionResult run_copy(const KernelBuild& build, const Shape& shape, const devbin_rect_extent_t& extent,
                                  const Layout& target_layout, const Layout& source_layout, uint32_t chunk_bytes,
                                  uint64_t seed) {
  GuardedBytes target(target_layout.offset, span(target_layout, extent));
  const std::vector<uint8_t> source = random_bytes(source_layout.offset + span(source_layout, extent), seed);
  std::vector<uint8_t> expected(target.data(), target.data() + target.size());
  // Row by row: source row i lands on target row i.
  std::vector<uint64_t> source_rows;
  for_each_row(source_layout, extent, [&](uint64_t at) { source_rows.push_back(at); });
  size_t i = 0;
  for_each_row(target_layout, extent, [&](uint64_t at) {
    std::memcpy(expected.data() + at, source.data() + source_layout.offset + source_rows[i++], extent.width);
  });

  devbin_copy_rect_args_t args{};
  args.target = region_at(target.data(), target_layout);
  args.source = region_at(source.data() + source_layout.offset, source_layout);
  args.extent = extent;
  args.chunk_bytes = chunk_bytes;
  args.chunks_per_row = chunks_per_row(extent.width, chunk_bytes);
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.copy_rect(args); });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    return testing::AssertionFailure() << describe(extent, target_layout, chunk_bytes, shape) << ": "
                                       << devbin_host_launch_result_name(launched);
  }
  testing::AssertionResult checked = target.check(expected.data());
  if (!checked) {
    return testing::AssertionFailure() << "copy " << describe(extent, target_layout, chunk_bytes, shape)
                                       << ", source offset " << source_layout.offset << " pitches "
                                       << source_layout.row_pitch << "/" << source_layout.slice_pitch << ": "
                                       << checked.message();
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult run_fill(const KernelBuild& build, const Shape& shape, const devbin_rect_extent_t& extent,
                                  const Layout& layout, uint32_t width, uint32_t chunk_bytes, uint64_t seed) {
  GuardedBytes target(layout.offset, span(layout, extent));
  std::vector<uint8_t> pattern = random_bytes(width, seed);
  pattern[0] |= 1;  // a zero pattern would hide a store of zeros
  std::vector<uint8_t> expected(target.data(), target.data() + target.size());
  for_each_row(layout, extent, [&](uint64_t at) {
    for (uint64_t b = 0; b < extent.width; ++b) expected[at + b] = pattern[b % width];
  });

  devbin_fill_rect_args_t args{};
  args.target = region_at(target.data(), layout);
  args.extent = extent;
  args.chunk_bytes = chunk_bytes;
  args.chunks_per_row = chunks_per_row(extent.width, chunk_bytes);
  uint8_t replicated[16];
  for (size_t b = 0; b < 16; ++b) replicated[b] = pattern[b % width];
  std::memcpy(args.pattern, replicated, 16);
  args.pattern_width = width;
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.fill_rect(args); });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    return testing::AssertionFailure() << describe(extent, layout, chunk_bytes, shape) << ": "
                                       << devbin_host_launch_result_name(launched);
  }
  testing::AssertionResult checked = target.check(expected.data());
  if (!checked) {
    return testing::AssertionFailure() << "fill of width " << width << ", " << describe(extent, layout, chunk_bytes, shape)
                                       << ": " << checked.message();
  }
  return testing::AssertionSuccess();
}

// Widths around words and chunks, odd pitches (the 4099/4101 of the bench in
// miniature), 2D and 3D with gaps between slices, misaligned bases, grids
// with fewer and more workgroups than chunks.
TEST_P(RectTest, CopyEveryWidthAndOddPitches) {
  const KernelBuild& build = GetParam();
  const Shape shapes[] = {{1, 1, 1}, {3, 8, 4}, {4, 64, 32}, {40, 32, 32}, {5, 7, 4}};
  uint64_t seed = 1;
  size_t n = 0;
  for (uint64_t width : {1u, 2u, 3u, 15u, 16u, 17u, 31u, 33u, 64u, 100u, 129u}) {
    for (uint32_t chunk_bytes : {16u, 48u, 1024u}) {
      for (uint32_t depth : {1u, 2u}) {
        const uint32_t height = 3;
        const devbin_rect_extent_t extent{width, height, depth};
        const Layout target{n * 5 % 16, width + n % 4 * 2 + 1, (width + 7) * height + 3};
        const Layout source{n * 7 % 16, width + n % 3 * 2 + 3, (width + 5) * height + 1};
        const Shape& shape = shapes[n % 5];
        ASSERT_TRUE(run_copy(build, shape, extent, target, source, chunk_bytes, seed++));
        ++n;
      }
    }
  }
}

// Rows of several chunks (a last chunk shorter), every shift of the source
// against the target.
TEST_P(RectTest, CopyRowsOfSeveralChunks) {
  const KernelBuild& build = GetParam();
  uint64_t seed = 100;
  for (size_t shift = 0; shift < 16; ++shift) {
    const devbin_rect_extent_t extent{5 * 64 + 7, 3, 2};
    const Layout target{shift, 4 * 128 + 3, 3 * 4 * 128 + 100};
    const Layout source{(shift * 5 + 3) % 16, 4 * 128 + 1, 3 * 4 * 128 + 17};
    ASSERT_TRUE(run_copy(build, Shape{7, 64, 32}, extent, target, source, 64, seed++));
  }
  // Source rows that overlap: pitch 0 repeats one row into every target row,
  // pitch 5 reads rows of 37 bytes that share bytes.
  ASSERT_TRUE(run_copy(build, Shape{5, 32, 32}, devbin_rect_extent_t{37, 5, 2}, Layout{3, 41, 5 * 41 + 2},
                       Layout{7, 0, 0}, 16, seed++));
  ASSERT_TRUE(run_copy(build, Shape{5, 32, 32}, devbin_rect_extent_t{37, 5, 2}, Layout{3, 41, 5 * 41 + 2},
                       Layout{7, 5, 9}, 16, seed++));
  // One wide row at the shipped chunk size; the same as 2048 rows of 8 bytes.
  ASSERT_TRUE(run_copy(build, Shape{8, 64, 32}, devbin_rect_extent_t{3 * DEVBIN_BATCH_CHUNK_BYTES + 77, 1, 1},
                       Layout{3, 0, 0}, Layout{9, 0, 0}, DEVBIN_BATCH_CHUNK_BYTES, seed++));
  ASSERT_TRUE(run_copy(build, Shape{16, 32, 32}, devbin_rect_extent_t{8, 2048, 1}, Layout{1, 11, 0}, Layout{2, 9, 0},
                       DEVBIN_BATCH_CHUNK_BYTES, seed++));
}

TEST_P(RectTest, FillEveryPatternWidth) {
  const KernelBuild& build = GetParam();
  const Shape shapes[] = {{1, 1, 1}, {3, 8, 4}, {4, 64, 32}, {40, 32, 32}, {5, 7, 4}};
  uint64_t seed = 1;
  size_t n = 0;
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    for (uint64_t elements : {1u, 3u, 8u, 17u, 40u}) {
      for (uint32_t chunk_bytes : {16u, 48u, 1024u}) {
        for (uint32_t depth : {1u, 3u}) {
          const uint64_t row = elements * width;
          const devbin_rect_extent_t extent{row, 2, depth};
          // Pitches an odd number of elements past the row.
          const Layout layout{n % 4 * width % 32, row + (n % 3 * 2 + 1) * width, (2 * row + 5 * width) * 2};
          ASSERT_TRUE(run_fill(build, shapes[n % 5], extent, layout, width, chunk_bytes, seed++));
          ++n;
        }
      }
    }
  }
  // Rows of several chunks at the shipped chunk size.
  ASSERT_TRUE(run_fill(build, Shape{6, 64, 32}, devbin_rect_extent_t{2 * DEVBIN_BATCH_CHUNK_BYTES + 48, 2, 1},
                       Layout{16, 2 * DEVBIN_BATCH_CHUNK_BYTES + 256, 0}, 16, DEVBIN_BATCH_CHUNK_BYTES, seed++));
}

TEST_P(RectTest, EmptyExtentsStoreNothing) {
  const KernelBuild& build = GetParam();
  for (const devbin_rect_extent_t extent : {devbin_rect_extent_t{0, 4, 2}, devbin_rect_extent_t{16, 0, 2},
                                            devbin_rect_extent_t{16, 4, 0}}) {
    GuardedBytes target(0, 256);
    std::vector<uint8_t> untouched(target.data(), target.data() + 256);
    const std::vector<uint8_t> source = random_bytes(256, 3);
    devbin_copy_rect_args_t copy{};
    copy.target = region_at(target.data(), Layout{0, 32, 128});
    copy.source = region_at(source.data(), Layout{0, 32, 128});
    copy.extent = extent;
    copy.chunk_bytes = 64;
    copy.chunks_per_row = 1;
    devbin_fill_rect_args_t fill{};
    fill.target = copy.target;
    fill.extent = extent;
    fill.chunk_bytes = 64;
    fill.chunks_per_row = 1;
    fill.pattern[0] = 0x01020304;
    fill.pattern_width = 4;
    ASSERT_EQ(launch(Shape{2, 8, 4}, [&] { build.copy_rect(copy); }), DEVBIN_HOST_LAUNCH_OK);
    ASSERT_EQ(launch(Shape{2, 8, 4}, [&] { build.fill_rect(fill); }), DEVBIN_HOST_LAUNCH_OK);
    EXPECT_TRUE(target.check(untouched.data()));
  }
}

// What the kernels refuse: a fill whose base, pitches or width break the
// pattern width, a pattern width that is not 1, 2, 4, 8 or 16, chunk sizes
// batch's rule refuses, a chunks_per_row that is not ceil(width /
// chunk_bytes), and more than DEVBIN_RECT_MAX_CHUNKS chunks. None stores a
// byte.
TEST_P(RectTest, BadLaunchesStoreNothing) {
  const KernelBuild& build = GetParam();
  struct Case {
    const char* what;
    size_t offset;
    uint64_t row_pitch;
    uint64_t slice_pitch;
    devbin_rect_extent_t extent;
    uint32_t pattern_width;
    uint32_t chunk_bytes;
    int64_t chunks_per_row_delta;  // from ceil(width / chunk_bytes)
    bool fill_only;
  };
  const Case cases[] = {
      {"fill base not a multiple of the width", 2, 64, 256, {32, 3, 2}, 4, 64, 0, true},
      {"fill row_pitch not a multiple of the width", 0, 66, 256, {32, 3, 2}, 4, 64, 0, true},
      {"fill slice_pitch not a multiple of the width", 0, 64, 260, {32, 3, 2}, 8, 64, 0, true},
      {"fill width not a multiple of the pattern width", 0, 64, 256, {30, 3, 2}, 4, 64, 0, true},
      {"pattern width 3", 0, 64, 256, {30, 3, 2}, 3, 64, 0, true},
      {"pattern width 32", 0, 64, 256, {32, 3, 2}, 32, 64, 0, true},
      {"chunk size 0", 0, 64, 256, {32, 3, 2}, 4, 0, 0, false},
      {"chunk size 8", 0, 64, 256, {32, 3, 2}, 4, 8, 0, false},
      {"chunk size 24", 0, 64, 256, {32, 3, 2}, 4, 24, 0, false},
      {"chunk size over the maximum", 0, 64, 256, {32, 3, 2}, 4, DEVBIN_BATCH_MAX_CHUNK_BYTES + 16, 0, false},
      {"chunks_per_row one too many", 0, 64, 256, {40, 3, 2}, 4, 16, 1, false},
      {"chunks_per_row one too few", 0, 64, 256, {40, 3, 2}, 4, 16, -1, false},
      {"chunks_per_row 0", 0, 64, 256, {40, 3, 2}, 4, 64, -1, false},
      // 2^20 * 2^13 rows of one chunk: 2^33 chunks, over DEVBIN_RECT_MAX_CHUNKS
      // (the addresses reach past the buffer: a store would fault).
      {"2^33 chunks", 0, 64, 256, {32, 1u << 20, 1u << 13}, 4, 64, 0, false},
      {"2^32 chunks in one slice", 0, 64, 256, {32, 1u << 31, 1}, 4, 16, 0, false},
  };
  for (const Case& c : cases) {
    GuardedBytes target(c.offset, 1024);
    std::vector<uint8_t> untouched(target.data(), target.data() + 1024);
    const std::vector<uint8_t> source = random_bytes(1024, 5);
    const uint32_t per_row =
        c.chunk_bytes == 0 ? 1 : static_cast<uint32_t>(chunks_per_row(c.extent.width, c.chunk_bytes) + c.chunks_per_row_delta);
    devbin_fill_rect_args_t fill{};
    fill.target = region_at(target.data(), Layout{0, c.row_pitch, c.slice_pitch});
    fill.extent = c.extent;
    fill.chunk_bytes = c.chunk_bytes;
    fill.chunks_per_row = per_row;
    fill.pattern[0] = 0x01020304;
    fill.pattern[1] = 0x05060708;
    fill.pattern_width = c.pattern_width;
    uint32_t status = DEVBIN_KERNEL_STATUS_OK;
    fill.status = device_address(&status);
    ASSERT_EQ(launch(Shape{3, 8, 4}, [&] { build.fill_rect(fill); }), DEVBIN_HOST_LAUNCH_OK) << c.what;
    EXPECT_TRUE(target.check(untouched.data())) << "fill: " << c.what;
    EXPECT_EQ(status, c.fill_only ? DEVBIN_KERNEL_STATUS_FILL : DEVBIN_KERNEL_STATUS_ARGS) << "fill: " << c.what;
    if (c.fill_only) continue;
    devbin_copy_rect_args_t copy{};
    copy.target = fill.target;
    copy.source = region_at(source.data(), Layout{0, c.row_pitch, c.slice_pitch});
    copy.extent = c.extent;
    copy.chunk_bytes = c.chunk_bytes;
    copy.chunks_per_row = per_row;
    status = DEVBIN_KERNEL_STATUS_OK;
    copy.status = device_address(&status);
    ASSERT_EQ(launch(Shape{3, 8, 4}, [&] { build.copy_rect(copy); }), DEVBIN_HOST_LAUNCH_OK) << c.what;
    EXPECT_TRUE(target.check(untouched.data())) << "copy: " << c.what;
    EXPECT_EQ(status, DEVBIN_KERNEL_STATUS_ARGS) << "copy: " << c.what;
  }
}

// Issue 26: launched directly (no host checks), the rect kernels bound every
// address they compute: a null base, a span that overflows or wraps, a
// target whose rows or slices overlap, a copy whose ranges overlap: nothing
// is stored and the status says why.
TEST_P(RectTest, UncheckedRegionsAreRefusedAndReported) {
  const KernelBuild& build = GetParam();
  GuardedBytes target(0, 4096);
  GuardedBytes source_bytes(0, 4096);
  const uint64_t base = device_address(target.data());
  const uint64_t source_base = device_address(source_bytes.data());
  struct Case {
    const char* what;
    devbin_rect_region_t target;
    devbin_rect_region_t source;
    devbin_rect_extent_t extent;
    uint32_t expected;
  };
  const Case cases[] = {
      {"null target", {0, 64, 0}, {source_base, 64, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_ADDRESS},
      {"null source", {base, 64, 0}, {0, 64, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_ADDRESS},
      {"target span wraps", {UINT64_MAX - 103, 64, 0}, {source_base, 64, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_ADDRESS},
      {"source span wraps", {base, 64, 0}, {source_base, UINT64_MAX / 2, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_ADDRESS},
      {"slice pitch overflows", {base, 64, UINT64_MAX / 2 & ~uint64_t{15}}, {source_base, 64, 256}, {32, 4, 4},
       DEVBIN_KERNEL_STATUS_ADDRESS},
      {"target rows overlap", {base, 16, 0}, {source_base, 64, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_OVERLAP},
      {"target slices overlap", {base, 64, 128}, {source_base, 64, 256}, {32, 4, 2}, DEVBIN_KERNEL_STATUS_OVERLAP},
      {"target and source overlap", {base, 64, 0}, {base + 100, 64, 0}, {32, 4, 1}, DEVBIN_KERNEL_STATUS_OVERLAP},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> untouched(target.data(), target.data() + 4096);
    devbin_copy_rect_args_t copy{};
    copy.target = c.target;
    copy.source = c.source;
    copy.extent = c.extent;
    copy.chunk_bytes = 64;
    copy.chunks_per_row = chunks_per_row(c.extent.width, 64);
    uint32_t status = DEVBIN_KERNEL_STATUS_OK;
    copy.status = device_address(&status);
    ASSERT_EQ(launch(Shape{3, 8, 4}, [&] { build.copy_rect(copy); }), DEVBIN_HOST_LAUNCH_OK) << c.what;
    EXPECT_TRUE(target.check(untouched.data())) << "copy: " << c.what;
    EXPECT_EQ(status, c.expected) << "copy: " << c.what;
    if (c.target.base == c.source.base || std::string(c.what).find("source") != std::string::npos ||
        std::string(c.what).find("and source") != std::string::npos) {
      continue;  // what only a copy has
    }
    devbin_fill_rect_args_t fill{};
    fill.target = c.target;
    fill.extent = c.extent;
    fill.chunk_bytes = 64;
    fill.chunks_per_row = copy.chunks_per_row;
    fill.pattern[0] = 0x01020304;
    fill.pattern_width = 4;
    status = DEVBIN_KERNEL_STATUS_OK;
    fill.status = device_address(&status);
    ASSERT_EQ(launch(Shape{3, 8, 4}, [&] { build.fill_rect(fill); }), DEVBIN_HOST_LAUNCH_OK) << c.what;
    EXPECT_TRUE(target.check(untouched.data())) << "fill: " << c.what;
    EXPECT_EQ(status, c.expected) << "fill: " << c.what;
  }
  // A valid launch leaves the status as it was.
  devbin_fill_rect_args_t fill{};
  fill.target = {base, 64, 0};
  fill.extent = {32, 4, 1};
  fill.chunk_bytes = 64;
  fill.chunks_per_row = 1;
  fill.pattern[0] = 0x01020304;
  fill.pattern_width = 4;
  uint32_t status = DEVBIN_KERNEL_STATUS_OK;
  fill.status = device_address(&status);
  ASSERT_EQ(launch(Shape{3, 8, 4}, [&] { build.fill_rect(fill); }), DEVBIN_HOST_LAUNCH_OK);
  EXPECT_EQ(status, DEVBIN_KERNEL_STATUS_OK);
}

INSTANTIATE_TEST_SUITE_P(Builds, RectTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
