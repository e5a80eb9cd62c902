// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// update: devbin_update stores host bytes that travel in its argument
// (device/abi.h): one loop, a work-item per target word.
#include "abi.h"
#include "target/target.h"

// Word w of the aligned target covers payload bytes 4w .. 4w + 3; the update
// owns those in [shift, shift + length). A whole word is one 32-bit store, a
// partial one (the first or last) stores its owned bytes one by one.
DEVBIN_KERNEL void devbin_update(devbin_update_args_t args) {
  const uint32_t shift = args.shift;
  if (args.length > DEVBIN_UPDATE_BYTES || shift != (args.target & 3)) return;
  const uint32_t end = shift + args.length;
  const uint32_t words = (end + 3) / 4;
  DEVBIN_GLOBAL devbin_u32* const base = (DEVBIN_GLOBAL devbin_u32*)(uintptr_t)(args.target - shift);
  const uint64_t items = devbin_grid_size();
  for (uint64_t w = devbin_global_id(); w < words; w += items) {
    const uint32_t first = (uint32_t)w * 4;
    const uint32_t word = args.payload[w];
    if (first >= shift && first + 4 <= end) {
      base[w] = word;
    } else {
      DEVBIN_GLOBAL devbin_u8* const bytes = (DEVBIN_GLOBAL devbin_u8*)(base + w);
      for (uint32_t k = 0; k < 4; ++k) {
        if (first + k >= shift && first + k < end) bytes[k] = (uint8_t)(word >> (8 * k));
      }
    }
  }
}
