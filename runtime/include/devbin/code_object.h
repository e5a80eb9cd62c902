// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Code-object inspection and validation: typed, bounds-checked views over
// untrusted bytes (AMDGPU HSACO, CUDA cubin, PTX text). Nothing here trusts an
// offset or a length it has not checked against the buffer.
#ifndef DEVBIN_CODE_OBJECT_H_
#define DEVBIN_CODE_OBJECT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devbin/status.h"
#include "devbin/target_id.h"
#include "devbin/toc.h"

namespace devbin {

enum class CodeObjectFormat : uint8_t { kAmdgpuHsaco, kCudaCubin, kPtx };
std::string_view code_object_format_name(CodeObjectFormat format);  // "amdgpu-hsaco", "cuda-cubin", "ptx"

// One argument of an AMDGPU kernel, from the metadata note's ".args".
struct KernelArg {
  uint32_t offset = 0;
  uint32_t size = 0;
  std::string value_kind;  // "by_value", "global_buffer", "hidden_block_count_x", …
};

struct KernelInfo {
  std::string name;
  std::string symbol;                // AMDGPU: the kernel descriptor symbol "<name>.kd"; cubin/PTX: the name
  uint32_t explicit_args_size = 0;   // bytes of the arguments the host passes (hidden ones excluded)
  uint32_t kernarg_segment_size = 0; // AMDGPU: whole kernarg segment incl. hidden args; cubin/PTX: parameter bytes
  uint32_t kernarg_segment_align = 0;
  uint32_t group_segment_fixed_size = 0;    // AMDGPU LDS / CUDA static shared memory, where known
  uint32_t private_segment_fixed_size = 0;  // AMDGPU scratch / CUDA local memory, where known
  std::vector<KernelArg> args;              // AMDGPU only
  // AMDGPU: the metadata's register counts and wave size (.vgpr_count,
  // .sgpr_count, .agpr_count, .wavefront_size); 0 where the metadata omits one.
  uint32_t vgpr_count = 0;
  uint32_t sgpr_count = 0;
  uint32_t agpr_count = 0;
  uint32_t wavefront_size = 0;
  // AMDGPU: the 64-byte kernel descriptor `symbol` names, as a loader maps it;
  // empty when the file has no such symbol (validation then refuses it).
  std::vector<uint8_t> descriptor;
};

struct CodeObjectInfo {
  CodeObjectFormat format = CodeObjectFormat::kAmdgpuHsaco;
  // ELF header (zero for PTX).
  uint16_t e_type = 0;  // ET_DYN (3) for a loadable HSACO, ET_EXEC (2) for a loadable cubin
  uint16_t e_machine = 0;
  uint8_t os_abi = 0;
  uint8_t abi_version = 0;
  uint32_t e_flags = 0;

  // AMDGPU.
  uint32_t code_object_version = 0;  // 4, 5, 6 (from EI_ABIVERSION 2, 3, 4)
  uint32_t mach = 0;                 // EF_AMDGPU_MACH
  std::string processor;             // "gfx11-generic", "gfx90a" ("" when the mach is unknown)
  FeatureSetting xnack = FeatureSetting::kUnsupported;
  FeatureSetting sramecc = FeatureSetting::kUnsupported;
  uint32_t generic_version = 0;
  std::string metadata_target;  // the metadata's "amdhsa.target", e.g. "amdgcn-amd-amdhsa--gfx90a:xnack+"

  // NVIDIA: cubin SM or PTX ".target".
  NvidiaTarget nvidia;
  std::string ptx_version;  // PTX ".version", e.g. "7.0"

  std::vector<KernelInfo> kernels;

  // "amdgcn-amd-amdhsa--gfx11-generic", "nvptx64-nvidia-cuda--sm_90".
  std::string target_name() const;
  const KernelInfo* find_kernel(std::string_view name) const;
};

// Decodes any supported code object. Truncated, foreign or corrupt bytes give
// a clean error saying what was expected and what was found.
Result<CodeObjectInfo> inspect_code_object(std::span<const uint8_t> bytes);

// Checks a decoded blob against the TOC entry it came from (triple, target,
// features) and its kernels against the host ABI (device/abi.h): every ABI
// kernel present with the argument size and alignment the host will pass.
Status validate_code_object(const TocEntry& entry, const CodeObjectInfo& info);

// inspect + validate, with the entry name in any error.
Result<CodeObjectInfo> inspect_and_validate(const TocEntry& entry);

}  // namespace devbin

#endif  // DEVBIN_CODE_OBJECT_H_
