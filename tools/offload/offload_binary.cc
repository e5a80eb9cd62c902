// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "offload_binary.h"

#include <algorithm>
#include <string>

#include "bytes.h"

namespace devbin::offload {
namespace {

// LLVM writes a handful of strings ("triple", "arch", a few more) of a few
// dozen bytes; these bounds keep a corrupt table from costing more than a
// few megabytes of scanning.
constexpr uint64_t kMaxStrings = 1024;
constexpr uint64_t kMaxStringSize = 4096;

Result<std::string_view> string_at(std::span<const uint8_t> binary, uint64_t offset) {
  if (offset >= binary.size()) {
    return data_loss("LLVM offload binary string at offset " + elf::hex(offset) + " is past the binary's " +
                     number(binary.size()) + " bytes");
  }
  const std::span<const uint8_t> rest = binary.subspan(offset, std::min<uint64_t>(binary.size() - offset, kMaxStringSize));
  const auto end = std::find(rest.begin(), rest.end(), uint8_t{0});
  if (end == rest.end()) {
    return data_loss("LLVM offload binary string at offset " + elf::hex(offset) + " has no terminating NUL within " +
                     number(rest.size()) + " bytes");
  }
  return std::string_view(reinterpret_cast<const char*>(rest.data()), static_cast<size_t>(end - rest.begin()));
}

}  // namespace

std::string_view image_kind_name(uint16_t kind) {
  switch (kind) {
    case 0: return "none";
    case 1: return "object";
    case 2: return "bitcode";
    case 3: return "cubin";
    case 4: return "fatbinary";
    case 5: return "ptx";
    case 6: return "spirv";
    default: return "unknown";
  }
}

std::string_view offload_kind_name(uint16_t kind) {
  switch (kind) {
    case 0: return "none";
    case 1: return "openmp";
    case 2: return "cuda";
    case 4: return "hip";
    case 8: return "sycl";
    default: return "unknown";
  }
}

std::string_view OffloadBinary::string(std::string_view key) const {
  for (const auto& [k, v] : strings) {
    if (k == key) return v;
  }
  return {};
}

bool starts_with_offload_binary(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::equal(kOffloadBinaryMagic, kOffloadBinaryMagic + 4, bytes.begin());
}

Result<OffloadBinary> parse_offload_binary(std::span<const uint8_t> bytes) {
  if (!starts_with_offload_binary(bytes)) {
    return invalid_argument("not an LLVM offload binary: expected 10 ff 10 ad, found " + elf::hex_bytes(bytes, 4));
  }
  if (bytes.size() < kOffloadBinaryHeaderSize) {
    return data_loss("truncated LLVM offload binary: expected a 32-byte header, found " + number(bytes.size()) +
                     " bytes");
  }
  OffloadBinary out;
  out.version = load_u32(bytes, 4);
  if (out.version != 1) return invalid_argument("LLVM offload binary version " + number(out.version) + ": expected 1");
  out.size = load_u64(bytes, 8);
  const uint64_t entry_offset = load_u64(bytes, 16);
  const uint64_t entry_size = load_u64(bytes, 24);
  if (out.size < kOffloadBinaryHeaderSize || out.size > bytes.size()) {
    return data_loss("LLVM offload binary declares " + number(out.size) + " bytes: expected 32 to the " +
                     number(bytes.size()) + " bytes present");
  }
  const std::span<const uint8_t> binary = bytes.first(out.size);
  if (entry_size < kOffloadBinaryEntrySize || !range_fits(entry_offset, entry_size, binary.size()) || entry_offset < kOffloadBinaryHeaderSize) {
    return data_loss("LLVM offload binary entry (offset " + elf::hex(entry_offset) + ", size " + number(entry_size) +
                     "): expected at least 40 bytes after the header, within the binary's " + number(out.size) +
                     " bytes");
  }
  out.image_kind = load_u16(binary, entry_offset);
  out.offload_kind = load_u16(binary, entry_offset + 2);
  out.flags = load_u32(binary, entry_offset + 4);
  const uint64_t strings_offset = load_u64(binary, entry_offset + 8);
  const uint64_t string_count = load_u64(binary, entry_offset + 16);
  const uint64_t image_offset = load_u64(binary, entry_offset + 24);
  const uint64_t image_size = load_u64(binary, entry_offset + 32);
  if (string_count > kMaxStrings) {
    return data_loss("LLVM offload binary declares " + number(string_count) + " strings: expected at most " +
                     number(kMaxStrings));
  }
  if (
      !range_fits(strings_offset, string_count * kOffloadBinaryStringEntrySize, binary.size())) {
    return data_loss("LLVM offload binary string table (offset " + elf::hex(strings_offset) + ", " +
                     number(string_count) + " entries of 16 bytes) ends past the binary's " + number(out.size) +
                     " bytes");
  }
  if (!range_fits(image_offset, image_size, binary.size())) {
    return data_loss("LLVM offload binary image (offset " + elf::hex(image_offset) + ", size " +
                     number(image_size) + ") ends past the binary's " + number(out.size) + " bytes");
  }
  out.image = binary.subspan(image_offset, image_size);
  out.strings.reserve(string_count);
  for (uint64_t i = 0; i < string_count; ++i) {
    const uint64_t at = strings_offset + i * kOffloadBinaryStringEntrySize;
    DEVBIN_ASSIGN_OR_RETURN(std::string_view key, string_at(binary, load_u64(binary, at)));
    DEVBIN_ASSIGN_OR_RETURN(std::string_view value,
                            string_at(binary, load_u64(binary, at + 8)));
    out.strings.emplace_back(key, value);
  }
  return out;
}

}  // namespace devbin::offload
