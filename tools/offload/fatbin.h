// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// CUDA fat binaries: what nvcc -fatbin writes and what a host file's
// .nv_fatbin section holds (one or more, one after another). NVIDIA does not
// publish the layout; the fields read here are those cuobjdump shows
// (fatbinary.h of older toolkits names the header), checked against nvcc
// 13.0's output in tests/offload/data. Bounded views over untrusted bytes.
//
// Header (16 bytes): u32 magic 0xBA55ED50, u16 version 1, u16 header size 16,
// u64 size of the entries that follow. Each entry: u16 kind (1 PTX, 2 ELF
// cubin), u16, u32 entry header size (64, 80, 112), u64 payload size padded
// to 8, u32 compressed payload size, u32, u16 code version minor, u16 code
// version major (PTX: the PTX ISA version; cubin: the ELF's), u32 SM
// (90 = sm_90), u32 name offset, u32 name size, u64 flags, u64, u64
// uncompressed payload size. The payload follows the entry header.
#ifndef DEVBIN_TOOLS_OFFLOAD_FATBIN_H_
#define DEVBIN_TOOLS_OFFLOAD_FATBIN_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "devbin/status.h"

namespace devbin::offload {

inline constexpr uint32_t kFatbinMagic = 0xBA55ED50;
inline constexpr uint64_t kFatbinHeaderSize = 16;          // the container header
inline constexpr uint64_t kFatbinEntryMinHeaderSize = 64;  // the shortest entry header nvcc writes
inline constexpr uint16_t kFatbinKindPtx = 1;
inline constexpr uint16_t kFatbinKindCubin = 2;
// Entry flags: the payload is compressed, with LZ4 (CUDA 11.x-12.x) or zstd
// (CUDA 12.8+; nvcc 13 compresses PTX by default).
inline constexpr uint64_t kFatbinFlagCompressedLz4 = 0x2000;
inline constexpr uint64_t kFatbinFlagCompressedZstd = 0x8000;
// The entry is arch-specific (sm_XXa) or family-specific (sm_XXf), as nvcc
// 13.0 writes them (bench/RESULTS.md); the scan does not rely on them yet
// (the cubin's own .nv.compat names sm_XXa), --json reports each entry's flags.
inline constexpr uint64_t kFatbinFlagArchSpecific = 0x100000;
inline constexpr uint64_t kFatbinFlagFamilySpecific = 0x200000;

enum class FatbinCompression : uint8_t { kNone, kLz4, kZstd };
std::string_view fatbin_compression_name(FatbinCompression compression);  // "none", "lz4", "zstd"

struct FatbinEntry {
  uint64_t offset = 0;  // of the entry header, from the fat binary's start
  uint16_t kind = 0;    // kFatbinKindPtx, kFatbinKindCubin, or something else (reported, not decoded)
  uint32_t sm = 0;      // 90 for sm_90 / compute_90
  uint16_t code_version_major = 0;
  uint16_t code_version_minor = 0;
  uint64_t flags = 0;
  FatbinCompression compression = FatbinCompression::kNone;
  uint64_t uncompressed_size = 0;  // the payload's size once decompressed (its stored size when not compressed)
  uint64_t payload_offset = 0;     // from the fat binary's start
  uint64_t payload_size = 0;       // as stored: compressed or not
  uint64_t end = 0;                // where the next entry starts: past the payload's 8-byte padding
  std::span<const uint8_t> payload;  // as stored (parse_fatbin only; the scan reads it by payload_offset)
};

struct Fatbin {
  uint64_t size = 0;  // header and entries
  std::vector<FatbinEntry> entries;
};

bool starts_with_fatbin(std::span<const uint8_t> bytes);
// One fat binary at the start of `bytes` (more may follow it).
Result<Fatbin> parse_fatbin(std::span<const uint8_t> bytes);

// The same reading in pieces, for a fat binary too large to hold: the 16-byte
// header, given the bytes `available` from its start, gives the fat binary's
// size (header and entries); then each entry from the 64 bytes at `position`
// (the first at kFatbinHeaderSize, the next at the previous entry's end),
// checked against that size. An entry's payload is not read.
Result<uint64_t> parse_fatbin_header(std::span<const uint8_t> header, uint64_t available);
Result<FatbinEntry> parse_fatbin_entry(std::span<const uint8_t> entry_header, uint64_t position, uint64_t fatbin_size,
                                       size_t index);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_FATBIN_H_
