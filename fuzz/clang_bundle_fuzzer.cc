// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Clang offload bundles and compressed bundles (tools/offload/clang_bundle.h)
// over any bytes: the bundle, each entry ID, the CCOB header and its zlib or
// zstd payload (at most 1 MiB decompressed), then the whole doctor scan.
// Properties: entries lie inside the input, after the header and apart from
// each other; a CCOB's payload lies inside it; errors explain themselves.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "clang_bundle.h"
#include "decompress.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/offload_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace devbin::offload;
  const std::span<const uint8_t> bytes(data, size);
  const devbin::Result<Bundle> parsed = parse_bundle(bytes);
  if (const Bundle* bundle = devbin::fuzz::check_container(parsed, size, "a bundle")) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const BundleEntry& entry : bundle->entries) {
      devbin::fuzz::check_within(bytes, entry.bytes, "a bundle entry");
      devbin::fuzz::check_result(parse_bundle_entry_id(entry.id));
      if (entry.size != 0) ranges.emplace_back(entry.offset, entry.offset + entry.size);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      DEVBIN_FUZZ_CHECK(ranges[i].first >= ranges[i - 1].second, "overlapping bundle entries accepted");
    }
  }
  devbin::Result<CompressedBundle> compressed = parse_compressed_bundle(bytes);
  devbin::fuzz::check_result(compressed);
  if (compressed.ok()) {
    DEVBIN_FUZZ_CHECK(compressed->size <= size, "a compressed bundle larger than its input");
    devbin::fuzz::check_within(bytes, compressed->payload, "a compressed bundle's payload");
    devbin::Result<std::vector<uint8_t>> out =
        decompress(compressed->method == CompressionMethod::kZlib ? Codec::kZlib : Codec::kZstd, compressed->payload,
                   compressed->uncompressed_size, devbin::fuzz::kDecompressLimit);
    devbin::fuzz::check_result(out);
    if (out.ok()) DEVBIN_FUZZ_CHECK(out->size() == compressed->uncompressed_size, "decompressed to another size");
  }
  devbin::fuzz::check_scan(bytes);
  return 0;
}
