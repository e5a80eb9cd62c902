// devbin with no verb (the main job), devbin selftest and devbin bench: every
// backend's GPUs in one report shape, then the TOC when there is no GPU.
#include <sstream>
#include <string>

#include "commands.h"
#include "devbin/cuda.h"
#include "devbin/hsa.h"
#include "devbin/toc.h"
#include "gpu_commands.h"
#include "json.h"

namespace devbin::cli {

void print_toc_summary(std::ostream& out);  // toc_commands.cc

namespace {

// An HSA agent in the same shape as the CUDA report's devices. The HSA
// backend runs no self-test here: nothing of it has run on an AMD GPU yet, so
// the report says what it did (select, validate, load) and no more.
void print_hsa_report(std::ostream& out, const DeviceReport& report) {
  out << "GPU " << report.index << " (hsa): " << (report.name.empty() ? "unknown" : report.name);
  if (!report.target.empty()) out << ", " << report.target;
  out << "\n";
  if (report.selected) {
    out << "  entry:     " << report.selection.entry << " ("
        << selection_kind_name(report.selection.kind) << "): " << report.selection.reason << "\n";
  }
  if (!report.status.ok()) {
    out << "  error:     " << report.status.message() << "\n";
    return;
  }
  std::ostringstream ms;
  ms.precision(3);
  ms << std::fixed << report.load_time_ms();
  out << "  load:      " << ms.str() << " ms (select + validate + load)\n";
}

}  // namespace

int run_main_report(std::ostream& out, bool json) {
  Result<int> cuda_devices = cuda::device_count();
  Result<std::vector<DeviceReport>> hsa_reports = hsa::report_devices();
  const bool any_gpu = (cuda_devices.ok() && *cuda_devices > 0) || (hsa_reports.ok() && !hsa_reports->empty());

  std::ostringstream cuda_part;
  const int cuda_exit = run_devices_report(cuda_part, json);
  int exit_code = cuda_exit;
  bool hsa_failed = false;
  if (hsa_reports.ok()) {
    for (const DeviceReport& report : *hsa_reports) hsa_failed = hsa_failed || !report.status.ok();
  }
  if (hsa_failed) exit_code = kExitFailure;

  if (json) {
    std::string cuda_object = cuda_part.str();
    while (!cuda_object.empty() && (cuda_object.back() == '\n')) cuda_object.pop_back();
    out << "{\"backends\":[" << cuda_object << ",{\"backend\":\"hsa\",\"available\":"
        << (hsa_reports.ok() ? "true" : "false") << ",\"reason\":"
        << (hsa_reports.ok() ? std::string("null") : json_string(hsa_reports.status().message()))
        << ",\"devices\":[";
    if (hsa_reports.ok()) {
      bool first = true;
      for (const DeviceReport& report : *hsa_reports) {
        out << (first ? "" : ",") << device_report_json(report);
        first = false;
      }
    }
    out << "]}],\"toc\":{\"build_mode\":" << json_string(embedded_toc_build_mode()) << ",\"entries\":[";
    bool first = true;
    for (const TocEntry& entry : embedded_toc().entries) {
      out << (first ? "" : ",") << json_string(entry.name);
      first = false;
    }
    out << "]}}\n";
    return exit_code;
  }

  out << cuda_part.str();
  if (hsa_reports.ok()) {
    for (const DeviceReport& report : *hsa_reports) print_hsa_report(out, report);
  } else {
    out << "HSA: no usable GPU: " << hsa_reports.status().message() << "\n";
  }
  if (!any_gpu) {
    out << "No GPU found: devbin has nothing to load here.\n";
    print_toc_summary(out);
  }
  return exit_code;
}

int run_selftest_command(std::ostream& out) { return run_selftest(out); }

int run_bench_command(std::ostream& out, uint64_t size_bytes) { return run_bench(out, size_bytes); }

}  // namespace devbin::cli
