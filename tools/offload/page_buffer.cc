// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "page_buffer.h"

#include <sys/mman.h>

#include <bit>
#include <utility>

namespace devbin::offload {

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      used_(std::exchange(other.used_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    used_ = std::exchange(other.used_, 0);
  }
  return *this;
}

std::span<uint8_t> PageBuffer::get(size_t size) {
  if (size > capacity_) {
    release();
    constexpr size_t kMinimum = size_t{64} << 10;
    if (size > (size_t{1} << 62)) return {};
    const size_t bytes = std::bit_ceil(size < kMinimum ? kMinimum : size);
    void* mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return {};
    data_ = static_cast<uint8_t*>(mapped);
    capacity_ = bytes;
  }
  if (size > used_) used_ = size;
  return {data_, size};
}

void PageBuffer::release() {
  if (data_ != nullptr) ::munmap(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
  used_ = 0;
}

}  // namespace devbin::offload
