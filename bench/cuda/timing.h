// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// How the bench times GPU work: CUDA events around each variant on one
// stream, medians of repeated runs, the variants interleaved rep by rep.
#ifndef DEVBIN_BENCH_CUDA_TIMING_H_
#define DEVBIN_BENCH_CUDA_TIMING_H_

#include <functional>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/status.h"

namespace devbin::bench {

using Variant = std::function<Status()>;

// The median; 0 for no values.
double median(std::vector<double> values);

// Device time of each variant in milliseconds (the median of `reps` runs,
// after `warmup` untimed ones), interleaved rep by rep so clock and thermal
// drift hit all variants alike: forward on even reps, backward on odd ones,
// so no variant always runs first after the host and the GPU settled on the
// one before it. `host_ms`, when given, gets the median host time each
// variant took to enqueue its work.
Result<std::vector<double>> time_interleaved(const cuda::Device& device, cuda::Stream& stream,
                                             const std::vector<Variant>& variants, int warmup, int reps,
                                             std::vector<double>* host_ms = nullptr);

// `op` `ops` times in a row, stopping at the first error.
Variant repeat(int ops, Variant op);

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_TIMING_H_
