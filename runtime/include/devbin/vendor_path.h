// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The vendor's cheaper path for small operations: where the driver has a call
// that gives exactly a builtin kernel's result for less (cuMemsetD32Async for
// a fill of a 4-byte pattern, cuStreamWriteValue32 for a 4-byte update), the
// operations layer (runtime/src/operations.cc) hands the operation to the
// queue as one vendor operation instead of a kernel launch.
//
// The choice is one table per backend (Device::vendor_paths): the first rule
// that matches the operation, its pattern period, its target's alignment and
// its length, and whose kind the queue takes now (Queue::takes), wins; no
// match is the kernel path. Every path keeps the operation's semantics:
//   - the bytes of an update are taken before the call returns (a staged
//     copy copies them into devbin's own page-locked staging memory first);
//   - the queue's order is kept (the vendor operation is stream-ordered);
//   - a stream being captured into a CUDA graph records the same bytes: a
//     path that would read memory at replay time (the staged copy) is not
//     taken while capturing, so the operation is captured as its kernel;
//   - a Recorder records kernels only, so it takes no vendor path.
// The measurements behind each rule's sizes are in bench/RESULTS.md; `devbin
// bench` prints the table and re-measures the crossovers.
#ifndef DEVBIN_VENDOR_PATH_H_
#define DEVBIN_VENDOR_PATH_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace devbin {

// What a queue does instead of a kernel.
enum class VendorOpKind : uint8_t {
  kMemset,      // `length` bytes of a `width`-byte value (1, 2 or 4): cuMemsetD8/16/32Async
  kWriteValue,  // one `width`-byte value (4 or 8) at a `width`-aligned target: cuStreamWriteValue32/64
  kStagedCopy,  // `data` copied into staging memory, then a host-to-device copy from it: cuMemcpyHtoDAsync
};
std::string_view vendor_op_name(VendorOpKind kind);  // "memset", "write value", "staged copy"

// The operations a vendor path can stand in for.
enum class VendorPathOperation : uint8_t { kFill, kUpdate };

struct VendorOp {
  VendorOpKind kind = VendorOpKind::kMemset;
  uint64_t target = 0;
  uint64_t length = 0;  // bytes
  uint32_t width = 0;   // kMemset, kWriteValue: the value's bytes
  uint64_t value = 0;   // kMemset, kWriteValue: the value, little-endian in `width` bytes
  std::span<const uint8_t> data;  // kStagedCopy: `length` bytes, the caller's until the call returns
};

// One row of a backend's table: operations of `operation` whose pattern
// period is `width` (a fill; 0 for any) or whose length is `width` (a
// write-value update), whose target is a multiple of `alignment` and whose
// length lies in [min_bytes, max_bytes], take `path`.
struct VendorPathRule {
  VendorPathOperation operation = VendorPathOperation::kFill;
  VendorOpKind path = VendorOpKind::kMemset;
  uint32_t width = 0;
  uint32_t alignment = 1;
  uint64_t min_bytes = 0;
  uint64_t max_bytes = 0;
  // Why the rule stops where it does: one line for `devbin bench`.
  std::string_view reason;
};

// The smallest period of `pattern` among 1, 2 and 4 bytes that repeats to the
// whole pattern (a fill of {7,7,7,7} is a fill of {7}); the pattern's own
// width when none does.
uint32_t pattern_period(std::span<const uint8_t> pattern);

}  // namespace devbin

#endif  // DEVBIN_VENDOR_PATH_H_
