// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Argument checks of the builtin kernels, shared by every backend: what
// device/abi.h says the kernels accept, checked on the host so a bad request
// is an error at enqueue time, never a wrong store. Device addresses are
// plain uint64_t, as in device/abi.h.
#ifndef DEVBIN_KERNEL_ARGS_H_
#define DEVBIN_KERNEL_ARGS_H_

#include <cstdint>
#include <optional>
#include <span>

#include "devbin/status.h"
#include "device/abi.h"

namespace devbin {

// Fill arguments: width 1, 2, 4, 8 or 16; target and length multiples of it;
// the range must not wrap. The pattern's `width` bytes are replicated to 16.
Result<devbin_fill_args_t> make_fill_args(uint64_t target, uint64_t length, std::span<const uint8_t> pattern);
// Copy arguments: any offsets and length; ranges must not wrap or overlap.
Result<devbin_copy_args_t> make_copy_args(uint64_t target, uint64_t source, uint64_t length);
// Batch operations (device/abi.h devbin_batch_op_t): what make_fill_args and
// make_copy_args accept, as one table entry; first_chunk is left to
// batch_number.
Result<devbin_batch_op_t> make_batch_fill(uint64_t target, uint64_t length, std::span<const uint8_t> pattern);
Result<devbin_batch_op_t> make_batch_copy(uint64_t target, uint64_t source, uint64_t length);
// Checks every operation of a batch table as make_batch_fill/copy would
// (so a caller may fill the entries in directly: a fill reads only its
// pattern's first pattern_width bytes), numbers the chunks in table order
// (each op's first_chunk, a prefix sum of ceil(length / chunk_bytes);
// each op's chunk_bytes set to the chunk size, which the kernel checks
// against the launch's) and returns the launch's chunk count. Refuses, naming the operation: a chunk
// size that is not a non-zero multiple of 16 up to
// DEVBIN_BATCH_MAX_CHUNK_BYTES, an unknown kind, a fill or copy its own
// function refuses, more than UINT32_MAX operations, and an operation of
// DEVBIN_BATCH_MAX_CHUNK_INDEX chunks or more.
Result<uint64_t> batch_number(std::span<devbin_batch_op_t> ops, uint32_t chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES);
// Batch arguments: `ops` non-null, 8-byte aligned and the table not
// wrapping when there are operations; chunk_bytes as batch_number
// takes it; `status` 0 or a 4-byte aligned DEVBIN_KERNEL_STATUS_* word
// (device/abi.h: the caller zeroes it, the kernel reports what it skipped);
// chunk_count at most max_batch_chunk_count (the table itself is device
// memory, which the host does not read: the kernel checks that chunk_count
// is where the table's numbering ends and stores nothing otherwise).
Result<devbin_batch_args_t> make_batch_args(uint64_t ops, uint32_t op_count, uint64_t chunk_count,
                                            uint32_t chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES, uint64_t status = 0);
// The same for arguments a caller filled in (the C API's devbin_queue_batch):
// every field checked, the status word kept.
Result<devbin_batch_args_t> make_batch_args(const devbin_batch_args_t& requested);
// The most chunks a table of `op_count` operations can number: each takes
// under DEVBIN_BATCH_MAX_CHUNK_INDEX, and their disjoint targets hold at most
// 2^64 - 1 bytes (each op's last chunk may be partial).
uint64_t max_batch_chunk_count(uint32_t op_count, uint32_t chunk_bytes);
// Rectangular copy arguments (device/abi.h devbin_copy_rect_args_t): any
// alignment and pitches (the source's rows may overlap one another: a pitch
// of 0 repeats one row); refused, naming the field: a target whose rows
// overlap one another (row_pitch < width with height > 1, slice_pitch <
// (height - 1) * row_pitch + width with depth > 1), a null base, a span
// (rect_span) that overflows or wraps the address space, target and source
// bounding ranges that overlap, more than DEVBIN_RECT_MAX_CHUNKS chunks, and
// a chunk size batch's rule refuses, a status word that is not 4-byte
// aligned. An empty extent (any field 0) is accepted and moves nothing.
// `status`: 0 or the kernel's DEVBIN_KERNEL_STATUS_* word (device/abi.h),
// for a caller that launches the arguments itself.
Result<devbin_copy_rect_args_t> make_copy_rect_args(const devbin_rect_region_t& target,
                                                    const devbin_rect_region_t& source,
                                                    const devbin_rect_extent_t& extent,
                                                    uint32_t chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES,
                                                    uint64_t status = 0);
// Rectangular fill arguments: the pattern as make_fill_args takes it; base,
// row_pitch, slice_pitch and the extent's width multiples of the pattern
// width (every row then starts on one); otherwise as make_copy_rect_args.
Result<devbin_fill_rect_args_t> make_fill_rect_args(const devbin_rect_region_t& target,
                                                    const devbin_rect_extent_t& extent, std::span<const uint8_t> pattern,
                                                    uint32_t chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES,
                                                    uint64_t status = 0);
// The bytes from a region's base to the end of its last row:
// (depth - 1) * slice_pitch + (height - 1) * row_pitch + width (0 for an
// empty extent); nothing when that overflows 64 bits.
std::optional<uint64_t> rect_span(const devbin_rect_region_t& region, const devbin_rect_extent_t& extent);
// The chunks of checked arguments.
inline uint64_t rect_chunk_count(uint32_t chunks_per_row, const devbin_rect_extent_t& extent) {
  return static_cast<uint64_t>(chunks_per_row) * extent.height * extent.depth;
}
// The workgroups a rect launch takes (before the device's grid limit): as
// many as give each about `group_bytes` of the region. Rows narrower than a
// chunk are one chunk each, so a workgroup then loops over several of them
// (the kernels take chunks workgroup-stride); one workgroup per 4 KiB row
// leaves a 256-thread block one 16-byte store per thread, and block
// scheduling, not memory, sets the pace. The backends pass
// kRectCopyGroupBytes and kRectFillGroupBytes, the best of 16-128 KiB on an
// H100 (bench/RESULTS.md).
inline constexpr uint32_t kRectCopyGroupBytes = 16384;
inline constexpr uint32_t kRectFillGroupBytes = 32768;
inline uint64_t rect_workgroup_count(uint32_t chunks_per_row, uint32_t chunk_bytes, const devbin_rect_extent_t& extent,
                                     uint32_t group_bytes) {
  const uint64_t chunks = rect_chunk_count(chunks_per_row, extent);
  if (chunks_per_row != 1 || extent.width == 0 || extent.width >= chunk_bytes) return chunks;
  const uint64_t rows_per_group = extent.width >= group_bytes ? 1 : group_bytes / extent.width;
  return (chunks + rows_per_group - 1) / rows_per_group;
}
// The same for checked copy_rect or fill_rect arguments (0: nothing to do).
template <typename RectArgs>
uint64_t rect_workgroup_count(const RectArgs& args, uint32_t group_bytes) {
  return rect_workgroup_count(args.chunks_per_row, args.chunk_bytes, args.extent, group_bytes);
}
// Timestamp arguments: the record is non-null and 8-byte aligned.
Result<devbin_timestamp_args_t> make_timestamp_args(uint64_t record);
// The header and setup a patcher publishes: packet type KERNEL_DISPATCH,
// acquire and release fence scopes NONE, AGENT or SYSTEM (the barrier bit
// either way), reserved bits 13-15 zero; setup 1, 2 or 3 dimensions, its
// reserved bits zero. Any other header would be published as is: INVALID
// stalls the queue at that packet, another type runs something else.
Status check_dispatch_header(uint16_t header, uint16_t setup);
// Dispatch-patch arguments: the header and setup as check_dispatch_header
// takes them; packet 64-byte aligned, counts 4-byte aligned
// (both non-null), status 4-byte aligned (0: none), each workgroup size
// 1..65535 (the AQL packet's 16-bit fields); target_kernargs 0 (no hidden
// block counts) or with target_kernargs + hidden_block_count_offset 4-byte
// aligned and the 12 bytes of counts not wrapping.
Status check_dispatch_args(const devbin_dispatch_args_t& args);
// An inline update (Device::update): `data` non-null and 1 to
// DEVBIN_UPDATE_MAX_BYTES bytes, `target` non-null, the range not wrapping.
Status check_update(uint64_t target, std::span<const uint8_t> data);
// The arguments of one devbin_update launch: `data` (non-null, 1 to
// DEVBIN_UPDATE_BYTES bytes) copied into the payload, placed for
// target % 4 (device/abi.h). Device::update splits longer updates into
// launches of this.
Result<devbin_update_args_t> make_update_args(uint64_t target, std::span<const uint8_t> data);

// A synchronous host <-> device transfer (Device::copy_to_device and
// copy_to_host; `operation` names it): for a non-zero length, a non-null
// device address and host pointer whose ranges do not wrap the address space.
Status check_host_transfer(const char* operation, uint64_t device_address, const void* host, uint64_t length);

}  // namespace devbin

#endif  // DEVBIN_KERNEL_ARGS_H_
