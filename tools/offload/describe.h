// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// One code object's bytes decoded into what the scan reports: format,
// kernels, and the target its own header gives, checked against the one its
// container names. The kernel names a report keeps are bounded (a library of
// thousands of code objects names the same kernels for every target).
#ifndef DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_
#define DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "devbin/code_object.h"
#include "scan.h"

namespace devbin::offload {

// What a code object's bytes say, decoded on any thread (the scan reads fat
// binary entries in parallel); the Describer then applies it to the report
// in scan order, so the kernel names kept do not depend on timing.
struct Decoded {
  uint64_t size = 0;  // of the whole code object
  bool bitcode = false;
  // Only the ELF header was read (a cubin's first 64 bytes): format, e_type
  // and the SM, with the fat binary entry's arch-specific flag; no kernels.
  bool header_only = false;
  Result<CodeObjectInfo> info = internal_error("not decoded");
};
Decoded decode_code_object(std::span<const uint8_t> bytes);
// A cubin from its first bytes: nothing when they are not the header of an
// ELF cubin this reader would accept (the caller then reads it whole).
// `fatbin_flags` says sm_XXa where e_flags do not (nvcc 13, kFatbinFlagArchSpecific).
std::optional<Decoded> decode_cubin_header(std::span<const uint8_t> prefix, uint64_t size, uint64_t fatbin_flags);
// Whether a cubin read whole has the arch-specific suffix that its ELF header
// and fat binary entry flags alone predict (decode_cubin_header's rule).
bool arch_flag_agrees(const CodeObjectInfo& info, uint64_t fatbin_flags);

class Describer {
 public:
  explicit Describer(uint64_t kernel_name_limit) : names_left_(kernel_name_limit) {}
  // Fills `found` (its location, vendor and the container's target already
  // set) from the code object's `bytes`.
  void describe(FoundCodeObject& found, std::span<const uint8_t> bytes) { describe(found, decode_code_object(bytes)); }
  void describe(FoundCodeObject& found, const Decoded& decoded);

 private:
  uint64_t names_left_;
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_DESCRIBE_H_
