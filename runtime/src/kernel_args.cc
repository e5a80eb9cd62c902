// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/kernel_args.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "devbin_internal/text.h"

namespace devbin {

using util::hex;

namespace {

bool wraps(uint64_t address, uint64_t length) { return address > std::numeric_limits<uint64_t>::max() - length; }

}  // namespace

Result<devbin_fill_args_t> make_fill_args(uint64_t target, uint64_t length, std::span<const uint8_t> pattern) {
  const size_t width = pattern.size();
  if (width != 1 && width != 2 && width != 4 && width != 8 && width != 16) {
    return invalid_argument("fill: the pattern is " + std::to_string(width) + " bytes wide; expected 1, 2, 4, 8 or 16");
  }
  if (target % width != 0) {
    return invalid_argument("fill: target " + hex(target) + " is not a multiple of the " + std::to_string(width) +
                            "-byte pattern width");
  }
  if (length % width != 0) {
    return invalid_argument("fill: length " + std::to_string(length) + " is not a multiple of the " +
                            std::to_string(width) + "-byte pattern width");
  }
  if (length != 0 && target == 0) return invalid_argument("fill: target is null");
  if (wraps(target, length)) {
    return invalid_argument("fill: target " + hex(target) + " + length " + std::to_string(length) +
                            " wraps around the address space");
  }
  devbin_fill_args_t args{};
  args.target = target;
  args.length = length;
  uint8_t replicated[16];
  for (size_t i = 0; i < sizeof(replicated); ++i) replicated[i] = pattern[i % width];
  std::memcpy(args.pattern, replicated, sizeof(replicated));
  args.pattern_width = static_cast<uint32_t>(width);
  return args;
}

Result<devbin_copy_args_t> make_copy_args(uint64_t target, uint64_t source, uint64_t length) {
  if (length != 0 && (target == 0 || source == 0)) {
    return invalid_argument(std::string("copy: ") + (target == 0 ? "target" : "source") + " is null");
  }
  if (wraps(target, length) || wraps(source, length)) {
    return invalid_argument(
        "copy: " + std::string(wraps(target, length) ? "target " + hex(target) : "source " + hex(source)) +
        " + length " + std::to_string(length) + " wraps around the address space");
  }
  if (length != 0 && target < source + length && source < target + length) {
    return invalid_argument("copy: target [" + hex(target) + ", " + hex(target + length) + ") and source [" +
                            hex(source) + ", " + hex(source + length) + ") overlap; expected disjoint ranges");
  }
  devbin_copy_args_t args{};
  args.source = source;
  args.target = target;
  args.length = length;
  return args;
}

Result<devbin_batch_op_t> make_batch_fill(uint64_t target, uint64_t length, std::span<const uint8_t> pattern) {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_args_t fill, make_fill_args(target, length, pattern));
  devbin_batch_op_t op{};
  op.kind = DEVBIN_BATCH_FILL;
  op.target = fill.target;
  op.length = fill.length;
  std::memcpy(op.pattern, fill.pattern, sizeof(op.pattern));
  op.pattern_width = fill.pattern_width;
  return op;
}

Result<devbin_batch_op_t> make_batch_copy(uint64_t target, uint64_t source, uint64_t length) {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_args_t copy, make_copy_args(target, source, length));
  devbin_batch_op_t op{};
  op.kind = DEVBIN_BATCH_COPY;
  op.target = copy.target;
  op.source = copy.source;
  op.length = copy.length;
  return op;
}

namespace {

Status check_chunk_bytes(uint32_t chunk_bytes, const char* operation = "batch") {
  if (chunk_bytes == 0 || chunk_bytes % 16 != 0 || chunk_bytes > DEVBIN_BATCH_MAX_CHUNK_BYTES) {
    return invalid_argument(std::string(operation) + ": chunk size " + std::to_string(chunk_bytes) +
                            " bytes; expected a non-zero multiple of 16 up to " +
                            std::to_string(DEVBIN_BATCH_MAX_CHUNK_BYTES));
  }
  return Status::Ok();
}

// The checks of make_fill_args and make_copy_args without building a
// Status: a table of thousands of operations is checked per batch.
bool fill_is_valid(const devbin_batch_op_t& op) {
  const uint32_t width = op.pattern_width;
  if (width != 1 && width != 2 && width != 4 && width != 8 && width != 16) return false;
  if (op.target % width != 0 || op.length % width != 0) return false;
  return (op.length == 0 || op.target != 0) && !wraps(op.target, op.length);
}

bool copy_is_valid(const devbin_batch_op_t& op) {
  if (op.length == 0) return true;
  if (op.target == 0 || op.source == 0 || wraps(op.target, op.length) || wraps(op.source, op.length)) return false;
  return op.target >= op.source + op.length || op.source >= op.target + op.length;
}

// Why operation `index` is refused: its own function's words.
Status operation_error(size_t index, const devbin_batch_op_t& op) {
  Status status;
  if (op.kind == DEVBIN_BATCH_COPY) {
    status = make_copy_args(op.target, op.source, op.length).status();
  } else if (op.pattern_width > sizeof(op.pattern)) {
    status = invalid_argument("fill: the pattern is " + std::to_string(op.pattern_width) +
                              " bytes wide; expected 1, 2, 4, 8 or 16");
  } else {
    status = make_fill_args(op.target, op.length,
                            {reinterpret_cast<const uint8_t*>(op.pattern), op.pattern_width})
                 .status();
  }
  return status.annotate("batch operation " + std::to_string(index));
}

}  // namespace

Result<uint64_t> batch_number(std::span<devbin_batch_op_t> ops, uint32_t chunk_bytes) {
  DEVBIN_RETURN_IF_ERROR(check_chunk_bytes(chunk_bytes));
  if (ops.size() > std::numeric_limits<uint32_t>::max()) {
    return invalid_argument("batch: " + std::to_string(ops.size()) + " operations; at most " +
                            std::to_string(std::numeric_limits<uint32_t>::max()) + " fit one table");
  }
  // A power-of-two chunk (the shipped one) divides by a shift.
  const bool power_of_two = (chunk_bytes & (chunk_bytes - 1)) == 0;
  const unsigned shift = static_cast<unsigned>(__builtin_ctz(chunk_bytes));
  uint64_t chunks = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    devbin_batch_op_t& op = ops[i];
    if (op.kind != DEVBIN_BATCH_FILL && op.kind != DEVBIN_BATCH_COPY) {
      return invalid_argument("batch: operation " + std::to_string(i) + " has kind " + std::to_string(op.kind) +
                              "; expected DEVBIN_BATCH_FILL (1) or DEVBIN_BATCH_COPY (2)");
    }
    if (!(op.kind == DEVBIN_BATCH_FILL ? fill_is_valid(op) : copy_is_valid(op))) return operation_error(i, op);
    const uint64_t own = power_of_two ? (op.length >> shift) + ((op.length & (chunk_bytes - 1)) != 0)
                                      : op.length / chunk_bytes + (op.length % chunk_bytes != 0);
    if (own >= DEVBIN_BATCH_MAX_CHUNK_INDEX) {
      return invalid_argument("batch: operation " + std::to_string(i) + " is " + std::to_string(op.length) +
                              " bytes long, " + std::to_string(own) + " chunks; at most " +
                              std::to_string(DEVBIN_BATCH_MAX_CHUNK_INDEX - 1) + " fit one operation");
    }
    op.first_chunk = chunks;
    op.chunk_bytes = chunk_bytes;
    // No overflow: fewer than 2^32 operations of fewer than 2^40 chunks each.
    chunks += own;
  }
  return chunks;
}

uint64_t max_batch_chunk_count(uint32_t op_count, uint32_t chunk_bytes) {
  if (chunk_bytes == 0) return 0;
  uint64_t by_operations = 0;
  if (__builtin_mul_overflow(uint64_t{op_count}, DEVBIN_BATCH_MAX_CHUNK_INDEX - 1, &by_operations)) {
    by_operations = std::numeric_limits<uint64_t>::max();
  }
  // The targets are disjoint ranges that do not wrap: at most 2^64 - 1
  // bytes in all, and each operation's last chunk may be partial.
  const uint64_t by_bytes = std::numeric_limits<uint64_t>::max() / chunk_bytes + op_count;
  return std::min(by_operations, by_bytes);
}

namespace {

Status check_status_word(const char* operation, uint64_t status) {
  if (status % 4 != 0) {
    return invalid_argument(std::string(operation) + ": status address " + hex(status) +
                            " is not 4-byte aligned (a uint32 DEVBIN_KERNEL_STATUS_* word, or 0 for none)");
  }
  return Status::Ok();
}

}  // namespace

Result<devbin_batch_args_t> make_batch_args(uint64_t ops, uint32_t op_count, uint64_t chunk_count,
                                            uint32_t chunk_bytes, uint64_t status) {
  DEVBIN_RETURN_IF_ERROR(check_chunk_bytes(chunk_bytes));
  if (op_count != 0 && (ops == 0 || ops % 8 != 0)) {
    return invalid_argument("batch: table address " + hex(ops) + " is null or not 8-byte aligned");
  }
  if (op_count != 0 && wraps(ops, uint64_t{op_count} * sizeof(devbin_batch_op_t))) {
    return invalid_argument("batch: the table of " + std::to_string(op_count) + " operations at " + hex(ops) +
                            " wraps around the address space");
  }
  DEVBIN_RETURN_IF_ERROR(check_status_word("batch", status));
  const uint64_t most = max_batch_chunk_count(op_count, chunk_bytes);
  if (op_count != 0 && chunk_count > most) {
    return invalid_argument("batch: chunk_count " + std::to_string(chunk_count) + " for " + std::to_string(op_count) +
                            " operations of " + std::to_string(chunk_bytes) + "-byte chunks; at most " +
                            std::to_string(most) + " (expected the count batch_number returned)");
  }
  devbin_batch_args_t args{};
  args.ops = ops;
  args.op_count = op_count;
  args.chunk_count = op_count == 0 ? 0 : chunk_count;
  args.chunk_bytes = chunk_bytes;
  args.status = status;
  return args;
}

Result<devbin_batch_args_t> make_batch_args(const devbin_batch_args_t& requested) {
  return make_batch_args(requested.ops, requested.op_count, requested.chunk_count, requested.chunk_bytes,
                         requested.status);
}

std::optional<uint64_t> rect_span(const devbin_rect_region_t& region, const devbin_rect_extent_t& extent) {
  if (extent.width == 0 || extent.height == 0 || extent.depth == 0) return uint64_t{0};
  uint64_t slices = 0;
  uint64_t rows = 0;
  uint64_t span = 0;
  if (__builtin_mul_overflow(uint64_t{extent.depth - 1}, region.slice_pitch, &slices) ||
      __builtin_mul_overflow(uint64_t{extent.height - 1}, region.row_pitch, &rows) ||
      __builtin_add_overflow(slices, rows, &span) || __builtin_add_overflow(span, extent.width, &span)) {
    return std::nullopt;
  }
  return span;
}

namespace {

// One region of a rect operation with a non-empty extent: a non-null base
// and a span that neither overflows nor wraps; for a region written to
// (`written`), rows and slices that do not overlap one another. Returns the
// span.
Result<uint64_t> check_rect_region(const std::string& what, const devbin_rect_region_t& region,
                                   const devbin_rect_extent_t& extent, bool written) {
  if (written && extent.height > 1 && region.row_pitch < extent.width) {
    return invalid_argument(what + " row_pitch " + std::to_string(region.row_pitch) + " is less than the width " +
                            std::to_string(extent.width) + ": its rows would overlap; expected row_pitch >= width");
  }
  if (written && extent.depth > 1) {
    uint64_t slice_bytes = 0;
    if (__builtin_mul_overflow(uint64_t{extent.height - 1}, region.row_pitch, &slice_bytes) ||
        __builtin_add_overflow(slice_bytes, extent.width, &slice_bytes)) {
      return invalid_argument(what + ": " + std::to_string(extent.height) + " rows of pitch " +
                              std::to_string(region.row_pitch) + " overflow 64 bits");
    }
    if (region.slice_pitch < slice_bytes) {
      return invalid_argument(what + " slice_pitch " + std::to_string(region.slice_pitch) + " is less than a slice's " +
                              std::to_string(slice_bytes) + " bytes ((height - 1) * row_pitch + width): its slices " +
                              "would overlap");
    }
  }
  const std::optional<uint64_t> span = rect_span(region, extent);
  if (!span.has_value()) {
    return invalid_argument(what + ": (depth - 1) * slice_pitch + (height - 1) * row_pitch + width overflows 64 bits "
                            "(depth " + std::to_string(extent.depth) + ", slice_pitch " +
                            std::to_string(region.slice_pitch) + ", height " + std::to_string(extent.height) +
                            ", row_pitch " + std::to_string(region.row_pitch) + ")");
  }
  if (region.base == 0) return invalid_argument(what + " base is null");
  if (wraps(region.base, *span)) {
    return invalid_argument(what + " base " + hex(region.base) + " + its span of " + std::to_string(*span) +
                            " bytes wraps around the address space");
  }
  return *span;
}

// ceil(width / chunk_bytes), with the launch's chunk count checked against
// DEVBIN_RECT_MAX_CHUNKS.
Result<uint32_t> rect_chunks_per_row(const char* operation, const devbin_rect_extent_t& extent,
                                     uint32_t chunk_bytes) {
  DEVBIN_RETURN_IF_ERROR(check_chunk_bytes(chunk_bytes, operation));
  const uint64_t per_row = extent.width / chunk_bytes + (extent.width % chunk_bytes != 0);
  uint64_t chunks = 0;
  if (__builtin_mul_overflow(per_row, uint64_t{extent.height}, &chunks) ||
      __builtin_mul_overflow(chunks, uint64_t{extent.depth}, &chunks) || chunks > DEVBIN_RECT_MAX_CHUNKS) {
    return invalid_argument(std::string(operation) + ": " + std::to_string(extent.depth) + " slices of " +
                            std::to_string(extent.height) + " rows of " + std::to_string(per_row) + " chunks of " +
                            std::to_string(chunk_bytes) + " bytes exceed the " + std::to_string(DEVBIN_RECT_MAX_CHUNKS) +
                            " chunks one launch takes; split the region (by slices or rows)");
  }
  return static_cast<uint32_t>(per_row);
}

bool rect_is_empty(const devbin_rect_extent_t& extent) {
  return extent.width == 0 || extent.height == 0 || extent.depth == 0;
}

}  // namespace

Result<devbin_copy_rect_args_t> make_copy_rect_args(const devbin_rect_region_t& target,
                                                    const devbin_rect_region_t& source,
                                                    const devbin_rect_extent_t& extent, uint32_t chunk_bytes,
                                                    uint64_t status) {
  DEVBIN_RETURN_IF_ERROR(check_chunk_bytes(chunk_bytes, "copy_rect"));
  DEVBIN_RETURN_IF_ERROR(check_status_word("copy_rect", status));
  devbin_copy_rect_args_t args{};
  args.status = status;
  args.target = target;
  args.source = source;
  args.extent = extent;
  args.chunk_bytes = chunk_bytes;
  if (rect_is_empty(extent)) {
    args.extent = devbin_rect_extent_t{};
    return args;
  }
  DEVBIN_ASSIGN_OR_RETURN(const uint64_t target_span, check_rect_region("copy_rect: target", target, extent, true));
  DEVBIN_ASSIGN_OR_RETURN(const uint64_t source_span, check_rect_region("copy_rect: source", source, extent, false));
  if (target.base < source.base + source_span && source.base < target.base + target_span) {
    return invalid_argument("copy_rect: the target's bounding range [" + hex(target.base) + ", " +
                            hex(target.base + target_span) + ") and the source's [" + hex(source.base) + ", " +
                            hex(source.base + source_span) + ") overlap; expected disjoint ranges");
  }
  DEVBIN_ASSIGN_OR_RETURN(args.chunks_per_row, rect_chunks_per_row("copy_rect", extent, chunk_bytes));
  return args;
}

Result<devbin_fill_rect_args_t> make_fill_rect_args(const devbin_rect_region_t& target,
                                                    const devbin_rect_extent_t& extent, std::span<const uint8_t> pattern,
                                                    uint32_t chunk_bytes, uint64_t status) {
  // The pattern as make_fill_args takes it.
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_args_t fill, make_fill_args(0, 0, pattern));
  DEVBIN_RETURN_IF_ERROR(check_chunk_bytes(chunk_bytes, "fill_rect"));
  DEVBIN_RETURN_IF_ERROR(check_status_word("fill_rect", status));
  const uint32_t width = fill.pattern_width;
  const struct {
    const char* name;
    uint64_t value;
  } aligned[] = {{"base", target.base},
                 {"row_pitch", target.row_pitch},
                 {"slice_pitch", target.slice_pitch},
                 {"width", extent.width}};
  for (const auto& field : aligned) {
    if (field.value % width != 0) {
      return invalid_argument("fill_rect: " + std::string(field.name) + " " + std::to_string(field.value) +
                              " is not a multiple of the " + std::to_string(width) +
                              "-byte pattern width; a fill's base, pitches and width must all be, so that every row "
                              "starts on a pattern element");
    }
  }
  devbin_fill_rect_args_t args{};
  args.target = target;
  args.extent = extent;
  args.chunk_bytes = chunk_bytes;
  std::memcpy(args.pattern, fill.pattern, sizeof(args.pattern));
  args.pattern_width = width;
  args.status = status;
  if (rect_is_empty(extent)) {
    args.extent = devbin_rect_extent_t{};
    return args;
  }
  DEVBIN_RETURN_IF_ERROR(check_rect_region("fill_rect: target", target, extent, true).status());
  DEVBIN_ASSIGN_OR_RETURN(args.chunks_per_row, rect_chunks_per_row("fill_rect", extent, chunk_bytes));
  return args;
}

Result<devbin_timestamp_args_t> make_timestamp_args(uint64_t record) {
  if (record == 0 || record % 8 != 0) {
    return invalid_argument("timestamp: record address " + std::to_string(record) + " is null or not 8-byte aligned");
  }
  devbin_timestamp_args_t args{};
  args.target = record;
  return args;
}

Status check_dispatch_header(uint16_t header, uint16_t setup) {
  const uint32_t type = (header >> DEVBIN_AQL_HEADER_TYPE_SHIFT) & 0xffu;
  const uint32_t acquire = (header >> DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT) & 3u;
  const uint32_t release = (header >> DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT) & 3u;
  if (type != DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH) {
    return invalid_argument("dispatch_patch: header " + hex(header) + " has packet type " + std::to_string(type) +
                            "; expected KERNEL_DISPATCH (" + std::to_string(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH) +
                            "): the patcher publishes it as the packet's header, and any other type stalls or "
                            "misleads the queue's packet processor");
  }
  if (acquire > DEVBIN_AQL_FENCE_SCOPE_SYSTEM || release > DEVBIN_AQL_FENCE_SCOPE_SYSTEM) {
    return invalid_argument("dispatch_patch: header " + hex(header) + " has " +
                            (acquire > DEVBIN_AQL_FENCE_SCOPE_SYSTEM ? "acquire" : "release") + " fence scope " +
                            std::to_string(acquire > DEVBIN_AQL_FENCE_SCOPE_SYSTEM ? acquire : release) +
                            "; expected NONE (0), AGENT (1) or SYSTEM (2)");
  }
  if ((header >> 13) != 0) {
    return invalid_argument("dispatch_patch: header " + hex(header) + " sets reserved bits 13-15; expected them 0");
  }
  if (setup < 1 || setup > 3) {
    return invalid_argument("dispatch_patch: setup " + std::to_string(setup) +
                            "; expected the dimensions, 1, 2 or 3 (the other bits of the field are reserved)");
  }
  return Status::Ok();
}

Status check_dispatch_args(const devbin_dispatch_args_t& args) {
  if (args.packet == 0 || args.packet % 64 != 0) {
    return invalid_argument("dispatch_patch: packet address " + std::to_string(args.packet) +
                            " is null or not 64-byte aligned (AQL packets are 64-byte aligned)");
  }
  if (args.workgroup_counts == 0 || args.workgroup_counts % 4 != 0) {
    return invalid_argument("dispatch_patch: workgroup_counts address " + std::to_string(args.workgroup_counts) +
                            " is null or not 4-byte aligned");
  }
  if (args.status % 4 != 0) {
    return invalid_argument("dispatch_patch: status address " + std::to_string(args.status) + " is not 4-byte aligned");
  }
  if (args.target_kernargs != 0) {
    const uint64_t counts = args.target_kernargs + args.hidden_block_count_offset;
    if (wraps(args.target_kernargs, uint64_t{args.hidden_block_count_offset} + 12)) {
      return invalid_argument("dispatch_patch: target_kernargs " + hex(args.target_kernargs) +
                              " + hidden_block_count_offset " + std::to_string(args.hidden_block_count_offset) +
                              " + 12 bytes of block counts wraps around the address space");
    }
    if (counts % 4 != 0) {
      return invalid_argument("dispatch_patch: the hidden block counts at target_kernargs " +
                              hex(args.target_kernargs) + " + " + std::to_string(args.hidden_block_count_offset) +
                              " are not 4-byte aligned");
    }
  }
  DEVBIN_RETURN_IF_ERROR(check_dispatch_header(args.header, args.setup));
  for (int i = 0; i < 3; ++i) {
    if (args.workgroup_size[i] == 0 || args.workgroup_size[i] > 0xffff) {
      return invalid_argument("dispatch_patch: workgroup_size[" + std::to_string(i) + "] is " +
                              std::to_string(args.workgroup_size[i]) +
                              "; expected 1..65535 (the AQL packet's 16-bit field)");
    }
  }
  return Status::Ok();
}

Status check_update(uint64_t target, std::span<const uint8_t> data) {
  if (data.data() == nullptr || data.empty()) {
    return invalid_argument(std::string("update: the host data is ") + (data.data() == nullptr ? "null" : "empty") +
                            "; expected 1 to " + std::to_string(DEVBIN_UPDATE_MAX_BYTES) + " bytes");
  }
  if (data.size() > DEVBIN_UPDATE_MAX_BYTES) {
    return invalid_argument("update: " + std::to_string(data.size()) + " bytes; an inline update takes at most " +
                            std::to_string(DEVBIN_UPDATE_MAX_BYTES) +
                            " (its bytes travel in the launch arguments); copy larger data with copy_to_device");
  }
  if (target == 0) return invalid_argument("update: target is null");
  if (wraps(target, data.size())) {
    return invalid_argument("update: target " + hex(target) + " + length " + std::to_string(data.size()) +
                            " wraps around the address space");
  }
  return Status::Ok();
}

Result<devbin_update_args_t> make_update_args(uint64_t target, std::span<const uint8_t> data) {
  DEVBIN_RETURN_IF_ERROR(check_update(target, data));
  if (data.size() > DEVBIN_UPDATE_BYTES) {
    return invalid_argument("update: " + std::to_string(data.size()) + " bytes in one launch; at most " +
                            std::to_string(DEVBIN_UPDATE_BYTES));
  }
  devbin_update_args_t args{};
  args.target = target;
  args.length = static_cast<uint32_t>(data.size());
  args.shift = static_cast<uint32_t>(target % 4);
  std::memcpy(reinterpret_cast<uint8_t*>(args.payload) + args.shift, data.data(), data.size());
  return args;
}

Status check_host_transfer(const char* operation, uint64_t device_address, const void* host, uint64_t length) {
  if (length == 0) return Status::Ok();
  const std::string what(operation);
  if (host == nullptr) return invalid_argument(what + ": the host pointer is null");
  if (device_address == 0) return invalid_argument(what + ": the device address is 0");
  uint64_t end = 0;
  if (__builtin_add_overflow(device_address, length, &end)) {
    return invalid_argument(what + ": " + std::to_string(length) + " bytes at device address " +
                            std::to_string(device_address) + " wrap the address space");
  }
  if (__builtin_add_overflow(reinterpret_cast<uintptr_t>(host), length, &end)) {
    return invalid_argument(what + ": " + std::to_string(length) + " bytes at the host pointer wrap the address space");
  }
  return Status::Ok();
}

}  // namespace devbin
