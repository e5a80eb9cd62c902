// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// zlib, zstd and LZ4 decompression for compressed offload bundles and fat
// binary entries, through Debian's libz, libzstd and liblz4. Only the tools link this: the
// runtime library takes no third-party code.
#ifndef DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_
#define DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "devbin/status.h"

namespace devbin::offload {

enum class Codec : uint8_t { kZlib, kZstd, kLz4 };
std::string_view codec_name(Codec codec);  // "zlib", "zstd", "LZ4"

// Decompresses `compressed`, which its container says holds exactly
// `expected_size` bytes. A size above `limit` is refused before anything is
// allocated; output that is shorter, longer or corrupt is an error saying so.
Result<std::vector<uint8_t>> decompress(Codec codec, std::span<const uint8_t> compressed, uint64_t expected_size,
                                        uint64_t limit);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_DECOMPRESS_H_
