// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// batch: devbin_batch, many fills and copies from a table in one launch.
// The table is device memory other work may have written: every operation
// is checked before a byte of it moves (device/abi.h), the loop over chunks
// ends at chunk_count, which must be where the table's last operation ends,
// and a skipped operation costs one trip, not one per chunk it claims.
#include "blit.h"

typedef const DEVBIN_GLOBAL devbin_batch_op_t devbin_global_batch_op;

// The last operation whose first_chunk is at most `chunk` (the first when
// none is): the one covering `chunk` when first_chunk never decreases along
// the table. Operations of no chunks (length 0) share the next one's
// first_chunk and are passed over. Every index it reads is below `count`.
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

// Whether `length` bytes take exactly `chunks` chunks of `chunk_bytes`
// (ceil(length / chunk_bytes) == chunks), by multiplication: no 64-bit
// division (a long sequence on AMDGPU). chunks < 2^40 and chunk_bytes <=
// 2^24, so no product wraps.
DEVBIN_INLINE bool devbin_batch_chunks_fit(uint64_t length, uint64_t chunks, uint32_t chunk_bytes) {
  if (chunks >= DEVBIN_BATCH_MAX_CHUNK_INDEX) return false;
  if (length == 0) return chunks == 0;
  const uint64_t bytes = chunks * chunk_bytes;
  return chunks != 0 && bytes - chunk_bytes < length && length <= bytes;
}

// Whether operation `index` is numbered right against the next one's
// first_chunk (the launch's chunk_count for the last): its chunks end where
// the next begins. A first_chunk past the end wraps the difference, which
// then fails the 2^40 limit.
DEVBIN_INLINE bool devbin_batch_numbered(devbin_global_batch_op* ops, const devbin_batch_args_t* args,
                                         uint32_t index) {
  const uint64_t end = index + 1 < args->op_count ? ops[index + 1].first_chunk : args->chunk_count;
  return devbin_batch_chunks_fit(ops[index].length, end - ops[index].first_chunk, args->chunk_bytes);
}

// This workgroup's first chunk at or past `end`: chunk + k * groups for the
// least such k, by shift-and-subtract (no 64-bit division on AMDGPU: only a
// skipped operation takes this path). UINT64_MAX when that passes 2^64.
DEVBIN_INLINE uint64_t devbin_batch_stride_past(uint64_t chunk, uint64_t end, uint32_t groups) {
  if (chunk >= end) return chunk;
  const uint64_t distance = end - chunk;
  // steps * groups < distance + groups: no product wraps below this.
  if (distance > UINT64_MAX - groups) return UINT64_MAX;
  uint64_t steps = 0;
  uint64_t remainder = 0;
  for (int bit = 63; bit >= 0; --bit) {
    remainder = (remainder << 1) | ((uint32_t)(distance >> bit) & 1);
    if (remainder >= groups) {
      remainder -= groups;
      steps |= (uint64_t)1 << bit;
    }
  }
  steps += remainder != 0;
  const uint64_t next = chunk + steps * (uint64_t)groups;
  return next < chunk ? UINT64_MAX : next;
}

DEVBIN_INLINE void devbin_batch_report(uint64_t status, uint32_t code) {
  if (status != 0) *(DEVBIN_GLOBAL devbin_u32*)(uintptr_t)status = code;
}

// DEVBIN_KERNEL_STATUS_OK when the operation may run, else why not. Its
// numbering is checked by the caller.
DEVBIN_INLINE uint32_t devbin_batch_check_op(devbin_global_batch_op* op, uint32_t chunk_bytes) {
  if (op->chunk_bytes != chunk_bytes) return DEVBIN_KERNEL_STATUS_CHUNK_BYTES;
  const uint64_t target = op->target;
  const uint64_t length = op->length;
  if (target == 0 || target + length < target) return DEVBIN_KERNEL_STATUS_ADDRESS;
  if (op->kind == DEVBIN_BATCH_FILL) {
    return devbin_fill_is_valid(target, length, op->pattern_width) ? DEVBIN_KERNEL_STATUS_OK
                                                                    : DEVBIN_KERNEL_STATUS_FILL;
  }
  if (op->kind != DEVBIN_BATCH_COPY) return DEVBIN_KERNEL_STATUS_KIND;
  const uint64_t source = op->source;
  if (source == 0 || source + length < source) return DEVBIN_KERNEL_STATUS_ADDRESS;
  if (target < source + length && source < target + length) return DEVBIN_KERNEL_STATUS_OVERLAP;
  return DEVBIN_KERNEL_STATUS_OK;
}

DEVBIN_KERNEL void devbin_batch(devbin_batch_args_t args) {
  const uint32_t chunk_bytes = args.chunk_bytes;
  const uint32_t count = args.op_count;
  if (count == 0) return;
  // Every workgroup decides the same from the arguments and the last
  // operation, so either all of them run or none stores a byte.
  if (chunk_bytes == 0 || chunk_bytes % 16 != 0 || chunk_bytes > DEVBIN_BATCH_MAX_CHUNK_BYTES || args.ops == 0 ||
      args.ops % 8 != 0 || args.ops + (uint64_t)count * sizeof(devbin_batch_op_t) < args.ops ||
      args.status % 4 != 0) {
    devbin_batch_report(args.status % 4 == 0 ? args.status : 0, DEVBIN_KERNEL_STATUS_ARGS);
    return;
  }
  devbin_global_batch_op* const ops = (devbin_global_batch_op*)(uintptr_t)args.ops;
  if (!devbin_batch_numbered(ops, &args, count - 1)) {
    devbin_batch_report(args.status, DEVBIN_KERNEL_STATUS_CHUNK_COUNT);
    return;
  }
  // The whole table's numbering, an operation per work-item: an operation
  // no chunk lands on is checked too, so a table whose chunks could not
  // all run never leaves the status OK.
  const uint64_t items = devbin_grid_size();
  for (uint64_t index = devbin_global_id(); index < count; index += items) {
    if (index == 0 ? ops[0].first_chunk != 0 : !devbin_batch_numbered(ops, &args, (uint32_t)index - 1)) {
      devbin_batch_report(args.status, DEVBIN_KERNEL_STATUS_NUMBERING);
    }
  }
  const uint64_t groups = devbin_workgroup_count();
  const uint32_t members = devbin_workgroup_members();
  const uint32_t member = devbin_workitem_id();
  // The chunk, and so the operation, is the same for every work-item of the
  // workgroup: no wavefront diverges on it. A skipped operation is passed
  // over in one step, so the loop's trips are bounded by the chunks that
  // move bytes plus the operations, not by what a bad table claims.
  uint64_t chunk = devbin_workgroup_id();
  while (chunk < args.chunk_count) {
    const uint32_t index = devbin_batch_find(ops, count, chunk);
    devbin_global_batch_op* const op = &ops[index];
    const uint64_t first_chunk = op->first_chunk;
    // The search leaves chunk below the next operation's first_chunk (or
    // chunk_count): with the operation numbered right against both
    // neighbours, chunk is one of its own and its offset is inside it.
    bool numbered = chunk >= first_chunk && (index != 0 || first_chunk == 0);
    for (uint32_t neighbour = index == 0 ? 0 : index - 1; numbered && neighbour <= index; ++neighbour) {
      numbered = devbin_batch_numbered(ops, &args, neighbour);
    }
    const uint32_t problem = numbered ? devbin_batch_check_op(op, chunk_bytes) : DEVBIN_KERNEL_STATUS_NUMBERING;
    if (problem != DEVBIN_KERNEL_STATUS_OK) {
      devbin_batch_report(args.status, problem);
      // Every chunk from here to the next operation's first lands on this one.
      const uint64_t end = chunk < first_chunk ? first_chunk
                           : index + 1 < count ? ops[index + 1].first_chunk
                                               : args.chunk_count;
      chunk = devbin_batch_stride_past(chunk, end, (uint32_t)groups);
      continue;
    }
    const uint64_t length = op->length;
    const uint64_t offset = (chunk - first_chunk) * chunk_bytes;
    const uint64_t bytes = length - offset < chunk_bytes ? length - offset : chunk_bytes;
    const uint64_t target = op->target;
    // Chunk offsets are multiples of 16, so of every width: each chunk of a
    // valid fill is a valid fill.
    if (op->kind == DEVBIN_BATCH_FILL) {
      const uint32_t width = op->pattern_width;
      const uint32_t pattern[4] = {op->pattern[0], op->pattern[1], op->pattern[2], op->pattern[3]};
      devbin_fill_range(target + offset, bytes, width, devbin_fill_pattern(pattern, width), member, members, false);
    } else {
      devbin_copy_range(target + offset, op->source + offset, bytes, member, members, DEVBIN_COPY_LINE_BYTES);
    }
    if (chunk > UINT64_MAX - groups) break;
    chunk += groups;
  }
}
