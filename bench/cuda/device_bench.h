// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA bench of one device (`devbin bench`, bench/cuda_bench): every row
// of rows.h against the driver's own calls, printed as a table with the
// ratios and the targets they are held to, then the vendor-path table the
// small operations chose by and a launch-shape sweep.
#ifndef DEVBIN_BENCH_CUDA_DEVICE_BENCH_H_
#define DEVBIN_BENCH_CUDA_DEVICE_BENCH_H_

#include <cstdint>
#include <ostream>

#include "devbin/cuda.h"

namespace devbin::bench {

// Buffers of `size` bytes (a multiple of 16, at least 4096). Misses are
// marked in the table, not failures; a wrong result or a failed call is an
// error (the table is printed first, naming the wrong result).
Status run_device_bench(std::ostream& out, cuda::Device& device, uint64_t size);

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_DEVICE_BENCH_H_
