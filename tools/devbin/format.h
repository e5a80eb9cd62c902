// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// printf-style text for the CLI's GPU verbs (gpu_commands.cc, self_test.cc).
#ifndef DEVBIN_TOOLS_DEVBIN_FORMAT_H_
#define DEVBIN_TOOLS_DEVBIN_FORMAT_H_

#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>

namespace devbin::cli {

// At most 511 characters: one line of a report or a check's message.
inline std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  return buffer;
}

// "1.0 GiB", "64.0 MiB", "4096 B".
inline std::string gib(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return format("%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return format("%.1f MiB", static_cast<double>(bytes) / (1ull << 20));
  return format("%" PRIu64 " B", bytes);
}

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_FORMAT_H_
