// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Clang offload bundles, as clang-offload-bundler writes them
// (clang/lib/Driver/OffloadBundler.cpp): the container of HIP device code,
// standalone (hipcc --genco, --gpu-bundle-output) or in a host file's
// .hip_fatbin section; and the compressed form ("CCOB"). Bounded views over
// untrusted bytes: every count, offset and size is checked before use.
#ifndef DEVBIN_TOOLS_OFFLOAD_CLANG_BUNDLE_H_
#define DEVBIN_TOOLS_OFFLOAD_CLANG_BUNDLE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/status.h"
#include "source.h"

namespace devbin::offload {

// "__CLANG_OFFLOAD_BUNDLE__", u64 entry count, then per entry: u64 offset and
// u64 size of its code object (from the bundle's start), u64 ID length and the
// ID ("hipv4-amdgcn-amd-amdhsa--gfx90a:xnack+"). The code objects follow.
inline constexpr std::string_view kBundleMagic = "__CLANG_OFFLOAD_BUNDLE__";

struct BundleEntry {
  std::string id;  // "<offload kind>-<triple>-<target id>"
  uint64_t offset = 0;
  uint64_t size = 0;
  std::span<const uint8_t> bytes;  // parse_bundle only; read_bundle leaves it empty
};

struct Bundle {
  std::vector<BundleEntry> entries;
  // Where the bundle ends: past its header and its last code object.
  uint64_t size = 0;
};

bool starts_with_bundle(std::span<const uint8_t> bytes);
// Entries lie within `bytes`, after the header, and do not overlap each other
// (empty entries, the host's, excepted).
Result<Bundle> parse_bundle(std::span<const uint8_t> bytes);
// The same over a region of a source, reading the header only: entries are
// offsets and sizes from the region's start.
Result<Bundle> read_bundle(const Region& region);

// A bundle entry ID split in three: the offload kind ("hip", "hipv4", "host",
// "openmp"), the triple ("amdgcn-amd-amdhsa", "x86_64-unknown-linux-gnu") and
// the target ID after it ("gfx90a:xnack+", "gfx11-generic"; "" for the host).
struct BundleEntryId {
  std::string_view kind;
  std::string_view triple;  // without a trailing '-'
  std::string_view target_id;
};
Result<BundleEntryId> parse_bundle_entry_id(std::string_view id);

// "CCOB", u16 version, u16 method (0 zlib, 1 zstd: llvm::compression::Format),
// then v1: u32 uncompressed size; v2: u32 total size, u32 uncompressed size;
// v3: u64 total size, u64 uncompressed size; then a u64 hash of the
// uncompressed bundle, and the compressed bytes.
inline constexpr std::string_view kCompressedBundleMagic = "CCOB";
enum class CompressionMethod : uint16_t { kZlib = 0, kZstd = 1 };
std::string_view compression_method_name(CompressionMethod method);  // "zlib", "zstd"

struct CompressedBundle {
  uint16_t version = 0;
  CompressionMethod method = CompressionMethod::kZstd;
  uint64_t size = 0;  // the whole compressed bundle, header included (v1: to the end of the bytes)
  uint64_t uncompressed_size = 0;
  uint64_t hash = 0;  // of the uncompressed bundle; reported, not checked (the sizes and the codec check the bytes)
  std::span<const uint8_t> payload;  // the compressed bytes
};

bool starts_with_compressed_bundle(std::span<const uint8_t> bytes);
// How many of the `available` bytes the compressed bundle whose header starts
// `header` takes: its declared size (versions 2 and 3), else all of them.
uint64_t compressed_bundle_extent(std::span<const uint8_t> header, uint64_t available);
Result<CompressedBundle> parse_compressed_bundle(std::span<const uint8_t> bytes);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_CLANG_BUNDLE_H_
