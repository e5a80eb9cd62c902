// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the doctor's scan reads bytes from: a buffer in memory (a decompressed
// bundle, a test's bytes) or a file read piece by piece with pread. The rule
// the scan relies on: it asks only for the pieces it needs (headers, then one
// code object at a time), each bounded, so its memory follows what it reads
// and never the file's size; a read of bytes the source does not hold is an
// error, never a short view.
#ifndef DEVBIN_TOOLS_OFFLOAD_SOURCE_H_
#define DEVBIN_TOOLS_OFFLOAD_SOURCE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "devbin/status.h"
#include "page_buffer.h"

namespace devbin::offload {

// The most bytes one header read may ask for; whole code objects are read
// with read_bytes, which the caller bounds.
inline constexpr uint64_t kMaxHeaderRead = uint64_t{64} << 10;

// Bytes read from a source: a view into the source's own buffer (memory) or
// a copy it owns (a file). Moving keeps the view valid: a moved vector keeps
// its buffer.
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(std::span<const uint8_t> view) : view_(view) {}
  explicit Bytes(std::vector<uint8_t> owned) : owned_(std::move(owned)), view_(owned_) {}
  Bytes(Bytes&&) = default;
  Bytes& operator=(Bytes&&) = default;
  Bytes(const Bytes&) = delete;  // a copy's view would point into the original
  Bytes& operator=(const Bytes&) = delete;
  std::span<const uint8_t> span() const { return view_; }

 private:
  std::vector<uint8_t> owned_;
  std::span<const uint8_t> view_;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  uint64_t size() const { return size_; }
  // What the source is, for messages: "'lib.so'", "the decompressed bundle".
  const std::string& name() const { return name_; }
  // `size` (at most kMaxHeaderRead) bytes at `offset`; the view stays valid
  // until the next call of header().
  Result<std::span<const uint8_t>> header(uint64_t offset, uint64_t size);
  // `size` bytes at `offset`, as long as the caller keeps them.
  Result<Bytes> read_bytes(uint64_t offset, uint64_t size);
  // The same into `scratch` where they must be copied (reused from call to
  // call: it only grows), else a view of the source's own bytes; valid until
  // `scratch` changes. Safe from several threads at once, each with its own
  // scratch (header() is not).
  Result<std::span<const uint8_t>> read_into(uint64_t offset, uint64_t size, PageBuffer& scratch);
  // Where the first byte at or after `offset` that may not be zero lies: past
  // a hole of a sparse file (SEEK_DATA), else `offset` itself; size() when
  // only a hole follows.
  virtual uint64_t next_data(uint64_t offset) { return offset; }

 protected:
  ByteSource(uint64_t size, std::string name) : size_(size), name_(std::move(name)) {}
  // [offset, offset + size) lies within the source.
  virtual Result<std::span<const uint8_t>> header_within(uint64_t offset, uint64_t size) = 0;
  virtual Result<Bytes> bytes_within(uint64_t offset, uint64_t size) = 0;
  virtual Result<std::span<const uint8_t>> into_within(uint64_t offset, uint64_t size, PageBuffer& scratch) = 0;

 private:
  Status check_range(uint64_t offset, uint64_t size) const;
  uint64_t size_;
  std::string name_;
};

// Bytes in memory, which outlive the source; reads are views, never copies.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes, std::string name = "the bytes")
      : ByteSource(bytes.size(), std::move(name)), bytes_(bytes) {}

 private:
  Result<std::span<const uint8_t>> header_within(uint64_t offset, uint64_t size) override;
  Result<Bytes> bytes_within(uint64_t offset, uint64_t size) override;
  Result<std::span<const uint8_t>> into_within(uint64_t offset, uint64_t size, PageBuffer&) override {
    return bytes_.subspan(offset, size);
  }
  std::span<const uint8_t> bytes_;
};

// A regular file, read with pread: never mapped, so a file that shrinks while
// it is read gives an error rather than SIGBUS. Header reads come from a
// cached window of at least a page.
class FileSource final : public ByteSource {
 public:
  // Opens `path` read-only. Only a regular file is accepted: a directory,
  // FIFO, device or socket is refused before anything can block.
  static Result<std::unique_ptr<FileSource>> open(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t next_data(uint64_t offset) override;

 private:
  FileSource(int fd, uint64_t size, std::string name) : ByteSource(size, std::move(name)), fd_(fd) {}
  Result<std::span<const uint8_t>> header_within(uint64_t offset, uint64_t size) override;
  Result<Bytes> bytes_within(uint64_t offset, uint64_t size) override;
  Result<std::span<const uint8_t>> into_within(uint64_t offset, uint64_t size, PageBuffer& scratch) override;
  Status pread_exactly(uint64_t offset, std::span<uint8_t> out);

  int fd_;
  std::vector<uint8_t> window_;
  uint64_t window_offset_ = 0;
};

// A part of a source: offsets are from the region's start, and reads past
// its end are errors that name it.
struct Region {
  ByteSource* source = nullptr;
  uint64_t offset = 0;
  uint64_t size = 0;

  Result<std::span<const uint8_t>> header(uint64_t at, uint64_t count) const;
  // Up to `count` bytes at `at`: fewer where the region ends first.
  Result<std::span<const uint8_t>> header_up_to(uint64_t at, uint64_t count) const;
  Result<Bytes> read_bytes(uint64_t at, uint64_t count) const;
  Result<std::span<const uint8_t>> read_into(uint64_t at, uint64_t count, PageBuffer& scratch) const;
  // [at, at + count) must lie within this region (the caller checked).
  Region sub(uint64_t at, uint64_t count) const { return {source, offset + at, count}; }
  Region from(uint64_t at) const { return {source, offset + at, size - at}; }
};

inline Region whole(ByteSource& source) { return {&source, 0, source.size()}; }

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_SOURCE_H_
