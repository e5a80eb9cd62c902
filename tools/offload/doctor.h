// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor's rules: which of a file's code objects a GPU's runtime
// would load, and, when none, why each one does not and what rebuild fixes
// it. The choice is the runtime library's own select() (devbin/select.h)
// over the file's code objects, so devbin and the doctor cannot disagree;
// the rules are the HIP/ROCm and CUDA runtimes':
//   AMDGPU: the exact processor, its xnack/sramecc settings compatible (a code
//   object built without the feature runs with either setting, one built
//   feature+ or feature- only with that setting); else the LLVM generic
//   target that covers the processor (target map); never another processor.
//   NVIDIA: a cubin of the GPU's SM; else one of the same major with a lower
//   minor; else PTX of an SM not above the GPU's, compiled by the driver
//   (JIT) if the driver knows its PTX ISA version.
#ifndef DEVBIN_TOOLS_OFFLOAD_DOCTOR_H_
#define DEVBIN_TOOLS_OFFLOAD_DOCTOR_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devbin/select.h"
#include "devbin/status.h"
#include "devbin/target_id.h"
#include "scan.h"

namespace devbin::offload {

// A PTX ISA version: 9.0 is {9, 0}.
struct PtxIsaVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  auto operator<=>(const PtxIsaVersion&) const = default;
  std::string to_string() const;  // "9.0"
};
Result<PtxIsaVersion> parse_ptx_isa_version(std::string_view text);
// The newest PTX ISA a CUDA driver of `cuda_version` (cuDriverGetVersion's
// form: 12040 for 12.4) compiles, from NVIDIA's PTX ISA release history;
// nothing before CUDA 11.0.
std::optional<PtxIsaVersion> newest_ptx_isa_for_driver(int cuda_version);
// The oldest CUDA driver that compiles `ptx` (12040 for 12.4); nothing for a
// version newer than the table knows.
std::optional<int> oldest_driver_for_ptx_isa(PtxIsaVersion ptx);
// "12.4" from 12040.
std::string cuda_version_string(int cuda_version);

// A GPU to diagnose: found on this machine or named with --gpu.
struct GpuQuery {
  std::string label;  // "--gpu gfx90a:xnack-", "HSA agent 0 (AMD Instinct MI210)"
  Target target;
  // NVIDIA: the driver's CUDA version (12040), when known.
  std::optional<int> cuda_driver_version;
};

struct CodeObjectVerdict {
  size_t index = 0;  // into the scan's code_objects
  bool loads = false;
  std::string reason;  // why it loads or why not
};

struct Diagnosis {
  std::optional<size_t> chosen;  // the code object the runtime would load
  SelectionKind kind = SelectionKind::kExact;
  std::string reason;  // why `chosen`, or why nothing loads
  // One for each code object of the GPU's vendor, in scan order.
  std::vector<CodeObjectVerdict> verdicts;
  // When nothing loads: what to change ("add --offload-arch=gfx942", a
  // -gencode, a driver update); empty when something loads.
  std::vector<std::string> fixes;
};

Diagnosis diagnose(const GpuQuery& gpu, std::span<const FoundCodeObject> code_objects);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_DOCTOR_H_
