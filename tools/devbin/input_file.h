// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Reading a file a user names on the command line (devbin inspect): bounded
// in memory and time whatever the path is. Only regular files are read; a
// directory, FIFO, device or socket is refused before anything can block,
// and a file larger than the limit is refused by its size, unread.
#ifndef DEVBIN_TOOLS_DEVBIN_INPUT_FILE_H_
#define DEVBIN_TOOLS_DEVBIN_INPUT_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "devbin/status.h"

namespace devbin::cli {

// The largest input read: code objects are kilobytes to tens of megabytes.
inline constexpr uint64_t kMaxInputFileBytes = uint64_t{256} << 20;

// The bytes of `path`. Errors name the path and what was found: the system's
// reason when it cannot be opened, the kind of file when it is not a regular
// one, the size when it exceeds `limit`.
Result<std::vector<uint8_t>> read_input_file(const std::string& path, uint64_t limit = kMaxInputFileBytes);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_INPUT_FILE_H_
