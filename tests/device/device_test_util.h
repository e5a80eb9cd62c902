// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Shared by the host tests of the builtin device library: the host builds of
// the kernels (tests/device/CMakeLists.txt), grid shapes, a launcher for
// lambdas and destination buffers with poisoned guard bytes.
#ifndef DEVBIN_TESTS_DEVICE_DEVICE_TEST_UTIL_H_
#define DEVBIN_TESTS_DEVICE_DEVICE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "device/abi.h"
#include "device/target/host_launch.h"

extern "C" {
#define DEVBIN_TEST_DECLARE(name, args_type) \
  void name##_short_lines(args_type args);   \
  void name##_carry(args_type args);
DEVBIN_ABI_KERNELS(DEVBIN_TEST_DECLARE)
#undef DEVBIN_TEST_DECLARE
}

namespace devbin::device_test {

// One host build of device/*.c and the knob values it was built with.
struct KernelBuild {
  const char* name;
  uint32_t fill_line_bytes;  // DEVBIN_FILL_LINE_BYTES
  uint32_t copy_line_bytes;  // DEVBIN_COPY_LINE_BYTES
  void (*fill)(devbin_fill_args_t);
  void (*copy)(devbin_copy_args_t);
  void (*batch)(devbin_batch_args_t);
  void (*copy_rect)(devbin_copy_rect_args_t);
  void (*fill_rect)(devbin_fill_rect_args_t);
  void (*dispatch_patch)(devbin_dispatch_args_t);
  void (*timestamp)(devbin_timestamp_args_t);
  void (*update)(devbin_update_args_t);
};

inline void PrintTo(const KernelBuild& build, std::ostream* os) { *os << build.name; }

inline const std::vector<KernelBuild>& kernel_builds() {
  static const std::vector<KernelBuild> builds = {
      {"shipped", 128, 512, devbin_fill, devbin_copy, devbin_batch, devbin_copy_rect, devbin_fill_rect,
       devbin_dispatch_patch, devbin_timestamp, devbin_update},
      {"short_lines", 16, 16, devbin_fill_short_lines, devbin_copy_short_lines, devbin_batch_short_lines,
       devbin_copy_rect_short_lines, devbin_fill_rect_short_lines, devbin_dispatch_patch_short_lines,
       devbin_timestamp_short_lines, devbin_update_short_lines},
      {"carry", 256, 64, devbin_fill_carry, devbin_copy_carry, devbin_batch_carry, devbin_copy_rect_carry,
       devbin_fill_rect_carry, devbin_dispatch_patch_carry, devbin_timestamp_carry, devbin_update_carry},
  };
  return builds;
}

struct Shape {
  uint32_t workgroup_count;
  uint32_t workgroup_size;
  uint32_t lane_count;
};

inline std::string shape_name(const Shape& shape) {
  return std::to_string(shape.workgroup_count) + "x" + std::to_string(shape.workgroup_size) + "/" +
         std::to_string(shape.lane_count);
}

// Runs `body` once per work-item of `shape`.
template <class Body>
devbin_host_launch_result_t launch(const Shape& shape, Body body) {
  const devbin_host_grid_t grid{shape.workgroup_count, shape.workgroup_size, shape.lane_count};
  return devbin_host_launch(
      grid, [](void* context) { (*static_cast<Body*>(context))(); }, &body);
}

inline uint64_t device_address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// A byte region at a chosen offset from a 256-byte boundary, inside an
// allocation whose other bytes hold a position-dependent poison, so a stray
// store shows wherever it lands.
class GuardedBytes {
 public:
  static constexpr size_t kGuard = 544;  // past the longest head (512-byte lines) and two words more
  static constexpr size_t kAlign = 256;

  GuardedBytes(size_t offset, size_t size)
      : offset_(offset), size_(size), total_(kGuard + offset + size + kGuard) {
    storage_.resize(total_ + kAlign);
    const uintptr_t raw = reinterpret_cast<uintptr_t>(storage_.data());
    base_ = storage_.data() + ((kAlign - raw % kAlign) % kAlign);
    const std::vector<uint8_t>& all_poison = poison(total_);
    std::memcpy(base_, all_poison.data(), total_);
  }

  uint8_t* data() { return base_ + kGuard + offset_; }
  size_t size() const { return size_; }
  size_t offset() const { return offset_; }

  // The region holds `expected` and every byte around it still holds its
  // poison.
  testing::AssertionResult check(const uint8_t* expected) const {
    const std::vector<uint8_t>& all_poison = poison(total_);
    const size_t start = kGuard + offset_;
    if (std::memcmp(base_, all_poison.data(), start) == 0 && (size_ == 0 || std::memcmp(base_ + start, expected, size_) == 0) &&
        std::memcmp(base_ + start + size_, all_poison.data() + start + size_, total_ - start - size_) == 0) {
      return testing::AssertionSuccess();
    }
    for (size_t i = 0; i < total_; ++i) {
      const bool inside = i >= start && i < start + size_;
      const uint8_t want = inside ? expected[i - start] : all_poison[i];
      if (base_[i] != want) {
        const long long at = static_cast<long long>(i) - static_cast<long long>(start);
        return testing::AssertionFailure()
               << "byte " << at << " of the " << size_ << "-byte region at offset " << offset_
               << (inside ? "" : " (a guard byte)") << ": expected 0x" << std::hex << int{want} << ", found 0x"
               << int{base_[i]};
      }
    }
    return testing::AssertionSuccess();
  }

  // Only the guard bytes: the region may hold anything.
  testing::AssertionResult check_guards() const { return check(base_ + kGuard + offset_); }

 private:
  // Position-dependent, so a byte stored one word off still shows.
  static const std::vector<uint8_t>& poison(size_t size) {
    static thread_local std::vector<uint8_t> bytes;
    while (bytes.size() < size) {
      const size_t i = bytes.size();
      bytes.push_back(static_cast<uint8_t>(0x5a ^ (i * 37) ^ (i >> 8)));
    }
    return bytes;
  }

  std::vector<uint8_t> storage_;
  uint8_t* base_ = nullptr;
  size_t offset_;
  size_t size_;
  size_t total_;
};

// Deterministic bytes (xorshift), different for every `seed`.
inline std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& byte : bytes) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    byte = static_cast<uint8_t>(state >> 24);
  }
  return bytes;
}

}  // namespace devbin::device_test

#endif  // DEVBIN_TESTS_DEVICE_DEVICE_TEST_UTIL_H_
