// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "describe.h"

#include <algorithm>
#include <string>

#include "devbin/code_object.h"
#include "devbin_internal/elf.h"
#include "fatbin.h"

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

// ELFABIVERSION_CUDA_V1 (CUDA < 12.8): SM in e_flags bits 0-7, 0x800 for
// sm_XXa; V2 (CUDA 12.8+): SM in bits 8-15, 0x8 for sm_XXa (the runtime's
// cubin reader, runtime/internal/src/cubin.cc, reads them the same way).
struct HeaderTarget {
  uint32_t sm = 0;
  bool arch_specific = false;
};
std::optional<HeaderTarget> cubin_header_target(uint8_t abi_version, uint32_t e_flags) {
  HeaderTarget out;
  if (abi_version == 7) {
    out.sm = e_flags & 0xff;
    out.arch_specific = (e_flags & 0x800) != 0;
  } else if (abi_version == 8) {
    out.sm = (e_flags >> 8) & 0xff;
    out.arch_specific = (e_flags & 0x8) != 0;
  } else {
    return std::nullopt;
  }
  if (out.sm < 10) return std::nullopt;
  return out;
}

}  // namespace

Decoded decode_code_object(std::span<const uint8_t> bytes) {
  Decoded out;
  out.size = bytes.size();
  out.bitcode = is_bitcode(bytes);
  if (!out.bitcode) out.info = inspect_code_object(bytes);
  return out;
}

std::optional<Decoded> decode_cubin_header(std::span<const uint8_t> prefix, uint64_t size, uint64_t fatbin_flags) {
  if (prefix.size() < elf::kHeaderSize || !std::equal(elf::kMagic, elf::kMagic + 4, prefix.begin())) {
    return std::nullopt;
  }
  Result<elf::Header> header = elf::parse_header(prefix.first(elf::kHeaderSize));
  if (!header.ok() || header->machine != elf::kMachineCuda) return std::nullopt;
  const std::optional<HeaderTarget> target = cubin_header_target(header->abi_version, header->flags);
  if (!target) return std::nullopt;
  CodeObjectInfo info;
  info.format = CodeObjectFormat::kCudaCubin;
  info.e_type = header->type;
  info.e_machine = header->machine;
  info.os_abi = header->os_abi;
  info.abi_version = header->abi_version;
  info.e_flags = header->flags;
  info.nvidia.kind = NvidiaCodeKind::kSass;
  info.nvidia.major = target->sm / 10;
  info.nvidia.minor = target->sm % 10;
  info.nvidia.suffix = target->arch_specific || (fatbin_flags & kFatbinFlagArchSpecific) != 0
                           ? NvidiaArchSuffix::kArchSpecific
                           : NvidiaArchSuffix::kNone;
  Decoded out;
  out.size = size;
  out.header_only = true;
  out.info = std::move(info);
  return out;
}

bool arch_flag_agrees(const CodeObjectInfo& info, uint64_t fatbin_flags) {
  if (info.format != CodeObjectFormat::kCudaCubin) return true;
  const std::optional<HeaderTarget> target = cubin_header_target(info.abi_version, info.e_flags);
  const bool predicted =
      (target && target->arch_specific) || (fatbin_flags & kFatbinFlagArchSpecific) != 0;
  return predicted == (info.nvidia.suffix == NvidiaArchSuffix::kArchSpecific);
}

void Describer::describe(FoundCodeObject& found, const Decoded& decoded) {
  found.size = decoded.size;
  if (decoded.bitcode) {
    found.format = "llvm-bitcode";
    found.loadable = false;
    found.needs_link = true;
    found.note = "LLVM bitcode (-fgpu-rdc): the device link step compiles and links it into a code object when "
                 "the program is linked; no runtime loads it as it is";
    return;
  }
  const Result<CodeObjectInfo>& info = decoded.info;
  if (!info.ok()) {
    found.format = "unknown";
    found.loadable = false;
    found.note = "unreadable: " + info.status().message();
    return;
  }
  found.format = std::string(code_object_format_name(info->format));
  found.kernels_known = !decoded.header_only;
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
