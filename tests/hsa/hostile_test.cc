// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Issue 26: hostile and careless input on the operation path, through the C
// API (and, for what the host refuses before a launch, direct launches of
// the kernels) on the HSA runtime stand-in with its host executor. Each
// case used to hang, crash the process or write part of what was asked with
// status OK; each must now be a clean error, a reported fault, or a launch
// that stores nothing and says why in its status word.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "devbin/devbin.h"
#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "tests/hsa/direct_launch.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

using direct::DirectLaunch;
using direct::launch_direct;

// The C API's message and code, the status freed.
struct Outcome {
  devbin_status_code_t code = DEVBIN_STATUS_OK;
  std::string message;
};
Outcome outcome(devbin_status_t status) {
  Outcome out{devbin_status_code(status), devbin_status_message(status)};
  devbin_status_free(status);
  return out;
}

class HostileInput : public HsaDevice {
 protected:
  void SetUp() override {
    HsaDevice::SetUp();
    ASSERT_EQ(devbin_device_open(DEVBIN_BACKEND_HSA, 0, &device_), nullptr);
    ASSERT_EQ(devbin_queue_create(device_, &queue_), nullptr);
    ASSERT_EQ(devbin_buffer_allocate(device_, kBytes, &buffer_), nullptr);
    base_ = devbin_buffer_address(buffer_);
    std::vector<uint8_t> zeros(kBytes, 0);
    ASSERT_EQ(devbin_copy_to_device(device_, base_, zeros.data(), kBytes), nullptr);
  }
  void TearDown() override {
    devbin_buffer_free(buffer_);
    devbin_queue_free(queue_);
    devbin_device_free(device_);
    HsaDevice::TearDown();
  }
  std::vector<uint8_t> read(uint64_t offset, size_t length) {
    std::vector<uint8_t> bytes(length);
    EXPECT_EQ(devbin_copy_to_host(device_, bytes.data(), base_ + offset, length), nullptr);
    return bytes;
  }
  // A table of `ops` numbered for `chunk_bytes`, written at kTable.
  uint64_t upload(std::vector<devbin_batch_op_t>& ops, uint32_t chunk_bytes) {
    uint64_t chunks = 0;
    EXPECT_EQ(devbin_batch_number(ops.data(), ops.size(), chunk_bytes, &chunks), nullptr);
    EXPECT_EQ(devbin_copy_to_device(device_, base_ + kTable, ops.data(), ops.size() * sizeof(ops[0])), nullptr);
    return chunks;
  }
  devbin_batch_args_t batch_args(uint32_t op_count, uint64_t chunk_count, uint32_t chunk_bytes) {
    devbin_batch_args_t args{};
    args.ops = base_ + kTable;
    args.op_count = op_count;
    args.chunk_count = chunk_count;
    args.chunk_bytes = chunk_bytes;
    return args;
  }
  // Three fills of 1 KiB at 0, 4096 and 8192.
  std::vector<devbin_batch_op_t> three_fills() {
    std::vector<devbin_batch_op_t> ops(3);
    const uint32_t pattern = 0x11223344;
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(devbin_batch_fill_op(base_ + 4096 * i, 1024, &pattern, 4, &ops[i]), nullptr);
    }
    return ops;
  }
  bool filled(int i, size_t length = 1024) {
    const std::vector<uint8_t> bytes = read(4096 * i, length);
    for (size_t k = 0; k < length; ++k) {
      if (bytes[k] != static_cast<uint8_t>(0x44332211u >> (8 * (3 - k % 4)))) return false;
    }
    return true;
  }
  bool untouched(int i, size_t length = 4096) {
    const std::vector<uint8_t> bytes = read(4096 * i, length);
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }

  static constexpr uint64_t kBytes = 65536;
  static constexpr uint64_t kTable = 61440;  // the table's offset in the buffer
  devbin_device_t* device_ = nullptr;
  devbin_queue_t* queue_ = nullptr;
  devbin_buffer_t* buffer_ = nullptr;
  uint64_t base_ = 0;
};

// Item 1: one op with chunk_count UINT64_MAX made synchronize report a hung
// GPU after 60 s; the host now refuses it at once.
TEST_F(HostileInput, BatchChunkCountNoTableNumbersIsRefused) {
  std::vector<devbin_batch_op_t> ops = three_fills();
  ops.resize(1);
  upload(ops, 0);
  devbin_batch_args_t args = batch_args(1, UINT64_MAX, DEVBIN_BATCH_CHUNK_BYTES);
  const auto start = std::chrono::steady_clock::now();
  Outcome refused = outcome(devbin_queue_batch(device_, queue_, &args));
  EXPECT_EQ(refused.code, DEVBIN_STATUS_INVALID_ARGUMENT);
  EXPECT_PRED_FORMAT2(assert_contains, refused.message,
                      "batch: chunk_count 18446744073709551615 for 1 operations of 16384-byte chunks; at most "
                      "1099511627775");
  EXPECT_EQ(devbin_queue_synchronize(queue_), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Item 1 on the device: a chunk_count the host cannot tell from the right
// one (within the bound) is refused by the kernel, which stores nothing.
TEST_F(HostileInput, BatchChunkCountOffTheTablesEndStoresNothing) {
  std::vector<devbin_batch_op_t> ops = three_fills();
  const uint64_t chunks = upload(ops, 256);
  ASSERT_EQ(chunks, 12u);
  for (uint64_t wrong : {uint64_t{11}, uint64_t{13}, uint64_t{1} << 39}) {
    devbin_batch_args_t args = batch_args(3, wrong, 256);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(devbin_queue_batch(device_, queue_, &args), nullptr);
    ASSERT_EQ(devbin_queue_synchronize(queue_), nullptr);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << wrong;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(untouched(i)) << "operation " << i << ", chunk_count " << wrong;
  }
}

// Item 2: numbered with 16 KiB chunks and launched with 256-byte ones,
// only 256 of every 1024 bytes were written, with status OK.
TEST_F(HostileInput, BatchLaunchedWithAnotherChunkSizeStoresNothing) {
  std::vector<devbin_batch_op_t> ops = three_fills();
  const uint64_t chunks = upload(ops, 0);
  devbin_batch_args_t args = batch_args(3, chunks, 256);
  ASSERT_EQ(devbin_queue_batch(device_, queue_, &args), nullptr);
  ASSERT_EQ(devbin_queue_synchronize(queue_), nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(untouched(i)) << "operation " << i;
}

// Item 3: a null target among good operations crashed the host executor
// (and faults a GPU); it is skipped, the others run.
TEST_F(HostileInput, BatchBadOperationIsSkippedOthersRun) {
  struct Case {
    const char* what;
    void (*breaks)(devbin_batch_op_t&, uint64_t base);
  };
  const Case cases[] = {
      {"null target", [](devbin_batch_op_t& op, uint64_t) { op.target = 0; }},
      {"wrapping target", [](devbin_batch_op_t& op, uint64_t) { op.target = UINT64_MAX - 1023; }},
      {"unknown kind", [](devbin_batch_op_t& op, uint64_t) { op.kind = 9; }},
      {"overlapping copy",
       [](devbin_batch_op_t& op, uint64_t) {
         op.kind = DEVBIN_BATCH_COPY;
         op.source = op.target + 1;
       }},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> zeros(kTable, 0);
    ASSERT_EQ(devbin_copy_to_device(device_, base_, zeros.data(), zeros.size()), nullptr);
    std::vector<devbin_batch_op_t> ops = three_fills();
    const uint64_t chunks = upload(ops, 256);
    c.breaks(ops[1], base_);
    ASSERT_EQ(devbin_copy_to_device(device_, base_ + kTable, ops.data(), ops.size() * sizeof(ops[0])), nullptr);
    devbin_batch_args_t args = batch_args(3, chunks, 256);
    ASSERT_EQ(devbin_queue_batch(device_, queue_, &args), nullptr) << c.what;
    ASSERT_EQ(devbin_queue_synchronize(queue_), nullptr) << c.what;
    EXPECT_TRUE(filled(0)) << c.what;
    EXPECT_TRUE(untouched(1)) << c.what;
    EXPECT_TRUE(filled(2)) << c.what;
  }
}

// Item 10: an operation past its buffer is a GPU memory fault that
// synchronize reports, not a crash of the process.
TEST_F(HostileInput, BatchOperationPastItsBufferFaults) {
  std::vector<devbin_batch_op_t> ops = three_fills();
  ops[2].target = base_ + kBytes - 1024;  // 8 KiB from 1 KiB before the buffer's end
  ops[2].length = 8192;
  const uint64_t chunks = upload(ops, 256);
  devbin_batch_args_t args = batch_args(3, chunks, 256);
  ASSERT_EQ(devbin_queue_batch(device_, queue_, &args), nullptr);
  Outcome fault = outcome(devbin_queue_synchronize(queue_));
  EXPECT_PRED_FORMAT2(assert_contains, fault.message, "a GPU memory fault at address");
}

TEST_F(HostileInput, RectPastItsBufferFaults) {
  const devbin_rect_region_t target = {base_ + kBytes - 4096, 4096, 0};
  const devbin_rect_region_t source = {base_, 100, 0};
  const devbin_rect_extent_t rows = {64, 3, 1};  // rows 2 and 3 lie past the buffer
  ASSERT_EQ(devbin_queue_copy_rect(device_, queue_, &target, &source, &rows), nullptr);
  Outcome copy = outcome(devbin_queue_synchronize(queue_));
  EXPECT_PRED_FORMAT2(assert_contains, copy.message, "a GPU memory fault at address");
}

TEST_F(HostileInput, FillRectPastItsBufferFaults) {
  const devbin_rect_region_t target = {base_ + kBytes - 64, 4096, 0};
  const devbin_rect_extent_t rows = {64, 2, 1};
  const uint32_t pattern = 7;
  ASSERT_EQ(devbin_queue_fill_rect(device_, queue_, &target, &rows, &pattern, 4), nullptr);
  Outcome fill = outcome(devbin_queue_synchronize(queue_));
  EXPECT_PRED_FORMAT2(assert_contains, fill.message, "a GPU memory fault at address");
}

// Item 10: the stand-in's pool allocation rounded UINT64_MAX up to 0 bytes
// and said OK.
TEST_F(HostileInput, AllocatingTheWholeAddressSpaceFails) {
  for (uint64_t size : {UINT64_MAX, UINT64_MAX - 4094}) {
    devbin_buffer_t* huge = nullptr;
    Outcome refused = outcome(devbin_buffer_allocate(device_, size, &huge));
    EXPECT_NE(refused.code, DEVBIN_STATUS_OK) << size;
    EXPECT_EQ(huge, nullptr);
  }
}

// Item 7: UINT32_MAX samples reserved 96 GiB ("out of memory") and, where
// that worked, would run four billion launches.
TEST_F(HostileInput, CalibrationSamplesAreBounded) {
  devbin_clock_calibration_t calibration{};
  for (uint32_t samples : {UINT32_MAX, kMaxClockSamples + 1, 0u}) {
    Outcome refused = outcome(devbin_calibrate_clock(device_, queue_, samples, &calibration));
    EXPECT_EQ(refused.code, DEVBIN_STATUS_INVALID_ARGUMENT);
    EXPECT_PRED_FORMAT2(assert_contains, refused.message,
                        "calibrate_clock: " + std::to_string(samples) + " samples; expected 1 to 1024");
  }
  EXPECT_EQ(devbin_calibrate_clock(device_, queue_, 3, &calibration), nullptr);
}

// Item 8: a dispatch_patch whose header is not a KERNEL_DISPATCH (INVALID
// stalls the queue that receives it) or whose setup is not 1-3 dimensions.
TEST_F(HostileInput, DispatchPatchHeaderMustBeAKernelDispatch) {
  devbin_dispatch_args_t args{};
  args.workgroup_counts = base_ + 64;
  args.packet = base_;
  args.workgroup_size[0] = args.workgroup_size[1] = args.workgroup_size[2] = 1;
  args.header = DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH;
  for (uint16_t header : {uint16_t{0x1}, uint16_t{0}, uint16_t{0xffff}}) {
    args.header = header;
    args.setup = 1;
    Outcome refused = outcome(devbin_queue_dispatch_patch(device_, queue_, &args));
    EXPECT_EQ(refused.code, DEVBIN_STATUS_INVALID_ARGUMENT) << header;
    EXPECT_PRED_FORMAT2(assert_contains, refused.message, "expected KERNEL_DISPATCH (2)");
  }
  args.header = DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH;
  for (uint16_t setup : {uint16_t{0}, uint16_t{7}}) {
    args.setup = setup;
    Outcome refused = outcome(devbin_queue_dispatch_patch(device_, queue_, &args));
    EXPECT_PRED_FORMAT2(assert_contains, refused.message, "expected the dimensions, 1, 2 or 3");
  }
}

// Item 9: a 1 MiB ISA gave a 2 MiB message, and control bytes reached the
// terminal raw. The message quotes at most util::kQuoteLimit bytes, escaped.
TEST(HostileText, SelectQuotesABoundedEscapedIsa) {
  for (const std::string& isa : {"gfx" + std::string(1 << 20, 'x'), "amdgcn-amd-amdhsa--" + std::string(1 << 20, '9'),
                                 std::string("gfx11\x1b[31m\x07") + std::string(300, '\n')}) {
    devbin_selection_t selection{};
    char reason[64];
    Outcome refused = outcome(devbin_select(isa.c_str(), &selection, reason, sizeof(reason)));
    EXPECT_EQ(refused.code, DEVBIN_STATUS_INVALID_ARGUMENT);
    EXPECT_LT(refused.message.size(), 1024u) << refused.message.substr(0, 300);
    for (char c : refused.message) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "a control byte in the message";
    EXPECT_PRED_FORMAT2(assert_contains, refused.message, "... (" + std::to_string(isa.size()) + " bytes)");
  }
}

// Item 9: "HSA GPU agent 5: HSA GPU agent 5 does not exist" named the agent twice.
TEST_F(HsaDevice, AMissingAgentIsNamedOnce) {
  devbin_device_t* device = nullptr;
  Outcome missing = outcome(devbin_device_open(DEVBIN_BACKEND_HSA, 5, &device));
  EXPECT_EQ(missing.code, DEVBIN_STATUS_NOT_FOUND);
  EXPECT_EQ(missing.message.rfind("HSA GPU agent 5 does not exist; the runtime shows 1 GPU agent(s)", 0), 0u)
      << missing.message;
  EXPECT_EQ(missing.message.find("HSA GPU agent 5: "), std::string::npos) << missing.message;
}

// The device-side status word, through direct launches (the host checks are
// not in the way): the codes device/abi.h lists.
class DirectLaunchStatus : public HsaDevice {};

TEST_F(DirectLaunchStatus, BatchAndRectReportWhatTheySkip) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  ASSERT_TRUE(queue.ok());
  auto memory = device->allocate(65536, MemoryKind::kHost);
  ASSERT_TRUE(memory.ok());
  auto* bytes = static_cast<uint8_t*>(memory->host_pointer());
  std::memset(bytes, 0, 65536);
  const uint64_t base = memory->address();
  uint32_t* status = reinterpret_cast<uint32_t*>(bytes + 65532);
  std::vector<devbin_batch_op_t> ops(3);
  const uint8_t pattern[4] = {1, 2, 3, 4};
  for (int i = 0; i < 3; ++i) ops[i] = *make_batch_fill(base + 4096 * i, 1024, pattern);
  auto chunks = batch_number(ops, 256);
  ASSERT_TRUE(chunks.ok());
  ops[1].kind = 5;
  std::memcpy(bytes + 61440, ops.data(), sizeof(devbin_batch_op_t) * 3);
  devbin_batch_args_t args{base + 61440, *chunks, 3, 256, base + 65532};
  struct Case {
    const char* what;
    devbin_batch_args_t args;
    uint32_t expected;
  };
  devbin_batch_args_t mismatch = args;
  mismatch.chunk_count = UINT64_MAX;
  devbin_batch_args_t chunk_size = args;
  chunk_size.chunk_bytes = 512;
  devbin_batch_args_t bad_table = args;
  bad_table.ops = base + 61441;
  for (const Case& c : {Case{"unknown kind", args, DEVBIN_KERNEL_STATUS_KIND},
                        Case{"chunk_count UINT64_MAX", mismatch, DEVBIN_KERNEL_STATUS_CHUNK_COUNT},
                        Case{"chunk size", chunk_size, DEVBIN_KERNEL_STATUS_CHUNK_COUNT},
                        Case{"misaligned table", bad_table, DEVBIN_KERNEL_STATUS_ARGS}}) {
    *status = 0;
    DirectLaunch keep;
    ASSERT_TRUE(launch_direct(*device, **queue, Kernel::devbin_batch, c.args, 4, keep).ok()) << c.what;
    ASSERT_TRUE((*queue)->synchronize().ok()) << c.what;
    EXPECT_EQ(*status, c.expected) << c.what;
  }
  devbin_copy_rect_args_t copy{};
  copy.target = {base, 16, 0};  // rows of 32 bytes at pitch 16 overlap
  copy.source = {base + 8192, 32, 0};
  copy.extent = {32, 4, 1};
  copy.chunk_bytes = 256;
  copy.chunks_per_row = 1;
  copy.status = base + 65532;
  *status = 0;
  DirectLaunch keep;
  ASSERT_TRUE(launch_direct(*device, **queue, Kernel::devbin_copy_rect, copy, 2, keep).ok());
  ASSERT_TRUE((*queue)->synchronize().ok());
  EXPECT_EQ(*status, DEVBIN_KERNEL_STATUS_OVERLAP);
}

}  // namespace
}  // namespace devbin::hsa
