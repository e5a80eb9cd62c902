// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CLI's GPU verbs (gpu_commands.h): the device report and the self-test on
// every CUDA device and HSA GPU agent (the bench: bench_command.cc).
#include "gpu_commands.h"

#include <sstream>

#include "commands.h"
#include "devbin/device.h"
#include "devbin_internal/text.h"
#include "json.h"
#include "self_test.h"

namespace devbin::cli {

using util::format;

std::string selection_text(const DeviceReport& report) {
  return report.selection.entry + " (" + std::string(selection_kind_name(report.selection.kind)) +
         (report.selection.jit ? ", PTX JIT" : "") + "): " + report.selection.reason;
}

namespace {

//===----------------------------------------------------------------------===//
// Report and self-test: every backend's GPUs in one shape, through the
// neutral device interface (devbin/device.h)
//===----------------------------------------------------------------------===//

// One GPU: how opening it went and, when it opened, the self-test's checks.
struct DeviceRun {
  DeviceReport report;
  bool opened = false;  // the library loaded and the checks ran
  std::string summary;  // after the target in the report's first line: "132 SMs, 80.0 GiB"
  std::vector<SelfTestCheck> checks;

  size_t failed_checks() const {
    return static_cast<size_t>(
        std::count_if(checks.begin(), checks.end(), [](const SelfTestCheck& c) { return !c.status.ok(); }));
  }
  const SelfTestCheck* first_failure() const {
    for (const SelfTestCheck& check : checks) {
      if (!check.status.ok()) return &check;
    }
    return nullptr;
  }
  bool failed() const { return !report.status.ok() || failed_checks() != 0; }
};

// One backend's GPUs (those the selection names), or why it has no usable one.
struct BackendRun {
  BackendInfo info;
  std::vector<DeviceRun> devices;

  std::string name() const { return std::string(backend_name(info.backend)); }  // "cuda": JSON and device lines
  std::string label() const { return info.backend == Backend::kCuda ? "CUDA" : "HSA"; }
  bool failed() const {
    return std::any_of(devices.begin(), devices.end(), [](const DeviceRun& d) { return d.failed(); });
  }
};

BackendRun run_backend(const BackendInfo& info, const DeviceSelection& selection) {
  BackendRun run;
  run.info = info;
  if (!info.status.ok()) return run;
  for (int i = 0; i < info.device_count; ++i) {
    if (selection.index.has_value() && *selection.index != i) continue;
    DeviceRun device_run;
    auto device = Device::open({info.backend, i}, {}, &device_run.report);
    if (device.ok()) {
      device_run.opened = true;
      device_run.summary = device.value()->summary();
      device_run.checks = self_test_device(*device.value());
    }
    run.devices.push_back(std::move(device_run));
  }
  return run;
}

std::string backend_json(const BackendRun& run, const std::vector<std::string>& devices);

// The backends the selection names, each with its selected GPUs, and what
// that adds up to.
struct Runs {
  std::vector<BackendRun> backends;
  bool any_usable = false;  // some backend had a usable GPU
  bool failed = false;      // some device failed to open or failed a check
  std::string missing;      // --device N that no shown backend has: a line saying so, else ""

  // Devices, each as `device_json` writes it, in one JSON array of backend objects.
  template <typename DeviceJson>
  std::string json(DeviceJson device_json) const {
    std::string out = "[";
    for (size_t i = 0; i < backends.size(); ++i) {
      std::vector<std::string> devices;
      for (const DeviceRun& device : backends[i].devices) devices.push_back(device_json(device));
      out += (i ? "," : "") + backend_json(backends[i], devices);
    }
    return out + "]";
  }
};

Runs run_backends(const DeviceSelection& selection) {
  Runs runs;
  for (const BackendInfo& info : list_backends()) {
    if (selection.backend.has_value() && *selection.backend != info.backend) continue;
    runs.backends.push_back(run_backend(info, selection));
    runs.any_usable = runs.any_usable || info.status.ok();
    runs.failed = runs.failed || runs.backends.back().failed();
  }
  if (selection.index.has_value()) {
    std::string counts;
    bool found = false;
    for (const BackendRun& run : runs.backends) {
      found = found || !run.devices.empty();
      counts += (counts.empty() ? "" : ", ") + run.label() + " shows " + std::to_string(run.info.device_count);
    }
    if (!found) runs.missing = "no GPU " + std::to_string(*selection.index) + " (" + counts + ")";
  }
  return runs;
}

// {"backend":…,"available":…,"driver":…,"reason":…,"devices":[…]}
std::string backend_json(const BackendRun& run, const std::vector<std::string>& devices) {
  const Status& status = run.info.status;
  std::string out =
      "{\"backend\":" + json_string(run.name()) + ",\"available\":" + (status.ok() ? "true" : "false");
  out += ",\"driver\":" + (run.info.version.empty() ? std::string("null") : json_string(run.info.version));
  out += ",\"reason\":" + (status.ok() ? std::string("null") : json_string(status.message()));
  out += ",\"devices\":[";
  for (size_t i = 0; i < devices.size(); ++i) out += (i ? "," : "") + devices[i];
  return out + "]}";
}

// The report's device object: device_report_json plus "self_test".
std::string report_device_json(const DeviceRun& device) {
  std::string object = device_report_json(device.report);
  object.pop_back();
  object += ",\"self_test\":";
  if (!device.opened) return object + "null}";
  const SelfTestCheck* first = device.first_failure();
  return object + format("{\"checks\":%zu,\"failed\":%zu", device.checks.size(), device.failed_checks()) +
         ",\"first_failure\":" +
         (first ? json_string(first->name + ": " + first->status.message()) : std::string("null")) + "}}";
}

void print_report_device(std::ostream& out, const std::string& backend, const DeviceRun& device) {
  const DeviceReport& report = device.report;
  out << "GPU " << report.index << " (" << backend << "): " << (report.name.empty() ? "unknown" : report.name);
  if (!report.target.empty()) out << ", " << report.target;
  if (!device.summary.empty()) out << ", " << device.summary;
  out << "\n";
  if (report.selected) out << "  entry:     " << selection_text(report) << "\n";
  if (!report.status.ok()) {
    out << "  error:     " << report.status.message() << "\n";
    return;
  }
  out << "  load:      " << format("%.3f ms", report.load_time_ms()) << " (select + validate + load)\n";
  if (const SelfTestCheck* first = device.first_failure(); first == nullptr) {
    out << "  self-test: passed (" << device.checks.size()
        << " checks: fill, copy, batch, copy_rect, fill_rect, timestamp, dispatch_patch)\n";
  } else {
    out << "  self-test: FAILED " << device.failed_checks() << " of " << device.checks.size()
        << "; first: " << first->name << ": " << first->status.message() << "\n";
  }
}

// The self-test's device object: device_report_json plus every check.
std::string selftest_device_json(const DeviceRun& device) {
  std::string object = device_report_json(device.report);
  object.pop_back();
  object += ",\"checks\":[";
  for (size_t i = 0; i < device.checks.size(); ++i) {
    const SelfTestCheck& check = device.checks[i];
    object += std::string(i ? "," : "") + "{\"name\":" + json_string(check.name) +
              ",\"ok\":" + (check.status.ok() ? "true" : "false") +
              ",\"error\":" + (check.status.ok() ? "null" : json_string(check.status.message())) + "}";
  }
  return object + "]}";
}

void print_selftest_device(std::ostream& out, const std::string& backend, const DeviceRun& device) {
  const DeviceReport& report = device.report;
  out << "GPU " << report.index << " (" << backend << "): " << report.name << ", " << report.target << "\n";
  if (report.selected) out << "  entry: " << selection_text(report) << "\n";
  if (!report.status.ok()) out << "  FAILED to load: " << report.status.message() << "\n";
  for (const SelfTestCheck& check : device.checks) {
    out << "  " << (check.status.ok() ? "ok     " : "FAILED ") << check.name;
    if (!check.status.ok()) out << ": " << check.status.message();
    out << "\n";
  }
}

}  // namespace

std::string device_report_json(const DeviceReport& report) {
  std::ostringstream out;
  out << "{\"backend\":" << json_string(report.backend) << ",\"index\":" << report.index
      << ",\"name\":" << json_string(report.name) << ",\"target\":" << json_string(report.target);
  if (report.selected) {
    out << ",\"selection\":{\"entry\":" << json_string(report.selection.entry)
        << ",\"kind\":" << json_string(selection_kind_name(report.selection.kind))
        << ",\"reason\":" << json_string(report.selection.reason)
        << ",\"jit\":" << (report.selection.jit ? "true" : "false") << "}";
  } else {
    out << ",\"selection\":null";
  }
  out << ",\"load_time_ms\":" << format("%.4f", report.load_time_ms())
      << ",\"ok\":" << (report.status.ok() ? "true" : "false")
      << ",\"error\":" << (report.status.ok() ? "null" : json_string(report.status.to_string())) << "}";
  return out.str();
}

int run_devices_report(std::ostream& out, bool json, const DeviceSelection& selection, bool* usable) {
  const Runs runs = run_backends(selection);
  if (usable != nullptr) *usable = runs.any_usable;
  const bool missing = !runs.missing.empty() && runs.any_usable;
  if (json) {
    out << runs.json(report_device_json);
  } else {
    for (const BackendRun& run : runs.backends) {
      if (!run.info.status.ok()) out << run.label() << ": no usable GPU: " << run.info.status.message() << "\n";
      for (const DeviceRun& device : run.devices) print_report_device(out, run.name(), device);
    }
    if (missing) out << "devbin: " << runs.missing << "\n";
  }
  return runs.failed || missing ? kExitFailure : kExitOk;
}

int run_selftest(std::ostream& out, bool json, const DeviceSelection& selection) {
  const Runs runs = run_backends(selection);
  const bool failed = runs.failed || !runs.missing.empty();
  if (json) {
    out << "{\"backends\":" << runs.json(selftest_device_json) << "}\n";
  } else if (!runs.any_usable) {
    out << "selftest: no usable GPU:";
    for (size_t i = 0; i < runs.backends.size(); ++i) {
      out << (i ? "; " : " ") << runs.backends[i].label() << ": " << runs.backends[i].info.status.message();
    }
    out << "\n";
  } else {
    for (const BackendRun& run : runs.backends) {
      if (!run.info.status.ok()) out << run.label() << ": no usable GPU: " << run.info.status.message() << "\n";
      for (const DeviceRun& device : run.devices) print_selftest_device(out, run.name(), device);
    }
    if (!runs.missing.empty()) out << "selftest: " << runs.missing << "\n";
    out << (failed ? "selftest: FAILED\n" : "selftest: passed\n");
  }
  if (!runs.any_usable) return kExitNoDevice;
  return failed ? kExitFailure : kExitOk;
}

}  // namespace devbin::cli
