// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// batch: devbin_batch, many fills and copies from a table in one launch.
#include "blit.h"

typedef const DEVBIN_GLOBAL devbin_batch_op_t devbin_global_batch_op;

// The last operation whose first_chunk is at most `chunk` (the first when
// none is): the one covering `chunk` when first_chunk never decreases along
// the table. Operations of no chunks (length 0) share the next one's
// first_chunk and are passed over.
DEVBIN_INLINE uint32_t devbin_batch_find(devbin_global_batch_op* ops, uint32_t count, uint64_t chunk) {
  uint32_t low = 0;
  uint32_t high = count;
  while (high - low > 1) {
    const uint32_t middle = low + (high - low) / 2;
    if (ops[middle].first_chunk <= chunk) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return low;
}

DEVBIN_KERNEL void devbin_batch(devbin_batch_args_t args) {
  const uint32_t chunk_bytes = args.chunk_bytes;
  if (args.op_count == 0 || chunk_bytes == 0 || chunk_bytes % 16 != 0 || chunk_bytes > DEVBIN_BATCH_MAX_CHUNK_BYTES) {
    return;
  }
  devbin_global_batch_op* const ops = (devbin_global_batch_op*)(uintptr_t)args.ops;
  const uint64_t groups = devbin_workgroup_count();
  const uint32_t members = devbin_workgroup_members();
  const uint32_t member = devbin_workitem_id();
  // The chunk, and so the operation, is the same for every work-item of the
  // workgroup: no wavefront diverges on it.
  for (uint64_t chunk = devbin_workgroup_id(); chunk < args.chunk_count; chunk += groups) {
    devbin_global_batch_op* const op = &ops[devbin_batch_find(ops, args.op_count, chunk)];
    const uint64_t first_chunk = op->first_chunk;
    const uint64_t length = op->length;
    // A table whose first_chunk does not follow the rules leaves chunks that
    // no operation covers: they store nothing.
    if (chunk < first_chunk || chunk - first_chunk >= DEVBIN_BATCH_MAX_CHUNK_INDEX) continue;
    const uint64_t offset = (chunk - first_chunk) * chunk_bytes;
    if (offset >= length) continue;
    const uint64_t bytes = length - offset < chunk_bytes ? length - offset : chunk_bytes;
    const uint64_t target = op->target;
    // Chunk offsets are multiples of 16, so of every width: each chunk of a
    // valid fill is a valid fill.
    if (op->kind == DEVBIN_BATCH_FILL) {
      const uint32_t width = op->pattern_width;
      if (!devbin_fill_is_valid(target, length, width)) continue;
      const uint32_t pattern[4] = {op->pattern[0], op->pattern[1], op->pattern[2], op->pattern[3]};
      devbin_fill_range(target + offset, bytes, width, devbin_fill_pattern(pattern, width), member, members, false);
    } else if (op->kind == DEVBIN_BATCH_COPY) {
      devbin_copy_range(target + offset, op->source + offset, bytes, member, members, DEVBIN_COPY_LINE_BYTES);
    }
  }
}
