// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// timestamp: devbin_timestamp writes the device clocks once, for profiling.
#include "abi.h"
#include "target/target.h"

DEVBIN_KERNEL void devbin_timestamp(devbin_timestamp_args_t args) {
  if (devbin_global_id() != 0) return;
  // Read back to back so the two clocks describe the same moment.
  const uint64_t steady = devbin_steady_clock();
  const uint64_t cycles = devbin_cycle_counter();
  DEVBIN_GLOBAL devbin_u64* const record = (DEVBIN_GLOBAL devbin_u64*)(uintptr_t)args.target;
  record[0] = steady;  // devbin_timestamp_record_t.steady
  record[1] = cycles;  // devbin_timestamp_record_t.cycles
}
