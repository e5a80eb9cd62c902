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
// batch_number, tested on its own in tests/runtime); the chunk count.
uint64_t number(std::vector<devbin_batch_op_t>& ops, uint32_t chunk_bytes) {
  uint64_t chunks = 0;
  for (devbin_batch_op_t& op : ops) {
    op.first_chunk = chunks;
    op.chunk_bytes = chunk_bytes;
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
  uint32_t status = DEVBIN_KERNEL_STATUS_OK;
  args.status = device_address(&status);
  const devbin_host_launch_result_t launched = launch(shape, [&] { build.batch(args); });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    return testing::AssertionFailure() << "grid " << shape_name(shape) << ": "
                                       << devbin_host_launch_result_name(launched);
  }
  if (status != DEVBIN_KERNEL_STATUS_OK) {
    return testing::AssertionFailure() << "grid " << shape_name(shape) << ": status " << status;
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

// Runs a table numbered for `chunk_bytes` and returns the status word;
// every operation must have left its expected bytes and its guards.
uint32_t run_reported(const KernelBuild& build, const Shape& shape, uint32_t chunk_bytes, std::vector<TestOp>& tests,
                      std::vector<devbin_batch_op_t>& ops) {
  devbin_batch_args_t args{};
  args.ops = device_address(ops.data());
  args.op_count = static_cast<uint32_t>(ops.size());
  args.chunk_count = number(ops, chunk_bytes);
  args.chunk_bytes = chunk_bytes;
  uint32_t status = DEVBIN_KERNEL_STATUS_OK;
  args.status = device_address(&status);
  EXPECT_EQ(launch(shape, [&] { build.batch(args); }), DEVBIN_HOST_LAUNCH_OK);
  for (size_t i = 0; i < tests.size(); ++i) EXPECT_TRUE(tests[i].target->check(tests[i].expected.data())) << i;
  return status;
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
    const uint32_t expected = c.kind == 1 ? DEVBIN_KERNEL_STATUS_FILL : DEVBIN_KERNEL_STATUS_KIND;
    EXPECT_EQ(run_reported(build, Shape{3, 8, 4}, 32, tests, ops), expected) << c.what;
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

// A table of three copies and fills that a test then breaks: what each
// operation must leave (its own bytes if it runs, the untouched ones if
// not) is set by the test.
struct Table {
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops;
  uint64_t chunk_count = 0;
  void untouched(size_t i) {
    tests[i].expected.assign(tests[i].target->data(), tests[i].target->data() + tests[i].expected.size());
  }
  void all_untouched() {
    for (size_t i = 0; i < tests.size(); ++i) untouched(i);
  }
};

Table three_ops(uint32_t chunk_bytes) {
  Table table;
  table.ops.resize(3);
  table.tests.push_back(copy_op(1, 2, 3 * chunk_bytes + 5, 21, &table.ops[0]));
  table.tests.push_back(fill_op(8, 2 * chunk_bytes, 4, 22, &table.ops[1]));
  table.tests.push_back(copy_op(0, 7, chunk_bytes + 9, 23, &table.ops[2]));
  table.chunk_count = number(table.ops, chunk_bytes);
  return table;
}

// Launches `table` as it stands (no renumbering); the status word.
uint32_t launch_table(const KernelBuild& build, Table& table, uint32_t chunk_bytes, uint32_t op_count = 0,
                      const Shape& shape = Shape{3, 8, 4}) {
  devbin_batch_args_t args{};
  args.ops = device_address(table.ops.data());
  args.op_count = op_count != 0 ? op_count : static_cast<uint32_t>(table.ops.size());
  args.chunk_count = table.chunk_count;
  args.chunk_bytes = chunk_bytes;
  uint32_t status = DEVBIN_KERNEL_STATUS_OK;
  args.status = device_address(&status);
  EXPECT_EQ(launch(shape, [&] { build.batch(args); }), DEVBIN_HOST_LAUNCH_OK);
  for (size_t i = 0; i < table.tests.size(); ++i) {
    EXPECT_TRUE(table.tests[i].target->check(table.tests[i].expected.data())) << "operation " << i;
  }
  return status;
}

// Issue 26: a chunk_count no table numbers (UINT64_MAX hung the GPU) is
// refused by every workgroup before a store, in bounded time.
TEST_P(BatchTest, ChunkCountNotWhereTheTableEndsStoresNothing) {
  for (uint64_t chunk_count : {UINT64_MAX, uint64_t{1} << 40, uint64_t{0}, uint64_t{7}, uint64_t{9}}) {
    Table table = three_ops(64);
    ASSERT_EQ(table.chunk_count, 8u);
    table.chunk_count = chunk_count;
    table.all_untouched();
    EXPECT_EQ(launch_table(GetParam(), table, 64), DEVBIN_KERNEL_STATUS_CHUNK_COUNT) << chunk_count;
  }
}

// Issue 26, item 2: a table numbered with one chunk size and launched with
// another wrote a quarter of each operation with status OK.
TEST_P(BatchTest, ChunkSizeOtherThanTheNumberingsIsReported) {
  {
    Table table = three_ops(1024);
    table.all_untouched();
    const uint32_t status = launch_table(GetParam(), table, 256);
    EXPECT_TRUE(status == DEVBIN_KERNEL_STATUS_CHUNK_COUNT) << status;
  }
  // Operations of one chunk under both sizes number the same: chunk_bytes
  // in each operation tells.
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops(3);
  for (size_t i = 0; i < 3; ++i) tests.push_back(fill_op(16, 256, 8, 30 + i, &ops[i]));
  Table table{std::move(tests), std::move(ops), 0};
  table.chunk_count = number(table.ops, 16384);
  table.all_untouched();
  EXPECT_EQ(launch_table(GetParam(), table, 256), DEVBIN_KERNEL_STATUS_CHUNK_BYTES);
}

// Each bad operation is skipped and reported; the others run.
TEST_P(BatchTest, BadOperationsAreSkippedAndReported) {
  const uint32_t chunk_bytes = 64;
  struct Case {
    const char* what;
    uint32_t expected;
    void (*breaks)(devbin_batch_op_t& op);
  };
  const Case cases[] = {
      {"unknown kind", DEVBIN_KERNEL_STATUS_KIND, [](devbin_batch_op_t& op) { op.kind = 7; }},
      {"null target", DEVBIN_KERNEL_STATUS_ADDRESS, [](devbin_batch_op_t& op) { op.target = 0; }},
      {"wrapping target", DEVBIN_KERNEL_STATUS_ADDRESS, [](devbin_batch_op_t& op) { op.target = UINT64_MAX - 63; }},
      {"null source", DEVBIN_KERNEL_STATUS_ADDRESS,
       [](devbin_batch_op_t& op) {
         op.kind = DEVBIN_BATCH_COPY;
         op.source = 0;
       }},
      {"wrapping source", DEVBIN_KERNEL_STATUS_ADDRESS,
       [](devbin_batch_op_t& op) {
         op.kind = DEVBIN_BATCH_COPY;
         op.source = UINT64_MAX - 15;
       }},
      {"overlapping copy", DEVBIN_KERNEL_STATUS_OVERLAP,
       [](devbin_batch_op_t& op) {
         op.kind = DEVBIN_BATCH_COPY;
         op.source = op.target + 3;
       }},
      {"fill width 3", DEVBIN_KERNEL_STATUS_FILL, [](devbin_batch_op_t& op) { op.pattern_width = 3; }},
      {"chunk size", DEVBIN_KERNEL_STATUS_CHUNK_BYTES, [](devbin_batch_op_t& op) { op.chunk_bytes = 128; }},
  };
  for (const Case& c : cases) {
    Table table = three_ops(chunk_bytes);
    c.breaks(table.ops[1]);
    table.untouched(1);
    EXPECT_EQ(launch_table(GetParam(), table, chunk_bytes), c.expected) << c.what;
  }
}

// A first_chunk that does not follow from its neighbours' is skipped with
// them (they cannot be told apart), and the numbering is reported; no store
// lands outside an operation.
TEST_P(BatchTest, BrokenNumberingIsReportedAndStaysInside) {
  const uint32_t chunk_bytes = 64;
  for (uint64_t shift : {uint64_t{1}, UINT64_MAX, uint64_t{1} << 40}) {
    Table table = three_ops(chunk_bytes);
    table.ops[1].first_chunk += shift;
    table.all_untouched();
    table.untouched(2);
    // op 0 and op 2 border the broken op 1: they are skipped too.
    EXPECT_EQ(launch_table(GetParam(), table, chunk_bytes), DEVBIN_KERNEL_STATUS_NUMBERING) << shift;
  }
  // Operation 0 not at chunk 0: the chunks before it land on no operation.
  Table table = three_ops(chunk_bytes);
  for (devbin_batch_op_t& op : table.ops) op.first_chunk += 2;
  table.chunk_count += 2;
  table.untouched(0);
  EXPECT_EQ(launch_table(GetParam(), table, chunk_bytes), DEVBIN_KERNEL_STATUS_NUMBERING);
}

// A table whose numbering is broken where the search never lands: op 1 is
// passed over by every chunk, op 0's last chunks go to op 2. Only the
// table-wide check sees it, and the status must not say OK.
TEST_P(BatchTest, NumberingNoChunkLandsOnIsReported) {
  std::vector<TestOp> tests;
  std::vector<devbin_batch_op_t> ops(4);
  const uint32_t chunk_bytes = 16;
  tests.push_back(fill_op(0, 4 * chunk_bytes, 4, 41, &ops[0]));
  tests.push_back(fill_op(0, 4 * chunk_bytes, 4, 42, &ops[1]));
  tests.push_back(fill_op(0, 4 * chunk_bytes, 4, 43, &ops[2]));
  tests.push_back(fill_op(0, 2 * chunk_bytes, 4, 44, &ops[3]));
  number(ops, chunk_bytes);
  ops[0].first_chunk = 0, ops[1].first_chunk = 4, ops[2].first_chunk = 2, ops[3].first_chunk = 6;
  Table table{std::move(tests), std::move(ops), 8};
  for (size_t i = 0; i < 4; ++i) table.tests[i].expected.clear();  // which ran is unspecified
  devbin_batch_args_t args{};
  args.ops = device_address(table.ops.data());
  args.op_count = 4;
  args.chunk_count = 8;
  args.chunk_bytes = chunk_bytes;
  uint32_t status = DEVBIN_KERNEL_STATUS_OK;
  args.status = device_address(&status);
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{3, 8, 4}, Shape{16, 4, 4}}) {
    status = DEVBIN_KERNEL_STATUS_OK;
    ASSERT_EQ(launch(shape, [&] { GetParam().batch(args); }), DEVBIN_HOST_LAUNCH_OK);
    EXPECT_EQ(status, DEVBIN_KERNEL_STATUS_NUMBERING) << shape_name(shape);
    for (const TestOp& test : table.tests) EXPECT_TRUE(test.target->check_guards());
  }
}

// A skipped operation is passed over in one step: one of 2^40 - 1 chunks
// (a table and chunk_count that agree, the operation of an unknown kind)
// took 2^40 trips of the chunk loop, a hung GPU.
TEST_P(BatchTest, SkippedOperationOfManyChunksIsPassedOverAtOnce) {
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{3, 8, 4}, Shape{7, 4, 4}}) {
    Table table = three_ops(64);
    const uint64_t huge = DEVBIN_BATCH_MAX_CHUNK_INDEX - 1;
    table.ops[1].kind = 9;
    table.ops[1].length = huge * 64;
    table.ops[2].first_chunk = table.ops[1].first_chunk + huge;
    table.chunk_count = table.ops[2].first_chunk + 2;
    table.untouched(1);
    EXPECT_EQ(launch_table(GetParam(), table, 64, 0, shape), DEVBIN_KERNEL_STATUS_KIND) << shape_name(shape);
  }
}

// op_count past the table: what follows the table is not numbered as its
// continuation, so nothing is stored.
TEST_P(BatchTest, OperationCountPastTheTableStoresNothing) {
  Table table = three_ops(64);
  table.ops.resize(5);  // two zeroed entries after the table
  table.all_untouched();
  EXPECT_EQ(launch_table(GetParam(), table, 64, 5), DEVBIN_KERNEL_STATUS_CHUNK_COUNT);
}

// The launch's own arguments: nothing stored, ARGS reported.
TEST_P(BatchTest, BadArgumentsAreReported) {
  Table table = three_ops(64);
  table.all_untouched();
  EXPECT_EQ(launch_table(GetParam(), table, 24), DEVBIN_KERNEL_STATUS_ARGS);
}

INSTANTIATE_TEST_SUITE_P(Builds, BatchTest, testing::ValuesIn(kernel_builds()),
                         [](const testing::TestParamInfo<KernelBuild>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace devbin::device_test
