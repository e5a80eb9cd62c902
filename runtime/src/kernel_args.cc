// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/kernel_args.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "util/text.h"

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

Result<devbin_timestamp_args_t> make_timestamp_args(uint64_t record) {
  if (record == 0 || record % 8 != 0) {
    return invalid_argument("timestamp: record address " + std::to_string(record) + " is null or not 8-byte aligned");
  }
  devbin_timestamp_args_t args{};
  args.target = record;
  return args;
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
  for (int i = 0; i < 3; ++i) {
    if (args.workgroup_size[i] == 0 || args.workgroup_size[i] > 0xffff) {
      return invalid_argument("dispatch_patch: workgroup_size[" + std::to_string(i) + "] is " +
                              std::to_string(args.workgroup_size[i]) +
                              "; expected 1..65535 (the AQL packet's 16-bit field)");
    }
  }
  return Status::Ok();
}

}  // namespace devbin
