#include "gpu_commands.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <sstream>

#include "commands.h"
#include "json.h"

namespace devbin::cli {
namespace {

using cuda::Buffer;
using cuda::Device;
using cuda::DevicePtr;
using cuda::Stream;

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  return buffer;
}

// "1.0 GiB", "64.0 MiB", "4096 B".
std::string gib(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return format("%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  if (bytes >= (1ull << 20)) return format("%.1f MiB", static_cast<double>(bytes) / (1ull << 20));
  return format("%" PRIu64 " B", bytes);
}

std::mt19937_64 make_rng() {
  std::random_device device;
  return std::mt19937_64((uint64_t{device()} << 32) ^ device());
}

void random_bytes(std::mt19937_64& rng, std::vector<uint8_t>& bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    const uint64_t word = rng();
    std::memcpy(&bytes[i], &word, 8);
  }
  for (; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
}

// First differing byte of two equal-sized ranges, as text ("" when equal).
std::string first_difference(const uint8_t* got, const uint8_t* want, size_t size, size_t base, const char* what) {
  const auto mismatch = std::mismatch(got, got + size, want);
  if (mismatch.first == got + size) return {};
  const size_t at = static_cast<size_t>(mismatch.first - got);
  return format("%s: byte %zu is 0x%02x, expected 0x%02x", what, base + at, *mismatch.first, *mismatch.second);
}

//===----------------------------------------------------------------------===//
// Self-test
//===----------------------------------------------------------------------===//

constexpr uint64_t kGuard = 64;

// Poisons [guard | region | guard], runs `op` on region, reads everything
// back and compares with `expected_region`, guards unchanged.
Status check_region(const Device& device, Stream& stream, const Buffer& buffer, uint64_t offset, uint64_t length,
                    std::mt19937_64& rng, const std::vector<uint8_t>& expected_region,
                    const std::function<Status(DevicePtr)>& op) {
  const uint64_t span = kGuard + offset + length + kGuard;
  if (span > buffer.size()) return internal_error("self-test buffer too small");
  std::vector<uint8_t> poison(span);
  random_bytes(rng, poison);
  // Where the result is known, make the poison differ from it, so an
  // unwritten byte can never pass for a written one.
  for (uint64_t i = 0; i < length; ++i) {
    uint8_t& p = poison[kGuard + offset + i];
    if (p == expected_region[i]) p = static_cast<uint8_t>(~p);
  }
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(buffer.address(), poison.data(), span));
  DEVBIN_RETURN_IF_ERROR(op(buffer.address() + kGuard + offset));
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  std::vector<uint8_t> got(span);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), buffer.address(), span));
  std::vector<uint8_t> want = poison;
  std::copy(expected_region.begin(), expected_region.end(), want.begin() + static_cast<ptrdiff_t>(kGuard + offset));
  if (std::string diff = first_difference(got.data(), want.data(), span, 0, "destination"); !diff.empty()) {
    return data_loss(
        diff + format(" (guard %" PRIu64 " bytes, offset %" PRIu64 ", length %" PRIu64 ")", kGuard, offset, length));
  }
  return Status::Ok();
}

Status self_test_fill(const Device& device, Stream& stream, std::mt19937_64& rng, uint32_t width, uint64_t offset,
                      uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(Buffer buffer, device.allocate(2 * kGuard + offset + length));
  std::vector<uint8_t> pattern(width);
  random_bytes(rng, pattern);
  std::vector<uint8_t> expected(length);
  for (uint64_t i = 0; i < length; ++i) expected[i] = pattern[i % width];
  return check_region(device, stream, buffer, offset, length, rng, expected,
                      [&](DevicePtr target) { return device.fill(stream, target, length, pattern); });
}

Status self_test_copy(const Device& device, Stream& stream, std::mt19937_64& rng, uint64_t source_offset,
                      uint64_t target_offset, uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(Buffer source, device.allocate(source_offset + length + 1));
  DEVBIN_ASSIGN_OR_RETURN(Buffer target, device.allocate(2 * kGuard + target_offset + length));
  std::vector<uint8_t> bytes(source_offset + length + 1);
  random_bytes(rng, bytes);
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(source.address(), bytes.data(), bytes.size()));
  std::vector<uint8_t> expected(bytes.begin() + static_cast<ptrdiff_t>(source_offset),
                                bytes.begin() + static_cast<ptrdiff_t>(source_offset + length));
  return check_region(device, stream, target, target_offset, length, rng, expected,
                      [&](DevicePtr to) { return device.copy(stream, to, source.address() + source_offset, length); });
}

Status self_test_timestamp(const Device& device, Stream& stream) {
  DEVBIN_ASSIGN_OR_RETURN(Buffer records, device.allocate(2 * sizeof(devbin_timestamp_record_t)));
  DEVBIN_RETURN_IF_ERROR(device.memset_d8(records.address(), 0, records.size()));
  DEVBIN_ASSIGN_OR_RETURN(cuda::ClockCalibration calibration, device.calibrate_clock(stream, 8));
  const uint64_t before = cuda::host_monotonic_ns();
  DEVBIN_RETURN_IF_ERROR(device.timestamp(stream, records.address()));
  DEVBIN_RETURN_IF_ERROR(device.timestamp(stream, records.address() + sizeof(devbin_timestamp_record_t)));
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  const uint64_t after = cuda::host_monotonic_ns();
  devbin_timestamp_record_t got[2];
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got, records.address(), sizeof(got)));
  if (got[0].steady == 0 || got[1].steady < got[0].steady) {
    return data_loss(format("timestamps %" PRIu64 " then %" PRIu64 ": expected non-zero and non-decreasing",
                            got[0].steady, got[1].steady));
  }
  if (got[0].cycles == 0) return data_loss("timestamp: the cycle counter reads 0; expected %clock64");
  // The calibrated reading must land inside the host window, give or take
  // the calibration's own uncertainty and the clock's 1 us granularity.
  const uint64_t slack = calibration.uncertainty_ns + 2000;
  const uint64_t host = calibration.to_host_ns(got[0].steady);
  if (host + slack < before || host > after + slack) {
    return data_loss(format("calibrated device time %" PRIu64 " ns lies outside the host window [%" PRIu64 ", %" PRIu64
                            "] ns (uncertainty %" PRIu64 " ns)",
                            host, before, after, calibration.uncertainty_ns));
  }
  return Status::Ok();
}

devbin_aql_kernel_dispatch_packet_t reserved_packet(std::mt19937_64& rng) {
  devbin_aql_kernel_dispatch_packet_t packet{};
  std::vector<uint8_t> bytes(sizeof(packet));
  random_bytes(rng, bytes);
  std::memcpy(&packet, bytes.data(), sizeof(packet));
  packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID << DEVBIN_AQL_HEADER_TYPE_SHIFT;
  return packet;
}

Status self_test_dispatch(const Device& device, Stream& stream, std::mt19937_64& rng, const uint32_t counts[3],
                          uint32_t expected_status) {
  DEVBIN_ASSIGN_OR_RETURN(Buffer memory, device.allocate(256));
  const DevicePtr packet_address = memory.address();  // cuMemAlloc is 256-byte aligned
  const DevicePtr counts_address = memory.address() + 64;
  const DevicePtr status_address = memory.address() + 128;
  const devbin_aql_kernel_dispatch_packet_t before = reserved_packet(rng);
  const uint32_t status_poison = 0xdeadbeef;
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(packet_address, &before, sizeof(before)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(counts_address, counts, 3 * sizeof(uint32_t)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(status_address, &status_poison, sizeof(status_poison)));

  devbin_dispatch_args_t args{};
  args.workgroup_counts = counts_address;
  args.packet = packet_address;
  args.status = status_address;
  const uint32_t sizes[3] = {256, 2, 1};
  const uint32_t limits[3] = {1u << 20, 1u << 16, 1u << 16};
  std::memcpy(args.workgroup_size, sizes, sizeof(sizes));
  std::memcpy(args.max_workgroup_count, limits, sizeof(limits));
  args.header = (DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH << DEVBIN_AQL_HEADER_TYPE_SHIFT) |
                (1u << DEVBIN_AQL_HEADER_BARRIER_SHIFT) |
                (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT) |
                (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT);
  args.setup = 3;
  DEVBIN_RETURN_IF_ERROR(device.dispatch_patch(stream, args));
  DEVBIN_RETURN_IF_ERROR(stream.synchronize());
  devbin_aql_kernel_dispatch_packet_t after{};
  uint32_t status = 0;
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(&after, packet_address, sizeof(after)));
  DEVBIN_RETURN_IF_ERROR(device.copy_to_host(&status, status_address, sizeof(status)));
  if (status != expected_status) {
    return data_loss(format("dispatch_patch status %u, expected %u", status, expected_status));
  }
  if (after.completion_signal != before.completion_signal) {
    return data_loss("dispatch_patch changed the completion signal");
  }
  const uint32_t type = (after.header >> DEVBIN_AQL_HEADER_TYPE_SHIFT) & 0xff;
  if (expected_status == DEVBIN_DISPATCH_STATUS_OK) {
    if (after.header != args.header || after.setup != args.setup) {
      return data_loss(format("dispatch_patch header/setup 0x%04x/%u, expected 0x%04x/%u", after.header, after.setup,
                              args.header, args.setup));
    }
    const uint32_t grid[3] = {after.grid_size_x, after.grid_size_y, after.grid_size_z};
    const uint32_t group[3] = {after.workgroup_size_x, after.workgroup_size_y, after.workgroup_size_z};
    for (int i = 0; i < 3; ++i) {
      if (grid[i] != counts[i] * sizes[i] || group[i] != sizes[i]) {
        return data_loss(format("dispatch_patch dimension %d: grid %u workgroup %u, expected %u and %u", i, grid[i],
                                group[i], counts[i] * sizes[i], sizes[i]));
      }
    }
    if (after.kernel_object != before.kernel_object || after.kernarg_address != before.kernarg_address) {
      return data_loss("dispatch_patch changed the kernel object or kernarg address");
    }
  } else if (type != DEVBIN_AQL_PACKET_TYPE_BARRIER_AND) {
    return data_loss(format("dispatch_patch: expected a BARRIER_AND no-op packet, found type %u", type));
  }
  return Status::Ok();
}

std::vector<SelfTestCheck> run_checks(const Device& device) {
  std::vector<SelfTestCheck> checks;
  auto stream_or = device.create_stream();
  if (!stream_or.ok()) return {{"create a stream", stream_or.status()}};
  Stream& stream = *stream_or.value();
  std::mt19937_64 rng = make_rng();

  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    const uint64_t offset = 3 * width;
    const uint64_t length = (uint64_t{1} << 20) + 5 * width;
    checks.push_back({format("fill %u-byte pattern, offset %" PRIu64 ", %" PRIu64 " bytes", width, offset, length),
                      self_test_fill(device, stream, rng, width, offset, length)});
  }
  struct CopyCase {
    uint64_t source_offset, target_offset, length;
  };
  for (const CopyCase& c : {CopyCase{0, 0, (1u << 20) + 16}, CopyCase{1, 3, (1u << 20) + 5}, CopyCase{3, 1, 4099},
                            CopyCase{16, 0, 65}, CopyCase{7, 7, 1}, CopyCase{5, 9, 0}}) {
    checks.push_back({format("copy source+%" PRIu64 " to target+%" PRIu64 ", %" PRIu64 " bytes", c.source_offset,
                             c.target_offset, c.length),
                      self_test_copy(device, stream, rng, c.source_offset, c.target_offset, c.length)});
  }
  checks.push_back({"timestamp and clock calibration", self_test_timestamp(device, stream)});
  const uint32_t valid[3] = {7, 3, 1};
  const uint32_t empty[3] = {7, 0, 1};
  const uint32_t over[3] = {(1u << 20) + 1, 1, 1};
  checks.push_back(
      {"dispatch_patch valid counts", self_test_dispatch(device, stream, rng, valid, DEVBIN_DISPATCH_STATUS_OK)});
  checks.push_back(
      {"dispatch_patch zero count", self_test_dispatch(device, stream, rng, empty, DEVBIN_DISPATCH_STATUS_EMPTY)});
  checks.push_back({"dispatch_patch count over the limit",
                    self_test_dispatch(device, stream, rng, over, DEVBIN_DISPATCH_STATUS_OVER_LIMIT)});
  return checks;
}

std::string selection_text(const DeviceReport& report) {
  return report.selection.entry + " (" + std::string(selection_kind_name(report.selection.kind)) +
         (report.selection.jit ? ", PTX JIT" : "") + "): " + report.selection.reason;
}

// A device's report, and the device when it opened.
struct Opened {
  DeviceReport report;
  std::unique_ptr<Device> device;
};

// Opens every device the driver shows; an error when there is no usable driver or device.
Result<std::vector<Opened>> open_all() {
  DEVBIN_ASSIGN_OR_RETURN(int count, cuda::device_count());
  std::vector<Opened> all;
  for (int i = 0; i < count; ++i) {
    Opened opened;
    auto device = Device::open(i, {}, &opened.report);
    if (device.ok()) opened.device = std::move(device).value();
    all.push_back(std::move(opened));
  }
  return all;
}

std::string properties_text(const cuda::DeviceProperties& p) {
  return format("%u SMs, %s", p.multiprocessor_count, gib(p.total_memory_bytes).c_str());
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

std::vector<SelfTestCheck> self_test_device(const Device& device) { return run_checks(device); }

int run_devices_report(std::ostream& out, bool json) {
  auto driver = cuda::driver_info();
  Result<std::vector<Opened>> all = driver.ok() ? open_all() : Result<std::vector<Opened>>(driver.status());
  if (!all.ok()) {
    if (json) {
      out << "{\"backend\":\"cuda\",\"available\":false,\"driver\":"
          << (driver.ok() ? json_string(driver->version_string()) : std::string("null"))
          << ",\"reason\":" << json_string(all.status().message()) << ",\"devices\":[]}\n";
    } else {
      out << "CUDA: no usable GPU: " << all.status().message() << "\n";
    }
    return kExitOk;
  }
  bool failed = false;
  std::vector<std::string> device_json;
  for (Opened& opened : all.value()) {
    const DeviceReport& report = opened.report;
    std::vector<SelfTestCheck> checks;
    if (opened.device) checks = run_checks(*opened.device);
    size_t check_failures = 0;
    const SelfTestCheck* first_failure = nullptr;
    for (const SelfTestCheck& check : checks) {
      if (!check.status.ok()) {
        ++check_failures;
        if (first_failure == nullptr) first_failure = &check;
      }
    }
    failed = failed || !report.status.ok() || check_failures != 0;
    if (json) {
      std::string object = device_report_json(report);
      object.pop_back();
      object += ",\"self_test\":";
      if (!opened.device) {
        object += "null";
      } else {
        object += format("{\"checks\":%zu,\"failed\":%zu", checks.size(), check_failures);
        object += ",\"first_failure\":" +
                  (first_failure ? json_string(first_failure->name + ": " + first_failure->status.message())
                                 : std::string("null")) +
                  "}";
      }
      device_json.push_back(object + "}");
      continue;
    }
    out << "GPU " << report.index << " (cuda): " << (report.name.empty() ? "unknown" : report.name);
    if (!report.target.empty()) out << ", " << report.target;
    if (opened.device) out << ", " << properties_text(opened.device->properties());
    out << "\n";
    if (report.selected) out << "  entry:     " << selection_text(report) << "\n";
    if (!report.status.ok()) {
      out << "  error:     " << report.status.message() << "\n";
      continue;
    }
    out << "  load:      " << format("%.3f ms", report.load_time_ms()) << " (select + validate + load)\n";
    if (check_failures == 0) {
      out << "  self-test: passed (" << checks.size() << " checks: fill, copy, timestamp, dispatch_patch)\n";
    } else {
      out << "  self-test: FAILED " << check_failures << " of " << checks.size() << "; first: " << first_failure->name
          << ": " << first_failure->status.message() << "\n";
    }
  }
  if (json) {
    out << "{\"backend\":\"cuda\",\"available\":true,\"driver\":" << json_string(driver->version_string())
        << ",\"reason\":null,\"devices\":[";
    for (size_t i = 0; i < device_json.size(); ++i) out << (i ? "," : "") << device_json[i];
    out << "]}\n";
  }
  return failed ? kExitFailure : kExitOk;
}

int run_selftest(std::ostream& out, bool json) {
  auto all = open_all();
  if (!all.ok()) {
    if (json) {
      out << "{\"backend\":\"cuda\",\"available\":false,\"reason\":" << json_string(all.status().message())
          << ",\"devices\":[]}\n";
    } else {
      out << "selftest: no usable GPU: " << all.status().message() << "\n";
    }
    return kExitNoDevice;
  }
  bool failed = false;
  if (json) out << "{\"backend\":\"cuda\",\"available\":true,\"devices\":[";
  bool first_device = true;
  for (Opened& opened : all.value()) {
    const DeviceReport& report = opened.report;
    std::vector<SelfTestCheck> checks;
    if (opened.device) checks = run_checks(*opened.device);
    if (json) {
      std::string object = device_report_json(report);
      object.pop_back();
      object += ",\"checks\":[";
      for (size_t i = 0; i < checks.size(); ++i) {
        object += std::string(i ? "," : "") + "{\"name\":" + json_string(checks[i].name) +
                  ",\"ok\":" + (checks[i].status.ok() ? "true" : "false") +
                  ",\"error\":" + (checks[i].status.ok() ? "null" : json_string(checks[i].status.message())) + "}";
      }
      out << (first_device ? "" : ",") << object << "]}";
      first_device = false;
    } else {
      out << "GPU " << report.index << " (cuda): " << report.name << ", " << report.target << "\n";
      if (report.selected) out << "  entry: " << selection_text(report) << "\n";
      if (!report.status.ok()) out << "  FAILED to load: " << report.status.message() << "\n";
      for (const SelfTestCheck& check : checks) {
        out << "  " << (check.status.ok() ? "ok     " : "FAILED ") << check.name;
        if (!check.status.ok()) out << ": " << check.status.message();
        out << "\n";
      }
    }
    failed = failed || !report.status.ok();
    for (const SelfTestCheck& check : checks) failed = failed || !check.status.ok();
  }
  if (json) {
    out << "]}\n";
  } else {
    out << (failed ? "selftest: FAILED\n" : "selftest: passed\n");
  }
  return failed ? kExitFailure : kExitOk;
}

//===----------------------------------------------------------------------===//
// Bench
//===----------------------------------------------------------------------===//

namespace {

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
    for (size_t v = 0; v < variants.size(); ++v) {
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
                    gbps(size, ms[1]) + " (cuMemsetD32Async)", ms[1] / ms[0], ">= 0.98", ms[1] / ms[0] >= 0.98});
  }

  // Copy, aligned and src+1 -> dst+3, against cuMemcpyDtoDAsync on the same offsets.
  struct CopyCase {
    uint64_t source_offset, target_offset;
    double target_ratio;
  };
  for (const CopyCase& c : {CopyCase{0, 0, 0.98}, CopyCase{1, 3, 1.25}}) {
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

  // Small operations: cost per operation in a stream of 1000, on the GPU's
  // clock (events) and on the host's (time to enqueue), which tells a
  // launch-rate limit from a GPU-side one.
  {
    const int ops = 1000;
    const std::vector<uint8_t> pattern = {1, 2, 3, 4};
    auto repeat = [&](const std::function<Status()>& op) {
      return [op, ops]() -> Status {
        for (int i = 0; i < ops; ++i) DEVBIN_RETURN_IF_ERROR(op());
        return Status::Ok();
      };
    };
    std::vector<double> host_ms;
    DEVBIN_ASSIGN_OR_RETURN(
        auto ms,
        time_interleaved(device, stream,
                         {repeat([&] { return device.fill(stream, target.address(), 64, pattern); }),
                          repeat([&] { return device.driver_memset_d32(stream, target.address(), 0x04030201, 16); }),
                          repeat([&] { return device.timestamp(stream, target.address()); }),
                          repeat([&] { return device.copy(stream, target.address(), source.address(), 64); }),
                          repeat([&] { return device.driver_copy(stream, target.address(), source.address(), 64); })},
                         2, 11, &host_ms));
    auto us = [&](size_t i) { return ms[i] * 1000 / ops; };
    auto host_us = [&](size_t i) { return host_ms[i] * 1000 / ops; };
    rows.push_back({"fill 64 B, per op in a stream of 1000", format("%.2f us (enqueue %.2f us)", us(0), host_us(0)),
                    format("%.2f us (enqueue %.2f us; cuMemsetD32Async)", us(1), host_us(1)), us(0) / us(1), "<= 1.5x",
                    us(0) / us(1) <= 1.5});
    BenchRow copy_row{"copy 64 B, per op in a stream of 1000",
                      format("%.2f us (enqueue %.2f us)", us(3), host_us(3)),
                      format("%.2f us (enqueue %.2f us; cuMemcpyDtoDAsync)", us(4), host_us(4)),
                      us(3) / us(4),
                      "(information)",
                      true};
    rows.push_back(copy_row);
    BenchRow timestamp_row{"timestamp, per op in a stream of 1000",
                           format("%.2f us (enqueue %.2f us)", us(2), host_us(2)),
                           "-",
                           0,
                           "(information)",
                           true};
    timestamp_row.has_ratio = false;
    rows.push_back(timestamp_row);
  }

  // select + validate + load + resolve of the entry this device gets without an override.
  {
    cuda::OpenOptions options;
    options.read_environment = false;
    std::vector<double> load_ms, first_ms, second_ms;
    std::string entry;
    const std::vector<uint8_t> pattern4 = {1, 2, 3, 4};
    // A freshly loaded module's first launch of a kernel also uploads that
    // kernel's code (the driver loads lazily): what the load leaves for later.
    auto timed_fill = [&](const Device& on) -> Result<double> {
      const auto before = std::chrono::steady_clock::now();
      DEVBIN_RETURN_IF_ERROR(on.fill(stream, target.address(), 64, pattern4));
      DEVBIN_RETURN_IF_ERROR(stream.synchronize());
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
    BenchRow first_row{"64 B fill + synchronize after that load: first, second (medians of 51)",
                       format("%.4f ms, %.4f ms", median(first_ms), median(second_ms)),
                       "-",
                       0,
                       "(information)",
                       true};
    first_row.has_ratio = false;
    rows.push_back(first_row);
    options.override_entry = "nvptx64-nvidia-cuda--compute_75.ptx";
    std::vector<double> jit_ms;
    for (int i = 0; i < 3; ++i) {
      auto jit = Device::open(p.ordinal, options);
      if (!jit.ok()) break;
      jit_ms.push_back(jit.value()->report().load_time_ms());
    }
    if (!jit_ms.empty()) {
      BenchRow row{"load compute_75 PTX (JIT; first, then median of 3)",
                   format("%.2f ms, %.2f ms", jit_ms[0], median(jit_ms)),
                   "-",
                   0,
                   "(information)",
                   true};
      row.has_ratio = false;
      rows.push_back(row);
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

int run_bench(std::ostream& out, uint64_t size_bytes) {
  size_bytes &= ~uint64_t{15};
  if (size_bytes < 4096) {
    out << "bench: size " << size_bytes << " is too small; expected at least 4096 bytes\n";
    return kExitUsage;
  }
  auto all = open_all();
  if (!all.ok()) {
    out << "bench: no usable GPU: " << all.status().message() << "\n";
    return kExitNoDevice;
  }
  bool failed = false;
  for (Opened& opened : all.value()) {
    const DeviceReport& report = opened.report;
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    out << "GPU " << report.index << " (cuda): " << report.name << ", " << report.target;
    if (!opened.device) {
      out << "\n  FAILED to load: " << report.status.message() << "\n";
      failed = true;
      continue;
    }
    out << ", " << properties_text(opened.device->properties()) << "; driver CUDA "
        << opened.device->driver().version_string() << "; " << date << "\n  entry: " << selection_text(report) << "\n";
    if (Status status = bench_device(out, *opened.device, size_bytes); !status.ok()) {
      out << "bench: FAILED on GPU " << report.index << ": " << status.message() << "\n";
      failed = true;
    }
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace devbin::cli
