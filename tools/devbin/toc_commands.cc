// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin list, devbin select, devbin inspect: everything that needs no GPU.
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "devbin/code_object.h"
#include "devbin/select.h"
#include "devbin/toc.h"
#include "inspect_format.h"
#include "input_file.h"
#include "json.h"

namespace devbin::cli {
namespace {

std::string short_digest(std::string_view sha256) { return std::string(sha256.substr(0, 16)); }

}  // namespace

void print_toc_summary(std::ostream& out) {
  const Toc& toc = embedded_toc();
  size_t total = 0;
  for (const TocEntry& entry : toc.entries) total += entry.size;
  out << "Embedded TOC (" << embedded_toc_build_mode() << " build): " << toc.entries.size() << " code objects, "
      << total << " bytes\n";
  if (toc.empty()) {
    out << "  (no code objects are embedded: device/binaries/prebuilt/ was empty when this was built)\n";
  }
  for (const TocEntry& entry : toc.entries) out << "  " << entry.name << "\n";
}

int run_list(std::ostream& out, bool json) {
  const Toc& toc = embedded_toc();
  if (json) out << "[";
  if (!json && toc.empty()) {
    out << "no code objects are embedded (" << embedded_toc_build_mode()
        << " build; device/binaries/prebuilt/ was empty when this was built)\n";
  }
  bool first = true;
  int exit_code = kExitOk;
  for (const TocEntry& entry : toc.entries) {
    Result<CodeObjectInfo> info = inspect_code_object(entry.bytes());
    if (json) {
      out << (first ? "" : ",") << "\n  {\"name\": " << json_string(entry.name) << ", \"triple\": "
          << json_string(entry.triple) << ", \"target\": " << json_string(entry.target_id())
          << ", \"size\": " << entry.size << ", \"sha256\": " << json_string(entry.sha256);
      if (info.ok()) {
        out << ", \"format\": " << json_string(code_object_format_name(info->format))
            << ", \"kernels\": " << info->kernels.size() << "}";
      } else {
        out << ", \"error\": " << json_string(info.status().to_string()) << "}";
      }
    } else {
      out << entry.name << "  " << entry.size << " bytes  sha256:" << short_digest(entry.sha256) << "  ";
      if (info.ok()) {
        out << info->kernels.size() << " kernels\n";
      } else {
        out << "unreadable: " << info.status().to_string() << "\n";
      }
    }
    if (!info.ok()) exit_code = kExitFailure;
    first = false;
  }
  if (json) out << (first ? "]\n" : "\n]\n");
  return exit_code;
}

int run_select(std::ostream& out, const std::vector<std::string>& isas, bool map_only, bool json) {
  const Toc& toc = embedded_toc();
  SelectOptions options;
  options.vendor_overrides = target_override_from_env();
  int exit_code = kExitOk;
  // One ISA's error: the JSON record's "error", or a line on stderr.
  auto fail = [&](const Status& status) {
    exit_code = kExitFailure;
    if (json) {
      out << ", \"error\": " << json_string(status.to_string()) << "}";
    } else {
      std::cerr << "devbin select: " << status.to_string() << "\n";
    }
  };
  if (json) out << "[";
  bool first = true;
  for (const std::string& isa : isas) {
    if (json) out << (first ? "" : ",") << "\n  {\"isa\": " << json_string(isa);
    first = false;
    Result<Target> target = parse_target(isa);
    if (!target.ok()) {
      fail(target.status());
      continue;
    }
    if (map_only) {
      Result<std::string> choice = describe_map_choice(*target);
      if (!choice.ok()) {
        fail(choice.status());
        continue;
      }
      const std::string entry = choice->substr(0, choice->find(' '));
      if (json) {
        out << ", \"map\": " << json_string(entry) << ", \"reason\": " << json_string(*choice) << "}";
      } else {
        out << isa << " -> " << entry << "\n  " << *choice << " (target map only)\n";
      }
      continue;
    }
    Result<Selection> selection = select(*target, toc, options);
    if (!selection.ok()) {
      fail(selection.status());
      continue;
    }
    if (json) {
      out << ", \"entry\": " << json_string(selection->entry->name)
          << ", \"kind\": " << json_string(selection_kind_name(selection->kind))
          << ", \"jit\": " << (selection->jit ? "true" : "false") << ", \"reason\": " << json_string(selection->reason)
          << "}";
    } else {
      out << isa << " -> " << selection->entry->name << "\n  " << selection_kind_name(selection->kind) << ": "
          << selection->reason << "\n";
    }
  }
  if (json) out << "\n]\n";
  return exit_code;
}

int run_inspect(std::ostream& out, const std::vector<std::string>& files, bool json) {
  int exit_code = kExitOk;
  if (json) out << "[";
  bool first = true;
  for (const std::string& path : files) {
    if (json) out << (first ? "" : ",") << "\n  ";
    first = false;
    Result<std::vector<uint8_t>> bytes = read_input_file(path);
    if (!bytes.ok()) {
      exit_code = kExitFailure;
      const std::string& message = bytes.status().message();
      if (json) {
        out << "{\"file\": " << json_string(path) << ", \"error\": " << json_string(message) << "}";
      } else {
        std::cerr << "devbin inspect: " << message << "\n";
      }
      continue;
    }
    Result<CodeObjectInfo> info = inspect_code_object(*bytes);
    if (!info.ok()) {
      exit_code = kExitFailure;
      if (json) {
        out << "{\"file\": " << json_string(path) << ", \"error\": " << json_string(info.status().to_string()) << "}";
      } else {
        std::cerr << "devbin inspect: " << path << ": " << info.status().to_string() << "\n";
      }
      continue;
    }
    if (json) {
      out << code_object_json(*info);
    } else {
      out << format_code_object(*info, path);
    }
  }
  if (json) out << "\n]\n";
  return exit_code;
}

}  // namespace devbin::cli
