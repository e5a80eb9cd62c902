// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "bytes.h"
#include "devbin_internal/file_type.h"
#include "devbin_internal/text.h"

namespace devbin::offload {

Status ByteSource::check_range(uint64_t offset, uint64_t size) const {
  if (range_fits(offset, size, size_)) return Status::Ok();
  return data_loss(number(size) + " bytes at offset " + util::hex(offset) + " end past the end of " + name_ + " (" +
                   number(size_) + " bytes)");
}

Result<std::span<const uint8_t>> ByteSource::header(uint64_t offset, uint64_t size) {
  if (size > kMaxHeaderRead) {
    return internal_error("a header read of " + number(size) + " bytes: expected at most " + number(kMaxHeaderRead));
  }
  DEVBIN_RETURN_IF_ERROR(check_range(offset, size));
  return header_within(offset, size);
}

Result<Bytes> ByteSource::read_bytes(uint64_t offset, uint64_t size) {
  DEVBIN_RETURN_IF_ERROR(check_range(offset, size));
  return bytes_within(offset, size);
}

Result<std::span<const uint8_t>> ByteSource::read_into(uint64_t offset, uint64_t size, PageBuffer& scratch) {
  DEVBIN_RETURN_IF_ERROR(check_range(offset, size));
  return into_within(offset, size, scratch);
}

Result<std::span<const uint8_t>> MemorySource::header_within(uint64_t offset, uint64_t size) {
  return bytes_.subspan(offset, size);
}

Result<Bytes> MemorySource::bytes_within(uint64_t offset, uint64_t size) { return Bytes(bytes_.subspan(offset, size)); }

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
  const std::string quoted = "'" + path + "'";
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of
  // waiting for one; the type check below then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return not_found("cannot open " + quoted + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return internal_error("cannot stat " + quoted + ": " + std::strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return invalid_argument(quoted + " is " + util::file_type_name(info.st_mode) + "; expected a regular file");
  }
  return std::unique_ptr<FileSource>(new FileSource(fd, static_cast<uint64_t>(info.st_size), quoted));
}

FileSource::~FileSource() { ::close(fd_); }

uint64_t FileSource::next_data(uint64_t offset) {
  if (offset >= size()) return size();
  const off_t data = ::lseek(fd_, static_cast<off_t>(offset), SEEK_DATA);
  if (data >= 0) return std::min(static_cast<uint64_t>(data), size());
  // ENXIO: no data at or after `offset`; anything else (a file system
  // without SEEK_DATA): read on from `offset`.
  return errno == ENXIO ? size() : offset;
}

Status FileSource::pread_exactly(uint64_t offset, std::span<uint8_t> out) {
  size_t filled = 0;
  while (filled < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + filled, out.size() - filled, static_cast<off_t>(offset + filled));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error("cannot read " + name() + ": " + std::strerror(errno));
    if (n == 0) {
      return data_loss(name() + " ended at offset " + util::hex(offset + filled) + " while it was read (it had " +
                       number(size()) + " bytes): expected a file that stays as it is");
    }
    filled += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::span<const uint8_t>> FileSource::header_within(uint64_t offset, uint64_t size) {
  if (offset < window_offset_ || offset + size > window_offset_ + window_.size()) {
    // A window of at least a page from `offset` on: the small reads that
    // follow (a bundle's next entry, the next ELF field) usually lie in it,
    // and a fat binary entry's header costs a page, not its payload too.
    constexpr uint64_t kWindow = 4096;
    const uint64_t length = std::min(std::max(size, kWindow), this->size() - offset);
    window_.resize(length);
    window_offset_ = offset;
    if (Status status = pread_exactly(offset, window_); !status.ok()) {
      window_.clear();
      return status;
    }
  }
  return std::span<const uint8_t>(window_).subspan(offset - window_offset_, size);
}

Result<Bytes> FileSource::bytes_within(uint64_t offset, uint64_t size) {
  std::vector<uint8_t> out(size);
  DEVBIN_RETURN_IF_ERROR(pread_exactly(offset, out));
  return Bytes(std::move(out));
}

Result<std::span<const uint8_t>> FileSource::into_within(uint64_t offset, uint64_t size, PageBuffer& scratch) {
  const std::span<uint8_t> out = scratch.get(size);
  if (out.size() != size) {
    return failed_precondition("no memory for " + number(size) + " bytes of " + name() + " (mmap failed)");
  }
  DEVBIN_RETURN_IF_ERROR(pread_exactly(offset, out));
  return std::span<const uint8_t>(out);
}

Result<std::span<const uint8_t>> Region::read_into(uint64_t at, uint64_t count, PageBuffer& scratch) const {
  if (!range_fits(at, count, size)) {
    return data_loss(number(count) + " bytes at offset " + util::hex(at) + " end past the end of the " +
                     number(size) + " bytes there");
  }
  return source->read_into(offset + at, count, scratch);
}

Result<std::span<const uint8_t>> Region::header(uint64_t at, uint64_t count) const {
  if (!range_fits(at, count, size)) {
    return data_loss(number(count) + " bytes at offset " + util::hex(at) + " end past the end of the " +
                     number(size) + " bytes there");
  }
  return source->header(offset + at, count);
}

Result<std::span<const uint8_t>> Region::header_up_to(uint64_t at, uint64_t count) const {
  if (at > size) return data_loss("offset " + util::hex(at) + " is past the end of the " + number(size) + " bytes there");
  return source->header(offset + at, std::min(count, size - at));
}

Result<Bytes> Region::read_bytes(uint64_t at, uint64_t count) const {
  if (!range_fits(at, count, size)) {
    return data_loss(number(count) + " bytes at offset " + util::hex(at) + " end past the end of the " +
                     number(size) + " bytes there");
  }
  return source->read_bytes(offset + at, count);
}

}  // namespace devbin::offload
