// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <string>

#include "bytes.h"

namespace devbin::offload {
namespace {

Result<std::vector<uint8_t>> zlib_decompress(std::span<const uint8_t> compressed, uint64_t expected_size) {
  // zlib counts in uInt (32 bits); decompress() caps sizes far below that.
  if (compressed.size() > UINT32_MAX || expected_size > UINT32_MAX) {
    return failed_precondition("zlib payload over 4 GiB");
  }
  std::vector<uint8_t> out(expected_size);
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return internal_error("zlib: inflateInit failed");
  stream.next_in = const_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  const uint64_t produced = out.size() - stream.avail_out;
  const std::string message = stream.msg != nullptr ? stream.msg : "";
  inflateEnd(&stream);
  if (result == Z_STREAM_END) {
    if (produced != expected_size) {
      return data_loss("zlib stream holds " + number(produced) + " bytes; its container declares " +
                       number(expected_size));
    }
    return out;
  }
  if (stream.avail_out == 0 && (result == Z_OK || result == Z_BUF_ERROR)) {
    return data_loss("zlib stream holds more than the " + number(expected_size) + " bytes its container declares");
  }
  return data_loss("zlib stream is corrupt or truncated after " + number(produced) + " of " + number(expected_size) +
                   " bytes (zlib code " + std::to_string(result) + (message.empty() ? "" : ": " + message) + ")");
}

Result<std::vector<uint8_t>> zstd_decompress(std::span<const uint8_t> compressed, uint64_t expected_size) {
  const unsigned long long frame_size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (frame_size == ZSTD_CONTENTSIZE_ERROR) return data_loss("not a zstd frame: the magic or frame header is wrong");
  if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != expected_size) {
    return data_loss("zstd frame declares " + number(frame_size) + " bytes; its container declares " +
                     number(expected_size));
  }
  std::vector<uint8_t> out(expected_size);
  const size_t result = ZSTD_decompress(out.data(), out.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(result)) {
    return data_loss(std::string("zstd stream is corrupt or truncated: ") + ZSTD_getErrorName(result));
  }
  if (result != expected_size) {
    return data_loss("zstd stream holds " + number(result) + " bytes; its container declares " +
                     number(expected_size));
  }
  return out;
}

}  // namespace

Result<std::vector<uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed, uint64_t expected_size,
                                        uint64_t limit) {
  const char* name = codec == Codec::kZlib ? "zlib" : "zstd";
  if (expected_size > limit) {
    return failed_precondition(std::string(name) + " payload declares " + number(expected_size) +
                               " bytes once decompressed: more than the " + number(limit) + "-byte limit");
  }
  if (compressed.empty()) return data_loss(std::string(name) + " payload is empty");
  return codec == Codec::kZlib ? zlib_decompress(compressed, expected_size) : zstd_decompress(compressed, expected_size);
}

}  // namespace devbin::offload
