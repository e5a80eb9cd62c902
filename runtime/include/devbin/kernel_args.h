// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Argument checks of the builtin kernels, shared by every backend: what
// device/abi.h says the kernels accept, checked on the host so a bad request
// is an error at enqueue time, never a wrong store. Device addresses are
// plain uint64_t, as in device/abi.h.
#ifndef DEVBIN_KERNEL_ARGS_H_
#define DEVBIN_KERNEL_ARGS_H_

#include <cstdint>
#include <span>

#include "devbin/status.h"
#include "device/abi.h"

namespace devbin {

// Fill arguments: width 1, 2, 4, 8 or 16; target and length multiples of it;
// the range must not wrap. The pattern's `width` bytes are replicated to 16.
Result<devbin_fill_args_t> make_fill_args(uint64_t target, uint64_t length, std::span<const uint8_t> pattern);
// Copy arguments: any offsets and length; ranges must not wrap or overlap.
Result<devbin_copy_args_t> make_copy_args(uint64_t target, uint64_t source, uint64_t length);
// Timestamp arguments: the record is non-null and 8-byte aligned.
Result<devbin_timestamp_args_t> make_timestamp_args(uint64_t record);
// Dispatch-patch arguments: packet 64-byte aligned, counts 4-byte aligned
// (both non-null), status 4-byte aligned (0: none), each workgroup size
// 1..65535 (the AQL packet's 16-bit fields).
Status check_dispatch_args(const devbin_dispatch_args_t& args);

}  // namespace devbin

#endif  // DEVBIN_KERNEL_ARGS_H_
