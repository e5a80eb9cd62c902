// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The host/device ABI of the builtin device library: the one definition of
// every kernel's argument struct, shared by device/*.c (freestanding C, every
// target) and the host runtime (C++). Each kernel takes exactly one argument,
// its struct, by value; the runtime validates every code object's kernel list
// against DEVBIN_ABI_KERNELS (name, sizeof, alignof).
//
// Changing a struct changes the ABI: update the static_asserts, rebuild the
// prebuilt set (build_tools/device_binaries.py) and bump DEVBIN_ABI_VERSION.
#ifndef DEVBIN_DEVICE_ABI_H_
#define DEVBIN_DEVICE_ABI_H_

#include <stdint.h>

#define DEVBIN_ABI_VERSION 4

#ifdef __cplusplus
#define DEVBIN_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define DEVBIN_ALIGNOF(type) alignof(type)
#else
#define DEVBIN_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define DEVBIN_ALIGNOF(type) _Alignof(type)
#endif
#define DEVBIN_OFFSETOF(type, field) __builtin_offsetof(type, field)
// The layout every target and the host agree on: a type's size and alignment,
// and a field's offset.
#define DEVBIN_ABI_LAYOUT(type, size, align)                    \
  DEVBIN_STATIC_ASSERT(sizeof(type) == (size), #type " size"); \
  DEVBIN_STATIC_ASSERT(DEVBIN_ALIGNOF(type) == (align), #type " align")
#define DEVBIN_ABI_FIELD(type, field, offset) \
  DEVBIN_STATIC_ASSERT(DEVBIN_OFFSETOF(type, field) == (offset), #type "." #field)

// Device addresses travel as uint64_t so the layout is identical on every
// target and on the host (no pointer-size or address-space differences).
typedef uint64_t devbin_device_ptr_t;

//===----------------------------------------------------------------------===//
// blit
//===----------------------------------------------------------------------===//

// Both blit kernels take a one-dimensional grid of any size and loop over
// their work; a workgroup size that is a multiple of 64 (any wavefront or warp
// width) keeps devbin_copy on its fast path when source and target are
// misaligned to each other.
//
// 16-byte words one work-item stores per step: a grid of
// length / (16 * WORDS_PER_ITEM) work-items (plus the head and tail) gives
// every work-item one step, the fastest shape for copy and fill on H100 and
// H200 (bench/RESULTS.md). A fill step is one chunk of WORDS_PER_ITEM x
// workgroup-size consecutive words per workgroup (256-thread blocks: 16 KiB);
// a copy step is grid-stride. Any grid is still correct. Compile-time knobs
// of device/blit.c; the host reads the shipped values from here.
#ifndef DEVBIN_FILL_WORDS_PER_ITEM
#define DEVBIN_FILL_WORDS_PER_ITEM 4
#endif
#ifndef DEVBIN_COPY_WORDS_PER_ITEM
#define DEVBIN_COPY_WORDS_PER_ITEM 2
#endif

// Fills `length` bytes at `target` with a pattern of `pattern_width` bytes
// (1, 2, 4, 8 or 16). `target` and `length` are multiples of the width. The
// host replicates the pattern to 16 bytes in `pattern` (little-endian); the
// kernel relies only on the first `pattern_width` bytes. Other widths, or a
// target or length that is not a multiple of the width, store nothing.
typedef struct devbin_fill_args_t {
  devbin_device_ptr_t target;
  uint64_t length;
  uint32_t pattern[4];
  uint32_t pattern_width;
  uint32_t reserved0;
} devbin_fill_args_t;
DEVBIN_ABI_LAYOUT(devbin_fill_args_t, 40, 8);
DEVBIN_ABI_FIELD(devbin_fill_args_t, pattern, 16);
DEVBIN_ABI_FIELD(devbin_fill_args_t, pattern_width, 32);

// Copies `length` bytes from `source` to `target`; any alignment of either
// side. The ranges must not overlap.
typedef struct devbin_copy_args_t {
  devbin_device_ptr_t source;
  devbin_device_ptr_t target;
  uint64_t length;
} devbin_copy_args_t;
DEVBIN_ABI_LAYOUT(devbin_copy_args_t, 24, 8);
DEVBIN_ABI_FIELD(devbin_copy_args_t, length, 16);

//===----------------------------------------------------------------------===//
// batch: many fills and copies in one launch
//===----------------------------------------------------------------------===//

// The kinds of a batch operation.
#define DEVBIN_BATCH_FILL 1u
#define DEVBIN_BATCH_COPY 2u

// The chunk size the host numbers batch tables with (devbin_batch_args_t
// carries the one in use): a workgroup moves one chunk at a time, so a 1 GiB
// operation is 65536 chunks and a 64-byte one is one.
#define DEVBIN_BATCH_CHUNK_BYTES 16384u

// Chunks are at most 2^24 bytes and an operation at most 2^40 chunks, so a
// chunk's offset (index * chunk_bytes) never wraps; the kernel skips chunks
// past either limit and the host refuses such tables.
#define DEVBIN_BATCH_MAX_CHUNK_BYTES (1u << 24)
#define DEVBIN_BATCH_MAX_CHUNK_INDEX ((uint64_t)1 << 40)

// One operation of a batch table. A fill is devbin_fill_args_t's (`pattern`
// replicated to 16 bytes, `pattern_width` 1, 2, 4, 8 or 16, target and length
// multiples of it; `source` unused), a copy devbin_copy_args_t's (non-null,
// not wrapping, any alignment, no overlap; `pattern` unused). The operation
// covers chunks first_chunk .. first_chunk + ceil(length / chunk_bytes) - 1
// of the launch: the host numbers them in table order (a prefix sum of the
// chunk counts, starting at 0), so first_chunk never decreases along the
// table, and records the chunk size it numbered for in `chunk_bytes`.
//
// The table lives in device memory, where other GPU work may write it, so
// the kernel trusts none of it: an operation of another kind, a fill that
// breaks its width rules, a null or wrapping address, an overlapping copy, a
// chunk_bytes other than the launch's, or a first_chunk that does not follow
// from its neighbours' (the previous operation's first_chunk plus its chunks,
// 0 for the first; the next one's first_chunk, or the launch's chunk_count
// for the last, minus its chunks) is skipped, never executed, and reported
// in the launch's status word.
typedef struct devbin_batch_op_t {
  devbin_device_ptr_t target;
  devbin_device_ptr_t source;
  uint64_t length;
  uint64_t first_chunk;
  uint32_t pattern[4];
  uint32_t kind;  // DEVBIN_BATCH_FILL or DEVBIN_BATCH_COPY
  uint32_t pattern_width;
  uint32_t chunk_bytes;  // the chunk size first_chunk was numbered for (batch_number sets it)
  uint32_t reserved0;
} devbin_batch_op_t;
DEVBIN_ABI_LAYOUT(devbin_batch_op_t, 64, 8);
DEVBIN_ABI_FIELD(devbin_batch_op_t, first_chunk, 24);
DEVBIN_ABI_FIELD(devbin_batch_op_t, pattern, 32);
DEVBIN_ABI_FIELD(devbin_batch_op_t, kind, 48);
DEVBIN_ABI_FIELD(devbin_batch_op_t, chunk_bytes, 56);

// What a batch or rect launch reports in its status word (the args' `status`,
// a uint32 in device memory, 4-byte aligned, or 0: none). The caller zeroes
// it before the launch; the kernel stores one of these codes when it skips
// work and never stores DEVBIN_KERNEL_STATUS_OK, so a word shared by several
// launches keeps the first problem's kind until the caller clears it. With
// several problems in one launch, which code is left is unspecified (plain
// stores from many workgroups). A non-zero word means the launch did not do
// all it was asked: for the ARGS and CHUNK_COUNT codes nothing was stored;
// for the others every operation that was not skipped ran completely unless
// the code is NUMBERING, after which which operations ran is unspecified.
// Every address a kernel stores to is one that an operation that passed its
// checks covers.
#define DEVBIN_KERNEL_STATUS_OK 0u
#define DEVBIN_KERNEL_STATUS_ARGS 1u         // the launch's own arguments break the kernel's rules: nothing stored
#define DEVBIN_KERNEL_STATUS_CHUNK_COUNT 2u  // batch: chunk_count is not where the last operation's chunks end: nothing stored
#define DEVBIN_KERNEL_STATUS_KIND 3u         // batch: an operation of an unknown kind: skipped
#define DEVBIN_KERNEL_STATUS_ADDRESS 4u      // a null address, or a range that wraps the address space: skipped
#define DEVBIN_KERNEL_STATUS_OVERLAP 5u      // a copy whose source and target overlap, or a target whose rows overlap: skipped
#define DEVBIN_KERNEL_STATUS_FILL 6u         // a fill that breaks its pattern-width rules: skipped
#define DEVBIN_KERNEL_STATUS_CHUNK_BYTES 7u  // batch: an operation numbered for another chunk size: skipped
#define DEVBIN_KERNEL_STATUS_NUMBERING 8u    // batch: a first_chunk that does not follow from its neighbours': skipped

// Runs the `op_count` operations at `ops` (device memory, 8-byte aligned):
// workgroups take chunks 0 .. chunk_count - 1 chunk-stride, find each chunk's
// operation by binary search on first_chunk, and move that chunk's bytes with
// the whole workgroup, so work spreads evenly whatever the mix of sizes. Any
// one-dimensional grid is correct; one workgroup per chunk is the fastest.
// `chunk_bytes` is a non-zero multiple of 16 up to
// DEVBIN_BATCH_MAX_CHUNK_BYTES and `ops` non-null and 8-byte aligned (else
// nothing is stored: ARGS). `chunk_count` must be where the last
// operation's chunks end (else nothing is stored: CHUNK_COUNT), so no
// workgroup loops past what the table numbers; a skipped operation is
// passed over in one step, so a workgroup's trips are bounded by the chunks
// that move bytes plus the operations it meets. The operations must not
// overlap one another's targets (nor a copy's source); their order of
// execution is unspecified. Every workgroup also checks the numbering of
// its share of the table (operations global-id-stride), so a table whose
// numbering is broken where no chunk lands is reported too.
typedef struct devbin_batch_args_t {
  devbin_device_ptr_t ops;  // const devbin_batch_op_t[op_count]
  uint64_t chunk_count;
  uint32_t op_count;
  uint32_t chunk_bytes;
  devbin_device_ptr_t status;  // uint32_t*, or 0: DEVBIN_KERNEL_STATUS_*
} devbin_batch_args_t;
DEVBIN_ABI_LAYOUT(devbin_batch_args_t, 32, 8);
DEVBIN_ABI_FIELD(devbin_batch_args_t, op_count, 16);
DEVBIN_ABI_FIELD(devbin_batch_args_t, status, 24);

//===----------------------------------------------------------------------===//
// rect: copy and fill of 2D and 3D regions
//===----------------------------------------------------------------------===//

// Where a region's rows lie: row r of slice s starts at
// base + s * slice_pitch + r * row_pitch. Pitches are bytes, any value (odd
// ones such as 4099 included); a pitch the extent never uses (row_pitch with
// height 1, slice_pitch with depth 1) is ignored by copy.
typedef struct devbin_rect_region_t {
  devbin_device_ptr_t base;
  uint64_t row_pitch;
  uint64_t slice_pitch;
} devbin_rect_region_t;
DEVBIN_ABI_LAYOUT(devbin_rect_region_t, 24, 8);
DEVBIN_ABI_FIELD(devbin_rect_region_t, row_pitch, 8);
DEVBIN_ABI_FIELD(devbin_rect_region_t, slice_pitch, 16);

// What a rectangular operation moves: `depth` slices of `height` rows of
// `width` bytes each (depth 1: a 2D region). Any field 0: nothing.
typedef struct devbin_rect_extent_t {
  uint64_t width;
  uint32_t height;
  uint32_t depth;
} devbin_rect_extent_t;
DEVBIN_ABI_LAYOUT(devbin_rect_extent_t, 16, 8);
DEVBIN_ABI_FIELD(devbin_rect_extent_t, height, 8);
DEVBIN_ABI_FIELD(devbin_rect_extent_t, depth, 12);

// Both rect kernels cut the work into row chunks: each row into
// chunks_per_row = ceil(width / chunk_bytes) pieces of chunk_bytes (the last
// one shorter), so a launch has chunks_per_row * height * depth chunks,
// numbered piece-fastest, then row, then slice. Workgroups take chunks
// chunk-stride and move each with all their work-items, so a single wide
// row and 65536 narrow rows both spread over the GPU. Any one-dimensional
// grid is correct; one workgroup per chunk is the fastest. The host uses
// DEVBIN_BATCH_CHUNK_BYTES; chunk_bytes follows batch's rule (a non-zero
// multiple of 16 up to DEVBIN_BATCH_MAX_CHUNK_BYTES), chunks_per_row must
// equal ceil(width / chunk_bytes) and the chunk count must be at most
// DEVBIN_RECT_MAX_CHUNKS: otherwise the kernel stores nothing (the host
// refuses such a region). Launched directly, the kernels also check what
// the host checks (null bases, spans that overflow or wrap, a target whose
// rows overlap, a copy's overlapping bounding ranges, a fill's width rules):
// such a launch stores nothing and reports the DEVBIN_KERNEL_STATUS_* code
// in `status` (as batch does).
#define DEVBIN_RECT_MAX_CHUNKS 0xffffffffu

// Copies the extent from `source` to `target`: any alignment of either
// side, any pitches. The target's rows must not overlap one another
// (row_pitch >= width when height > 1; slice_pitch >= (height - 1) *
// row_pitch + width when depth > 1; the source's may, a pitch of 0 repeating
// one row), and target and source must not overlap:
// the host refuses overlapping bounding ranges [base, base + span), span
// = (depth - 1) * slice_pitch + (height - 1) * row_pitch + width.
typedef struct devbin_copy_rect_args_t {
  devbin_rect_region_t target;
  devbin_rect_region_t source;
  devbin_rect_extent_t extent;
  uint32_t chunks_per_row;
  uint32_t chunk_bytes;
  devbin_device_ptr_t status;  // uint32_t*, or 0: DEVBIN_KERNEL_STATUS_*
} devbin_copy_rect_args_t;
DEVBIN_ABI_LAYOUT(devbin_copy_rect_args_t, 80, 8);
DEVBIN_ABI_FIELD(devbin_copy_rect_args_t, source, 24);
DEVBIN_ABI_FIELD(devbin_copy_rect_args_t, extent, 48);
DEVBIN_ABI_FIELD(devbin_copy_rect_args_t, chunks_per_row, 64);
DEVBIN_ABI_FIELD(devbin_copy_rect_args_t, chunk_bytes, 68);
DEVBIN_ABI_FIELD(devbin_copy_rect_args_t, status, 72);

// Fills the extent at `target` with a pattern of `pattern_width` bytes (1, 2,
// 4, 8 or 16; `pattern` as devbin_fill_args_t's). Every row start must be a
// multiple of the pattern width, so base, row_pitch, slice_pitch and the
// extent's width must all be; rows must not overlap (as for copy). A launch
// that breaks the width rules stores nothing.
typedef struct devbin_fill_rect_args_t {
  devbin_rect_region_t target;
  devbin_rect_extent_t extent;
  uint32_t chunks_per_row;
  uint32_t chunk_bytes;
  uint32_t pattern[4];
  uint32_t pattern_width;
  uint32_t reserved0;
  devbin_device_ptr_t status;  // uint32_t*, or 0: DEVBIN_KERNEL_STATUS_*
} devbin_fill_rect_args_t;
DEVBIN_ABI_LAYOUT(devbin_fill_rect_args_t, 80, 8);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, extent, 24);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, chunks_per_row, 40);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, chunk_bytes, 44);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, pattern, 48);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, pattern_width, 64);
DEVBIN_ABI_FIELD(devbin_fill_rect_args_t, status, 72);

//===----------------------------------------------------------------------===//
// dispatch: indirect dispatch through an AQL kernel-dispatch packet
//===----------------------------------------------------------------------===//

// The HSA AQL kernel-dispatch packet (64 bytes), as the HSA runtime
// specification lays it out (hsa_kernel_dispatch_packet_t).
typedef struct devbin_aql_kernel_dispatch_packet_t {
  uint16_t header;
  uint16_t setup;
  uint16_t workgroup_size_x;
  uint16_t workgroup_size_y;
  uint16_t workgroup_size_z;
  uint16_t reserved0;
  uint32_t grid_size_x;
  uint32_t grid_size_y;
  uint32_t grid_size_z;
  uint32_t private_segment_size;
  uint32_t group_segment_size;
  uint64_t kernel_object;
  uint64_t kernarg_address;
  uint64_t reserved2;
  uint64_t completion_signal;
} devbin_aql_kernel_dispatch_packet_t;
DEVBIN_STATIC_ASSERT(sizeof(devbin_aql_kernel_dispatch_packet_t) == 64, "AQL packet size");
DEVBIN_ABI_FIELD(devbin_aql_kernel_dispatch_packet_t, grid_size_x, 12);
DEVBIN_ABI_FIELD(devbin_aql_kernel_dispatch_packet_t, kernel_object, 32);
DEVBIN_ABI_FIELD(devbin_aql_kernel_dispatch_packet_t, completion_signal, 56);

// AQL header fields (HSA spec: hsa_packet_type_t, hsa_packet_header_t).
#define DEVBIN_AQL_PACKET_TYPE_INVALID 1u
#define DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH 2u
#define DEVBIN_AQL_PACKET_TYPE_BARRIER_AND 3u
#define DEVBIN_AQL_HEADER_TYPE_SHIFT 0u
#define DEVBIN_AQL_HEADER_BARRIER_SHIFT 8u
#define DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT 9u
#define DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT 11u
#define DEVBIN_AQL_FENCE_SCOPE_NONE 0u
#define DEVBIN_AQL_FENCE_SCOPE_AGENT 1u
#define DEVBIN_AQL_FENCE_SCOPE_SYSTEM 2u

// Reads three uint32 workgroup counts from `workgroup_counts`, validates them
// and patches `packet` (reserved by the host with an INVALID header): the grid
// fields (count * workgroup size per dimension), then the header `header`
// with release ordering so the packet processor never sees a half-written
// packet. A zero count makes the packet a no-op (a BARRIER_AND with no
// dependencies that keeps the completion signal and the header's barrier bit
// and fence scopes). Counts over `max_workgroup_count`, a workgroup size over
// 65535 or a grid over UINT32_MAX work-items also become a no-op. The outcome
// goes to `status` (if non-zero) before the header is published; an error
// outranks an empty grid.
//
// Hidden block counts: when `target_kernargs` is non-zero it is the target
// kernel's kernarg segment (the packet's kernarg_address), and the three
// counts are stored as uint32 at target_kernargs + hidden_block_count_offset,
// + 4 and + 8 before the packet is published: the code-object v5/v6 implicit
// arguments hidden_block_count_x/y/z (AMDGPUUsage), which HIP's gridDim reads,
// so a HIP kernel dispatched indirectly sees the grid the counts make, as
// IREE's HIP/HSA patcher does. Only an OK outcome stores them: a no-op packet
// runs no kernel, so its kernargs are left as they were. target_kernargs and
// the offset are 4-byte aligned (the host checks it).
typedef struct devbin_dispatch_args_t {
  devbin_device_ptr_t workgroup_counts;  // const uint32_t[3]
  devbin_device_ptr_t packet;            // devbin_aql_kernel_dispatch_packet_t*
  devbin_device_ptr_t status;            // uint32_t*, or 0: DEVBIN_DISPATCH_STATUS_*
  uint32_t workgroup_size[3];
  uint32_t max_workgroup_count[3];
  uint16_t header;  // the KERNEL_DISPATCH header to publish
  uint16_t setup;   // dimensions, as the packet's setup field
  uint32_t hidden_block_count_offset;   // bytes from target_kernargs to hidden_block_count_x
  devbin_device_ptr_t target_kernargs;  // the target's kernarg segment, or 0: no block counts stored
} devbin_dispatch_args_t;
DEVBIN_ABI_LAYOUT(devbin_dispatch_args_t, 64, 8);
DEVBIN_ABI_FIELD(devbin_dispatch_args_t, workgroup_size, 24);
DEVBIN_ABI_FIELD(devbin_dispatch_args_t, header, 48);
DEVBIN_ABI_FIELD(devbin_dispatch_args_t, hidden_block_count_offset, 52);
DEVBIN_ABI_FIELD(devbin_dispatch_args_t, target_kernargs, 56);

#define DEVBIN_DISPATCH_STATUS_OK 0u
#define DEVBIN_DISPATCH_STATUS_EMPTY 1u          // a zero count (or workgroup size): no-op packet
#define DEVBIN_DISPATCH_STATUS_OVER_LIMIT 2u     // a count over max_workgroup_count, or a workgroup size over 65535: no-op packet
#define DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW 3u  // count * size over UINT32_MAX: no-op packet

//===----------------------------------------------------------------------===//
// update: host bytes written to device memory by a launch that carries them
//===----------------------------------------------------------------------===//

// The payload travels in the kernel arguments: no staging buffer, and the
// host's copy of it is made when the launch is enqueued (CUDA copies the
// declared argument size into the launch; HSA writes it into the queue's
// kernarg slot). One launch carries up to DEVBIN_UPDATE_BYTES, so a 4 KiB
// update is one launch; the host splits longer updates, up to
// DEVBIN_UPDATE_MAX_BYTES (16 launches), into consecutive launches.
// The argument is 4120 bytes: under the 4352 bytes of parameter space ptxas
// accepts at every PTX ISA version we pin; more needs PTX ISA 8.1 and a CUDA
// 12.1 driver for the whole module ("Kernel parameter size larger than 4352
// bytes requires PTX ISA .version 8.1"), hence one 4 KiB class.
#define DEVBIN_UPDATE_BYTES 4096u
// What one Device::update takes, split into launches by the host.
#define DEVBIN_UPDATE_MAX_BYTES 65536u

// Stores `length` bytes at `target` (any alignment): the bytes are
// payload[shift .. shift + length) with shift = target % 4, so the payload's
// words line up with the target's aligned words (whole words are stored as
// words, a partial first or last word byte by byte). A length over
// DEVBIN_UPDATE_BYTES, or a shift that is not target % 4, stores nothing.
// Any one-dimensional grid; one work-item per word is the fastest.
typedef struct devbin_update_args_t {
  devbin_device_ptr_t target;
  uint32_t length;
  uint32_t shift;
  uint32_t payload[DEVBIN_UPDATE_BYTES / 4 + 2];  // shift + length bytes, in whole words
} devbin_update_args_t;
DEVBIN_ABI_LAYOUT(devbin_update_args_t, 4120, 8);
DEVBIN_ABI_FIELD(devbin_update_args_t, payload, 16);

//===----------------------------------------------------------------------===//
// timestamp
//===----------------------------------------------------------------------===//

// What the timestamp kernel writes.
typedef struct devbin_timestamp_record_t {
  uint64_t steady;  // the device's steady clock (AMDGPU: the constant-rate realtime counter; NVIDIA: %globaltimer, ns)
  uint64_t cycles;  // the shader cycle counter where the target has one, else 0
} devbin_timestamp_record_t;
DEVBIN_STATIC_ASSERT(sizeof(devbin_timestamp_record_t) == 16, "devbin_timestamp_record_t size");

typedef struct devbin_timestamp_args_t {
  devbin_device_ptr_t target;  // devbin_timestamp_record_t*
} devbin_timestamp_args_t;
DEVBIN_STATIC_ASSERT(sizeof(devbin_timestamp_args_t) == 8, "devbin_timestamp_args_t size");

//===----------------------------------------------------------------------===//
// The kernel list: X(kernel name, argument struct). The runtime checks every
// code object has each of these with sizeof/alignof(struct) as its argument.
//===----------------------------------------------------------------------===//
#define DEVBIN_ABI_KERNELS(X)                        \
  X(devbin_fill, devbin_fill_args_t)                 \
  X(devbin_copy, devbin_copy_args_t)                 \
  X(devbin_batch, devbin_batch_args_t)               \
  X(devbin_copy_rect, devbin_copy_rect_args_t)       \
  X(devbin_fill_rect, devbin_fill_rect_args_t)       \
  X(devbin_dispatch_patch, devbin_dispatch_args_t)   \
  X(devbin_timestamp, devbin_timestamp_args_t)       \
  X(devbin_update, devbin_update_args_t)

#endif  // DEVBIN_DEVICE_ABI_H_
