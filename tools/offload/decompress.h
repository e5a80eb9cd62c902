// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// zlib, zstd and LZ4 decompression for compressed offload bundles and fat
// binary entries, through Debian's libz, libzstd and liblz4. Only the tools link this: the
// runtime library takes no third-party code.
#ifndef DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_
#define DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "devbin/status.h"
#include "page_buffer.h"

struct ZSTD_DCtx_s;  // zstd.h's ZSTD_DCtx, kept out of this header

namespace devbin::offload {

enum class Codec : uint8_t { kZlib, kZstd, kLz4 };
std::string_view codec_name(Codec codec);  // "zlib", "zstd", "LZ4"

// How many bytes from its start hold a zstd frame's header and first block
// (RFC 8878: a 3-byte block header, then the block: its size, or 1 byte for
// an RLE block), given at least the frame header and the block header in
// `head`; nothing when they are not there or not valid.
std::optional<uint64_t> zstd_first_block_end(std::span<const uint8_t> head);

// Decompresses `compressed`, which its container says holds exactly
// `expected_size` bytes. A size above `limit` is refused before anything is
// allocated; output that is shorter, longer or corrupt is an error saying so.
Result<std::vector<uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed, uint64_t expected_size,
                                        uint64_t limit);

// The same into one buffer, reused from call to call (and one zstd context):
// a scan of thousands of payloads allocates once. The bytes stay valid until
// the next call.
class Decompressor {
 public:
  Decompressor() = default;
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  Result<std::span<const uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed,
                                              uint64_t expected_size, uint64_t limit);
  // The first min(count, expected_size) bytes only (zstd or LZ4), from
  // `compressed`, which may be a prefix of the payload: what a code object's
  // header needs, without decompressing the rest (zstd: the first block,
  // at most 128 KiB, into this buffer). An error where those bytes cannot be
  // produced; nothing past them is checked.
  Result<std::span<const uint8_t>> decompress_prefix(Codec codec, std::span<const uint8_t> compressed,
                                                     uint64_t expected_size, uint64_t count);
  // The bytes the buffer holds (it only grows), and a way to give them back.
  uint64_t held() const { return buffer_.held(); }
  void release() { buffer_.release(); }

 private:
  PageBuffer buffer_;
  ::ZSTD_DCtx_s* zstd_ = nullptr;
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_
