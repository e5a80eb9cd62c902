// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/file_type.h"

#include <sys/stat.h>

namespace devbin::util {

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace devbin::util
