// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// LLVM offload binaries (llvm/Object/OffloadBinary.h): what clang's new
// offload driver (--offload-new-driver) embeds in a host object's
// .llvm.offloading section, one or more, each padded to 8 bytes, and what
// llvm-offload-binary writes. Bounded views over untrusted bytes.
//
// Version 1: header (32 bytes): magic 10 ff 10 ad, u32 version, u64 size of
// this binary, u64 entry offset, u64 entry size. Entry (40 bytes): u16 image
// kind, u16 offload kind, u32 flags, u64 string table offset, u64 string
// count, u64 image offset, u64 image size. Strings: u64 key offset and u64
// value offset each, NUL-terminated, offsets from the binary's start.
#ifndef DEVBIN_TOOLS_OFFLOAD_OFFLOAD_BINARY_H_
#define DEVBIN_TOOLS_OFFLOAD_OFFLOAD_BINARY_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "devbin/status.h"

namespace devbin::offload {

inline constexpr uint8_t kOffloadBinaryMagic[4] = {0x10, 0xff, 0x10, 0xad};
inline constexpr uint64_t kOffloadBinaryHeaderSize = 32;       // magic, version, size, entry offset and size
inline constexpr uint64_t kOffloadBinaryEntrySize = 40;        // kinds, flags, string table, image
inline constexpr uint64_t kOffloadBinaryStringEntrySize = 16;  // key and value offsets

// llvm::object::ImageKind and OffloadKind.
enum class ImageKind : uint16_t { kNone = 0, kObject = 1, kBitcode = 2, kCubin = 3, kFatbinary = 4, kPtx = 5 };
std::string_view image_kind_name(uint16_t kind);    // "object", "bitcode", ..., "unknown"
std::string_view offload_kind_name(uint16_t kind);  // "openmp", "cuda", "hip", "sycl", ..., "unknown"

struct OffloadBinary {
  uint32_t version = 0;
  uint64_t size = 0;  // this binary, from its header's start
  uint16_t image_kind = 0;
  uint16_t offload_kind = 0;
  uint32_t flags = 0;
  std::vector<std::pair<std::string_view, std::string_view>> strings;
  std::span<const uint8_t> image;

  // The string for `key` ("triple", "arch"), or "".
  std::string_view string(std::string_view key) const;
};

bool starts_with_offload_binary(std::span<const uint8_t> bytes);
// One offload binary at the start of `bytes` (more may follow it).
Result<OffloadBinary> parse_offload_binary(std::span<const uint8_t> bytes);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_OFFLOAD_BINARY_H_
