// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// `devbin bench` (gpu_commands.h): the bench library (bench/cuda/) over each
// selected CUDA device.
#include <ctime>

#include "bench/cuda/device_bench.h"
#include "commands.h"
#include "devbin/cuda.h"
#include "gpu_commands.h"

namespace devbin::cli {

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
    cuda::Device& device = *opened.value()->as_cuda();
    out << ", " << opened.value()->summary() << "; driver CUDA " << device.driver().version_string() << "; " << date
        << "\n  entry: " << selection_text(report) << "\n";
    if (Status status = bench::run_device_bench(out, device, size_bytes); !status.ok()) {
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
