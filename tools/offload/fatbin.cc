// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "fatbin.h"

#include <string>

#include "bytes.h"

namespace devbin::offload {
namespace {

// nvcc writes 64, 80 and 112-byte entry headers; a larger one is refused
// rather than skipped over blindly.
constexpr uint64_t kEntryMaxHeaderSize = 4096;
// nvcc writes one entry per -gencode target: a fat binary of more than this
// many is refused rather than listed.
constexpr size_t kMaxEntries = 65536;

}  // namespace

std::string_view fatbin_compression_name(FatbinCompression compression) {
  switch (compression) {
    case FatbinCompression::kNone: return "none";
    case FatbinCompression::kLz4: return "lz4";
    case FatbinCompression::kZstd: return "zstd";
  }
  return "none";
}

bool starts_with_fatbin(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && load_u32(bytes, 0) == kFatbinMagic;
}

Result<Fatbin> parse_fatbin(std::span<const uint8_t> bytes) {
  if (!starts_with_fatbin(bytes)) {
    return invalid_argument("not a CUDA fat binary: expected 50 ed 55 ba, found " + elf::hex_bytes(bytes, 4));
  }
  if (bytes.size() < kFatbinHeaderSize) {
    return data_loss("truncated CUDA fat binary: expected a 16-byte header, found " + number(bytes.size()) +
                     " bytes");
  }
  const uint16_t version = load_u16(bytes, 4);
  const uint16_t header_size = load_u16(bytes, 6);
  if (version != 1) return invalid_argument("CUDA fat binary version " + number(version) + ": expected 1");
  if (header_size != kFatbinHeaderSize) {
    return invalid_argument("CUDA fat binary header size " + number(header_size) + ": expected 16");
  }
  const uint64_t body_size = load_u64(bytes, 8);
  if (body_size > bytes.size() - kFatbinHeaderSize) {
    return data_loss("CUDA fat binary declares " + number(body_size) + " bytes of entries; " +
                     number(bytes.size() - kFatbinHeaderSize) + " follow its header");
  }
  Fatbin fatbin;
  fatbin.size = kFatbinHeaderSize + body_size;
  const std::span<const uint8_t> body = bytes.first(fatbin.size);
  uint64_t position = kFatbinHeaderSize;
  // Each entry takes at least 64 bytes, so the loop runs at most size / 64 times.
  while (position < fatbin.size) {
    if (fatbin.entries.size() == kMaxEntries) {
      return data_loss("CUDA fat binary holds more than " + std::to_string(kMaxEntries) + " entries");
    }
    const std::string what = "CUDA fat binary entry " + number(fatbin.entries.size()) + " (offset " +
                             elf::hex(position) + ")";
    if (!range_fits(position, kFatbinEntryMinHeaderSize, body.size())) {
      return data_loss(what + ": a 64-byte entry header does not fit in the " + number(body.size() - position) +
                       " bytes left");
    }
    FatbinEntry entry;
    entry.offset = position;
    entry.kind = load_u16(body, position);
    const uint32_t entry_header_size = load_u32(body, position + 4);
    const uint64_t padded_size = load_u64(body, position + 8);
    const uint32_t compressed_size = load_u32(body, position + 16);
    entry.code_version_minor = load_u16(body, position + 24);
    entry.code_version_major = load_u16(body, position + 26);
    entry.sm = load_u32(body, position + 28);
    entry.flags = load_u64(body, position + 40);
    const uint64_t uncompressed_size = load_u64(body, position + 56);
    if (entry_header_size < kFatbinEntryMinHeaderSize || entry_header_size > kEntryMaxHeaderSize) {
      return data_loss(what + ": entry header size " + number(entry_header_size) + ": expected " +
                       number(kFatbinEntryMinHeaderSize) + " to " + number(kEntryMaxHeaderSize));
    }
    if (!range_fits(position, entry_header_size, body.size()) ||
        !range_fits(position + entry_header_size, padded_size, body.size())) {
      return data_loss(what + ": header (" + number(entry_header_size) + " bytes) and payload (" +
                       number(padded_size) + " bytes) end past the fat binary's " + number(body.size()) + " bytes");
    }
    const uint64_t payload_offset = position + entry_header_size;
    if ((entry.flags & kFatbinFlagCompressedZstd) != 0 || (entry.flags & kFatbinFlagCompressedLz4) != 0) {
      entry.compression = (entry.flags & kFatbinFlagCompressedZstd) != 0 ? FatbinCompression::kZstd
                                                                         : FatbinCompression::kLz4;
      if (compressed_size > padded_size) {
        return data_loss(what + ": compressed payload of " + number(compressed_size) + " bytes exceeds its " +
                         number(padded_size) + "-byte slot");
      }
      entry.payload = body.subspan(payload_offset, compressed_size);
      entry.uncompressed_size = uncompressed_size;
    } else {
      entry.payload = body.subspan(payload_offset, padded_size);
      entry.uncompressed_size = padded_size;
    }
    fatbin.entries.push_back(entry);
    position = payload_offset + padded_size;
  }
  return fatbin;
}

}  // namespace devbin::offload
