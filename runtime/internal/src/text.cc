// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/text.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace devbin::util {

std::string hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  return buffer;
}

std::string gib(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return format("%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return format("%.1f MiB", static_cast<double>(bytes) / (1ull << 20));
  return format("%" PRIu64 " B", bytes);
}

std::string quote(std::string_view text, size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : text.substr(0, limit)) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out += "'";
  if (text.size() > limit) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace devbin::util
