// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "decompress.h"

#include <lz4.h>
#include <zlib.h>
// The buffer-less streaming functions (ZSTD_decompressBegin/Continue) are in
// zstd.h's static-linking section; libzstd 1.5 exports them.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "bytes.h"

namespace devbin::offload {
namespace {

Status zlib_decompress(std::span<const uint8_t> compressed, std::span<uint8_t> out) {
  const uint64_t expected_size = out.size();
  // zlib counts in uInt (32 bits); decompress() caps sizes far below that.
  if (compressed.size() > UINT32_MAX || expected_size > UINT32_MAX) {
    return failed_precondition("zlib payload over 4 GiB");
  }
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
    return Status::Ok();
  }
  if (stream.avail_out == 0 && (result == Z_OK || result == Z_BUF_ERROR)) {
    return data_loss("zlib stream holds more than the " + number(expected_size) + " bytes its container declares");
  }
  return data_loss("zlib stream is corrupt or truncated after " + number(produced) + " of " + number(expected_size) +
                   " bytes (zlib code " + std::to_string(result) + (message.empty() ? "" : ": " + message) + ")");
}

Status zstd_decompress(ZSTD_DCtx* context, std::span<const uint8_t> compressed, std::span<uint8_t> out) {
  const uint64_t expected_size = out.size();
  const unsigned long long frame_size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (frame_size == ZSTD_CONTENTSIZE_ERROR) return data_loss("not a zstd frame: the magic or frame header is wrong");
  if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != expected_size) {
    return data_loss("zstd frame declares " + number(frame_size) + " bytes; its container declares " +
                     number(expected_size));
  }
  const size_t result = ZSTD_decompressDCtx(context, out.data(), out.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(result)) {
    return data_loss(std::string("zstd stream is corrupt or truncated: ") + ZSTD_getErrorName(result));
  }
  if (result != expected_size) {
    return data_loss("zstd stream holds " + number(result) + " bytes; its container declares " +
                     number(expected_size));
  }
  return Status::Ok();
}

// CUDA fat binaries (nvcc --compress-mode, -Xfatbin -compress-all before
// CUDA 12.8) hold one LZ4 block, no frame: the entry header gives both sizes.
// LZ4_decompress_safe never writes past the output nor reads past the input.
Status lz4_decompress(std::span<const uint8_t> compressed, std::span<uint8_t> out) {
  const uint64_t expected_size = out.size();
  if (compressed.size() > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) ||
      expected_size > static_cast<uint64_t>(INT32_MAX)) {
    return failed_precondition("LZ4 block over 2 GiB");
  }
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
  return Status::Ok();
}

}  // namespace

std::optional<uint64_t> zstd_first_block_end(std::span<const uint8_t> head) {
  const size_t header = ZSTD_frameHeaderSize(head.data(), head.size());
  if (ZSTD_isError(header) || header > head.size() || head.size() - header < 3) return std::nullopt;
  const uint32_t block = uint32_t{head[header]} | (uint32_t{head[header + 1]} << 8) | (uint32_t{head[header + 2]} << 16);
  const uint32_t type = (block >> 1) & 3;  // 0 raw, 1 RLE, 2 compressed, 3 reserved
  const uint32_t size = block >> 3;
  if (type == 3 || size > ZSTD_BLOCKSIZE_MAX) return std::nullopt;
  return uint64_t{header} + 3 + (type == 1 ? 1 : size);
}

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::kZlib: return "zlib";
    case Codec::kZstd: return "zstd";
    case Codec::kLz4: return "LZ4";
  }
  return "zstd";
}

Decompressor::~Decompressor() { ZSTD_freeDCtx(zstd_); }

Result<std::span<const uint8_t>> Decompressor::decompress(Codec codec, std::span<const uint8_t> compressed,
                                                          uint64_t expected_size, uint64_t limit) {
  const std::string name(codec_name(codec));
  if (expected_size > limit) {
    return failed_precondition(name + " payload declares " + number(expected_size) +
                               " bytes once decompressed: more than the " + number(limit) + "-byte limit");
  }
  if (compressed.empty()) return data_loss(name + " payload is empty");
  // The buffer only grows (to the largest payload, at most `limit`), and is
  // never cleared: each codec writes every byte it reports.
  const std::span<uint8_t> out = buffer_.get(expected_size);
  if (out.size() != expected_size) {
    return failed_precondition("no memory for " + number(expected_size) + " bytes (mmap failed)");
  }
  switch (codec) {
    case Codec::kZlib:
      DEVBIN_RETURN_IF_ERROR(zlib_decompress(compressed, out));
      break;
    case Codec::kLz4:
      DEVBIN_RETURN_IF_ERROR(lz4_decompress(compressed, out));
      break;
    case Codec::kZstd:
      if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
      if (zstd_ == nullptr) return internal_error("zstd: ZSTD_createDCtx failed");
      DEVBIN_RETURN_IF_ERROR(zstd_decompress(zstd_, compressed, out));
      break;
  }
  return std::span<const uint8_t>(out);
}

Result<std::span<const uint8_t>> Decompressor::decompress_prefix(Codec codec, std::span<const uint8_t> compressed,
                                                                 uint64_t expected_size, uint64_t count) {
  const std::string name(codec_name(codec));
  if (compressed.empty()) return data_loss(name + " payload is empty");
  count = std::min(count, expected_size);
  // zstd writes whole blocks (at most 128 KiB each) where LZ4 stops at `count`.
  const uint64_t room = codec == Codec::kZstd ? std::min(expected_size, count + ZSTD_BLOCKSIZE_MAX) : count;
  const std::span<uint8_t> buffer = buffer_.get(room);
  if (buffer.size() != room) return failed_precondition("no memory for " + number(room) + " bytes (mmap failed)");
  const std::span<uint8_t> out = buffer.first(count);
  if (codec == Codec::kLz4) {
    if (compressed.size() > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) || count > static_cast<uint64_t>(INT32_MAX)) {
      return failed_precondition("LZ4 block over 2 GiB");
    }
    // Decoding stops once `count` bytes are out; it never reads past the
    // input nor writes past the output, whatever the bytes.
    const int result = LZ4_decompress_safe_partial(reinterpret_cast<const char*>(compressed.data()),
                                                   reinterpret_cast<char*>(out.data()),
                                                   static_cast<int>(compressed.size()), static_cast<int>(count),
                                                   static_cast<int>(count));
    if (result < 0 || static_cast<uint64_t>(result) != count) {
      return data_loss("LZ4 block is corrupt or truncated within its first " + number(count) + " bytes");
    }
    return std::span<const uint8_t>(out);
  }
  if (codec != Codec::kZstd) return internal_error("prefix decompression is for zstd and LZ4 only");
  const unsigned long long frame_size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (frame_size == ZSTD_CONTENTSIZE_ERROR) return data_loss("not a zstd frame: the magic or frame header is wrong");
  if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != expected_size) {
    return data_loss("zstd frame declares " + number(frame_size) + " bytes; its container declares " +
                     number(expected_size));
  }
  if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
  if (zstd_ == nullptr) return internal_error("zstd: ZSTD_createDCtx failed");
  // Buffer-less streaming: each step takes exactly the bytes the context
  // asks for (the frame header, a block header, a block) and writes a
  // block's bytes straight after the previous ones; no window is held.
  size_t consumed = 0;
  size_t produced = 0;
  if (ZSTD_isError(ZSTD_decompressBegin(zstd_))) return internal_error("zstd: ZSTD_decompressBegin failed");
  while (produced < count) {
    const size_t need = ZSTD_nextSrcSizeToDecompress(zstd_);
    if (need == 0) return data_loss("zstd frame ends before its first " + number(count) + " bytes");
    if (need > compressed.size() - consumed) {
      return data_loss("zstd stream is cut off before its first " + number(count) + " bytes");
    }
    const size_t result = ZSTD_decompressContinue(zstd_, buffer.data() + produced, buffer.size() - produced,
                                                  compressed.data() + consumed, need);
    if (ZSTD_isError(result)) {
      return data_loss(std::string("zstd stream is corrupt or truncated: ") + ZSTD_getErrorName(result));
    }
    consumed += need;
    produced += result;
  }
  return std::span<const uint8_t>(out);
}

Result<std::vector<uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed, uint64_t expected_size,
                                        uint64_t limit) {
  Decompressor decompressor;
  DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> out,
                          decompressor.decompress(codec, compressed, expected_size, limit));
  return std::vector<uint8_t>(out.begin(), out.end());
}

}  // namespace devbin::offload
