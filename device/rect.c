// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// rect: devbin_copy_rect and devbin_fill_rect, 2D and 3D regions cut into
// row chunks (device/abi.h), each chunk moved by one workgroup with the
// range helpers of blit.h.
#include "blit.h"

// The line a rect copy's body starts on. devbin_copy_range copies the head
// before it byte by byte; with devbin_copy's 512-byte line a row of 4097
// bytes at an odd target pitch has a head of 256 bytes on average: 256
// single-byte loads and stores, as many as the 240 16-byte words of the
// rest of the row. A 1D copy pays that once; a rect copy once per row. The
// rect copy takes the smallest line that still gives whole, aligned 16-byte
// body stores (a head of 7.5 bytes on average); the range helper takes the
// line as an argument, so no second copy of it exists.
#ifndef DEVBIN_RECT_COPY_LINE_BYTES
#define DEVBIN_RECT_COPY_LINE_BYTES 16
#endif
_Static_assert((DEVBIN_RECT_COPY_LINE_BYTES & (DEVBIN_RECT_COPY_LINE_BYTES - 1)) == 0 &&
                   DEVBIN_RECT_COPY_LINE_BYTES >= 16,
               "DEVBIN_RECT_COPY_LINE_BYTES: a power of two, at least 16");

// The launch's chunk count, or 0 when the extent is empty or the chunk
// fields break device/abi.h's rules (then nothing is stored: ARGS). chunks_per_row
// is checked against ceil(width / chunk_bytes) without a division; every
// product is of 32-bit factors, or checked before it could wrap.
// Each rule is a flag and the result one select, without a branch: the
// checks run once per work-item before the chunk loop, and a chain of early
// exits there is a chain of branches every workgroup waits through.
DEVBIN_INLINE uint32_t devbin_rect_chunk_count(devbin_rect_extent_t extent, uint32_t chunks_per_row,
                                               uint32_t chunk_bytes) {
  const uint64_t covered = (uint64_t)chunks_per_row * chunk_bytes;
  const uint64_t per_slice = (uint64_t)chunks_per_row * extent.height;
  const uint64_t chunks = per_slice * extent.depth;  // wraps only where per_slice is refused
  bool pass = (extent.width != 0) & (extent.height != 0) & (extent.depth != 0);
  pass &= (chunk_bytes != 0) & (chunk_bytes % 16 == 0) & (chunk_bytes <= DEVBIN_BATCH_MAX_CHUNK_BYTES);
  // (chunks_per_row - 1) * chunk_bytes < width, as covered - chunk_bytes.
  pass &= (chunks_per_row != 0) & (covered >= extent.width) & (covered - chunk_bytes < extent.width);
  pass &= (per_slice <= DEVBIN_RECT_MAX_CHUNKS) & (chunks <= DEVBIN_RECT_MAX_CHUNKS);
  return pass ? (uint32_t)chunks : 0;
}

// Chunk `chunk` of a launch: the offset of its row from a region's base,
// the offset of its piece in the row, and its bytes. Chunk numbers are
// below 2^32, so the divisions are 32-bit.
typedef struct devbin_rect_chunk_t {
  uint32_t slice;
  uint32_t row;
  uint64_t offset;  // in the row
  uint64_t bytes;
} devbin_rect_chunk_t;

DEVBIN_INLINE devbin_rect_chunk_t devbin_rect_chunk(uint32_t chunk, devbin_rect_extent_t extent,
                                                    uint32_t chunks_per_row, uint32_t chunk_bytes) {
  const uint32_t row_index = chunk / chunks_per_row;
  const uint32_t piece = chunk - row_index * chunks_per_row;
  devbin_rect_chunk_t out;
  out.slice = row_index / extent.height;
  out.row = row_index - out.slice * extent.height;
  out.offset = (uint64_t)piece * chunk_bytes;
  const uint64_t left = extent.width - out.offset;  // > 0: piece < ceil(width / chunk_bytes)
  out.bytes = left < chunk_bytes ? left : chunk_bytes;
  return out;
}

DEVBIN_INLINE uint64_t devbin_rect_address(devbin_rect_region_t region, devbin_rect_chunk_t chunk) {
  return region.base + chunk.slice * region.slice_pitch + chunk.row * region.row_pitch + chunk.offset;
}

DEVBIN_INLINE void devbin_rect_report(uint64_t status, uint32_t code) {
  if (status != 0 && status % 4 == 0 && devbin_workgroup_id() == 0) *(DEVBIN_GLOBAL devbin_u32*)(uintptr_t)status = code;
}

// Checks a region as the host's check_rect_region does and sets `span` to the
// bytes from its base to the end of its last row (rect_span): ADDRESS when
// the span overflows 64 bits, the base is null or base + span wraps the
// address space; with `written`, OVERLAP when its rows or slices overlap one
// another.
// count * pitch into `product`; true when it overflows 64 bits. Two 32 x 32
// -> 64-bit products instead of a 64 x 64 one with its overflow check.
DEVBIN_INLINE bool devbin_rect_mul_overflows(uint32_t count, uint64_t pitch, uint64_t* product) {
  const uint64_t high = (uint64_t)count * (uint32_t)(pitch >> 32);
  const uint64_t low = (uint64_t)count * (uint32_t)pitch;
  *product = low + (high << 32);
  return ((high >> 32) != 0) | (*product < low);
}

// Branch-free as devbin_rect_chunk_count; ADDRESS comes before OVERLAP. The
// extent is not empty (the kernels return before this on an empty one).
DEVBIN_INLINE uint32_t devbin_rect_check_region(devbin_rect_region_t region, devbin_rect_extent_t extent,
                                                bool written, uint64_t* span) {
  uint64_t rows = 0;
  uint64_t slices = 0;
  bool address = devbin_rect_mul_overflows(extent.height - 1, region.row_pitch, &rows);
  address |= devbin_rect_mul_overflows(extent.depth - 1, region.slice_pitch, &slices);
  // slice_bytes: one slice's bytes, (height - 1) * row_pitch + width.
  const uint64_t slice_bytes = rows + extent.width;
  *span = slices + slice_bytes;
  address |= (slice_bytes < rows) | (*span < slices) | (region.base == 0) | (region.base + *span < region.base);
  const bool overlap = written & (((extent.height > 1) & (region.row_pitch < extent.width)) |
                                  ((extent.depth > 1) & (region.slice_pitch < slice_bytes)));
  return address ? DEVBIN_KERNEL_STATUS_ADDRESS : overlap ? DEVBIN_KERNEL_STATUS_OVERLAP : DEVBIN_KERNEL_STATUS_OK;
}

DEVBIN_KERNEL void devbin_copy_rect(devbin_copy_rect_args_t args) {
  if (args.extent.width == 0 || args.extent.height == 0 || args.extent.depth == 0) return;
  const uint32_t chunks = devbin_rect_chunk_count(args.extent, args.chunks_per_row, args.chunk_bytes);
  uint64_t spans[2] = {0, 0};
  // Both regions (the target written, the source read), then the first
  // problem in that order.
  const uint32_t target = devbin_rect_check_region(args.target, args.extent, true, &spans[0]);
  const uint32_t source = devbin_rect_check_region(args.source, args.extent, false, &spans[1]);
  const bool overlap = (args.target.base < args.source.base + spans[1]) & (args.source.base < args.target.base + spans[0]);
  const uint32_t problem = chunks == 0                           ? DEVBIN_KERNEL_STATUS_ARGS
                           : target != DEVBIN_KERNEL_STATUS_OK ? target
                           : source != DEVBIN_KERNEL_STATUS_OK ? source
                           : overlap                           ? DEVBIN_KERNEL_STATUS_OVERLAP
                                                               : DEVBIN_KERNEL_STATUS_OK;
  if (problem != DEVBIN_KERNEL_STATUS_OK) {
    devbin_rect_report(args.status, problem);
    return;
  }
  const uint64_t groups = devbin_workgroup_count();
  const uint32_t members = devbin_workgroup_members();
  const uint32_t member = devbin_workitem_id();
  // The chunk is the same for every work-item of the workgroup: no
  // wavefront diverges on it.
  for (uint64_t chunk = devbin_workgroup_id(); chunk < chunks; chunk += groups) {
    const devbin_rect_chunk_t at = devbin_rect_chunk((uint32_t)chunk, args.extent, args.chunks_per_row, args.chunk_bytes);
    devbin_copy_range(devbin_rect_address(args.target, at), devbin_rect_address(args.source, at), at.bytes, member,
                      members, DEVBIN_RECT_COPY_LINE_BYTES);
  }
}

DEVBIN_KERNEL void devbin_fill_rect(devbin_fill_rect_args_t args) {
  if (args.extent.width == 0 || args.extent.height == 0 || args.extent.depth == 0) return;
  const uint32_t width = args.pattern_width;
  const uint32_t chunks = devbin_rect_chunk_count(args.extent, args.chunks_per_row, args.chunk_bytes);
  uint64_t span = 0;
  const uint32_t region = devbin_rect_check_region(args.target, args.extent, true, &span);
  // Every row start is a multiple of the pattern width, and so (chunk
  // offsets being multiples of 16) is every chunk's start and length.
  bool fill = devbin_fill_is_valid(args.target.base, args.extent.width, width);
  fill &= ((args.target.row_pitch | args.target.slice_pitch) & (width - 1)) == 0;
  const uint32_t problem = !fill        ? DEVBIN_KERNEL_STATUS_FILL
                           : chunks == 0 ? DEVBIN_KERNEL_STATUS_ARGS
                                         : region;
  if (problem != DEVBIN_KERNEL_STATUS_OK) {
    devbin_rect_report(args.status, problem);
    return;
  }
  const devbin_u32x4 pattern = devbin_fill_pattern(args.pattern, width);
  const uint64_t groups = devbin_workgroup_count();
  const uint32_t members = devbin_workgroup_members();
  const uint32_t member = devbin_workitem_id();
  for (uint64_t chunk = devbin_workgroup_id(); chunk < chunks; chunk += groups) {
    const devbin_rect_chunk_t at = devbin_rect_chunk((uint32_t)chunk, args.extent, args.chunks_per_row, args.chunk_bytes);
    devbin_fill_range(devbin_rect_address(args.target, at), at.bytes, width, pattern, member, members, false);
  }
}
