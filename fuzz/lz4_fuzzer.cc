// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// LZ4 fat binary entries (tools/offload/decompress.h, the scan's fat binary
// path). The first byte picks the mode:
//   even: the rest is a compressed block, its declared size the next u16:
//     decompression gives exactly that many bytes or an error that explains
//     itself, and never reads or writes out of bounds (ASan) (the scan of
//     arbitrary bytes is the container fuzzers' job, fuzz/offload_fuzz.h);
//   odd: the rest is a payload, compressed here with liblz4 into a fat binary
//     entry (flag 0x2000) and scanned: the entry decompresses to exactly the
//     payload's size (its note, if any, is about the bytes, not the block).
#include <lz4.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "decompress.h"
#include "fatbin.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/offload_fuzz.h"
#include "scan.h"

namespace {

void put(std::vector<uint8_t>& out, size_t at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using devbin::offload::Codec;
  if (size < 3) return 0;
  if ((data[0] & 1) == 0) {
    const uint64_t declared = uint64_t{data[1]} | (uint64_t{data[2]} << 8);
    const std::span<const uint8_t> block(data + 3, size - 3);
    devbin::offload::Decompressor decompressor;
    devbin::Result<std::span<const uint8_t>> out =
        decompressor.decompress(Codec::kLz4, block, declared, devbin::fuzz::kDecompressLimit);
    devbin::fuzz::check_result(out);
    if (out.ok()) DEVBIN_FUZZ_CHECK(out->size() == declared, "LZ4 output of another size than declared");
    return 0;
  }
  const std::span<const uint8_t> payload(data + 1, size - 1);
  std::vector<uint8_t> block(static_cast<size_t>(LZ4_compressBound(static_cast<int>(payload.size()))));
  const int compressed = LZ4_compress_default(reinterpret_cast<const char*>(payload.data()),
                                              reinterpret_cast<char*>(block.data()), static_cast<int>(payload.size()),
                                              static_cast<int>(block.size()));
  DEVBIN_FUZZ_CHECK(compressed > 0, "LZ4_compress_default failed");
  const size_t padded = (static_cast<size_t>(compressed) + 7) & ~size_t{7};
  std::vector<uint8_t> fatbin(16 + 64 + padded, 0);
  put(fatbin, 0, devbin::offload::kFatbinMagic, 4);
  put(fatbin, 4, 1, 2);
  put(fatbin, 6, 16, 2);
  put(fatbin, 8, 64 + padded, 8);
  put(fatbin, 16, devbin::offload::kFatbinKindCubin, 2);
  put(fatbin, 16 + 4, 64, 4);
  put(fatbin, 16 + 8, padded, 8);
  put(fatbin, 16 + 16, static_cast<uint64_t>(compressed), 4);
  put(fatbin, 16 + 28, 90, 4);
  put(fatbin, 16 + 40, devbin::offload::kFatbinFlagCompressedLz4, 8);
  put(fatbin, 16 + 56, payload.size(), 8);
  std::copy(block.begin(), block.begin() + compressed, fatbin.begin() + 80);
  devbin::offload::ScanOptions options;
  options.decompressed_limit = devbin::fuzz::kDecompressLimit;
  options.threads = 1;  // decoding is the property here; check_scan's fuzzers compare threads with one
  const devbin::offload::ScanReport report = devbin::offload::scan_gpu_binary(fatbin, options);
  if (payload.empty()) return 0;  // an empty payload is refused as such
  DEVBIN_FUZZ_CHECK(report.code_objects.size() == 1, "one entry, not one code object");
  const devbin::offload::FoundCodeObject& code = report.code_objects[0];
  if (payload.size() <= devbin::fuzz::kDecompressLimit) {
    // The scan's own note starts so; a note about the bytes may quote any
    // text the payload holds (its section names).
    DEVBIN_FUZZ_CHECK(!code.note.starts_with("compressed payload unreadable"),
                      "a block liblz4 wrote did not decompress: " + code.note);
    DEVBIN_FUZZ_CHECK(code.size == payload.size(), "the decompressed size is not the payload's");
  }
  return 0;
}
