// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "describe.h"

#include <string>

#include "code_object/elf.h"
#include "devbin/code_object.h"

namespace devbin::offload {
namespace {

// LLVM bitcode: the raw magic "BC" c0 de, or the wrapper 0x0B17C0DE.
bool is_bitcode(std::span<const uint8_t> bytes) {
  if (bytes.size() < 4) return false;
  const uint32_t magic = elf::load_u32(bytes, 0);
  return magic == 0xdec04342 || magic == 0x0b17c0de;
}

// A fat binary entry names only the SM number (90 for sm_90 and sm_90a);
// the code object's own header may say more (sm_90a in its e_flags or
// .nv.compat, .target sm_90a in PTX) or less. When the SM agrees, the more
// specific name is kept: `own` when it has a suffix the container's lacks.
bool same_nvidia_sm(const std::string& own, const std::string& named) {
  Result<NvidiaTarget> a = parse_nvidia_target(own);
  Result<NvidiaTarget> b = parse_nvidia_target(named);
  return a.ok() && b.ok() && a->kind == b->kind && a->number() == b->number();
}

bool more_specific(const std::string& own, const std::string& named) {
  Result<NvidiaTarget> a = parse_nvidia_target(own);
  Result<NvidiaTarget> b = parse_nvidia_target(named);
  return a.ok() && b.ok() && a->suffix != NvidiaArchSuffix::kNone && b->suffix == NvidiaArchSuffix::kNone;
}

}  // namespace

void Describer::describe(FoundCodeObject& found, std::span<const uint8_t> bytes) {
  found.size = bytes.size();
  if (is_bitcode(bytes)) {
    found.format = "llvm-bitcode";
    found.loadable = false;
    found.needs_link = true;
    found.note = "LLVM bitcode (-fgpu-rdc): the device link step compiles and links it into a code object when "
                 "the program is linked; no runtime loads it as it is";
    return;
  }
  Result<CodeObjectInfo> info = inspect_code_object(bytes);
  if (!info.ok()) {
    found.format = "unknown";
    found.loadable = false;
    found.note = "unreadable: " + info.status().message();
    return;
  }
  found.format = std::string(code_object_format_name(info->format));
  found.kernels_known = true;
  if (info->format != CodeObjectFormat::kPtx && info->e_type == elf::kTypeRel) {
    found.loadable = false;
    found.needs_link = true;
    found.note = info->format == CodeObjectFormat::kCudaCubin
                     ? "relocatable device code (nvcc -rdc): nvlink links it into a cubin when the program is "
                       "linked; no driver loads it as it is"
                     : "a relocatable object (-fgpu-rdc): the device link makes it a loadable code object";
  }
  found.kernel_count = info->kernels.size();
  for (const KernelInfo& kernel : info->kernels) {
    if (kernel.name.size() > names_left_) break;  // counted, not kept
    names_left_ -= kernel.name.size();
    found.kernels.push_back(kernel.name);
  }
  std::string own;
  switch (info->format) {
    case CodeObjectFormat::kAmdgpuHsaco: {
      if (info->processor.empty()) {
        found.note = "the code object's EF_AMDGPU_MACH " + elf::hex(info->mach) + " names no processor devbin knows";
        found.loadable = found.loadable && !found.target.empty();
        break;
      }
      AmdgpuTargetId id{info->processor, info->sramecc, info->xnack};
      // The ELF says "unsupported" where the target ID leaves a feature out.
      if (id.sramecc == FeatureSetting::kUnsupported) id.sramecc = FeatureSetting::kAny;
      if (id.xnack == FeatureSetting::kUnsupported) id.xnack = FeatureSetting::kAny;
      own = id.to_string();
      break;
    }
    case CodeObjectFormat::kCudaCubin:
      own = info->nvidia.to_string();
      break;
    case CodeObjectFormat::kPtx:
      own = info->nvidia.to_string();
      if (!info->ptx_version.empty()) {
        if (!found.ptx_version.empty() && found.ptx_version != info->ptx_version) {
          found.note = "the fat binary entry says PTX ISA " + found.ptx_version + ", the text .version " +
                       info->ptx_version;
        }
        found.ptx_version = info->ptx_version;
      }
      break;
  }
  if (found.target.empty()) {
    found.target = own;
  } else if (!own.empty() && own != found.target) {
    if (!same_nvidia_sm(own, found.target)) {
      found.note = "the container names " + found.target + " but the code object's own header says " + own;
    } else if (more_specific(own, found.target)) {
      found.target = own;
    }
  }
}

}  // namespace devbin::offload
