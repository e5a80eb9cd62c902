// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The doctor's container readers (tools/offload) on the checked-in files and
// on hand-broken copies: every malformed count, offset and size is a clean
// error saying what was expected and what was found.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clang_bundle.h"
#include "decompress.h"
#include "fatbin.h"
#include "offload_binary.h"
#include "offload_test_util.h"

namespace devbin::offload {
namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// --- clang offload bundles ---------------------------------------------------

TEST(BundleTest, ReadsClangsBundle) {
  const std::vector<uint8_t> bytes = read_data_file("hip_gfx90a_gfx1100.hipfb");
  Result<Bundle> bundle = parse_bundle(bytes);
  ASSERT_TRUE(bundle.ok()) << bundle.status().to_string();
  ASSERT_EQ(bundle->entries.size(), 3u);
  EXPECT_EQ(bundle->entries[0].id, "host-x86_64-unknown-linux-gnu-");
  EXPECT_EQ(bundle->entries[0].size, 0u);
  EXPECT_EQ(bundle->entries[1].id, "hipv4-amdgcn-amd-amdhsa--gfx1100");
  EXPECT_EQ(bundle->entries[2].id, "hipv4-amdgcn-amd-amdhsa--gfx90a");
  EXPECT_EQ(bundle->size, bytes.size());
  for (size_t i = 1; i < 3; ++i) {
    ASSERT_GE(bundle->entries[i].bytes.size(), 4u);
    EXPECT_EQ(bundle->entries[i].bytes[0], 0x7f) << "code objects are ELF files";
  }
}

TEST(BundleTest, EntryIds) {
  struct Case {
    std::string id, kind, triple, target;
  };
  for (const Case& c : std::vector<Case>{
           {"hipv4-amdgcn-amd-amdhsa--gfx90a:xnack-", "hipv4", "amdgcn-amd-amdhsa", "gfx90a:xnack-"},
           {"hipv4-amdgcn-amd-amdhsa--gfx11-generic", "hipv4", "amdgcn-amd-amdhsa", "gfx11-generic"},
           {"hipv4-amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-", "hipv4", "amdgcn-amd-amdhsa", "gfx942:sramecc+:xnack-"},
           {"host-x86_64-unknown-linux-gnu-", "host", "x86_64-unknown-linux-gnu", ""},
           {"hip-amdgcn-amd-amdhsa-gfx906", "hip", "amdgcn-amd-amdhsa", "gfx906"},
       }) {
    Result<BundleEntryId> id = parse_bundle_entry_id(c.id);
    ASSERT_TRUE(id.ok()) << c.id << ": " << id.status().to_string();
    EXPECT_EQ(id->kind, c.kind) << c.id;
    EXPECT_EQ(id->triple, c.triple) << c.id;
    EXPECT_EQ(id->target_id, c.target) << c.id;
  }
  for (const char* bad : {"", "nodash", "-amdgcn", "hip-", "hip--gfx90a"}) {
    Result<BundleEntryId> id = parse_bundle_entry_id(bad);
    EXPECT_FALSE(id.ok()) << "'" << bad << "' parsed";
    if (!id.ok()) {
      EXPECT_TRUE(has(id.status().message(), "expected")) << id.status().message();
    }
  }
}

// A bundle of two 16-byte code objects, laid out as clang-offload-bundler does.
std::vector<uint8_t> two_entry_bundle() {
  const std::string ids[] = {"hipv4-amdgcn-amd-amdhsa--gfx90a", "hipv4-amdgcn-amd-amdhsa--gfx1100"};
  std::vector<uint8_t> out(32);
  std::copy(kBundleMagic.begin(), kBundleMagic.end(), out.begin());
  put_u64(out, 24, 2);
  std::vector<size_t> offset_fields;
  for (const std::string& id : ids) {
    const size_t at = out.size();
    out.resize(at + 24 + id.size());
    offset_fields.push_back(at);
    put_u64(out, at + 8, 16);
    put_u64(out, at + 16, id.size());
    std::copy(id.begin(), id.end(), out.begin() + static_cast<std::ptrdiff_t>(at + 24));
  }
  for (size_t at : offset_fields) {
    put_u64(out, at, out.size());
    out.resize(out.size() + 16, 0xab);
  }
  return out;
}

TEST(BundleTest, HandBuiltBundleParses) {
  Result<Bundle> bundle = parse_bundle(two_entry_bundle());
  ASSERT_TRUE(bundle.ok()) << bundle.status().to_string();
  EXPECT_EQ(bundle->entries.size(), 2u);
}

TEST(BundleTest, MalformedBundlesAreCleanErrors) {
  struct Case {
    const char* what;
    void (*corrupt)(std::vector<uint8_t>&);
    const char* message;
  };
  const Case cases[] = {
      {"bad magic", [](std::vector<uint8_t>& b) { b[0] = 'X'; }, "expected '__CLANG_OFFLOAD_BUNDLE__'"},
      {"truncated header", [](std::vector<uint8_t>& b) { b.resize(28); }, "expected a 32-byte header"},
      {"huge count", [](std::vector<uint8_t>& b) { put_u64(b, 24, uint64_t{1} << 60); }, "hold at most"},
      {"count past the entries", [](std::vector<uint8_t>& b) { put_u64(b, 24, 3); }, "entry 2"},
      {"empty ID", [](std::vector<uint8_t>& b) { put_u64(b, 32 + 16, 0); }, "ID length 0"},
      {"huge ID", [](std::vector<uint8_t>& b) { put_u64(b, 32 + 16, uint64_t{1} << 40); }, "expected 1 to 4096"},
      {"ID past the end", [](std::vector<uint8_t>& b) { put_u64(b, 32 + 16, 4000); }, "ends past the end"},
      {"offset past the end", [](std::vector<uint8_t>& b) { put_u64(b, 32, b.size()); }, "ends past the end"},
      {"size overflowing", [](std::vector<uint8_t>& b) { put_u64(b, 32 + 8, ~uint64_t{0} - 8); }, "ends past the end"},
      {"offset inside the header", [](std::vector<uint8_t>& b) { put_u64(b, 32, 8); }, "inside the bundle header"},
      {"overlapping entries",
       [](std::vector<uint8_t>& b) {
         // The second entry starts 8 bytes into the first one's code object.
         const uint64_t first = b[32] | (uint64_t{b[33]} << 8);
         put_u64(b, 32 + 24 + 31, first + 8);
       },
       "overlap"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = two_entry_bundle();
    c.corrupt(bytes);
    Result<Bundle> bundle = parse_bundle(bytes);
    ASSERT_FALSE(bundle.ok()) << c.what;
    EXPECT_NE(bundle.status().code(), StatusCode::kInternal) << c.what;
    EXPECT_TRUE(has(bundle.status().message(), c.message)) << c.what << ": " << bundle.status().message();
  }
}

// --- compressed bundles --------------------------------------------------------

TEST(CompressedBundleTest, ReadsEveryVersionAndCodec) {
  struct Case {
    const char* file;
    uint16_t version;
    CompressionMethod method;
  };
  for (const Case& c : {Case{"hip_ccob_v3_zstd.hipfb", 3, CompressionMethod::kZstd},
                        Case{"hip_ccob_v2_zstd.hipfb", 2, CompressionMethod::kZstd},
                        Case{"hip_ccob_v3_zlib.hipfb", 3, CompressionMethod::kZlib},
                        Case{"hip_ccob_v2_zlib.hipfb", 2, CompressionMethod::kZlib}}) {
    const std::vector<uint8_t> bytes = read_data_file(c.file);
    Result<CompressedBundle> ccob = parse_compressed_bundle(bytes);
    ASSERT_TRUE(ccob.ok()) << c.file << ": " << ccob.status().to_string();
    EXPECT_EQ(ccob->version, c.version) << c.file;
    EXPECT_EQ(ccob->method, c.method) << c.file;
    EXPECT_EQ(ccob->size, bytes.size()) << c.file;
    Result<std::vector<uint8_t>> bundle =
        decompress(c.method == CompressionMethod::kZlib ? Codec::kZlib : Codec::kZstd, ccob->payload,
                   ccob->uncompressed_size, uint64_t{1} << 20);
    ASSERT_TRUE(bundle.ok()) << c.file << ": " << bundle.status().to_string();
    EXPECT_TRUE(starts_with_bundle(*bundle)) << c.file;
    EXPECT_TRUE(parse_bundle(*bundle).ok()) << c.file;
  }
}

TEST(CompressedBundleTest, MalformedHeadersAreCleanErrors) {
  const std::vector<uint8_t> v3 = read_data_file("hip_ccob_v3_zstd.hipfb");
  ASSERT_GT(v3.size(), 32u);
  struct Case {
    const char* what;
    void (*corrupt)(std::vector<uint8_t>&);
    const char* message;
  };
  const Case cases[] = {
      {"version 4", [](std::vector<uint8_t>& b) { put_u16(b, 4, 4); }, "expected 1, 2 or 3"},
      {"version 0", [](std::vector<uint8_t>& b) { put_u16(b, 4, 0); }, "expected 1, 2 or 3"},
      {"method 2", [](std::vector<uint8_t>& b) { put_u16(b, 6, 2); }, "expected 0 (zlib) or 1 (zstd)"},
      {"total size past the bytes", [](std::vector<uint8_t>& b) { put_u64(b, 8, b.size() + 1); }, "declares"},
      {"total size below the header", [](std::vector<uint8_t>& b) { put_u64(b, 8, 16); }, "declares"},
      {"truncated header", [](std::vector<uint8_t>& b) { b.resize(24); }, "32-byte header"},
      {"magic only", [](std::vector<uint8_t>& b) { b.resize(4); }, "at least 8"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = v3;
    c.corrupt(bytes);
    Result<CompressedBundle> ccob = parse_compressed_bundle(bytes);
    ASSERT_FALSE(ccob.ok()) << c.what;
    EXPECT_TRUE(has(ccob.status().message(), c.message)) << c.what << ": " << ccob.status().message();
  }
}

TEST(DecompressTest, WrongSizesCorruptionAndLimitsAreCleanErrors) {
  for (const char* file : {"hip_ccob_v3_zstd.hipfb", "hip_ccob_v3_zlib.hipfb"}) {
    const std::vector<uint8_t> bytes = read_data_file(file);
    Result<CompressedBundle> ccob = parse_compressed_bundle(bytes);
    ASSERT_TRUE(ccob.ok());
    const Codec codec = ccob->method == CompressionMethod::kZlib ? Codec::kZlib : Codec::kZstd;
    const uint64_t size = ccob->uncompressed_size;
    const uint64_t limit = uint64_t{1} << 20;
    EXPECT_TRUE(decompress(codec, ccob->payload, size, limit).ok()) << file;
    for (uint64_t wrong : {size - 1, size + 1, uint64_t{0}}) {
      Result<std::vector<uint8_t>> out = decompress(codec, ccob->payload, wrong, limit);
      EXPECT_FALSE(out.ok()) << file << " declared " << wrong;
      if (!out.ok()) {
        EXPECT_EQ(out.status().code(), StatusCode::kDataLoss) << out.status().to_string();
      }
    }
    Result<std::vector<uint8_t>> over = decompress(codec, ccob->payload, size, size - 1);
    ASSERT_FALSE(over.ok());
    EXPECT_TRUE(has(over.status().message(), "limit")) << over.status().message();
    std::vector<uint8_t> payload(ccob->payload.begin(), ccob->payload.end());
    Result<std::vector<uint8_t>> truncated =
        decompress(codec, std::span<const uint8_t>(payload).first(payload.size() / 2), size, limit);
    EXPECT_FALSE(truncated.ok()) << file << " truncated";
    for (size_t i = 0; i < payload.size(); i += 97) payload[i] ^= 0x5a;
    Result<std::vector<uint8_t>> corrupt = decompress(codec, payload, size, limit);
    EXPECT_FALSE(corrupt.ok()) << file << " corrupted";
    EXPECT_FALSE(decompress(codec, {}, size, limit).ok());
  }
}

// --- CUDA fat binaries ---------------------------------------------------------

TEST(FatbinTest, ReadsNvccsFatbin) {
  const std::vector<uint8_t> bytes = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  Result<Fatbin> fatbin = parse_fatbin(bytes);
  ASSERT_TRUE(fatbin.ok()) << fatbin.status().to_string();
  EXPECT_EQ(fatbin->size, bytes.size());
  ASSERT_EQ(fatbin->entries.size(), 3u);
  EXPECT_EQ(fatbin->entries[0].kind, kFatbinKindCubin);
  EXPECT_EQ(fatbin->entries[0].sm, 80u);
  EXPECT_EQ(fatbin->entries[0].compression, FatbinCompression::kNone);
  EXPECT_EQ(fatbin->entries[1].kind, kFatbinKindPtx);
  EXPECT_EQ(fatbin->entries[1].sm, 90u);
  EXPECT_EQ(fatbin->entries[1].code_version_major, 9u);
  EXPECT_EQ(fatbin->entries[1].code_version_minor, 0u);
  EXPECT_EQ(fatbin->entries[1].compression, FatbinCompression::kZstd);
  EXPECT_LT(fatbin->entries[1].payload.size(), fatbin->entries[1].uncompressed_size);
  EXPECT_EQ(fatbin->entries[2].sm, 90u);
}

TEST(FatbinTest, MalformedFatbinsAreCleanErrors) {
  const std::vector<uint8_t> good = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ASSERT_GT(good.size(), 100u);
  struct Case {
    const char* what;
    void (*corrupt)(std::vector<uint8_t>&);
    const char* message;
  };
  const Case cases[] = {
      {"bad magic", [](std::vector<uint8_t>& b) { b[0] ^= 1; }, "expected 50 ed 55 ba"},
      {"version 2", [](std::vector<uint8_t>& b) { put_u16(b, 4, 2); }, "version 2: expected 1"},
      {"header size 8", [](std::vector<uint8_t>& b) { put_u16(b, 6, 8); }, "header size 8"},
      {"truncated header", [](std::vector<uint8_t>& b) { b.resize(12); }, "16-byte header"},
      {"body past the end", [](std::vector<uint8_t>& b) { put_u64(b, 8, b.size()); }, "bytes of entries"},
      {"huge body", [](std::vector<uint8_t>& b) { put_u64(b, 8, ~uint64_t{0}); }, "bytes of entries"},
      {"entry header size 8", [](std::vector<uint8_t>& b) { put_u32(b, 16 + 4, 8); }, "entry header size 8"},
      {"entry header size huge", [](std::vector<uint8_t>& b) { put_u32(b, 16 + 4, 0xffffffff); }, "entry header size"},
      {"payload past the end", [](std::vector<uint8_t>& b) { put_u64(b, 16 + 8, uint64_t{1} << 62); }, "end past"},
      {"cut inside an entry header", [](std::vector<uint8_t>& b) { put_u64(b, 8, 64 + 4712 + 20); b.resize(16 + 64 + 4712 + 20); }, "64-byte entry header"},
      {"compressed size over its slot",
       [](std::vector<uint8_t>& b) {
         put_u64(b, 16 + 40, 0x8011);  // entry 0 claims zstd
         put_u32(b, 16 + 16, 0xffffff);
       },
       "exceeds its"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = good;
    c.corrupt(bytes);
    Result<Fatbin> fatbin = parse_fatbin(bytes);
    ASSERT_FALSE(fatbin.ok()) << c.what;
    EXPECT_NE(fatbin.status().code(), StatusCode::kInternal) << c.what;
    EXPECT_TRUE(has(fatbin.status().message(), c.message)) << c.what << ": " << fatbin.status().message();
  }
}

// --- LLVM offload binaries -----------------------------------------------------

TEST(OffloadBinaryTest, ReadsLlvmOffloadBinary) {
  const std::vector<uint8_t> bytes = read_data_file("hip_images.offbin");
  Result<OffloadBinary> binary = parse_offload_binary(bytes);
  ASSERT_TRUE(binary.ok()) << binary.status().to_string();
  EXPECT_EQ(binary->version, 1u);
  EXPECT_EQ(offload_kind_name(binary->offload_kind), "hip");
  EXPECT_EQ(image_kind_name(binary->image_kind), "object");
  EXPECT_EQ(binary->string("triple"), "amdgcn-amd-amdhsa");
  EXPECT_EQ(binary->string("arch"), "gfx90a:xnack-");
  EXPECT_LT(binary->size, bytes.size()) << "a second binary follows";
  ASSERT_GE(binary->image.size(), 4u);
  EXPECT_EQ(binary->image[0], 0x7f);
}

TEST(OffloadBinaryTest, MalformedBinariesAreCleanErrors) {
  std::vector<uint8_t> good = read_data_file("hip_images.offbin");
  Result<OffloadBinary> first = parse_offload_binary(good);
  ASSERT_TRUE(first.ok());
  good.resize(first->size);  // the first binary alone
  const uint64_t entry = 32;  // clang writes the entry right after the header
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> corrupt;
    const char* message;
  };
  const Case cases[] = {
      {"bad magic", [](std::vector<uint8_t>& b) { b[3] = 0; }, "expected 10 ff 10 ad"},
      {"version 2", [](std::vector<uint8_t>& b) { put_u32(b, 4, 2); }, "version 2: expected 1"},
      {"truncated header", [](std::vector<uint8_t>& b) { b.resize(20); }, "32-byte header"},
      {"size past the bytes", [](std::vector<uint8_t>& b) { put_u64(b, 8, b.size() + 8); }, "declares"},
      {"entry inside the header", [](std::vector<uint8_t>& b) { put_u64(b, 16, 8); }, "entry (offset"},
      {"entry past the end", [](std::vector<uint8_t>& b) { put_u64(b, 16, b.size()); }, "entry (offset"},
      {"huge string count", [&](std::vector<uint8_t>& b) { put_u64(b, entry + 16, uint64_t{1} << 59); }, "strings: expected at most"},
      {"string table past the end", [&](std::vector<uint8_t>& b) { put_u64(b, entry + 8, b.size() - 8); }, "string table"},
      {"string past the end", [&](std::vector<uint8_t>& b) {
         const uint64_t table = b[entry + 8] | (uint64_t{b[entry + 9]} << 8);
         put_u64(b, table, b.size() + 100);
       }, "past the binary"},
      {"image past the end", [&](std::vector<uint8_t>& b) { put_u64(b, entry + 32, b.size()); }, "image (offset"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = good;
    c.corrupt(bytes);
    Result<OffloadBinary> binary = parse_offload_binary(bytes);
    ASSERT_FALSE(binary.ok()) << c.what;
    EXPECT_NE(binary.status().code(), StatusCode::kInternal) << c.what;
    EXPECT_TRUE(has(binary.status().message(), c.message)) << c.what << ": " << binary.status().message();
  }
  // A string without its NUL within the binary.
  std::vector<uint8_t> bytes = good;
  const uint64_t table = bytes[entry + 8] | (uint64_t{bytes[entry + 9]} << 8);
  put_u64(bytes, table, bytes.size() - 1);
  bytes.back() = 'x';
  Result<OffloadBinary> binary = parse_offload_binary(bytes);
  ASSERT_FALSE(binary.ok());
  EXPECT_TRUE(has(binary.status().message(), "terminating NUL")) << binary.status().message();
}

}  // namespace
}  // namespace devbin::offload
