// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// LZ4-compressed CUDA fat binary entries (nvcc --compress-mode before CUDA
// 12.8): data/cuda_lz4_sm80_sm90_compute90.fatbin is nvcc 13.0's
// cuda_sm80_sm90_compute90.fatbin with every payload an LZ4 block
// (data/make_lz4_fatbin.py). The doctor lists the same code objects and
// kernels from both; broken blocks are notes that say so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decompress.h"
#include "fatbin.h"
#include "offload_test_util.h"
#include "scan.h"

namespace devbin::offload {
namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(FatbinLz4Test, EntriesAreDecompressedAndTheirKernelsListed) {
  const ScanReport plain = scan_gpu_binary(read_data_file("cuda_sm80_sm90_compute90.fatbin"));
  const ScanReport lz4 = scan_gpu_binary(read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin"));
  ASSERT_TRUE(lz4.problems.empty()) << lz4.problems.front();
  ASSERT_EQ(lz4.code_objects.size(), 3u);
  ASSERT_EQ(plain.code_objects.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const FoundCodeObject& code = lz4.code_objects[i];
    SCOPED_TRACE(code.location);
    EXPECT_EQ(code.compression, "lz4");
    EXPECT_TRUE(code.note.empty()) << code.note;
    EXPECT_TRUE(code.kernels_known);
    EXPECT_EQ(code.target, plain.code_objects[i].target);
    EXPECT_EQ(code.format, plain.code_objects[i].format);
    EXPECT_EQ(code.size, plain.code_objects[i].size);
    EXPECT_LT(code.stored_size, code.size);
    EXPECT_EQ(code.kernels, plain.code_objects[i].kernels);
    EXPECT_TRUE(code.loadable);
  }
  EXPECT_EQ(lz4.code_objects[1].ptx_version, "9.0");
}

TEST(FatbinLz4Test, TheFlagNamesTheCodec) {
  const Result<Fatbin> fatbin = parse_fatbin(read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin"));
  ASSERT_TRUE(fatbin.ok()) << fatbin.status().message();
  for (const FatbinEntry& entry : fatbin->entries) {
    EXPECT_EQ(entry.compression, FatbinCompression::kLz4);
    EXPECT_NE(entry.flags & kFatbinFlagCompressedLz4, 0u);
    EXPECT_EQ(entry.payload.size(), entry.payload_size);
  }
}

// The first entry's header: payload from 16 + 64.
constexpr size_t kFirstEntry = 16;

TEST(FatbinLz4Test, BrokenBlocksAreNotes) {
  const std::vector<uint8_t> good = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  struct Case {
    const char* what;
    void (*corrupt)(std::vector<uint8_t>&);
    const char* expected;
  };
  const Case cases[] = {
      {"declared larger", [](std::vector<uint8_t>& b) { put_u64(b, kFirstEntry + 56, 4712 + 1); },
       "LZ4 block holds 4712 bytes; its container declares 4713"},
      {"declared smaller", [](std::vector<uint8_t>& b) { put_u64(b, kFirstEntry + 56, 4000); },
       "LZ4 block is corrupt, truncated or holds more than the 4000 bytes its container declares"},
      {"cut short", [](std::vector<uint8_t>& b) { put_u32(b, kFirstEntry + 16, 600); },
       "compressed payload unreadable: LZ4 block"},
      {"over the limit", [](std::vector<uint8_t>& b) { put_u64(b, kFirstEntry + 56, uint64_t{1} << 40); },
       "LZ4 payload declares 1099511627776 bytes once decompressed: more than the"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<uint8_t> bytes = good;
    c.corrupt(bytes);
    const ScanReport report = scan_gpu_binary(bytes);
    ASSERT_EQ(report.code_objects.size(), 3u);
    EXPECT_TRUE(has(report.code_objects[0].note, c.expected)) << report.code_objects[0].note;
    EXPECT_FALSE(report.code_objects[0].loadable);
    EXPECT_TRUE(report.code_objects[2].note.empty()) << report.code_objects[2].note;
  }
}

TEST(FatbinLz4Test, DecompressChecksBothSizes) {
  const std::vector<uint8_t> raw(10000, 'x');
  // An LZ4 block of 10000 'x': one literal, a match of 9999 at offset 1, the
  // last five bytes as literals (LZ4's end rule).
  std::vector<uint8_t> block = {0x1f, 'x', 0x01, 0x00};
  uint64_t rest = 10000 - 1 - 5 - 4 - 15;  // match length beyond 4 + 15
  while (rest >= 255) {
    block.push_back(255);
    rest -= 255;
  }
  block.push_back(static_cast<uint8_t>(rest));
  block.insert(block.end(), {0x50, 'x', 'x', 'x', 'x', 'x'});
  Result<std::vector<uint8_t>> out = decompress(Codec::kLz4, block, raw.size(), uint64_t{1} << 20);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, raw);
  EXPECT_FALSE(decompress(Codec::kLz4, block, raw.size() + 1, uint64_t{1} << 20).ok());
  EXPECT_FALSE(decompress(Codec::kLz4, block, raw.size() - 1, uint64_t{1} << 20).ok());
  Result<std::vector<uint8_t>> empty = decompress(Codec::kLz4, {}, 10, 100);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "LZ4 payload is empty");
}

}  // namespace
}  // namespace devbin::offload
