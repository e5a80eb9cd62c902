// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_fill and devbin_copy (device/blit.c), host build, on emulated grids
// of several shapes, against a plain reference, with poisoned guard bytes
// around every destination.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

// One work-item; one wavefront; several workgroups of several wavefronts;
// far more work-items than work; 64-wide wavefronts; workgroups that are not
// whole wavefronts (the copy's CARRY fallback), also where the grid is; a
// lane count of 1.
const std::vector<Shape> kShapes = {
    {1, 1, 1}, {1, 4, 4}, {3, 8, 4}, {4, 64, 32}, {2, 64, 64}, {5, 7, 4}, {4, 6, 4}, {3, 6, 1}, {2, 96, 32},
};

class BlitTest : public testing::TestWithParam<KernelBuild> {};

//===----------------------------------------------------------------------===//
// fill
//===----------------------------------------------------------------------===//

std::vector<uint8_t> pattern_bytes(uint32_t width, uint64_t seed) {
  std::vector<uint8_t> bytes = random_bytes(width, seed);
  // A zero pattern would hide a store of zeros.
  if (std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; })) bytes[0] = 1;
  return bytes;
}

devbin_fill_args_t fill_args(uint8_t* target, uint64_t length, const std::vector<uint8_t>& pattern) {
  devbin_fill_args_t args{};
  args.target = device_address(target);
  args.length = length;
  uint8_t replicated[16];
  for (size_t i = 0; i < 16; ++i) replicated[i] = pattern[i % pattern.size()];
  std::memcpy(args.pattern, replicated, 16);
  args.pattern_width = static_cast<uint32_t>(pattern.size());
  return args;
}

testing::AssertionResult run_fill(const KernelBuild& build, const Shape& shape, size_t offset, size_t length,
                                  const std::vector<uint8_t>& pattern) {
  GuardedBytes target(offset, length);
  const devbin_fill_args_t args = fill_args(target.data(), length, pattern);
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.fill(args); });
  std::vector<uint8_t> expected(length);
  for (size_t i = 0; i < length; ++i) expected[i] = pattern[i % pattern.size()];
  testing::AssertionResult checked = target.check(expected.data());
  if (launched == DEVBIN_HOST_LAUNCH_OK && checked) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "fill width " << pattern.size() << ", offset " << offset << ", length "
                                     << length << ", grid " << shape_name(shape) << ": "
                                     << (launched != DEVBIN_HOST_LAUNCH_OK ? devbin_host_launch_result_name(launched)
                                                                           : checked.message());
}

// Offsets from a 256-byte boundary: every small one, and those whose head
// (the bytes up to the next line) is short, for this build's line size.
std::vector<size_t> offsets_for(const KernelBuild& build, size_t step) {
  std::vector<size_t> offsets;
  for (size_t offset = 0; offset < 40; offset += step) offsets.push_back(offset);
  for (size_t offset = std::max<size_t>(40, build.fill_line_bytes - 24); offset < build.fill_line_bytes + 8; ++offset) {
    if (offset % step == 0) offsets.push_back(offset);
  }
  return offsets;
}

TEST_P(BlitTest, FillEveryWidthOffsetAndLength) {
  const KernelBuild& build = GetParam();
  size_t launches = 0;
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    const std::vector<uint8_t> pattern = pattern_bytes(width, width);
    for (size_t offset : offsets_for(build, width)) {
      for (size_t length = 0; length <= 300; length += width) {
        const Shape& shape = kShapes[launches++ % kShapes.size()];
        ASSERT_TRUE(run_fill(build, shape, offset, length, pattern));
      }
    }
  }
}

TEST_P(BlitTest, FillEveryShape) {
  const KernelBuild& build = GetParam();
  for (const Shape& shape : kShapes) {
    for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
      const std::vector<uint8_t> pattern = pattern_bytes(width, width + 100);
      for (size_t offset : {size_t{0}, size_t{16}, size_t{48}, size_t{build.fill_line_bytes - 16}}) {
        for (size_t length = 0; length <= 300; length += width) {
          ASSERT_TRUE(run_fill(build, shape, offset, length, pattern));
        }
      }
    }
  }
}

TEST_P(BlitTest, FillLargeLengths) {
  const KernelBuild& build = GetParam();
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    const std::vector<uint8_t> pattern = pattern_bytes(width, width + 200);
    for (size_t length : {size_t{4099}, size_t{65537}, size_t{(1u << 20) + 7}}) {
      length -= length % width;
      for (const Shape& shape : {Shape{1, 1, 1}, Shape{4, 64, 32}, Shape{5, 7, 4}}) {
        ASSERT_TRUE(run_fill(build, shape, 3 * width, length, pattern));
      }
    }
  }
}

TEST_P(BlitTest, FillTakesThePatternFromItsFirstWidthBytes) {
  const KernelBuild& build = GetParam();
  for (uint32_t width : {1u, 2u, 4u, 8u}) {
    GuardedBytes target(width, 200);
    devbin_fill_args_t args = fill_args(target.data(), 200, pattern_bytes(width, 7));
    std::vector<uint8_t> expected(200);
    for (size_t i = 0; i < expected.size(); ++i) expected[i] = reinterpret_cast<uint8_t*>(args.pattern)[i % width];
    // Bytes past the width that are not a replica must not reach memory.
    for (uint32_t i = width; i < 16; ++i) reinterpret_cast<uint8_t*>(args.pattern)[i] = static_cast<uint8_t>(0xc0 + i);
    ASSERT_EQ(launch(Shape{2, 8, 4}, [&] { build.fill(args); }), DEVBIN_HOST_LAUNCH_OK);
    EXPECT_TRUE(target.check(expected.data())) << "width " << width;
  }
}

TEST_P(BlitTest, FillStoresNothingForInvalidArguments) {
  const KernelBuild& build = GetParam();
  struct Case {
    const char* what;
    size_t offset;
    size_t length;
    uint32_t width;
  };
  for (const Case& c : {Case{"width 3", 0, 96, 3}, Case{"width 0", 0, 96, 0}, Case{"width 32", 0, 96, 32},
                        Case{"target not a multiple of the width", 2, 96, 4},
                        Case{"length not a multiple of the width", 0, 98, 4}}) {
    GuardedBytes target(c.offset, c.length);
    std::vector<uint8_t> untouched(target.data(), target.data() + c.length);
    devbin_fill_args_t args = fill_args(target.data(), c.length, pattern_bytes(16, 3));
    args.pattern_width = c.width;
    ASSERT_EQ(launch(Shape{2, 8, 4}, [&] { build.fill(args); }), DEVBIN_HOST_LAUNCH_OK);
    EXPECT_TRUE(target.check(untouched.data())) << c.what;
  }
}

//===----------------------------------------------------------------------===//
// copy
//===----------------------------------------------------------------------===//

// Source bytes: random inside the region, poison around it (reads there are
// allowed, they must just never reach the target).
testing::AssertionResult run_copy(const KernelBuild& build, const Shape& shape, size_t source_offset,
                                  size_t target_offset, size_t length, const std::vector<uint8_t>& data) {
  GuardedBytes source(source_offset, length);
  std::memcpy(source.data(), data.data(), length);
  GuardedBytes target(target_offset, length);
  devbin_copy_args_t args{};
  args.source = device_address(source.data());
  args.target = device_address(target.data());
  args.length = length;
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.copy(args); });
  testing::AssertionResult checked = target.check(data.data());
  testing::AssertionResult source_kept = source.check(data.data());
  if (launched == DEVBIN_HOST_LAUNCH_OK && checked && source_kept) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "copy source offset " << source_offset << ", target offset "
                                     << target_offset << ", length " << length << ", grid " << shape_name(shape)
                                     << ": "
                                     << (launched != DEVBIN_HOST_LAUNCH_OK ? devbin_host_launch_result_name(launched)
                                         : !checked                        ? checked.message()
                                                                           : "source changed: " +
                                                                                 std::string(source_kept.message()));
}

// All 32 x 32 offset pairs (every relative shift, both sides at every
// position in a 16-byte word, twice) at every length up to 300; the grid
// shape turns with each launch among the small ones (the large ones run in
// the tests below) so all shapes meet all cases.
TEST_P(BlitTest, CopyEveryOffsetPairAndLength) {
  const KernelBuild& build = GetParam();
  const std::vector<uint8_t> data = random_bytes(300, 1);
  const std::vector<Shape> small_shapes = {{1, 1, 1}, {1, 4, 4}, {3, 8, 4}, {5, 7, 4}, {4, 6, 4}, {3, 6, 1}, {1, 16, 16}};
  size_t launches = 0;
  for (size_t source_offset = 0; source_offset < 32; ++source_offset) {
    for (size_t target_offset = 0; target_offset < 32; ++target_offset) {
      for (size_t length = 0; length <= 300; ++length) {
        const Shape& shape = small_shapes[launches++ % small_shapes.size()];
        ASSERT_TRUE(run_copy(build, shape, source_offset, target_offset, length, data));
      }
    }
  }
}

// Every head length the line split can give, for every relative shift.
TEST_P(BlitTest, CopyEveryHeadLength) {
  const KernelBuild& build = GetParam();
  const std::vector<uint8_t> data = random_bytes(1200, 2);
  size_t launches = 0;
  for (size_t target_offset = 0; target_offset <= build.copy_line_bytes + 16; ++target_offset) {
    for (size_t shift = 0; shift < 16; ++shift) {
      for (size_t length : {0, 1, 15, 16, 17, 47, 127, 128, 129, 300, 555, 1200}) {
        const Shape& shape = kShapes[launches++ % kShapes.size()];
        ASSERT_TRUE(run_copy(build, shape, target_offset + shift, target_offset, length, data));
      }
    }
  }
}

TEST_P(BlitTest, CopyEveryShape) {
  const KernelBuild& build = GetParam();
  const std::vector<uint8_t> data = random_bytes(700, 3);
  for (const Shape& shape : kShapes) {
    for (const auto& [source_offset, target_offset] :
         std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 3}, {3, 1}, {4, 0}, {0, 8}, {12, 1}, {31, 2}, {7, 29}}) {
      for (size_t length = 0; length <= 700; length += (length < 300 ? 1 : 37)) {
        ASSERT_TRUE(run_copy(build, shape, source_offset, target_offset, length, data));
      }
    }
  }
}

TEST_P(BlitTest, CopyLargeOddLengths) {
  const KernelBuild& build = GetParam();
  const std::vector<uint8_t> data = random_bytes((1u << 20) + 7, 4);
  for (size_t length : {size_t{4097}, size_t{65537}, size_t{(1u << 20) + 7}}) {
    for (const auto& [source_offset, target_offset] :
         std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 3}, {3, 1}, {8, 4}, {0, 13}, {15, 0}}) {
      for (const Shape& shape : {Shape{1, 1, 1}, Shape{4, 64, 32}, Shape{2, 64, 64}, Shape{5, 7, 4}}) {
        ASSERT_TRUE(run_copy(build, shape, source_offset, target_offset, length, data));
      }
    }
  }
}

// A source that is a whole allocation of its own, as a cuMemAlloc'd or
// hsa_amd_memory_pool_allocate'd buffer is: it starts at a 256-byte boundary
// plus the source offset (so the aligned word holding the first byte starts
// the allocation) and ends exactly with the last source byte. On a GPU a
// load past that end reads another allocation or faults (compute-sanitizer
// memcheck found devbin_copy loading the whole last aligned word); here
// AddressSanitizer (scripts/asan.sh, run in CI) reports any load outside the
// allocation, since the host build loads through the same word-sized reads.
class SourceAllocation {
 public:
  SourceAllocation(size_t offset, const uint8_t* bytes, size_t length) : offset_(offset) {
    void* storage = nullptr;
    // posix_memalign takes any size (aligned_alloc may insist on a multiple
    // of the alignment), so ASan's redzone starts right after the last byte.
    if (posix_memalign(&storage, 256, std::max<size_t>(offset + length, 1)) != 0) storage = nullptr;
    base_ = static_cast<uint8_t*>(storage);
    if (base_ != nullptr && length != 0) std::memcpy(base_ + offset, bytes, length);
  }
  ~SourceAllocation() { std::free(base_); }
  SourceAllocation(const SourceAllocation&) = delete;
  SourceAllocation& operator=(const SourceAllocation&) = delete;

  uint8_t* data() const { return base_ == nullptr ? nullptr : base_ + offset_; }

 private:
  size_t offset_;
  uint8_t* base_ = nullptr;
};

TEST_P(BlitTest, CopyLoadsNothingOutsideTheSourceAllocation) {
  const KernelBuild& build = GetParam();
  const std::vector<uint8_t> data = random_bytes(4099, 5);
  std::vector<size_t> lengths;
  for (size_t length = 0; length < 100; ++length) lengths.push_back(length);
  for (size_t length : {127, 128, 129, 255, 256, 257, 1023, 4099}) lengths.push_back(length);
  size_t launches = 0;
  for (size_t source_offset = 0; source_offset < 16; ++source_offset) {
    for (size_t target_offset = 0; target_offset < 16; ++target_offset) {
      for (size_t length : lengths) {
        SCOPED_TRACE(testing::Message() << "source offset " << source_offset << ", target offset " << target_offset
                                        << ", length " << length);
        SourceAllocation source(source_offset, data.data(), length);
        ASSERT_NE(source.data(), nullptr);
        GuardedBytes target(target_offset, length);
        devbin_copy_args_t args{};
        args.source = device_address(source.data());
        args.target = device_address(target.data());
        args.length = length;
        const Shape& shape = kShapes[launches++ % kShapes.size()];
        ASSERT_EQ(launch(shape, [&] { build.copy(args); }), DEVBIN_HOST_LAUNCH_OK) << shape_name(shape);
        ASSERT_TRUE(target.check(data.data())) << shape_name(shape);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Builds, BlitTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
