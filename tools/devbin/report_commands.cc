// devbin with no verb (the main job), devbin selftest and devbin bench: every
// backend's GPUs in one report shape, then the TOC when there is no GPU.
#include <sstream>
#include <string>

#include "commands.h"
#include "devbin/toc.h"
#include "gpu_commands.h"
#include "json.h"

namespace devbin::cli {

void print_toc_summary(std::ostream& out);  // toc_commands.cc

int run_main_report(std::ostream& out, bool json) {
  std::ostringstream cuda_part;
  std::ostringstream hsa_part;
  bool cuda_usable = false;
  bool hsa_usable = false;
  const int cuda_exit = run_devices_report(cuda_part, json, Backend::kCuda, &cuda_usable);
  const int hsa_exit = run_devices_report(hsa_part, json, Backend::kHsa, &hsa_usable);
  const int exit_code = cuda_exit != kExitOk || hsa_exit != kExitOk ? kExitFailure : kExitOk;

  if (json) {
    auto object = [](const std::ostringstream& part) {
      std::string text = part.str();
      while (!text.empty() && text.back() == '\n') text.pop_back();
      return text;
    };
    out << "{\"backends\":[" << object(cuda_part) << "," << object(hsa_part)
        << "],\"toc\":{\"build_mode\":" << json_string(embedded_toc_build_mode()) << ",\"entries\":[";
    bool first = true;
    for (const TocEntry& entry : embedded_toc().entries) {
      out << (first ? "" : ",") << json_string(entry.name);
      first = false;
    }
    out << "]}}\n";
    return exit_code;
  }

  out << cuda_part.str() << hsa_part.str();
  if (!cuda_usable && !hsa_usable) {
    out << "No GPU found: devbin has nothing to load here.\n";
    print_toc_summary(out);
  }
  return exit_code;
}

int run_selftest_command(std::ostream& out, bool json) { return run_selftest(out, json); }

int run_bench_command(std::ostream& out, uint64_t size_bytes) { return run_bench(out, size_bytes); }

}  // namespace devbin::cli
