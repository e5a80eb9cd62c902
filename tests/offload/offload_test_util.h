// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The checked-in files of tests/offload/data, read for the tests.
#ifndef DEVBIN_TESTS_OFFLOAD_OFFLOAD_TEST_UTIL_H_
#define DEVBIN_TESTS_OFFLOAD_OFFLOAD_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace devbin::offload {

inline std::vector<uint8_t> read_data_file(const std::string& name) {
  std::ifstream in(std::string(DEVBIN_OFFLOAD_DATA_DIR) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every GPU binary in data/ (kernels.* and the scripts excepted).
inline const std::vector<std::string>& data_file_names() {
  static const std::vector<std::string> names = {
      "hip_gfx90a_gfx1100.hipfb",        "hip_ccob_v3_zstd.hipfb",
      "hip_ccob_v2_zstd.hipfb",          "hip_ccob_v3_zlib.hipfb",
      "hip_ccob_v2_zlib.hipfb",          "hip_host.o",
      "libhip_gfx1100_gfx1201.so",       "hip_rdc_new_driver.o",
      "hip_images.offbin",               "cuda_sm80_sm90_compute90.fatbin",
      "cuda_compressed_sm80_compute90.fatbin", "libcuda_sm75_sm86_compute86.so",
      "hip_rdc_old_driver.o",            "cuda_rdc_sm80.o",
      "cuda_lz4_sm80_sm90_compute90.fatbin",
  };
  return names;
}

// Little-endian stores for hand-built containers.
inline void put_u16(std::vector<uint8_t>& out, size_t at, uint16_t value) {
  out[at] = static_cast<uint8_t>(value);
  out[at + 1] = static_cast<uint8_t>(value >> 8);
}
inline void put_u32(std::vector<uint8_t>& out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
inline void put_u64(std::vector<uint8_t>& out, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

}  // namespace devbin::offload

#endif  // DEVBIN_TESTS_OFFLOAD_OFFLOAD_TEST_UTIL_H_
