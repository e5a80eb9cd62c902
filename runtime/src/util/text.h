// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Text for messages, one definition each: numbers in hex, untrusted text quoted.
#ifndef DEVBIN_RUNTIME_SRC_UTIL_TEXT_H_
#define DEVBIN_RUNTIME_SRC_UTIL_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace devbin::util {

// "0x1a2b".
std::string hex(uint64_t value);

// Quotes untrusted text for an error message: 'text', with non-printable
// bytes, quotes and backslashes as \xNN, so a message never carries raw
// control bytes to a terminal.
std::string quote(std::string_view text);

}  // namespace devbin::util

#endif  // DEVBIN_RUNTIME_SRC_UTIL_TEXT_H_
