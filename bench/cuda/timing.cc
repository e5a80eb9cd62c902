// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "bench/cuda/timing.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace devbin::bench {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Result<std::vector<double>> time_interleaved(const cuda::Device& device, cuda::Stream& stream,
                                             const std::vector<Variant>& variants, int warmup, int reps,
                                             std::vector<double>* host_ms) {
  DEVBIN_ASSIGN_OR_RETURN(auto start, device.create_event());
  DEVBIN_ASSIGN_OR_RETURN(auto end, device.create_event());
  std::vector<std::vector<double>> samples(variants.size());
  std::vector<std::vector<double>> host_samples(variants.size());
  for (int rep = -warmup; rep < reps; ++rep) {
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

Variant repeat(int ops, Variant op) {
  return [op = std::move(op), ops]() -> Status {
    for (int i = 0; i < ops; ++i) DEVBIN_RETURN_IF_ERROR(op());
    return Status::Ok();
  };
}

}  // namespace devbin::bench
