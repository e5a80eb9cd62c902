// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend against the driver's own calls, on every GPU: a plain
// main() printing a table (GPU times come from CUDA events, not from Google
// Benchmark's host clock). Its default run is `devbin bench` (the bench
// library, bench/cuda/); this binary exists so the bench builds and runs
// without the CLI, and for the tuning runs below.
//
//   cuda_bench [SIZE_BYTES]                 the bench (default 1 GiB)
//   cuda_bench --selftest                   `devbin selftest`, for machines
//       where only this binary is built
//   cuda_bench --launch-floor               what one small operation costs: our
//       fill against raw cuLaunchKernel calls of the same kernel (kernelParams,
//       a packed argument buffer, a non-blocking stream) and cuMemsetD32Async
//   cuda_bench --vendor-ops SIZE            one of each large operation, the
//       driver's and ours, for a profiler (ncu) to look at
//   cuda_bench --variants DIR --edges       no timing: copies whose source ends
//       exactly at the end of its allocation, every offset pair, for each
//       variant (run it under compute-sanitizer to see reads past the source)
//   cuda_bench --variants DIR [SIZE_BYTES]  tuning: every DIR/*.cubin, or DIR itself when it is a .cubin (device
//       library builds with other compile-time knobs, e.g. -DDEVBIN_COPY_SHIFT_
//       STRATEGY=...) loaded in place of the embedded entry on GPU 0, and its
//       fill and copy timed against the driver in the same run.
//
// Exit codes as `devbin bench`: 0 ran (misses are marked in the table),
// 1 a wrong result or a failed call, 2 usage, 3 no usable GPU or driver.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "bench/cuda/driver_calls.h"
#include "bench/cuda/timing.h"
#include "devbin/cuda.h"
#include "devbin/select.h"
#include "devbin/toc.h"
#include "devbin_internal/cuda_api.h"
#include "gpu_commands.h"

namespace {

using devbin::Result;
using devbin::Status;
using devbin::bench::DriverCalls;
using devbin::bench::median;
using devbin::cuda::Device;
using devbin::cuda::Stream;

// Checks `length` bytes at `target` equal the bytes at `source` (sampled:
// the first, a middle and the last MiB).
Status check_copy(const Device& device, uint64_t target, uint64_t source, uint64_t length) {
  const uint64_t window = std::min<uint64_t>(length, uint64_t{1} << 20);
  for (uint64_t at : {uint64_t{0}, (length - window) / 2, length - window}) {
    std::vector<uint8_t> got(window), want(window);
    DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), target + at, window));
    DEVBIN_RETURN_IF_ERROR(device.copy_to_host(want.data(), source + at, window));
    if (got != want) return devbin::data_loss("copy result differs near byte " + std::to_string(at));
  }
  return Status::Ok();
}

// Copies from sources that end exactly where their allocation ends, so any
// read past the source is outside the allocation (compute-sanitizer reports it).
Status copy_edges(const Device& device, Stream& stream) {
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (uint64_t length : {uint64_t{33}, uint64_t{4099}}) {
    for (uint64_t source_offset = 0; source_offset < 16; ++source_offset) {
      for (uint64_t target_offset = 0; target_offset < 16; ++target_offset) {
        DEVBIN_ASSIGN_OR_RETURN(auto source, device.allocate(source_offset + length));
        DEVBIN_ASSIGN_OR_RETURN(auto target, device.allocate(target_offset + length));
        std::vector<uint8_t> bytes(source_offset + length);
        for (auto& b : bytes) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          b = static_cast<uint8_t>(x);
        }
        DEVBIN_RETURN_IF_ERROR(device.copy_to_device(source.address(), bytes.data(), bytes.size()));
        DEVBIN_RETURN_IF_ERROR(
            device.copy(stream, target.address() + target_offset, source.address() + source_offset, length));
        DEVBIN_RETURN_IF_ERROR(stream.synchronize());
        std::vector<uint8_t> got(length);
        DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), target.address() + target_offset, length));
        if (!std::equal(got.begin(), got.end(), bytes.begin() + static_cast<ptrdiff_t>(source_offset))) {
          return devbin::data_loss("edge copy source+" + std::to_string(source_offset) + " target+" +
                                   std::to_string(target_offset) + " length " + std::to_string(length) + " is wrong");
        }
      }
    }
  }
  return Status::Ok();
}

int run_variants(const std::filesystem::path& dir, uint64_t size, bool edges) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (dir.extension() == ".cubin") {
    files.push_back(dir);  // one variant
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      if (entry.path().extension() == ".cubin") files.push_back(entry.path());
    }
  }
  if (error || files.empty()) {
    std::cerr << "cuda_bench: no .cubin files in " << dir << (error ? ": " + error.message() : "") << "\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  auto properties = devbin::cuda::query_device(0);
  if (!properties.ok()) {
    std::cout << "cuda_bench: no usable GPU: " << properties.status().message() << "\n";
    return 3;
  }
  if (edges) size = 4096;  // no timing: small buffers, fast under compute-sanitizer
  // The reference device (embedded library) owns the buffers and the stream.
  auto base = Device::open(0);
  if (!base.ok()) {
    std::cout << "cuda_bench: " << base.status().message() << "\n";
    return 1;
  }
  const Device& reference = **base;
  auto stream_or = reference.create_stream();
  auto source_or = reference.allocate(size + 4096);
  auto target_or = reference.allocate(size + 4096);
  if (!stream_or.ok() || !source_or.ok() || !target_or.ok()) {
    std::cout << "cuda_bench: cannot allocate 2 x " << size << " bytes\n";
    return 1;
  }
  Stream& stream = **stream_or;
  const uint64_t source = source_or->address();
  const uint64_t target = target_or->address();
  {
    std::vector<uint8_t> noise(uint64_t{16} << 20);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (auto& b : noise) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    for (uint64_t at = 0; at < size + 4096; at += noise.size()) {
      if (!reference.copy_to_device(source + at, noise.data(), std::min<uint64_t>(noise.size(), size + 4096 - at))
               .ok()) {
        return 1;
      }
    }
  }
  // The driver's times on the same buffers, the reference of every ratio.
  std::vector<double> driver_ms(3, 1.0);
  const auto gbps = [](uint64_t bytes, double ms) { return static_cast<double>(bytes) / (ms * 1e6); };
  if (edges) {
    std::printf("Edge copies (sources ending at their allocation's end) on %s\n", properties->name.c_str());
  } else {
    auto driver = DriverCalls::open(reference);
    if (!driver.ok()) {
      std::cout << "cuda_bench: " << driver.status().message() << "\n";
      return 1;
    }
    auto timed = devbin::bench::time_interleaved(reference, stream,
                                                 {[&] { return driver->memset_d32(stream, target, 0x5a5a5a5a, size / 4); },
                                                  [&] { return driver->copy(stream, target, source, size); },
                                                  [&] { return driver->copy(stream, target + 3, source + 1, size); }},
                                                 2, 11);
    if (!timed.ok()) return 1;
    driver_ms = *timed;
    std::printf(
        "Variants on %s (%s), %llu bytes; GB/s count bytes read + written; (ratio to the driver)\n\n"
        "| variant | shape fill / copy | fill 16-byte | copy aligned | copy src+1 -> dst+3 |\n"
        "|---|---|---|---|---|\n"
        "| driver (cuMemsetD32Async, cuMemcpyDtoDAsync) | - | %.0f | %.0f | %.0f |\n",
        properties->name.c_str(), properties->target().to_string().c_str(), static_cast<unsigned long long>(size),
        gbps(size, driver_ms[0]), gbps(2 * size, driver_ms[1]), gbps(2 * size, driver_ms[2]));
  }

  const std::string entry_name = "nvptx64-nvidia-cuda--" + properties->target().to_string() + ".cubin";
  int status = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    devbin::TocEntry entry;
    (void)devbin::parse_toc_entry_name(entry_name, &entry);
    entry.data = bytes.data();
    entry.size = bytes.size();
    const devbin::Toc toc{std::span<const devbin::TocEntry>(&entry, 1)};
    devbin::cuda::OpenOptions options;
    options.toc = &toc;
    options.read_environment = false;
    auto variant = Device::open(0, options);
    // "-tNNN" / "-bNNN" in the name (digits after the dash): copy launches
    // with NNN threads per workgroup / NNN blocks per multiprocessor, "-b0"
    // a covering grid (bench/build_variants.py).
    const std::string stem = file.stem().string();
    auto number_after = [&stem](const char* tag) -> std::optional<uint32_t> {
      for (size_t t = stem.find(tag); t != std::string::npos; t = stem.find(tag, t + 1)) {
        if (t + 2 < stem.size() && std::isdigit(static_cast<unsigned char>(stem[t + 2]))) {
          return static_cast<uint32_t>(std::strtoul(stem.c_str() + t + 2, nullptr, 10));
        }
      }
      return std::nullopt;
    };
    const std::optional<uint32_t> threads = number_after("-t");
    const std::optional<uint32_t> blocks = number_after("-b");
    if (variant.ok() && (threads.has_value() || blocks.has_value())) {
      Status shaped = (*variant)->set_launch_shape(devbin::cuda::Kernel::devbin_copy, threads.value_or(0), blocks);
      if (!shaped.ok()) variant = shaped;
    }
    if (!variant.ok()) {
      std::printf("| %s | failed to load: %s | | | |\n", file.stem().c_str(), variant.status().message().c_str());
      status = 1;
      continue;
    }
    const Device& device = **variant;
    if (edges) {
      Status checked = copy_edges(device, stream);
      std::printf("%s: edge copies %s\n", file.stem().c_str(), checked.ok() ? "right" : checked.message().c_str());
      if (!checked.ok()) status = 1;
      continue;
    }
    const std::vector<uint8_t> pattern(16, 0xa5);
    auto ms = devbin::bench::time_interleaved(device, stream,
                                              {[&] { return device.fill(stream, target, size, pattern); },
                                               [&] { return device.copy(stream, target, source, size); },
                                               [&] { return device.copy(stream, target + 3, source + 1, size); }},
                                              2, 11);
    Status checked = ms.ok() ? check_copy(device, target + 3, source + 1, size) : ms.status();
    if (checked.ok()) checked = device.copy(stream, target, source, size);
    if (checked.ok()) checked = stream.synchronize();
    if (checked.ok()) checked = check_copy(device, target, source, size);
    if (checked.ok()) checked = copy_edges(device, stream);
    if (!checked.ok()) {
      std::printf("| %s | %s | | | |\n", file.stem().c_str(), checked.message().c_str());
      status = 1;
      continue;
    }
    const auto& fill = device.launch_limits(devbin::cuda::Kernel::devbin_fill);
    const auto& copy = device.launch_limits(devbin::cuda::Kernel::devbin_copy);
    const auto& d = driver_ms;
    std::printf("| %s | %ux%u / %ux%u | %.0f (%.3f) | %.0f (%.3f) | %.0f (%.3f) |\n", file.stem().c_str(),
                fill.threads_per_block, fill.blocks_per_multiprocessor, copy.threads_per_block,
                copy.blocks_per_multiprocessor, gbps(size, (*ms)[0]), d[0] / (*ms)[0], gbps(2 * size, (*ms)[1]),
                d[1] / (*ms)[1], gbps(2 * size, (*ms)[2]), d[2] / (*ms)[2]);
  }
  return status;
}

// Cost per small operation in a stream of 1000: device time (events) and
// host time to enqueue, our path against raw driver calls on the same kernel.
int run_launch_floor() {
  auto opened = Device::open(0);
  if (!opened.ok()) {
    std::cout << "cuda_bench: " << opened.status().message() << "\n";
    return opened.status().code() == devbin::StatusCode::kUnavailable ? 3 : 1;
  }
  const Device& device = **opened;
  auto api_or = devbin::cuda::api::load();
  if (!api_or.ok()) return 1;
  const auto& api = *api_or.value();
  namespace drv = devbin::cuda::api;
  auto stream_or = device.create_stream();
  auto buffer_or = device.allocate(4096);
  if (!stream_or.ok() || !buffer_or.ok()) return 1;
  Stream& stream = **stream_or;
  drv::CUstream raw_stream = static_cast<drv::CUstream>(stream.native_handle());
  drv::CUstream non_blocking = nullptr;
  if (api.cuCtxSetCurrent(static_cast<drv::CUcontext>(device.native_context())) != 0 ||
      api.cuStreamCreate(&non_blocking, drv::CU_STREAM_NON_BLOCKING) != 0) {
    return 1;
  }
  const uint64_t target = buffer_or->address();
  const std::vector<uint8_t> pattern = {1, 2, 3, 4};
  auto args_or = devbin::make_fill_args(target, 64, pattern);
  if (!args_or.ok()) return 1;
  devbin_fill_args_t args = *args_or;
  devbin_timestamp_args_t stamp{target};
  auto fill = static_cast<drv::CUfunction>(device.native_function(devbin::cuda::Kernel::devbin_fill));
  auto timestamp = static_cast<drv::CUfunction>(device.native_function(devbin::cuda::Kernel::devbin_timestamp));
  const auto shape = devbin::cuda::launch_shape(device.launch_limits(devbin::cuda::Kernel::devbin_fill), 6);
  void* params[] = {&args};
  void* stamp_params[] = {&stamp};
  size_t args_size = sizeof(args);
  void* extra[] = {reinterpret_cast<void*>(1), &args, reinterpret_cast<void*>(2), &args_size, nullptr};
  auto raw = [&](drv::CUfunction f, void** p, void** e, drv::CUstream s) {
    return api.cuLaunchKernel(f, shape.blocks, 1, 1, shape.threads_per_block, 1, 1, 0, s, p, e) == 0
               ? Status::Ok()
               : devbin::internal_error("cuLaunchKernel failed");
  };
  struct Case {
    const char* name;
    std::function<Status()> op;
    drv::CUstream stream;
  };
  // A kernel that does nothing: what any launch costs here, whatever its code.
  static const char kEmptyPtx[] =
      ".version 6.3\n.target sm_75\n.address_size 64\n.visible .entry devbin_bench_empty()\n{\n  ret;\n}\n";
  drv::CUmodule empty_module = nullptr;
  drv::CUfunction empty = nullptr;
  if (api.cuModuleLoadDataEx(&empty_module, kEmptyPtx, 0, nullptr, nullptr) != 0 ||
      api.cuModuleGetFunction(&empty, empty_module, "devbin_bench_empty") != 0) {
    std::printf("cuda_bench: cannot load the empty kernel's PTX\n");
    return 1;
  }
  const Case cases[] = {
      {"cuLaunchKernel(empty kernel, no arguments), 1 block of 32",
       [&] {
         return api.cuLaunchKernel(empty, 1, 1, 1, 32, 1, 1, 0, raw_stream, nullptr, nullptr) == 0
                    ? Status::Ok()
                    : devbin::internal_error("cuLaunchKernel(empty) failed");
       },
       raw_stream},
      {"Device::fill 64 B (devbin's path)", [&] { return device.fill(stream, target, 64, pattern); }, raw_stream},
      {"cuLaunchKernel(devbin_fill), kernelParams", [&] { return raw(fill, params, nullptr, raw_stream); }, raw_stream},
      {"cuLaunchKernel(devbin_fill), packed argument buffer", [&] { return raw(fill, nullptr, extra, raw_stream); },
       raw_stream},
      {"cuLaunchKernel(devbin_fill), non-blocking stream", [&] { return raw(fill, params, nullptr, non_blocking); },
       non_blocking},
      {"cuLaunchKernel(devbin_timestamp), 8-byte argument",
       [&] { return raw(timestamp, stamp_params, nullptr, raw_stream); }, raw_stream},
      {"cuMemsetD32Async 64 B",
       [&] {
         return api.cuMemsetD32Async(target, 0x04030201, 16, raw_stream) == 0 ? Status::Ok()
                                                                              : devbin::internal_error("memset failed");
       },
       raw_stream},
      {"cuMemsetD32Async 64 B, non-blocking stream",
       [&] {
         return api.cuMemsetD32Async(target, 0x04030201, 16, non_blocking) == 0
                    ? Status::Ok()
                    : devbin::internal_error("memset failed");
       },
       non_blocking},
  };
  drv::CUevent start = nullptr, end = nullptr;
  if (api.cuEventCreate(&start, 0) != 0 || api.cuEventCreate(&end, 0) != 0) return 1;
  std::printf(
      "\nSmall operations on %s: per op in a stream of 1000, medians of 11 (us)\n\n"
      "| operation | device | host enqueue |\n|---|---|---|\n",
      device.properties().name.c_str());
  for (const Case& c : cases) {
    std::vector<double> device_us, host_us;
    for (int rep = -2; rep < 11; ++rep) {
      if (api.cuEventRecord(start, c.stream) != 0) return 1;
      const auto before = std::chrono::steady_clock::now();
      for (int i = 0; i < 1000; ++i) {
        if (!c.op().ok()) return 1;
      }
      const auto after = std::chrono::steady_clock::now();
      float ms = 0;
      if (api.cuEventRecord(end, c.stream) != 0 || api.cuEventSynchronize(end) != 0 ||
          api.cuEventElapsedTime(&ms, start, end) != 0) {
        return 1;
      }
      if (rep >= 0) {
        device_us.push_back(ms);  // ms per 1000 ops = us per op
        host_us.push_back(std::chrono::duration<double, std::milli>(after - before).count());
      }
    }
    std::printf("| %s | %.2f | %.2f |\n", c.name, median(device_us), median(host_us));
  }
  // Where the exact cubin's load time goes: select + validate alone, on the host.
  std::vector<double> host_ms;
  const devbin::Toc& toc = devbin::embedded_toc();
  devbin::Target sm;
  sm.vendor = devbin::Vendor::kNvidia;
  sm.nvidia = device.properties().target();
  for (int i = 0; i < 51; ++i) {
    const auto before = std::chrono::steady_clock::now();
    auto selection = devbin::select(sm, toc);
    if (!selection.ok() || !devbin::inspect_and_validate(*selection->entry).ok()) return 1;
    host_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before).count());
  }
  std::printf(
      "\nselect + inspect_and_validate of %s alone: %.4f ms (median of 51); Device::open's load time "
      "adds cuModuleLoadDataEx and 4 cuModuleGetFunction\n",
      device.report().selection.entry.c_str(), median(host_ms));
  // The driver's part: cuModuleLoadDataEx of the same bytes, with and without
  // the JIT error-log options, and resolving the four kernels.
  const devbin::TocEntry* entry = toc.find(device.report().selection.entry);
  if (entry != nullptr && entry->name.ends_with(".cubin")) {
    char log[4096];
    int options[] = {drv::CU_JIT_ERROR_LOG_BUFFER, drv::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void* values[] = {log, reinterpret_cast<void*>(uintptr_t{sizeof(log) - 1})};
    std::vector<double> with_options, without_options, functions;
    for (int i = 0; i < 21; ++i) {
      for (int with = 0; with < 2; ++with) {
        drv::CUmodule module = nullptr;
        const auto before = std::chrono::steady_clock::now();
        if (api.cuModuleLoadDataEx(&module, entry->data, with ? 2 : 0, with ? options : nullptr,
                                   with ? values : nullptr) != 0) {
          return 1;
        }
        const auto loaded = std::chrono::steady_clock::now();
        for (size_t k = 0; k < devbin::cuda::kKernelCount; ++k) {
          drv::CUfunction f = nullptr;
          const std::string name(devbin::cuda::kernel_name(static_cast<devbin::cuda::Kernel>(k)));
          if (api.cuModuleGetFunction(&f, module, name.c_str()) != 0) return 1;
        }
        const auto resolved = std::chrono::steady_clock::now();
        api.cuModuleUnload(module);
        (with ? with_options : without_options)
            .push_back(std::chrono::duration<double, std::milli>(loaded - before).count());
        functions.push_back(std::chrono::duration<double, std::milli>(resolved - loaded).count());
      }
    }
    std::printf(
        "cuModuleLoadDataEx of it: %.4f ms with the JIT error-log options, %.4f ms without; "
        "4 x cuModuleGetFunction: %.4f ms (medians of 21)\n",
        median(with_options), median(without_options), median(functions));
  }
  api.cuEventDestroy_v2(start);
  api.cuEventDestroy_v2(end);
  api.cuStreamDestroy_v2(non_blocking);
  return 0;
}

// One of each large operation, for ncu: the driver's copies (aligned, then
// src+1 -> dst+3) and memset, then ours.
int run_vendor_ops(uint64_t size) {
  auto opened = Device::open(0);
  if (!opened.ok()) return 3;
  const Device& device = **opened;
  auto driver = DriverCalls::open(device);
  if (!driver.ok()) return 1;
  auto stream_or = device.create_stream();
  auto source = device.allocate(size + 64);
  auto target = device.allocate(size + 64);
  if (!stream_or.ok() || !source.ok() || !target.ok()) return 1;
  Stream& stream = **stream_or;
  const uint64_t s = source->address(), t = target->address();
  const std::vector<uint8_t> pattern(16, 0x3c);
  Status status = device.memset_d8(s, 0x5a, size + 64);
  for (const auto& op : std::vector<std::function<Status()>>{
           [&] { return driver->copy(stream, t, s, size); },
           [&] { return driver->copy(stream, t + 3, s + 1, size); },
           [&] { return driver->memset_d32(stream, t, 0x01020304, size / 4); },
           [&] { return device.copy(stream, t, s, size); }, [&] { return device.copy(stream, t + 3, s + 1, size); },
           [&] { return device.fill(stream, t, size, pattern); }}) {
    if (status.ok()) status = op();
  }
  if (status.ok()) status = stream.synchronize();
  if (!status.ok()) std::cout << status.to_string() << "\n";
  return status.ok() ? 0 : 1;
}

bool parse_size(const char* text, uint64_t* size) {
  char* end = nullptr;
  *size = std::strtoull(text, &end, 0);
  return end != text && *end == '\0' && *size >= 4096;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  uint64_t size = uint64_t{1} << 30;
  if (args.size() == 1 && args[0] == "--selftest") return devbin::cli::run_selftest(std::cout, false);
  if (args.size() == 1 && args[0] == "--launch-floor") return run_launch_floor();
  if (args.size() == 2 && args[0] == "--vendor-ops" && parse_size(args[1].c_str(), &size)) {
    return run_vendor_ops(size & ~uint64_t{15});
  }
  if (!args.empty() && args[0] == "--variants") {
    const bool edges = args.size() == 3 && args[2] == "--edges";
    if (args.size() < 2 || args.size() > 3 || (args.size() == 3 && !edges && !parse_size(args[2].c_str(), &size))) {
      std::cerr << "usage: cuda_bench --variants DIR [SIZE_BYTES >= 4096 | --edges]\n";
      return 2;
    }
    return run_variants(args[1], size & ~uint64_t{15}, edges);
  }
  if (args.size() > 1 || (args.size() == 1 && !parse_size(args[0].c_str(), &size))) {
    std::cerr << "usage: cuda_bench [SIZE_BYTES >= 4096] | cuda_bench --variants DIR [SIZE_BYTES]\n";
    return 2;
  }
  return devbin::cli::run_bench(std::cout, size);
}
