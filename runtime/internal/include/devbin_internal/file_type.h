// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What a path that is not a regular file is, for the messages that refuse it
// (a driver library, a code object, a binary the doctor reads).
#ifndef DEVBIN_INTERNAL_FILE_TYPE_H_
#define DEVBIN_INTERNAL_FILE_TYPE_H_

#include <sys/types.h>

namespace devbin::util {

// "a directory", "a FIFO", "a character device", "a block device",
// "a socket", or "not a regular file" for anything else.
const char* file_type_name(mode_t mode);

}  // namespace devbin::util

#endif  // DEVBIN_INTERNAL_FILE_TYPE_H_
