// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Text for messages, one definition each: numbers in hex, sizes, printf-style
// lines, untrusted text quoted.
#ifndef DEVBIN_INTERNAL_TEXT_H_
#define DEVBIN_INTERNAL_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace devbin::util {

// "0x1a2b".
std::string hex(uint64_t value);

// printf-style, at most 511 characters: one line of a report or a check's message.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// "1.0 GiB", "64.0 MiB", "4096 B".
std::string gib(uint64_t bytes);

// The most bytes of untrusted text a message quotes: a target ID, a TOC
// entry name or a path fits; a megabyte of input does not reach the message.
inline constexpr size_t kQuoteLimit = 200;

// Quotes untrusted text for an error message: 'text', with non-printable
// bytes, quotes and backslashes as \xNN, so a message never carries raw
// control bytes to a terminal; text longer than `limit` bytes is cut there
// and says its length ('gfx9000...'... (1048576 bytes)), so a message stays
// bounded whatever the input.
std::string quote(std::string_view text, size_t limit = kQuoteLimit);

}  // namespace devbin::util

#endif  // DEVBIN_INTERNAL_TEXT_H_
