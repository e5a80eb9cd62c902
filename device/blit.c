// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// blit: devbin_fill and devbin_copy, one source for every target.
//
// Both take a one-dimensional grid of any shape and loop over their work, so
// the host can launch a device-sized grid whatever the length (blit.h).
#include "blit.h"

DEVBIN_KERNEL void devbin_fill(devbin_fill_args_t args) {
  const uint32_t width = args.pattern_width;
  if (!devbin_fill_is_valid(args.target, args.length, width)) return;
  devbin_fill_range(args.target, args.length, width, devbin_fill_pattern(args.pattern, width), devbin_global_id(),
                    devbin_grid_size(), true);
}

DEVBIN_KERNEL void devbin_copy(devbin_copy_args_t args) {
  devbin_copy_range(args.target, args.source, args.length, devbin_global_id(), devbin_grid_size(),
                    DEVBIN_COPY_LINE_BYTES);
}
