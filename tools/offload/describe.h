// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One code object's bytes decoded into what the scan reports: format,
// kernels, and the target its own header gives, checked against the one its
// container names. The kernel names a report keeps are bounded (a library of
// thousands of code objects names the same kernels for every target).
#ifndef DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_
#define DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_

#include <cstdint>
#include <span>

#include "scan.h"

namespace devbin::offload {

class Describer {
 public:
  explicit Describer(uint64_t kernel_name_limit) : names_left_(kernel_name_limit) {}
  // Fills `found` (its location, vendor and the container's target already
  // set) from the code object's `bytes`.
  void describe(FoundCodeObject& found, std::span<const uint8_t> bytes);

 private:
  uint64_t names_left_;
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_
