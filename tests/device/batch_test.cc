// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin_batch (device/blit.c), host build: tables of fills and copies of
// mixed sizes, chunk sizes and grid shapes, against a plain reference, with
// poisoned guard bytes around every destination; and tables the kernel must
// refuse without a stray store.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/device/device_test_util.h"

namespace devbin::device_test {
namespace {

class BatchTest : public testing::TestWithParam<KernelBuild> {};

// One operation of a test table: its destination, its source or pattern,
// and the bytes it must leave.
struct TestOp {
  std::unique_ptr<GuardedBytes> target;
  std::vector<uint8_t> source;   // copy
  std::vector<uint8_t> pattern;  // fill
  std::vector<uint8_t> expected;
};

TestOp fill_op(size_t offset, size_t length, uint32_t width, uint64_t seed, devbin_batch_op_t* op) {
  TestOp test;
  test.target = std::make_unique<GuardedBytes>(offset, length);
  test.pattern = random_bytes(width, seed);
  test.pattern[0] |= 1;  // a zero pattern would hide a store of zeros
  test.expected.resize(length);
  for (size_t i = 0; i < length; ++i) test.expected[i] = test.pattern[i % width];
  *op = devbin_batch_op_t{};
  op->kind = DEVBIN_BATCH_FILL;
  op->target = device_address(test.target->data());
  op->length = length;
  uint8_t replicated[16];
  for (size_t i = 0; i < 16; ++i) replicated[i] = test.pattern[i % width];
  std::memcpy(op->pattern, replicated, 16);
  op->pattern_width = width;
  return test;
}

TestOp copy_op(size_t target_offset, size_t source_offset, size_t length, uint64_t seed, devbin_batch_op_t* op) {
  TestOp test;
  test.target = std::make_unique<GuardedBytes>(target_offset, length);
  test.source = random_bytes(source_offset + length, seed);
  test.expected.assign(test.source.begin() + static_cast<ptrdiff_t>(source_offset), test.source.end());
  *op = devbin_batch_op_t{};
  op->kind = DEVBIN_BATCH_COPY;
  op->target = device_address(test.target->data());
  op->source = device_address(test.source.data() + source_offset);
  op->length = length;
  return test;
}

// first_chunk as the host numbers it (devbin/kernel_args.h
// number_batch_table, tested on its own in tests/runtime); the chunk count.
uint64_t number(std::vector<devbin_batch_op_t>& ops, uint32_t chunk_bytes) {
  uint64_t chunks = 0;
  for (devbin_batch_op_t& op : ops) {
    op.first_chunk = chunks;
    chunks += (op.length + chunk_bytes - 1) / chunk_bytes;
  }
  return chunks;
}

testing::AssertionResult run_batch(const KernelBuild& build, const Shape& shape, uint32_t chunk_bytes,
                                   std::vector<TestOp>& tests, std::vector<devbin_batch_op_t>& ops) {
  devbin_batch_args_t args{};
  args.ops = device_address(ops.data());
  args.op_count = static_cast<uint32_t>(ops.size());
  args.chunk_count = number(ops, chunk_bytes);
  args.chunk_bytes = chunk_bytes;
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.batch(args); });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    return testing::AssertionFailure() << "grid " << shape_name(shape) << ": "
                                       << devbin_host_launch_result_name(launched);
  }
  for (size_t i = 0; i < tests.size(); ++i) {
    testing::AssertionResult checked = tests[i].target->check(tests[i].expected.data());
    if (!checked) {
      return testing::AssertionFailure() << "operation " << i << " of " << tests.size() << " ("
                                         << (ops[i].kind == DEVBIN_BATCH_FILL ? "fill" : "copy") << ", "
                                         << ops[i].length << " bytes), chunk " << chunk_bytes << " bytes, grid "
                                         << shape_name(shape) << ": " << checked.message();
    }
  }
  return testing::AssertionSuccess();
}

// Lengths around chunk boundaries and tiny ones, every width, misaligned
// copies, empty operations between others.
void mixed_table(uint32_t chunk_bytes, uint64_t seed, std::vector<TestOp>& tests, std::vector<devbin_batch_op_t>& ops) {
  const size_t lengths[] = {0, 1, 15, 16, 17, 64, chunk_bytes - 16, chunk_bytes, chunk_bytes + 1, 3 * chunk_bytes + 48,
                            5 * chunk_bytes - 3};
  size_t n = 0;
  for (size_t length : lengths) {
    for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
      const size_t rounded = length - length % width;
      ops.emplace_back();
      tests.push_back(fill_op((n * 5 % 40) * width % 64 / width * width, rounded, width, seed + n, &ops.back()));
      ++n;
    }
    for (size_t target_offset : {size_t{0}, size_t{3}}) {
      ops.emplace_back();
      tests.push_back(copy_op(target_offset, (n * 7) % 16, length, seed + n, &ops.back()));
      ++n;
    }
  }
}

TEST_P(BatchTest, MixedTablesOnEveryShape) {
  const KernelBuild& build = GetParam();
  const Shape shapes[] = {{1, 1, 1}, {1, 4, 4}, {3, 8, 4}, {4, 64, 32}, {2, 64, 64}, {5, 7, 4}, {40, 32, 32}};
  uint64_t seed = 1;
  for (uint32_t chunk_bytes : {16u, 48u, 256u, 1024u}) {
    for (const Shape& shape : shapes) {
      std::vector<TestOp> tests;
      std::vector<devbin_batch_op_t> ops;
      mixed_table(chunk_bytes, seed++ * 1000, tests, ops);
      ASSERT_TRUE(run_batch(build, shape, chunk_bytes, tests, ops));
    }
  }
}

// The shipped chunk size: one large operation among many small ones.
TEST_P(BatchTest, OneLargeOperationAmongSmallOnes) {
  const KernelBuild& build = GetParam();
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops;
  for (size_t i = 0; i < 40; ++i) {
    ops.emplace_back();
    tests.push_back(i % 2 ? copy_op(i % 16, i % 5, 64, i, &ops.back()) : fill_op(16, 64, 4, i, &ops.back()));
    if (i == 17) {
      ops.emplace_back();
      tests.push_back(copy_op(5, 9, 4 * DEVBIN_BATCH_CHUNK_BYTES + 77, 99, &ops.back()));
      ops.emplace_back();
      tests.push_back(fill_op(32, 3 * DEVBIN_BATCH_CHUNK_BYTES + 16, 16, 98, &ops.back()));
    }
  }
  ASSERT_TRUE(run_batch(build, Shape{16, 64, 32}, DEVBIN_BATCH_CHUNK_BYTES, tests, ops));
  ASSERT_TRUE(run_batch(build, Shape{3, 96, 32}, DEVBIN_BATCH_CHUNK_BYTES, tests, ops));
}

TEST_P(BatchTest, EmptyTablesAndZeroChunksStoreNothing) {
  const KernelBuild& build = GetParam();
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops;
  ops.emplace_back();
  tests.push_back(fill_op(0, 0, 4, 1, &ops.back()));
  ASSERT_TRUE(run_batch(build, Shape{2, 8, 4}, 64, tests, ops));
  devbin_batch_args_t args{};  // no operations at all
  args.chunk_bytes = 64;
  args.chunk_count = 5;
  EXPECT_EQ(launch(Shape{2, 8, 4}, [&] { build.batch(args); }), DEVBIN_HOST_LAUNCH_OK);
}

// What the kernel refuses: bad chunk sizes (nothing at all is stored), an
// operation of an unknown kind or a fill breaking its width rules (that
// operation alone stores nothing), and a table whose first_chunk goes
// backwards (no store lands outside any operation's range).
TEST_P(BatchTest, RefusedTablesStoreNothingStray) {
  const KernelBuild& build = GetParam();
  for (uint32_t chunk_bytes : {0u, 8u, 24u, DEVBIN_BATCH_MAX_CHUNK_BYTES + 16}) {
    std::vector<TestOp> tests;
    std::vector<devbin_batch_op_t> ops;
    ops.emplace_back();
    tests.push_back(fill_op(0, 64, 4, 3, &ops.back()));
    std::vector<uint8_t> untouched(tests[0].target->data(), tests[0].target->data() + 64);
    devbin_batch_args_t args{};
    args.ops = device_address(ops.data());
    args.op_count = 1;
    args.chunk_count = 1;
    args.chunk_bytes = chunk_bytes;
    ASSERT_EQ(launch(Shape{2, 8, 4}, [&] { build.batch(args); }), DEVBIN_HOST_LAUNCH_OK);
    EXPECT_TRUE(tests[0].target->check(untouched.data())) << "chunk bytes " << chunk_bytes;
  }

  struct Case {
    const char* what;
    uint32_t kind;
    uint32_t width;
    size_t offset;
    size_t length;
  };
  for (const Case& c : {Case{"kind 0", 0, 4, 0, 64}, Case{"kind 3", 3, 4, 0, 64}, Case{"width 3", 1, 3, 0, 96},
                        Case{"width 32", 1, 32, 0, 96}, Case{"target not a multiple of the width", 1, 4, 2, 96},
                        Case{"length not a multiple of the width", 1, 8, 0, 100}}) {
    std::vector<TestOp> tests;
    std::vector<devbin_batch_op_t> ops;
    ops.emplace_back();
    tests.push_back(copy_op(1, 2, 100, 5, &ops.back()));
    ops.emplace_back();
    tests.push_back(fill_op(c.offset, c.length, 16, 6, &ops.back()));
    ops.back().kind = c.kind;
    ops.back().pattern_width = c.width;
    tests.back().expected.assign(tests.back().target->data(), tests.back().target->data() + c.length);
    ops.emplace_back();
    tests.push_back(fill_op(16, 100, 2, 7, &ops.back()));
    ASSERT_TRUE(run_batch(build, Shape{3, 8, 4}, 32, tests, ops)) << c.what;
  }

  // first_chunk backwards: chunks 2.. find no operation that covers them.
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops;
  for (uint64_t i = 0; i < 3; ++i) {
    ops.emplace_back();
    tests.push_back(copy_op(i, 1, 200, 10 + i, &ops.back()));
  }
  devbin_batch_args_t args{};
  args.ops = device_address(ops.data());
  args.op_count = 3;
  args.chunk_bytes = 64;
  args.chunk_count = number(ops, 64) + 8;  // more chunks than the table covers
  ops[1].first_chunk = 100;
  ops[2].first_chunk = 1;
  ASSERT_EQ(launch(Shape{4, 8, 4}, [&] { build.batch(args); }), DEVBIN_HOST_LAUNCH_OK);
  for (const TestOp& test : tests) EXPECT_TRUE(test.target->check_guards());
}

INSTANTIATE_TEST_SUITE_P(Builds, BatchTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
