// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// CUDA fat binaries (tools/offload/fatbin.h) over any bytes, then the whole
// doctor scan of them (entries decompressed, decoded as cubins and PTX).
// Properties beyond "no crash": every entry and payload lies inside the
// input, entries follow each other in order, and errors explain themselves.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fatbin.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/offload_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const devbin::Result<devbin::offload::Fatbin> parsed = devbin::offload::parse_fatbin(bytes);
  if (const auto* fatbin = devbin::fuzz::check_container(parsed, size, "a fat binary")) {
    uint64_t previous_end = 16;
    for (const devbin::offload::FatbinEntry& entry : fatbin->entries) {
      DEVBIN_FUZZ_CHECK(entry.offset >= previous_end, "fat binary entries out of order or overlapping");
      devbin::fuzz::check_within(bytes, entry.payload, "a fat binary payload");
      const uint64_t payload_end = static_cast<uint64_t>(entry.payload.data() - data) + entry.payload.size();
      DEVBIN_FUZZ_CHECK(payload_end <= fatbin->size, "a payload past the fat binary's end");
      previous_end = payload_end;
    }
  }
  devbin::fuzz::check_scan(bytes);
  return 0;
}
