// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "decompress.h"

#include <lz4.h>
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

// CUDA fat binaries (nvcc --compress-mode, -Xfatbin -compress-all before
// CUDA 12.8) hold one LZ4 block, no frame: the entry header gives both sizes.
// LZ4_decompress_safe never writes past the output nor reads past the input.
Result<std::vector<uint8_t>> lz4_decompress(std::span<const uint8_t> compressed, uint64_t expected_size) {
  if (compressed.size() > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) ||
      expected_size > static_cast<uint64_t>(INT32_MAX)) {
    return failed_precondition("LZ4 block over 2 GiB");
  }
  std::vector<uint8_t> out(expected_size);
  const int result = LZ4_decompress_safe(reinterpret_cast<const char*>(compressed.data()),
                                         reinterpret_cast<char*>(out.data()), static_cast<int>(compressed.size()),
                                         static_cast<int>(out.size()));
  if (result < 0) {
    return data_loss("LZ4 block is corrupt, truncated or holds more than the " + number(expected_size) +
                     " bytes its container declares (LZ4 error at input byte " + std::to_string(-result - 1) + ")");
  }
  if (static_cast<uint64_t>(result) != expected_size) {
    return data_loss("LZ4 block holds " + number(static_cast<uint64_t>(result)) + " bytes; its container declares " +
                     number(expected_size));
  }
  return out;
}

}  // namespace

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::kZlib: return "zlib";
    case Codec::kZstd: return "zstd";
    case Codec::kLz4: return "LZ4";
  }
  return "zstd";
}

Result<std::vector<uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed, uint64_t expected_size,
                                        uint64_t limit) {
  const std::string name(codec_name(codec));
  if (expected_size > limit) {
    return failed_precondition(name + " payload declares " + number(expected_size) +
                               " bytes once decompressed: more than the " + number(limit) + "-byte limit");
  }
  if (compressed.empty()) return data_loss(name + " payload is empty");
  switch (codec) {
    case Codec::kZlib: return zlib_decompress(compressed, expected_size);
    case Codec::kLz4: return lz4_decompress(compressed, expected_size);
    case Codec::kZstd: break;
  }
  return zstd_decompress(compressed, expected_size);
}

}  // namespace devbin::offload
