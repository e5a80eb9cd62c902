// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The neutral half of the vendor paths (devbin/vendor_path.h): naming them,
// a pattern's period, the table lookup every operation makes, and the
// defaults of a queue that takes none.
#include <cstring>
#include <string>

#include "devbin/device.h"
#include "devbin/vendor_path.h"

namespace devbin {

std::string_view vendor_op_name(VendorOpKind kind) {
  switch (kind) {
    case VendorOpKind::kMemset:
      return "memset";
    case VendorOpKind::kWriteValue:
      return "write value";
    case VendorOpKind::kStagedCopy:
      return "staged copy";
  }
  return "unknown";
}

uint32_t pattern_period(std::span<const uint8_t> pattern) {
  for (const uint32_t period : {1u, 2u, 4u}) {
    if (period >= pattern.size() || pattern.size() % period != 0) continue;
    bool repeats = true;
    for (size_t i = period; i < pattern.size() && repeats; ++i) repeats = pattern[i] == pattern[i - period];
    if (repeats) return period;
  }
  return static_cast<uint32_t>(pattern.size());
}

bool Queue::takes(VendorOpKind) const { return false; }

Status Queue::submit_vendor(const VendorOp& op) {
  return failed_precondition("this queue takes no vendor operation (" + std::string(vendor_op_name(op.kind)) +
                             "); the operation runs its kernel");
}

const VendorPathRule* Device::vendor_path(const Queue& queue, VendorPathOperation operation, uint32_t width,
                                          DevicePtr target, uint64_t length) const {
  if (!vendor_paths_on()) return nullptr;
  for (const VendorPathRule& rule : vendor_paths()) {
    if (rule.operation != operation || (rule.width != 0 && rule.width != width)) continue;
    if (rule.alignment == 0 || target % rule.alignment != 0) continue;
    if (length < rule.min_bytes || length > rule.max_bytes) continue;
    if (queue.takes(rule.path)) return &rule;
  }
  return nullptr;
}

}  // namespace devbin
