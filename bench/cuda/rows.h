// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The rows of the CUDA bench, one function each: it times devbin's operation
// against the driver's own call in one interleaved run, appends its row (or
// rows, where one run gives several figures) to bench.rows, and checks the
// bytes devbin's operation wrote (bench.check). The order device_bench.cc
// calls them in is the table's.
#ifndef DEVBIN_BENCH_CUDA_ROWS_H_
#define DEVBIN_BENCH_CUDA_ROWS_H_

#include <cstdint>

#include "bench/cuda/bench.h"

namespace devbin::bench {

// bandwidth_rows.cc: operations over the whole buffer (working sets past the L2).
// A fill of `pattern_width` bytes against cuMemsetD32Async over the same bytes.
Status fill_row(Bench& bench, uint32_t pattern_width);
// A copy from source+`source_offset` to target+`target_offset` against
// cuMemcpyDtoDAsync on the same offsets, held to `target_ratio`.
Status copy_row(Bench& bench, uint64_t source_offset, uint64_t target_offset, double target_ratio);
// copy_rect of 4097-byte rows from pitch 4099 to 4101, against devbin's 1D
// copy of the same bytes and cuMemcpy2DAsync (two rows).
Status copy_rect_rows(Bench& bench);
// fill_rect of 4096-byte rows at pitch 4352 with a `pattern_width` pattern,
// against the driver's 2D memset of that width (8 and 16: the 32-bit one).
Status fill_rect_row(Bench& bench, uint32_t pattern_width);
// 64 copies of size/64 bytes as one batch against one devbin copy of all of them.
Status batch_of_parts_row(Bench& bench);

// small_op_rows.cc: per op in a stream of back-to-back small operations.
// 64 B fills of every pattern width, a timestamp and a 64 B copy, against
// cuMemsetD32Async and cuMemcpyDtoDAsync.
Status small_operation_rows(Bench& bench);
// An update of `bytes` to target+`offset` against cuMemcpyHtoDAsync from
// pinned memory (held to <= 1.0x when `held_to_target`).
Status update_row(Bench& bench, uint64_t bytes, uint64_t offset, bool held_to_target);
// Both paths of a `bytes` fill of a 4-byte pattern: cuMemsetD32Async and the kernel.
Status fill_crossover_row(Bench& bench, uint64_t bytes);
// Both paths of a `bytes` update: the staged copy and the kernel.
Status update_crossover_row(Bench& bench, uint64_t bytes);
// What an update's vendor path adds on the host: its capture check.
Status capture_check_row(Bench& bench);

// batch_rows.cc: 1000 64-byte fills and copies as one batch, end to end, and
// its parts, against 1000 driver calls and cuMemcpyBatchAsync of its copies.
Status small_batch_rows(Bench& bench);

// load_rows.cc: select + validate + load of this device's entry, the first
// launches after it, and a PTX JIT load.
Status load_rows(Bench& bench);

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_ROWS_H_
