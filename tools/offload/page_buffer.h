// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A growable byte buffer whose memory comes from mmap, not malloc: released,
// it goes back to the system at once. The scan's worker threads each reuse
// one for payloads and one for decompressed bytes; from malloc, each thread's
// arena would keep the largest it ever held (glibc trims an arena only past
// a threshold that rises with the sizes freed), so the process would hold
// the sum of every thread's largest entry rather than what the reader's
// memory budget allows (entry_reader.h).
#ifndef DEVBIN_TOOLS_OFFLOAD_PAGE_BUFFER_H_
#define DEVBIN_TOOLS_OFFLOAD_PAGE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace devbin::offload {

class PageBuffer {
 public:
  PageBuffer() = default;
  ~PageBuffer() { release(); }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;

  // `size` bytes (their contents unspecified: earlier ones, or zeros), or
  // nothing when the system has no memory for them.
  std::span<uint8_t> get(size_t size);
  // The most bytes handed out since the memory was mapped: an upper bound on
  // what of it is resident.
  size_t held() const { return used_; }
  void release();

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;  // mapped (rounded up to a power of two; untouched pages cost nothing)
  size_t used_ = 0;
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_PAGE_BUFFER_H_
