// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "clang_bundle.h"

#include <algorithm>
#include <string>

#include "bytes.h"
#include "devbin_internal/elf.h"
#include "devbin_internal/text.h"

namespace devbin::offload {
namespace {

constexpr uint64_t kBundleHeaderSize = 32;      // magic + entry count
constexpr uint64_t kBundleEntryFixedSize = 24;  // offset, size, ID length
// clang writes one entry per offload target and the host's: a bundle of
// more than this many is refused rather than listed.
constexpr uint64_t kMaxEntries = 65536;
// An entry ID is a triple and a target ID: LLVM's are under 100 bytes.
constexpr uint64_t kMaxEntryIdSize = 4096;

bool starts_with(std::span<const uint8_t> bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

}  // namespace

bool starts_with_bundle(std::span<const uint8_t> bytes) { return starts_with(bytes, kBundleMagic); }
bool starts_with_compressed_bundle(std::span<const uint8_t> bytes) {
  return starts_with(bytes, kCompressedBundleMagic);
}

std::string_view compression_method_name(CompressionMethod method) {
  return method == CompressionMethod::kZlib ? "zlib" : "zstd";
}

Result<Bundle> read_bundle(const Region& region) {
  const uint64_t total = region.size;
  DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> magic, region.header_up_to(0, kBundleHeaderSize));
  if (!starts_with_bundle(magic)) {
    return invalid_argument("not a clang offload bundle: expected '__CLANG_OFFLOAD_BUNDLE__', found " +
                            elf::hex_bytes(magic, 24));
  }
  if (total < kBundleHeaderSize) {
    return data_loss("truncated clang offload bundle: expected a 32-byte header, found " + number(total) + " bytes");
  }
  const uint64_t count = load_u64(magic, 24);
  // Each entry takes at least 24 bytes of header: a count the bytes cannot
  // hold is refused before anything is reserved for it.
  if (count > (total - kBundleHeaderSize) / kBundleEntryFixedSize) {
    return data_loss("clang offload bundle declares " + number(count) + " entries; its " + number(total) +
                     " bytes hold at most " + number((total - kBundleHeaderSize) / kBundleEntryFixedSize));
  }
  if (count > kMaxEntries) {
    return data_loss("clang offload bundle declares " + number(count) + " entries: expected at most " +
                     number(kMaxEntries));
  }
  Bundle bundle;
  bundle.entries.reserve(count);
  uint64_t position = kBundleHeaderSize;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string what = "clang offload bundle entry " + number(i);
    if (!range_fits(position, kBundleEntryFixedSize, total)) {
      return data_loss(what + ": header at offset " + elf::hex(position) + " ends past the end (" + number(total) +
                       " bytes)");
    }
    BundleEntry entry;
    uint64_t id_size = 0;
    {
      DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> fixed, region.header(position, kBundleEntryFixedSize));
      entry.offset = load_u64(fixed, 0);
      entry.size = load_u64(fixed, 8);
      id_size = load_u64(fixed, 16);
    }
    position += kBundleEntryFixedSize;
    if (id_size == 0 || id_size > kMaxEntryIdSize) {
      return data_loss(what + ": ID length " + number(id_size) + ": expected 1 to " + number(kMaxEntryIdSize));
    }
    if (!range_fits(position, id_size, total)) {
      return data_loss(what + ": ID (" + number(id_size) + " bytes at offset " + elf::hex(position) +
                       ") ends past the end (" + number(total) + " bytes)");
    }
    {
      DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> id, region.header(position, id_size));
      entry.id.assign(reinterpret_cast<const char*>(id.data()), id.size());
    }
    position += id_size;
    if (!range_fits(entry.offset, entry.size, total)) {
      return data_loss(what + " " + util::quote(entry.id) + ": code object (offset " + elf::hex(entry.offset) +
                       ", size " + elf::hex(entry.size) + ") ends past the end of the bundle (" + number(total) +
                       " bytes)");
    }
    bundle.entries.push_back(std::move(entry));
  }
  const uint64_t header_end = position;
  bundle.size = header_end;
  // Code objects sit after the header and apart from each other.
  std::vector<const BundleEntry*> placed;
  for (const BundleEntry& entry : bundle.entries) {
    if (entry.size == 0) continue;
    if (entry.offset < header_end) {
      return data_loss("clang offload bundle entry " + util::quote(entry.id) + ": code object at offset " +
                       elf::hex(entry.offset) + " lies inside the bundle header (which ends at " +
                       elf::hex(header_end) + ")");
    }
    placed.push_back(&entry);
    bundle.size = std::max(bundle.size, entry.offset + entry.size);
  }
  std::sort(placed.begin(), placed.end(), [](const BundleEntry* a, const BundleEntry* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < placed.size(); ++i) {
    const BundleEntry& before = *placed[i - 1];
    if (placed[i]->offset < before.offset + before.size) {
      return data_loss("clang offload bundle entries " + util::quote(before.id) + " (offset " +
                       elf::hex(before.offset) + ", size " + elf::hex(before.size) + ") and " +
                       util::quote(placed[i]->id) + " (offset " + elf::hex(placed[i]->offset) + ") overlap");
    }
  }
  return bundle;
}

Result<Bundle> parse_bundle(std::span<const uint8_t> bytes) {
  MemorySource source(bytes, "the bundle");
  DEVBIN_ASSIGN_OR_RETURN(Bundle bundle, read_bundle(whole(source)));
  for (BundleEntry& entry : bundle.entries) entry.bytes = bytes.subspan(entry.offset, entry.size);
  return bundle;
}

uint64_t compressed_bundle_extent(std::span<const uint8_t> header, uint64_t available) {
  if (header.size() < 16) return available;
  switch (load_u16(header, 4)) {
    case 2: return std::min<uint64_t>(load_u32(header, 8), available);
    case 3: return std::min<uint64_t>(load_u64(header, 8), available);
    default: return available;
  }
}

Result<BundleEntryId> parse_bundle_entry_id(std::string_view id) {
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0) {
    return invalid_argument("bundle entry ID " + util::quote(id) +
                            ": expected '<offload kind>-<triple>-<target id>' (e.g. hipv4-amdgcn-amd-amdhsa--gfx90a)");
  }
  BundleEntryId out;
  out.kind = id.substr(0, dash);
  const std::string_view rest = id.substr(dash + 1);
  // clang writes a four-part triple, its environment often empty, so "--"
  // ends it ("amdgcn-amd-amdhsa--gfx11-generic"); older IDs have three parts
  // and a processor without '-' ("hip-amdgcn-amd-amdhsa-gfx906"), and the
  // host's ends in '-' ("host-x86_64-unknown-linux-gnu-").
  const size_t double_dash = rest.find("--");
  if (double_dash != std::string_view::npos) {
    out.triple = rest.substr(0, double_dash);
    out.target_id = rest.substr(double_dash + 2);
  } else {
    // Features may hold '-' ("xnack-"): the processor follows the last '-'
    // before the first ':'.
    const size_t last_dash = rest.substr(0, rest.find(':')).rfind('-');
    if (last_dash == std::string_view::npos) {
      out.triple = rest;
    } else {
      out.triple = rest.substr(0, last_dash);
      out.target_id = rest.substr(last_dash + 1);
    }
  }
  if (out.triple.empty()) {
    return invalid_argument("bundle entry ID " + util::quote(id) + ": expected a triple after " +
                            util::quote(out.kind) + "- (e.g. amdgcn-amd-amdhsa-)");
  }
  return out;
}

Result<CompressedBundle> parse_compressed_bundle(std::span<const uint8_t> bytes) {
  if (!starts_with_compressed_bundle(bytes)) {
    return invalid_argument("not a compressed clang offload bundle: expected 'CCOB', found " +
                            elf::hex_bytes(bytes, 4));
  }
  if (bytes.size() < 8) {
    return data_loss("truncated compressed clang offload bundle: " + number(bytes.size()) +
                     " bytes, expected at least 8");
  }
  CompressedBundle out;
  out.version = load_u16(bytes, 4);
  const uint16_t method = load_u16(bytes, 6);
  uint64_t header_size = 0;
  switch (out.version) {
    case 1: header_size = 20; break;
    case 2: header_size = 24; break;
    case 3: header_size = 32; break;
    default:
      return invalid_argument("compressed clang offload bundle version " + number(out.version) +
                              ": expected 1, 2 or 3");
  }
  if (method > 1) {
    return invalid_argument("compressed clang offload bundle method " + number(method) +
                            ": expected 0 (zlib) or 1 (zstd)");
  }
  out.method = static_cast<CompressionMethod>(method);
  if (bytes.size() < header_size) {
    return data_loss("truncated compressed clang offload bundle: version " + number(out.version) + " has a " +
                     number(header_size) + "-byte header, found " + number(bytes.size()) + " bytes");
  }
  switch (out.version) {
    case 1:
      out.size = bytes.size();
      out.uncompressed_size = load_u32(bytes, 8);
      out.hash = load_u64(bytes, 12);
      break;
    case 2:
      out.size = load_u32(bytes, 8);
      out.uncompressed_size = load_u32(bytes, 12);
      out.hash = load_u64(bytes, 16);
      break;
    default:
      out.size = load_u64(bytes, 8);
      out.uncompressed_size = load_u64(bytes, 16);
      out.hash = load_u64(bytes, 24);
      break;
  }
  if (out.size < header_size || out.size > bytes.size()) {
    return data_loss("compressed clang offload bundle declares " + number(out.size) + " bytes in all: expected " +
                     number(header_size) + " to the " + number(bytes.size()) + " bytes present");
  }
  out.payload = bytes.subspan(header_size, out.size - header_size);
  return out;
}

}  // namespace devbin::offload
