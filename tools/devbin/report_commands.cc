// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin with no verb (the main job): every backend's GPUs in one report
// shape, then the TOC when there is no GPU.
#include <sstream>
#include <string>

#include "commands.h"
#include "devbin/toc.h"
#include "gpu_commands.h"
#include "json.h"

namespace devbin::cli {

void print_toc_summary(std::ostream& out);  // toc_commands.cc

int run_main_report(std::ostream& out, bool json, const DeviceSelection& selection) {
  std::ostringstream backends;
  bool usable = false;
  const int exit_code = run_devices_report(backends, json, selection, &usable);
  if (json) {
    out << "{\"backends\":" << backends.str() << ",\"toc\":{\"build_mode\":" << json_string(embedded_toc_build_mode())
        << ",\"entries\":[";
    bool first = true;
    for (const TocEntry& entry : embedded_toc().entries) {
      out << (first ? "" : ",") << json_string(entry.name);
      first = false;
    }
    out << "]}}\n";
    return exit_code;
  }
  out << backends.str();
  if (!usable) {
    out << "No GPU found: devbin has nothing to load here.\n";
    print_toc_summary(out);
  }
  return exit_code;
}

}  // namespace devbin::cli
