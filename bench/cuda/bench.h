// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What every row of the CUDA bench runs on: one device and a stream of its
// own, two buffers of `size` bytes (and slack) holding a random block
// repeated, the driver's own calls to compare with, the rows so far and the
// first wrong result. A row is one function over a Bench (rows.h); each
// times devbin's operation against the driver's in the same run, then runs
// devbin's once more and checks its bytes.
#ifndef DEVBIN_BENCH_CUDA_BENCH_H_
#define DEVBIN_BENCH_CUDA_BENCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "bench/cuda/driver_calls.h"
#include "bench/cuda/report.h"
#include "devbin/cuda.h"

namespace devbin::bench {

class Bench {
 public:
  // Buffers of `size` bytes (a multiple of 16, at least 4096) on `device`.
  static Result<std::unique_ptr<Bench>> make(cuda::Device& device, uint64_t size);

  cuda::Device& device;
  cuda::Stream& stream;
  const DriverCalls driver;
  const cuda::Buffer source;
  const cuda::Buffer target;
  const uint64_t size;
  static constexpr uint64_t kSlack = 4096;  // past `size` in both buffers: room for offsets
  const std::vector<uint8_t> block;         // what source and target repeat (never zeros:
                                            // they can run faster and hide unwritten bytes)
  std::mt19937_64 rng;
  std::vector<BenchRow> rows;

  // Whether a result still needs checking: false after the first wrong one.
  bool checking() const { return correctness_.ok(); }
  // Keeps the first wrong result.
  void check(Status result) {
    if (correctness_.ok()) correctness_ = std::move(result);
  }
  const Status& correctness() const { return correctness_; }

  // Poisons the target's `size` + slack bytes with 0xa5 (synchronously).
  Status poison_target() const;
  // Compares three 1 MiB windows (start, middle, end) of `length` bytes at
  // `at` with `expected(i)`; `what` names the result in the message.
  Status check_windows(DevicePtr at, uint64_t length, const std::function<uint8_t(uint64_t)>& expected,
                       const char* what) const;
  // check_windows over the first, middle and last rows of a rect target,
  // each with the gap after it (`pitch` bytes); `expected(row, i)` is byte i of that span.
  Status check_rect_rows(DevicePtr base, uint64_t pitch, uint64_t height,
                         const std::function<uint8_t(uint64_t, uint64_t)>& expected, const char* what) const;

 private:
  Bench(cuda::Device& device, std::unique_ptr<cuda::Stream> stream, DriverCalls driver, cuda::Buffer source,
        cuda::Buffer target, uint64_t size, std::vector<uint8_t> block, std::mt19937_64 rng);
  std::unique_ptr<cuda::Stream> own_stream_;
  Status correctness_;
};

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_BENCH_H_
