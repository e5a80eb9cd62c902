// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "fatbin.h"

#include <algorithm>
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

Result<uint64_t> parse_fatbin_header(std::span<const uint8_t> bytes, uint64_t available) {
  if (!starts_with_fatbin(bytes)) {
    return invalid_argument("not a CUDA fat binary: expected 50 ed 55 ba, found " + elf::hex_bytes(bytes, 4));
  }
  if (bytes.size() < kFatbinHeaderSize || available < kFatbinHeaderSize) {
    return data_loss("truncated CUDA fat binary: expected a 16-byte header, found " +
                     number(std::min<uint64_t>(bytes.size(), available)) + " bytes");
  }
  const uint16_t version = load_u16(bytes, 4);
  const uint16_t header_size = load_u16(bytes, 6);
  if (version != 1) return invalid_argument("CUDA fat binary version " + number(version) + ": expected 1");
  if (header_size != kFatbinHeaderSize) {
    return invalid_argument("CUDA fat binary header size " + number(header_size) + ": expected 16");
  }
  const uint64_t body_size = load_u64(bytes, 8);
  if (body_size > available - kFatbinHeaderSize) {
    return data_loss("CUDA fat binary declares " + number(body_size) + " bytes of entries; " +
                     number(available - kFatbinHeaderSize) + " follow its header");
  }
  return kFatbinHeaderSize + body_size;
}

Result<FatbinEntry> parse_fatbin_entry(std::span<const uint8_t> bytes, uint64_t position, uint64_t fatbin_size,
                                       size_t index) {
  const std::string what = "CUDA fat binary entry " + number(index) + " (offset " + elf::hex(position) + ")";
  if (index >= kMaxEntries) {
    return data_loss("CUDA fat binary holds more than " + std::to_string(kMaxEntries) + " entries");
  }
  if (!range_fits(position, kFatbinEntryMinHeaderSize, fatbin_size) || bytes.size() < kFatbinEntryMinHeaderSize) {
    return data_loss(what + ": a 64-byte entry header does not fit in the " +
                     number(fatbin_size > position ? fatbin_size - position : 0) + " bytes left");
  }
  FatbinEntry entry;
  entry.offset = position;
  entry.kind = load_u16(bytes, 0);
  const uint32_t entry_header_size = load_u32(bytes, 4);
  const uint64_t padded_size = load_u64(bytes, 8);
  const uint32_t compressed_size = load_u32(bytes, 16);
  entry.code_version_minor = load_u16(bytes, 24);
  entry.code_version_major = load_u16(bytes, 26);
  entry.sm = load_u32(bytes, 28);
  entry.flags = load_u64(bytes, 40);
  const uint64_t uncompressed_size = load_u64(bytes, 56);
  if (entry_header_size < kFatbinEntryMinHeaderSize || entry_header_size > kEntryMaxHeaderSize) {
    return data_loss(what + ": entry header size " + number(entry_header_size) + ": expected " +
                     number(kFatbinEntryMinHeaderSize) + " to " + number(kEntryMaxHeaderSize));
  }
  if (!range_fits(position, entry_header_size, fatbin_size) ||
      !range_fits(position + entry_header_size, padded_size, fatbin_size)) {
    return data_loss(what + ": header (" + number(entry_header_size) + " bytes) and payload (" +
                     number(padded_size) + " bytes) end past the fat binary's " + number(fatbin_size) + " bytes");
  }
  entry.payload_offset = position + entry_header_size;
  entry.end = entry.payload_offset + padded_size;
  if ((entry.flags & kFatbinFlagCompressedZstd) != 0 || (entry.flags & kFatbinFlagCompressedLz4) != 0) {
    entry.compression =
        (entry.flags & kFatbinFlagCompressedZstd) != 0 ? FatbinCompression::kZstd : FatbinCompression::kLz4;
    if (compressed_size > padded_size) {
      return data_loss(what + ": compressed payload of " + number(compressed_size) + " bytes exceeds its " +
                       number(padded_size) + "-byte slot");
    }
    entry.payload_size = compressed_size;
    entry.uncompressed_size = uncompressed_size;
  } else {
    entry.payload_size = padded_size;
    entry.uncompressed_size = padded_size;
  }
  return entry;
}

Result<Fatbin> parse_fatbin(std::span<const uint8_t> bytes) {
  Fatbin fatbin;
  DEVBIN_ASSIGN_OR_RETURN(fatbin.size, parse_fatbin_header(bytes, bytes.size()));
  const std::span<const uint8_t> body = bytes.first(fatbin.size);
  uint64_t position = kFatbinHeaderSize;
  // Each entry takes at least 64 bytes, so the loop runs at most size / 64 times.
  while (position < fatbin.size) {
    DEVBIN_ASSIGN_OR_RETURN(FatbinEntry entry,
                            parse_fatbin_entry(body.subspan(position, std::min<uint64_t>(kFatbinEntryMinHeaderSize,
                                                                                         body.size() - position)),
                                               position, fatbin.size, fatbin.entries.size()));
    entry.payload = body.subspan(entry.payload_offset, entry.payload_size);
    position = entry.end;
    fatbin.entries.push_back(entry);
  }
  return fatbin;
}

}  // namespace devbin::offload
