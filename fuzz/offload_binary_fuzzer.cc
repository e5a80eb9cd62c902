// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// LLVM offload binaries (tools/offload/offload_binary.h) over any bytes, then
// the whole doctor scan. Properties: the binary, its image and its strings
// lie inside the input; errors explain themselves.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/fuzz_check.h"
#include "fuzz/offload_fuzz.h"
#include "offload_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const devbin::Result<devbin::offload::OffloadBinary> parsed = devbin::offload::parse_offload_binary(bytes);
  if (const auto* binary = devbin::fuzz::check_container(parsed, size, "an offload binary")) {
    devbin::fuzz::check_within(bytes, binary->image, "an offload binary's image");
    for (const auto& [key, value] : binary->strings) {
      devbin::fuzz::check_within(bytes, {reinterpret_cast<const uint8_t*>(key.data()), key.size()}, "a key");
      devbin::fuzz::check_within(bytes, {reinterpret_cast<const uint8_t*>(value.data()), value.size()}, "a value");
    }
    (void)devbin::offload::image_kind_name(binary->image_kind);
    (void)devbin::offload::offload_kind_name(binary->offload_kind);
  }
  devbin::fuzz::check_scan(bytes);
  return 0;
}
