// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CLI's GPU verbs (gpu_commands.h): the device report and the self-test on
// every CUDA device and HSA GPU agent, and the CUDA bench.
#include "gpu_commands.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <functional>
#include <iterator>
#include <random>
#include <sstream>

#include "commands.h"
#include "devbin/cuda.h"
#include "devbin/device.h"
#include "devbin/kernel_args.h"
#include "format.h"
#include "json.h"
#include "random_bytes.h"
#include "self_test.h"

namespace devbin::cli {
namespace {

std::string selection_text(const DeviceReport& report) {
  return report.selection.entry + " (" + std::string(selection_kind_name(report.selection.kind)) +
         (report.selection.jit ? ", PTX JIT" : "") + "): " + report.selection.reason;
}

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

//===----------------------------------------------------------------------===//
// Bench: CUDA only, against the driver's own calls
//===----------------------------------------------------------------------===//

namespace {

using cuda::Buffer;
using cuda::Device;
using devbin::DevicePtr;
using cuda::Stream;

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Device time of each variant, interleaved rep by rep so clock and thermal
// drift hit all variants alike; medians in milliseconds. `host_ms`, when
// given, gets the median host time each variant took to enqueue its work.
Result<std::vector<double>> time_interleaved(const Device& device, Stream& stream,
                                             const std::vector<std::function<Status()>>& variants, int warmup, int reps,
                                             std::vector<double>* host_ms = nullptr) {
  DEVBIN_ASSIGN_OR_RETURN(auto start, device.create_event());
  DEVBIN_ASSIGN_OR_RETURN(auto end, device.create_event());
  std::vector<std::vector<double>> samples(variants.size());
  std::vector<std::vector<double>> host_samples(variants.size());
  for (int rep = -warmup; rep < reps; ++rep) {
    // Forward on even reps, backward on odd ones: no variant always runs
    // first, after the host and the GPU settled on the one before it.
    for (size_t i = 0; i < variants.size(); ++i) {
      const size_t v = (rep & 1) == 0 ? i : variants.size() - 1 - i;
      DEVBIN_RETURN_IF_ERROR(start->record(stream));
      const auto before = std::chrono::steady_clock::now();
      DEVBIN_RETURN_IF_ERROR(variants[v]());
      const auto after = std::chrono::steady_clock::now();
      DEVBIN_RETURN_IF_ERROR(end->record(stream));
      DEVBIN_RETURN_IF_ERROR(end->synchronize());
      DEVBIN_ASSIGN_OR_RETURN(float ms, end->elapsed_ms_since(*start));
      if (rep >= 0) {
        samples[v].push_back(ms);
        host_samples[v].push_back(std::chrono::duration<double, std::milli>(after - before).count());
      }
    }
  }
  std::vector<double> medians;
  for (auto& s : samples) medians.push_back(median(s));
  if (host_ms != nullptr) {
    host_ms->clear();
    for (auto& s : host_samples) host_ms->push_back(median(s));
  }
  return medians;
}

struct BenchRow {
  std::string operation;
  std::string ours;
  std::string vendor;
  double ratio = 0;    // as the target states it
  std::string target;  // ">= 0.98", "<= 1.5x"
  bool met = false;
  bool has_ratio = true;
};

// A row that reports a figure (or why there is none) with no target.
BenchRow information_row(std::string operation, std::string ours, std::string vendor) {
  BenchRow row{std::move(operation), std::move(ours), std::move(vendor), 0, "(information)", true};
  row.has_ratio = false;
  return row;
}

std::string gbps(uint64_t bytes, double ms) { return format("%.0f GB/s", static_cast<double>(bytes) / (ms * 1e6)); }

constexpr uint64_t kRandomBlock = uint64_t{16} << 20;

// Source data: a random block repeated (never zeros: they can run faster and
// hide unwritten bytes).
Status fill_random(const Device& device, const Buffer& buffer, const std::vector<uint8_t>& block) {
  for (uint64_t at = 0; at < buffer.size(); at += block.size()) {
    DEVBIN_RETURN_IF_ERROR(device.copy_to_device(buffer.address() + at, block.data(),
                                                 std::min<uint64_t>(block.size(), buffer.size() - at)));
  }
  return Status::Ok();
}

// Compares three 1 MiB windows (start, middle, end) of `length` bytes at `target` with `expected(i)`.
Status check_windows(const Device& device, DevicePtr target, uint64_t length,
                     const std::function<uint8_t(uint64_t)>& expected, const char* what) {
  const uint64_t window = std::min<uint64_t>(length, uint64_t{1} << 20);
  for (uint64_t at : {uint64_t{0}, (length - window) / 2, length - window}) {
    std::vector<uint8_t> got(window);
    DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), target + at, window));
    for (uint64_t i = 0; i < window; ++i) {
      if (got[i] != expected(at + i)) {
        return data_loss(
            format("%s: byte %" PRIu64 " is 0x%02x, expected 0x%02x", what, at + i, got[i], expected(at + i)));
      }
    }
  }
  return Status::Ok();
}

// check_windows over the first, middle and last rows of a rect target,
// each with the gap after it (`pitch` bytes); `expected(row, i)` is byte i
// of that span.
Status check_rect_rows(const Device& device, DevicePtr base, uint64_t pitch, uint64_t height,
                       const std::function<uint8_t(uint64_t, uint64_t)>& expected, const char* what) {
  for (uint64_t row : {uint64_t{0}, height / 2, height - 1}) {
    DEVBIN_RETURN_IF_ERROR(
        check_windows(device, base + row * pitch, pitch, [&](uint64_t i) { return expected(row, i); }, what));
  }
  return Status::Ok();
}

// Small operations: cost per operation in a stream of 1000 (200 for the
// largest update), on the GPU's clock (events) and on the host's (time to
// enqueue), which tells a launch-rate limit from a GPU-side one. Fills and
// updates take their vendor path where the table has one
// (devbin/vendor_path.h); the crossover rows time both paths at each size.
Status bench_small_operations(Device& device, Stream& stream, const Buffer& source, const Buffer& target,
                              std::mt19937_64& rng, std::vector<BenchRow>& rows, Status& correctness) {
  auto repeat = [](int ops, const std::function<Status()>& op) {
    return [op, ops]() -> Status {
      for (int i = 0; i < ops; ++i) DEVBIN_RETURN_IF_ERROR(op());
      return Status::Ok();
    };
  };
  // `op` on the kernel path: vendor paths off for its length.
  auto kernel_path = [&device](const std::function<Status()>& op) {
    return [&device, op]() -> Status {
      device.set_vendor_paths(false);
      Status status = op();
      device.set_vendor_paths(true);
      return status;
    };
  };
  {
    constexpr int ops = 1000;
    std::vector<std::function<Status()>> variants = {
        repeat(ops, [&] { return device.driver_memset_d32(stream, target.address(), 0x04030201, 16); })};
    const std::vector<std::vector<uint8_t>> patterns = {{0x5a},
                                                        {0x01, 0x02},
                                                        {0x01, 0x02, 0x03, 0x04},
                                                        {1, 2, 3, 4, 5, 6, 7, 8},
                                                        {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    for (const auto& pattern : patterns) {
      variants.push_back(repeat(ops, [&] { return device.fill(stream, target.address(), 64, pattern); }));
    }
    variants.push_back(repeat(ops, [&] { return device.timestamp(stream, target.address()); }));
    variants.push_back(repeat(ops, [&] { return device.copy(stream, target.address(), source.address(), 64); }));
    variants.push_back(
        repeat(ops, [&] { return device.driver_copy(stream, target.address(), source.address(), 64); }));
    std::vector<double> host_ms;
    DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream, variants, 2, 11, &host_ms));
    auto us = [&](size_t i) { return ms[i] * 1000 / ops; };
    auto host_us = [&](size_t i) { return host_ms[i] * 1000 / ops; };
    const std::string memset = format("%.2f us (enqueue %.2f us; cuMemsetD32Async)", us(0), host_us(0));
    for (size_t p = 0; p < patterns.size(); ++p) {
      const size_t width = patterns[p].size();
      const bool target_row = width <= 4;
      rows.push_back({format("fill 64 B, %zu-byte pattern, per op in a stream of 1000", width),
                      format("%.2f us (enqueue %.2f us)", us(1 + p), host_us(1 + p)), memset, us(1 + p) / us(0),
                      target_row ? "<= 1.1x" : "(information)", !target_row || us(1 + p) / us(0) <= 1.1});
    }
    const size_t t = 1 + patterns.size();
    rows.push_back({"copy 64 B, per op in a stream of 1000", format("%.2f us (enqueue %.2f us)", us(t + 1), host_us(t + 1)),
                    format("%.2f us (enqueue %.2f us; cuMemcpyDtoDAsync)", us(t + 2), host_us(t + 2)),
                    us(t + 1) / us(t + 2), "(information)", true});
    rows.push_back(information_row("timestamp, per op in a stream of 1000",
                                   format("%.2f us (enqueue %.2f us)", us(t), host_us(t)), "-"));
  }

  // Updates against cuMemcpyHtoDAsync of the same bytes from pinned memory
  // (which, unlike an update, leaves the source the caller's to keep
  // unchanged until the copy is made). 64 B and 4 KiB are issue 25's targets.
  struct UpdateCase {
    uint64_t bytes, offset;
    bool target_row;
  };
  for (const UpdateCase c : {UpdateCase{4, 0, false}, UpdateCase{8, 0, false}, UpdateCase{64, 3, true},
                             UpdateCase{DEVBIN_UPDATE_BYTES, 3, true}, UpdateCase{DEVBIN_UPDATE_MAX_BYTES, 3, false}}) {
    const int ops = c.bytes == DEVBIN_UPDATE_MAX_BYTES ? 200 : 1000;
    std::vector<uint8_t> data(c.bytes);
    random_bytes(rng, data);
    DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer pinned, device.allocate_host(c.bytes));
    std::memcpy(pinned.data(), data.data(), c.bytes);
    const DevicePtr to = target.address() + c.offset;
    std::vector<double> host_ms;
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms, time_interleaved(
                     device, stream,
                     {repeat(ops, [&] { return device.update(stream, to, data); }),
                      repeat(ops, [&] { return device.copy_to_device_async(stream, to, pinned.data(), c.bytes); }),
                      repeat(ops, kernel_path([&] { return device.update(stream, to, data); })),
                      // From pageable memory the driver copies the bytes before it returns.
                      repeat(ops, [&] { return device.copy_to_device_async(stream, to, data.data(), c.bytes); })},
                     2, 11, &host_ms));
    DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, c.bytes + 16));
    DEVBIN_RETURN_IF_ERROR(device.update(stream, to, data));
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    if (correctness.ok()) {
      correctness = check_windows(device, to, c.bytes, [&](uint64_t i) { return data[i]; }, "update result");
    }
    const double ours = ms[0] * 1000 / ops;
    const double theirs = ms[1] * 1000 / ops;
    rows.push_back({format("update %" PRIu64 " B to dst+%" PRIu64 ", per op in a stream of %d", c.bytes, c.offset, ops),
                    format("%.2f us (enqueue %.2f us; kernel path %.2f us)", ours, host_ms[0] * 1000 / ops,
                           ms[2] * 1000 / ops),
                    format("%.2f us (enqueue %.2f us; cuMemcpyHtoDAsync, pinned; from pageable %.2f us, enqueue "
                           "%.2f us)",
                           theirs, host_ms[1] * 1000 / ops, ms[3] * 1000 / ops, host_ms[3] * 1000 / ops),
                    ours / theirs, c.target_row ? "<= 1.0x" : "(information)", !c.target_row || ours / theirs <= 1.0});
  }

  // The crossovers: each path of a fill of a 4-byte pattern and of an
  // update at each size, per op in a stream of back-to-back ops. The table
  // (devbin/vendor_path.h) should send each size to the faster path.
  for (const uint64_t bytes : {uint64_t{4096}, uint64_t{65536}, uint64_t{1} << 20, uint64_t{4} << 20,
                               uint64_t{16} << 20, uint64_t{64} << 20}) {
    if (bytes > target.size()) break;
    const int ops = bytes >= (uint64_t{16} << 20) ? 20 : 200;
    const uint32_t word = 0x04030201;
    const uint8_t pattern[4] = {1, 2, 3, 4};
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms,
        time_interleaved(device, stream,
                         {repeat(ops, [&] { return device.driver_memset_d32(stream, target.address(), word, bytes / 4); }),
                          repeat(ops, kernel_path([&] { return device.fill(stream, target.address(), bytes, pattern); }))},
                         2, 11));
    rows.push_back(information_row(
        format("crossover: fill %s, 4-byte pattern, per op", bytes < (1 << 20) ? format("%" PRIu64 " KiB", bytes >> 10).c_str()
                                                                                : format("%" PRIu64 " MiB", bytes >> 20).c_str()),
        format("kernel %.2f us", ms[1] * 1000 / ops), format("cuMemsetD32Async %.2f us (kernel/memset %.3f)",
                                                             ms[0] * 1000 / ops, ms[1] / ms[0])));
  }
  for (const uint64_t bytes : {uint64_t{1}, uint64_t{64}, uint64_t{1024}, uint64_t{16384}}) {
    constexpr int ops = 1000;
    std::vector<uint8_t> data(bytes);
    random_bytes(rng, data);
    const DevicePtr to = target.address() + 3;
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms, time_interleaved(device, stream,
                                  {repeat(ops, [&] { return device.update(stream, to, data); }),
                                   repeat(ops, kernel_path([&] { return device.update(stream, to, data); }))},
                                  2, 11));
    rows.push_back(information_row(format("crossover: update %" PRIu64 " B to dst+3, per op", bytes),
                                   format("kernel %.2f us", ms[1] * 1000 / ops),
                                   format("staged copy %.2f us (kernel/staged %.3f)", ms[0] * 1000 / ops, ms[1] / ms[0])));
  }
  // What the staged copy and the write value add to the driver's call on the
  // host: the capture check each makes per op (the median of 11 runs of
  // 10000 checks).
  {
    constexpr int checks = 10000;
    std::vector<double> ns;
    for (int run = 0; run < 11; ++run) {
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < checks; ++i) (void)stream.capturing();
      ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / checks);
    }
    std::nth_element(ns.begin(), ns.begin() + 5, ns.end());
    rows.push_back(information_row("capture check (cuStreamIsCapturing) of an update's vendor path, per op, host",
                                   format("%.0f ns", ns[5]), "-"));
  }
  return Status::Ok();
}

Status bench_device(std::ostream& out, Device& device, uint64_t size) {
  const cuda::DeviceProperties& p = device.properties();
  DEVBIN_ASSIGN_OR_RETURN(auto stream_ptr, device.create_stream());
  Stream& stream = *stream_ptr;
  std::mt19937_64 rng = make_rng();
  std::vector<uint8_t> block(kRandomBlock);
  random_bytes(rng, block);
  const uint64_t slack = 4096;
  DEVBIN_ASSIGN_OR_RETURN(Buffer source, device.allocate(size + slack));
  DEVBIN_ASSIGN_OR_RETURN(Buffer target, device.allocate(size + slack));
  DEVBIN_RETURN_IF_ERROR(fill_random(device, source, block));
  DEVBIN_RETURN_IF_ERROR(fill_random(device, target, block));
  const int reps = 21;
  std::vector<BenchRow> rows;
  Status correctness;

  // Fill, every width, against cuMemsetD32Async over the same bytes.
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    random_bytes(rng, pattern);
    uint32_t word = 0;
    std::memcpy(&word, block.data(), 4);
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms, time_interleaved(device, stream,
                                  {[&] { return device.fill(stream, target.address(), size, pattern); },
                                   [&] { return device.driver_memset_d32(stream, target.address(), word, size / 4); }},
                                  2, reps));
    DEVBIN_RETURN_IF_ERROR(device.fill(stream, target.address(), size, pattern));
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    if (correctness.ok()) {
      correctness = check_windows(
          device, target.address(), size, [&](uint64_t i) { return pattern[i % width]; }, "fill result");
    }
    rows.push_back({format("fill %s, %u-byte pattern", gib(size).c_str(), width), gbps(size, ms[0]),
                    gbps(size, ms[1]) + " (cuMemsetD32Async)", ms[1] / ms[0], ">= 1.00", ms[1] / ms[0] >= 1.0});
  }

  // Copy, aligned and src+1 -> dst+3, against cuMemcpyDtoDAsync on the same offsets.
  struct CopyCase {
    uint64_t source_offset, target_offset;
    double target_ratio;
  };
  for (const CopyCase& c : {CopyCase{0, 0, 0.99}, CopyCase{1, 3, 1.25}}) {
    const DevicePtr from = source.address() + c.source_offset;
    const DevicePtr to = target.address() + c.target_offset;
    DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream,
                                                      {[&] { return device.copy(stream, to, from, size); },
                                                       [&] { return device.driver_copy(stream, to, from, size); }},
                                                      2, reps));
    DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, size + slack));
    DEVBIN_RETURN_IF_ERROR(device.copy(stream, to, from, size));
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    if (correctness.ok()) {
      correctness = check_windows(
          device, to, size, [&](uint64_t i) { return block[(c.source_offset + i) % block.size()]; }, "copy result");
    }
    const std::string name =
        c.source_offset == 0 && c.target_offset == 0
            ? format("copy %s, both 16-byte aligned", gib(size).c_str())
            : format("copy %s, src+%" PRIu64 " -> dst+%" PRIu64, gib(size).c_str(), c.source_offset, c.target_offset);
    rows.push_back({name, gbps(2 * size, ms[0]), gbps(2 * size, ms[1]) + " (cuMemcpyDtoDAsync)", ms[1] / ms[0],
                    format(">= %.2f", c.target_ratio), ms[1] / ms[0] >= c.target_ratio});
  }

  // Rect copy: 65536 rows of 4097 bytes from pitch 4099 to pitch 4101 (256
  // MiB a side), against devbin's 1D copy of the same bytes and
  // cuMemcpy2DAsync; fewer rows when --size is smaller than a side.
  {
    const uint64_t width = 4097;
    const uint64_t source_pitch = 4099;
    const uint64_t target_pitch = 4101;
    const uint64_t height = std::clamp<uint64_t>(size / target_pitch, 1, 65536);
    const devbin_rect_region_t to{target.address(), target_pitch, 0};
    const devbin_rect_region_t from{source.address(), source_pitch, 0};
    const devbin_rect_extent_t extent{width, static_cast<uint32_t>(height), 1};
    std::vector<std::function<Status()>> variants = {
        [&] { return device.copy_rect(stream, to, from, extent); },
        [&] { return device.copy(stream, target.address(), source.address(), height * width); }};
    const bool has_driver_2d =
        device.driver_copy_2d(stream, to.base, target_pitch, from.base, source_pitch, width, height).ok();
    if (has_driver_2d) {
      variants.push_back(
          [&] { return device.driver_copy_2d(stream, to.base, target_pitch, from.base, source_pitch, width, height); });
    }
    DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream, variants, 2, reps));
    DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, size + slack));
    DEVBIN_RETURN_IF_ERROR(device.copy_rect(stream, to, from, extent));
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    if (correctness.ok()) {
      correctness = check_rect_rows(
          device, to.base, target_pitch, height,
          [&](uint64_t row, uint64_t i) {
            return i < width ? block[(row * source_pitch + i) % block.size()] : static_cast<uint8_t>(0xa5);
          },
          "copy_rect result");
    }
    const uint64_t bytes = 2 * height * width;
    const std::string name = format("copy_rect 2D, %" PRIu64 " rows x %" PRIu64 " B, pitches %" PRIu64
                                    " (source) and %" PRIu64 " (target)",
                                    height, width, source_pitch, target_pitch);
    rows.push_back({name, gbps(bytes, ms[0]), gbps(bytes, ms[1]) + " (devbin copy of the same bytes, 1D)",
                    ms[1] / ms[0], ">= 0.85 (vs devbin 1D copy)", ms[1] / ms[0] >= 0.85});
    if (has_driver_2d) {
      rows.push_back({"  the same copy against cuMemcpy2DAsync", gbps(bytes, ms[0]),
                      gbps(bytes, ms[2]) + " (cuMemcpy2DAsync)", ms[2] / ms[0], ">= 1.70", ms[2] / ms[0] >= 1.70});
    } else {
      rows.push_back(information_row("  cuMemcpy2DAsync", "-", "the driver lacks it"));
    }
  }

  // Rect fill: 65536 rows of 4096 bytes at pitch 4352 (272 MiB), every
  // pattern width, against the driver's 2D memset of the same width
  // (cuMemsetD2D8/16/32Async; 8 and 16-byte patterns against the 32-bit one,
  // the widest the driver has).
  {
    const uint64_t width = 4096;
    const uint64_t pitch = 4352;
    const uint64_t height = std::clamp<uint64_t>(size / pitch, 1, 65536);
    const devbin_rect_region_t to{target.address(), pitch, 0};
    const devbin_rect_extent_t extent{width, static_cast<uint32_t>(height), 1};
    for (uint32_t pattern_width : {1u, 2u, 4u, 8u, 16u}) {
      std::vector<uint8_t> pattern(pattern_width);
      random_bytes(rng, pattern);
      const std::vector<uint8_t> driver_pattern(pattern.begin(), pattern.begin() + std::min<uint32_t>(pattern_width, 4));
      const char* driver_name = driver_pattern.size() == 1   ? "cuMemsetD2D8Async"
                                : driver_pattern.size() == 2 ? "cuMemsetD2D16Async"
                                                             : "cuMemsetD2D32Async";
      auto driver_fill = [&] { return device.driver_memset_2d(stream, to.base, pitch, driver_pattern, width, height); };
      if (!driver_fill().ok()) {
        rows.push_back(information_row(format("fill_rect 2D, %u-byte pattern", pattern_width), "-",
                                       std::string("the driver lacks ") + driver_name));
        continue;
      }
      DEVBIN_ASSIGN_OR_RETURN(
          auto ms, time_interleaved(device, stream,
                                    {[&] { return device.fill_rect(stream, to, extent, pattern); }, driver_fill}, 2,
                                    reps));
      DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, size + slack));
      DEVBIN_RETURN_IF_ERROR(device.fill_rect(stream, to, extent, pattern));
      DEVBIN_RETURN_IF_ERROR(stream.synchronize());
      if (correctness.ok()) {
        correctness = check_rect_rows(
            device, to.base, pitch, height,
            [&](uint64_t, uint64_t i) { return i < width ? pattern[i % pattern_width] : static_cast<uint8_t>(0xa5); },
            "fill_rect result");
      }
      const uint64_t bytes = height * width;
      rows.push_back({format("fill_rect 2D, %" PRIu64 " rows x %" PRIu64 " B, pitch %" PRIu64 ", %u-byte pattern",
                             height, width, pitch, pattern_width),
                      gbps(bytes, ms[0]), gbps(bytes, ms[1]) + " (" + driver_name + ")", ms[1] / ms[0], ">= 0.98",
                      ms[1] / ms[0] >= 0.98});
    }
  }

  // Batches. 1000 fills and copies of 64 bytes, spread over the buffers, as
  // one batch end to end (the table's entries written on the host, checked
  // and numbered by batch_number, uploaded from pinned memory with
  // cuMemcpyHtoDAsync, then the launch) against the same
  // operations as 1000 driver calls, and the copies among them (the driver
  // batches copies only) as one cuMemcpyBatchAsync.
  {
    const size_t ops = 1000;
    const uint64_t spacing = size / ops / 64 * 64;
    const std::vector<uint8_t> pattern = {0x21, 0x43, 0x65, 0x87};
    DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer staging, device.allocate_host(ops * sizeof(devbin_batch_op_t)));
    DEVBIN_ASSIGN_OR_RETURN(Buffer table, device.allocate(ops * sizeof(devbin_batch_op_t)));
    std::vector<DevicePtr> copy_targets, copy_sources;
    std::vector<uint64_t> copy_lengths;
    for (size_t i = 1; i < ops; i += 2) {
      copy_targets.push_back(target.address() + i * spacing);
      copy_sources.push_back(source.address() + i * spacing);
      copy_lengths.push_back(64);
    }
    DEVBIN_ASSIGN_OR_RETURN(const devbin_batch_op_t fill_entry, make_batch_fill(target.address(), 64, pattern));
    auto batch = [&]() -> Status {
      auto* entries = static_cast<devbin_batch_op_t*>(staging.data());
      for (size_t i = 0; i < ops; ++i) {
        const uint64_t at = i * spacing;
        devbin_batch_op_t& entry = entries[i];
        if (i % 2 == 0) {
          entry = fill_entry;
        } else {
          entry = devbin_batch_op_t{};
          entry.kind = DEVBIN_BATCH_COPY;
          entry.source = source.address() + at;
          entry.length = 64;
        }
        entry.target = target.address() + at;
      }
      DEVBIN_ASSIGN_OR_RETURN(uint64_t chunks, batch_number({entries, ops}));
      DEVBIN_RETURN_IF_ERROR(
          device.copy_to_device_async(stream, table.address(), entries, ops * sizeof(devbin_batch_op_t)));
      DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args,
                              make_batch_args(table.address(), static_cast<uint32_t>(ops), chunks));
      return device.batch(stream, args);
    };
    auto calls = [&]() -> Status {
      for (size_t i = 0; i < ops; ++i) {
        const uint64_t at = i * spacing;
        DEVBIN_RETURN_IF_ERROR(i % 2 == 0 ? device.driver_memset_d32(stream, target.address() + at, 0x87654321u, 16)
                                          : device.driver_copy(stream, target.address() + at,
                                                               source.address() + at, 64));
      }
      return Status::Ok();
    };
    auto driver_batch = [&] { return device.driver_copy_batch(stream, copy_targets, copy_sources, copy_lengths); };
    // The parts of the end-to-end figure: the table already in pinned memory
    // (upload + launch), and already in device memory (the launch alone).
    DEVBIN_RETURN_IF_ERROR(batch());
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    const uint64_t chunks = ops;  // one chunk per 64-byte operation
    auto upload_and_launch = [&]() -> Status {
      DEVBIN_RETURN_IF_ERROR(
          device.copy_to_device_async(stream, table.address(), staging.data(), ops * sizeof(devbin_batch_op_t)));
      DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args,
                              make_batch_args(table.address(), static_cast<uint32_t>(ops), chunks));
      return device.batch(stream, args);
    };
    auto launch_only = [&]() -> Status {
      DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args,
                              make_batch_args(table.address(), static_cast<uint32_t>(ops), chunks));
      return device.batch(stream, args);
    };
    const bool has_driver_batch = driver_batch().ok();
    std::vector<std::function<Status()>> variants = {batch, calls, upload_and_launch, launch_only};
    if (has_driver_batch) variants.push_back(driver_batch);
    std::vector<double> host_ms;
    DEVBIN_ASSIGN_OR_RETURN(auto ms, time_interleaved(device, stream, variants, 2, reps, &host_ms));
    DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, size + slack));
    DEVBIN_RETURN_IF_ERROR(batch());
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    for (size_t i = 0; i < ops && correctness.ok(); i += 97) {
      const uint64_t at = i * spacing;
      correctness = check_windows(
          device, target.address() + at, 64,
          [&](uint64_t k) { return i % 2 == 0 ? pattern[k % 4] : block[(at + k) % block.size()]; },
          "batch of 64-byte operations result");
    }
    const double per_s = ops / (ms[0] / 1e3);
    rows.push_back({"1000 x 64 B fill/copy as one batch, end to end (table built, uploaded, run)",
                    format("%.1f us (%.2fM ops/s; host %.1f us)", ms[0] * 1e3, per_s / 1e6, host_ms[0] * 1e3),
                    format("%.1f us (1000 x cuMemsetD32Async/cuMemcpyDtoDAsync)", ms[1] * 1e3), ms[1] / ms[0],
                    ">= 50", ms[1] / ms[0] >= 50});
    for (size_t part : {size_t{2}, size_t{3}}) {
      rows.push_back(information_row(
          part == 2 ? "  of which upload (pinned, cuMemcpyHtoDAsync) + launch" : "  of which the launch alone",
          format("%.1f us (host %.1f us)", ms[part] * 1e3, host_ms[part] * 1e3), "-"));
    }
    if (has_driver_batch) {
      // Per operation: the driver's batch holds the 500 copies only.
      const double theirs = ms[4] / copy_targets.size();
      const double ours = ms[0] / ops;
      rows.push_back({"  the same batch, per op, against cuMemcpyBatchAsync of its 500 copies",
                      format("%.3f us/op", ours * 1e3), format("%.3f us/op (cuMemcpyBatchAsync)", theirs * 1e3),
                      theirs / ours, ">= 100", theirs / ours >= 100});
    } else {
      rows.push_back(information_row("  cuMemcpyBatchAsync", "-", "the driver has none (CUDA 12.8 or later)"));
    }
  }

  // 64 copies of size/64 bytes as one batch (table uploaded beforehand)
  // against one devbin copy of all the bytes: the chunked batch keeps full
  // bandwidth.
  {
    const size_t parts = 64;
    const uint64_t part = size / parts / 16 * 16;
    std::vector<devbin_batch_op_t> entries;
    for (size_t i = 0; i < parts; ++i) {
      DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t op, make_batch_copy(target.address() + i * part,
                                                                    source.address() + i * part, part));
      entries.push_back(op);
    }
    DEVBIN_ASSIGN_OR_RETURN(uint64_t chunks, batch_number(entries));
    DEVBIN_ASSIGN_OR_RETURN(Buffer table, device.allocate(entries.size() * sizeof(devbin_batch_op_t)));
    DEVBIN_RETURN_IF_ERROR(
        device.copy_to_device(table.address(), entries.data(), entries.size() * sizeof(devbin_batch_op_t)));
    DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args,
                            make_batch_args(table.address(), static_cast<uint32_t>(parts), chunks));
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms, time_interleaved(device, stream,
                                  {[&] { return device.batch(stream, args); },
                                   [&] { return device.copy(stream, target.address(), source.address(), parts * part); },
                                   [&] {
                                     return device.driver_copy(stream, target.address(), source.address(),
                                                               parts * part);
                                   }},
                                  2, reps));
    DEVBIN_RETURN_IF_ERROR(device.memset_d8(target.address(), 0xa5, size + slack));
    DEVBIN_RETURN_IF_ERROR(device.batch(stream, args));
    DEVBIN_RETURN_IF_ERROR(stream.synchronize());
    if (correctness.ok()) {
      correctness = check_windows(
          device, target.address(), parts * part, [&](uint64_t i) { return block[i % block.size()]; },
          "batch of 64 copies result");
    }
    const uint64_t bytes = 2 * parts * part;
    rows.push_back({format("batch of 64 x %s copies", gib(part).c_str()), gbps(bytes, ms[0]),
                    format("%s (one devbin copy of %s); %s (cuMemcpyDtoDAsync)", gbps(bytes, ms[1]).c_str(),
                           gib(parts * part).c_str(), gbps(bytes, ms[2]).c_str()),
                    ms[1] / ms[0], ">= 0.95 (vs devbin copy)", ms[1] / ms[0] >= 0.95});
  }

  DEVBIN_RETURN_IF_ERROR(bench_small_operations(device, stream, source, target, rng, rows, correctness));

  // select + validate + load + resolve of the entry this device gets without an override.
  {
    cuda::OpenOptions options;
    options.read_environment = false;
    std::vector<double> load_ms, first_ms, second_ms;
    std::string entry;
    const std::vector<uint8_t> pattern4 = {1, 2, 3, 4};
    // A freshly loaded module's first launch of a kernel also uploads that
    // kernel's code (the driver loads lazily): what the load leaves for later.
    // On the bench's stream, wrapped by the device just opened (the same
    // primary context): a stream is one device's queue.
    auto timed_fill = [&](const Device& on) -> Result<double> {
      DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Stream> wrapped, on.wrap_stream(stream.native_handle()));
      const auto before = std::chrono::steady_clock::now();
      DEVBIN_RETURN_IF_ERROR(on.fill(*wrapped, target.address(), 64, pattern4));
      DEVBIN_RETURN_IF_ERROR(wrapped->synchronize());
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before).count();
    };
    for (int i = 0; i < 51; ++i) {
      DEVBIN_ASSIGN_OR_RETURN(auto again, Device::open(p.ordinal, options));
      load_ms.push_back(again->report().load_time_ms());
      entry = again->report().selection.entry;
      DEVBIN_ASSIGN_OR_RETURN(double first, timed_fill(*again));
      DEVBIN_ASSIGN_OR_RETURN(double second, timed_fill(*again));
      first_ms.push_back(first);
      second_ms.push_back(second);
    }
    const double ms = median(load_ms);
    BenchRow row{
        "select+validate+load " + entry + " (median of 51)", format("%.4f ms", ms), "-", ms, "<= 0.1 ms", ms <= 0.1};
    row.has_ratio = false;
    rows.push_back(row);
    rows.push_back(information_row("64 B fill + synchronize after that load: first, second (medians of 51)",
                                   format("%.4f ms, %.4f ms", median(first_ms), median(second_ms)), "-"));
    options.override_entry = "nvptx64-nvidia-cuda--compute_75.ptx";
    std::vector<double> jit_ms;
    for (int i = 0; i < 3; ++i) {
      auto jit = Device::open(p.ordinal, options);
      if (!jit.ok()) break;
      jit_ms.push_back(jit.value()->report().load_time_ms());
    }
    if (!jit_ms.empty()) {
      rows.push_back(information_row("load compute_75 PTX (JIT; first, then median of 3)",
                                     format("%.2f ms, %.2f ms", jit_ms[0], median(jit_ms)), "-"));
    }
  }

  out << "\n| operation | devbin | vendor | ratio | target | |\n|---|---|---|---|---|---|\n";
  for (const BenchRow& row : rows) {
    out << "| " << row.operation << " | " << row.ours << " | " << row.vendor << " | "
        << (row.has_ratio ? format("%.3f", row.ratio) : std::string("-")) << " | " << row.target << " | "
        << (row.target == "(information)" ? "-"
            : row.met                     ? "met"
                                          : "MISSED")
        << " |\n";
  }

  // The table the fills and updates above chose their paths by.
  out << "\nVendor paths (devbin/vendor_path.h; the first rule that matches wins, else the kernel):\n\n"
      << "| operation | path | width | alignment | bytes | why |\n|---|---|---|---|---|---|\n";
  for (const VendorPathRule& rule : device.vendor_paths()) {
    out << "| " << (rule.operation == VendorPathOperation::kFill ? "fill" : "update") << " | "
        << vendor_op_name(rule.path) << " | " << (rule.width == 0 ? std::string("any") : std::to_string(rule.width))
        << " | " << rule.alignment << " | " << rule.min_bytes << " to " << rule.max_bytes << " | " << rule.reason
        << " |\n";
  }

  // Launch-shape sweep: block size, and one resident wave of blocks (a
  // persistent grid) against a grid covering the work (the kernels loop
  // grid-stride, so either is correct).
  out << "\nLaunch-shape sweep (" << gib(size) << ", " << p.multiprocessor_count
      << " SMs; devbin GB/s, bytes read + written):\n\n"
         "| threads/block | blocks/SM fill, copy | fill 16-byte | copy aligned | copy src+1 -> dst+3 |\n"
         "|---|---|---|---|---|\n";
  const std::vector<uint8_t> pattern16(16, 0x5a);
  auto blocks_text = [](const cuda::LaunchLimits& limits) {
    return limits.blocks_per_multiprocessor == cuda::kCoveringGrid ? std::string("covering")
                                                                   : std::to_string(limits.blocks_per_multiprocessor);
  };
  for (uint32_t threads : {128u, 256u, 512u, 1024u}) {
    for (bool covering : {false, true}) {
      bool fits = true;
      for (cuda::Kernel kernel : {cuda::Kernel::devbin_fill, cuda::Kernel::devbin_copy}) {
        fits = fits && device.set_launch_shape(kernel, threads, 1).ok() &&
               device
                   .set_launch_shape(kernel, threads,
                                     covering ? cuda::kCoveringGrid
                                              : device.launch_limits(kernel).resident_blocks_per_multiprocessor)
                   .ok();
      }
      if (!fits) continue;
      DEVBIN_ASSIGN_OR_RETURN(
          auto ms,
          time_interleaved(device, stream,
                           {[&] { return device.fill(stream, target.address(), size, pattern16); },
                            [&] { return device.copy(stream, target.address(), source.address(), size); },
                            [&] { return device.copy(stream, target.address() + 3, source.address() + 1, size); }},
                           1, 9));
      out << "| " << threads << " | " << blocks_text(device.launch_limits(cuda::Kernel::devbin_fill)) << ", "
          << blocks_text(device.launch_limits(cuda::Kernel::devbin_copy)) << " | " << gbps(size, ms[0]) << " | "
          << gbps(2 * size, ms[1]) << " | " << gbps(2 * size, ms[2]) << " |\n";
    }
  }
  DEVBIN_RETURN_IF_ERROR(device.set_launch_shape(cuda::Kernel::devbin_fill, 0));
  DEVBIN_RETURN_IF_ERROR(device.set_launch_shape(cuda::Kernel::devbin_copy, 0));
  const cuda::LaunchLimits& fill = device.launch_limits(cuda::Kernel::devbin_fill);
  const cuda::LaunchLimits& copy = device.launch_limits(cuda::Kernel::devbin_copy);
  out << "\nDefault shapes (the first table ran with them): fill " << fill.threads_per_block << " threads x "
      << blocks_text(fill) << " blocks/SM, copy " << copy.threads_per_block << " x " << blocks_text(copy) << "\n";
  if (!correctness.ok()) {
    out << "bench: WRONG RESULT: " << correctness.message() << "\n";
    return correctness;
  }
  return Status::Ok();
}

}  // namespace

int run_bench(std::ostream& out, uint64_t size_bytes, const DeviceSelection& selection) {
  size_bytes &= ~uint64_t{15};
  if (size_bytes < 4096) {
    out << "bench: size " << size_bytes << " is too small; expected at least 4096 bytes\n";
    return kExitUsage;
  }
  if (selection.backend == Backend::kHsa) {
    out << "bench: measures against the CUDA driver's own calls; the HSA backend has none to compare with here\n";
    return kExitNoDevice;
  }
  const BackendInfo cuda_info = list_backends().front();
  if (!cuda_info.status.ok()) {
    out << "bench: no usable GPU: " << cuda_info.status.message() << "\n";
    return kExitNoDevice;
  }
  bool failed = false;
  bool ran = false;
  for (int i = 0; i < cuda_info.device_count; ++i) {
    if (selection.index.has_value() && *selection.index != i) continue;
    ran = true;
    DeviceReport report;
    auto opened = devbin::Device::open({Backend::kCuda, i}, {}, &report);
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    out << "GPU " << report.index << " (cuda): " << report.name << ", " << report.target;
    if (!opened.ok()) {
      out << "\n  FAILED to load: " << report.status.message() << "\n";
      failed = true;
      continue;
    }
    Device& device = *opened.value()->as_cuda();
    out << ", " << opened.value()->summary() << "; driver CUDA " << device.driver().version_string() << "; " << date
        << "\n  entry: " << selection_text(report) << "\n";
    if (Status status = bench_device(out, device, size_bytes); !status.ok()) {
      out << "bench: FAILED on GPU " << report.index << ": " << status.message() << "\n";
      failed = true;
    }
  }
  if (!ran) {
    out << "bench: no GPU " << *selection.index << " (CUDA shows " << cuda_info.device_count << ")\n";
    return kExitFailure;
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace devbin::cli
