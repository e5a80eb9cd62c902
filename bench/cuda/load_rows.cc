// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's load rows (rows.h): select + validate + load + resolve of the
// entry this device gets without an override, what the first launches after
// it cost, and a PTX JIT load.
#include <chrono>
#include <memory>
#include <vector>

#include "bench/cuda/rows.h"
#include "bench/cuda/timing.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

using util::format;

Status load_rows(Bench& bench) {
  const int ordinal = bench.device.properties().ordinal;
  cuda::OpenOptions options;
  options.read_environment = false;
  std::vector<double> load_ms, first_ms, second_ms;
  std::string entry;
  const std::vector<uint8_t> pattern4 = {1, 2, 3, 4};
  // A freshly loaded module's first launch of a kernel also uploads that
  // kernel's code (the driver loads lazily): what the load leaves for later.
  // On the bench's stream, wrapped by the device just opened (the same
  // primary context): a stream is one device's queue.
  auto timed_fill = [&](const cuda::Device& on) -> Result<double> {
    DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::Stream> wrapped, on.wrap_stream(bench.stream.native_handle()));
    const auto before = std::chrono::steady_clock::now();
    DEVBIN_RETURN_IF_ERROR(on.fill(*wrapped, bench.target.address(), 64, pattern4));
    DEVBIN_RETURN_IF_ERROR(wrapped->synchronize());
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before).count();
  };
  for (int i = 0; i < 51; ++i) {
    DEVBIN_ASSIGN_OR_RETURN(auto again, cuda::Device::open(ordinal, options));
    load_ms.push_back(again->report().load_time_ms());
    entry = again->report().selection.entry;
    DEVBIN_ASSIGN_OR_RETURN(double first, timed_fill(*again));
    DEVBIN_ASSIGN_OR_RETURN(double second, timed_fill(*again));
    first_ms.push_back(first);
    second_ms.push_back(second);
  }
  const double ms = median(load_ms);
  BenchRow load = target_row("select+validate+load " + entry + " (median of 51)", format("%.4f ms", ms), "-", ms,
                             "<= 0.1 ms", ms <= 0.1);
  load.has_ratio = false;  // the target is a time, not a ratio
  bench.rows.push_back(load);
  bench.rows.push_back(information_row("64 B fill + synchronize after that load: first, second (medians of 51)",
                                       format("%.4f ms, %.4f ms", median(first_ms), median(second_ms)), "-"));
  options.override_entry = "nvptx64-nvidia-cuda--compute_75.ptx";
  std::vector<double> jit_ms;
  for (int i = 0; i < 3; ++i) {
    auto jit = cuda::Device::open(ordinal, options);
    if (!jit.ok()) break;
    jit_ms.push_back(jit.value()->report().load_time_ms());
  }
  if (!jit_ms.empty()) {
    bench.rows.push_back(information_row("load compute_75 PTX (JIT; first, then median of 3)",
                                         format("%.2f ms, %.2f ms", jit_ms[0], median(jit_ms)), "-"));
  }
  return Status::Ok();
}

}  // namespace devbin::bench
