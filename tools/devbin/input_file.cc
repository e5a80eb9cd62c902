// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "devbin_internal/file_type.h"

namespace devbin::cli {
namespace {

// Closes the descriptor on every path out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::vector<uint8_t>> read_input_file(const std::string& path, uint64_t limit) {
  const std::string quoted = "'" + path + "'";
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of
  // waiting for one; the type check below then refuses it.
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) return not_found("cannot open " + quoted + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return internal_error("cannot stat " + quoted + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) {
    return invalid_argument(quoted + " is " + util::file_type_name(info.st_mode) +
                            "; expected a regular file (a code object)");
  }
  const uint64_t size = static_cast<uint64_t>(info.st_size);
  if (size > limit) {
    return invalid_argument(quoted + " is " + std::to_string(size) + " bytes; expected at most " +
                            std::to_string(limit) + " (code objects are far smaller)");
  }
  // Read what fstat promised, and one byte more to notice a file still
  // growing; never more than the limit.
  std::vector<uint8_t> bytes(size + 1);
  uint64_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = ::read(file.fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internal_error("cannot read " + quoted + ": " + std::strerror(errno));
    if (n == 0) break;
    filled += static_cast<uint64_t>(n);
  }
  if (filled > size) {
    return invalid_argument(quoted + " grew while it was read (past the " + std::to_string(size) +
                            " bytes it had); expected a file that stays as it is");
  }
  bytes.resize(filled);
  return bytes;
}

}  // namespace devbin::cli
