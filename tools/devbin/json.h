// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Minimal JSON text output for the CLI's --json modes. The runtime library
// stays free of third-party code, and the CLI only ever writes JSON.
#ifndef DEVBIN_TOOLS_DEVBIN_JSON_H_
#define DEVBIN_TOOLS_DEVBIN_JSON_H_

#include <cstdio>
#include <string>
#include <string_view>

namespace devbin::cli {

// A JSON string literal, quotes included; control and non-ASCII bytes are
// escaped so any input (file names, error text) gives valid JSON.
inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_JSON_H_
