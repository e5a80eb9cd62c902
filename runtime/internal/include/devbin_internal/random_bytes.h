// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Random test data for the self-test and the bench: patterns, sources and
// poison that an unwritten byte cannot pass for.
#ifndef DEVBIN_INTERNAL_RANDOM_BYTES_H_
#define DEVBIN_INTERNAL_RANDOM_BYTES_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace devbin::util {

inline std::mt19937_64 make_rng() {
  std::random_device device;
  return std::mt19937_64((uint64_t{device()} << 32) ^ device());
}

inline void random_bytes(std::mt19937_64& rng, std::vector<uint8_t>& bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    const uint64_t word = rng();
    std::memcpy(&bytes[i], &word, 8);
  }
  for (; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
}

}  // namespace devbin::util

#endif  // DEVBIN_INTERNAL_RANDOM_BYTES_H_
