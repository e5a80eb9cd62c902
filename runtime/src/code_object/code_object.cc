// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// inspect_code_object picks a decoder by content; validate_code_object holds a
// decoded blob to its TOC entry and to the host ABI in device/abi.h.
#include "devbin/code_object.h"

#include <iterator>
#include <string>

#include "devbin/target_map.h"
#include "devbin_internal/elf.h"
#include "devbin_internal/inspect.h"
#include "device/abi.h"

namespace devbin {
namespace {

std::string_view extension_of(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

// What the TOC entry says its bytes are.
CodeObjectFormat expected_format(const TocEntry& entry) {
  if (entry.triple == kAmdgpuTriple) return CodeObjectFormat::kAmdgpuHsaco;
  if (extension_of(entry.name) == "ptx" || entry.target.starts_with("compute_")) return CodeObjectFormat::kPtx;
  return CodeObjectFormat::kCudaCubin;
}

bool feature_fits(FeatureSetting wanted, FeatureSetting blob) {
  if (wanted == FeatureSetting::kAny || wanted == FeatureSetting::kUnsupported) {
    return blob == FeatureSetting::kAny || blob == FeatureSetting::kUnsupported;
  }
  return blob == wanted;
}

Status validate_amdgpu(const TocEntry& entry, const CodeObjectInfo& info) {
  if (info.e_type != elf::kTypeDyn) {
    return failed_precondition("the code object is ELF type " + std::to_string(info.e_type) +
                               ": expected 3 (ET_DYN, the linked shared object an HSA loader accepts)");
  }
  if (info.processor.empty()) {
    return failed_precondition("EF_AMDGPU_MACH " + elf::hex(info.mach) +
                               " is not a processor the target map knows; the TOC entry says " +
                               std::string(entry.target));
  }
  if (info.processor != entry.target) {
    return failed_precondition("the code object is built for " + info.processor + " (EF_AMDGPU_MACH " +
                               elf::hex(info.mach) + "); the TOC entry says " + std::string(entry.target));
  }
  DEVBIN_ASSIGN_OR_RETURN(const AmdgpuTargetId wanted, parse_amdgpu_target_id(entry.target_id()));
  const std::pair<std::string_view, std::pair<FeatureSetting, FeatureSetting>> features[] = {
      {"xnack", {wanted.xnack, info.xnack}},
      {"sramecc", {wanted.sramecc, info.sramecc}},
  };
  for (const auto& [name, settings] : features) {
    const auto [want, have] = settings;
    if (feature_fits(want, have)) continue;
    const std::string expected = want == FeatureSetting::kAny
                                     ? "any (built without " + std::string(name) + "+/-)"
                                     : std::string(feature_setting_name(want));
    return failed_precondition("the code object's " + std::string(name) + " setting is " +
                               std::string(feature_setting_name(have)) + " (e_flags " + elf::hex(info.e_flags) +
                               "); the TOC entry (features '" + std::string(entry.features) + "') expects " +
                               expected);
  }
  if (info.processor.ends_with("-generic")) {
    if (info.code_object_version < 6) {
      return failed_precondition("generic target " + info.processor + " in code object v" +
                                 std::to_string(info.code_object_version) + ": generic targets need code object v6");
    }
    if (info.generic_version < 1) {
      return failed_precondition("generic target " + info.processor +
                                 " has EF_AMDGPU_GENERIC_VERSION 0: expected 1 or more");
    }
    if (const AmdgpuCodeObject* mapped = find_amdgpu_code_object(info.processor);
        mapped != nullptr && info.generic_version < mapped->generic_version) {
      return failed_precondition("generic target " + info.processor + " has generic version " +
                                 std::to_string(info.generic_version) + "; the target map needs " +
                                 std::to_string(mapped->generic_version) + " for the processors it covers");
    }
  }
  if (!info.metadata_target.empty()) {
    const AmdgpuTargetId id{.processor = info.processor, .sramecc = info.sramecc, .xnack = info.xnack};
    if (info.metadata_target != id.to_isa_name()) {
      return failed_precondition("the metadata's amdhsa.target '" + info.metadata_target +
                                 "' disagrees with the ELF header (" + id.to_isa_name() + ")");
    }
  }
  return code_object::validate_amdgpu_kernel_resources(info);
}

Status validate_nvidia(const TocEntry& entry, const CodeObjectInfo& info) {
  DEVBIN_ASSIGN_OR_RETURN(const NvidiaTarget wanted, parse_nvidia_target(entry.target));
  const bool ptx = info.format == CodeObjectFormat::kPtx;
  if (!ptx && info.e_type != elf::kTypeExec) {
    return failed_precondition("the cubin is ELF type " + std::to_string(info.e_type) +
                               ": expected 2 (ET_EXEC, a linked cubin the CUDA driver loads)");
  }
  if (wanted.kind != (ptx ? NvidiaCodeKind::kPtx : NvidiaCodeKind::kSass)) {
    return failed_precondition("the TOC entry target " + std::string(entry.target) + " is " +
                               (ptx ? "not a compute_XX PTX target" : "not an sm_XX cubin target") +
                               " but the bytes are " + (ptx ? "PTX" : "a cubin"));
  }
  const std::string found = ptx ? ".target " + NvidiaTarget{NvidiaCodeKind::kSass, info.nvidia.major,
                                                            info.nvidia.minor, info.nvidia.suffix}
                                                   .to_string()
                                : info.nvidia.to_string() + " (e_flags " + elf::hex(info.e_flags) + ")";
  if (wanted.number() != info.nvidia.number()) {
    return failed_precondition("the code object is built for " + found + "; the TOC entry says " +
                               std::string(entry.target));
  }
  // A cubin's family ("f") build leaves no mark in the ELF, so an "f" entry
  // accepts a plain cubin of its SM; "a" is recorded and must match.
  NvidiaArchSuffix want_suffix = wanted.suffix;
  if (!ptx && want_suffix == NvidiaArchSuffix::kFamily) want_suffix = NvidiaArchSuffix::kNone;
  if (want_suffix != info.nvidia.suffix) {
    return failed_precondition("the code object is built for " + found + "; the TOC entry says " +
                               std::string(entry.target));
  }
  return Status::Ok();
}

Status validate_kernel(const CodeObjectInfo& info, std::string_view name, std::string_view type, size_t size,
                       size_t align) {
  const KernelInfo* kernel = info.find_kernel(name);
  if (kernel == nullptr) {
    std::string present;
    for (const KernelInfo& k : info.kernels) present += (present.empty() ? "" : ", ") + k.name;
    return failed_precondition("kernel " + std::string(name) + " is missing; the code object has " +
                               (present.empty() ? std::string("no kernels") : "kernels " + present));
  }
  if (kernel->explicit_args_size != size) {
    return failed_precondition("kernel " + std::string(name) + " takes " + std::to_string(kernel->explicit_args_size) +
                               " argument bytes; the host ABI (device/abi.h " + std::string(type) + ") passes " +
                               std::to_string(size));
  }
  if (kernel->kernarg_segment_align < align) {
    return failed_precondition("kernel " + std::string(name) + " aligns its arguments to " +
                               std::to_string(kernel->kernarg_segment_align) + " bytes; the host ABI (device/abi.h " +
                               std::string(type) + ") needs " + std::to_string(align));
  }
  return Status::Ok();
}

}  // namespace

std::string_view code_object_format_name(CodeObjectFormat format) {
  // Indexed by CodeObjectFormat, in its order.
  static constexpr std::string_view kNames[] = {"amdgpu-hsaco", "cuda-cubin", "ptx"};
  const auto index = static_cast<size_t>(format);
  return index < std::size(kNames) ? kNames[index] : "unknown";
}

std::string CodeObjectInfo::target_name() const {
  if (format == CodeObjectFormat::kAmdgpuHsaco) {
    const AmdgpuTargetId id{.processor = processor.empty() ? "unknown-mach-" + elf::hex(mach) : processor,
                            .sramecc = sramecc,
                            .xnack = xnack};
    return id.to_isa_name();
  }
  return std::string(kNvptxTriple) + "--" + nvidia.to_string();
}

const KernelInfo* CodeObjectInfo::find_kernel(std::string_view name) const {
  for (const KernelInfo& kernel : kernels) {
    if (kernel.name == name) return &kernel;
  }
  return nullptr;
}

Result<CodeObjectInfo> inspect_code_object(std::span<const uint8_t> bytes) {
  CodeObjectInfo info;
  if (bytes.size() >= 4 && bytes[0] == elf::kMagic[0] && bytes[1] == elf::kMagic[1] && bytes[2] == elf::kMagic[2] &&
      bytes[3] == elf::kMagic[3]) {
    DEVBIN_ASSIGN_OR_RETURN(const elf::Header header, elf::parse_header(bytes));
    if (header.machine != elf::kMachineAmdgpu && header.machine != elf::kMachineCuda) {
      return invalid_argument("not a GPU code object: ELF e_machine " + std::to_string(header.machine) + " (" +
                              std::string(elf::machine_name(header.machine)) +
                              "), expected 224 (EM_AMDGPU) or 190 (EM_CUDA)");
    }
    DEVBIN_ASSIGN_OR_RETURN(const elf::File file, elf::File::parse(bytes));
    // The ELF header's fields, as both vendors' inspectors report them.
    info.e_type = header.type;
    info.e_machine = header.machine;
    info.os_abi = header.os_abi;
    info.abi_version = header.abi_version;
    info.e_flags = header.flags;
    if (header.machine == elf::kMachineAmdgpu) {
      DEVBIN_RETURN_IF_ERROR(code_object::inspect_amdgpu(file, &info));
    } else {
      DEVBIN_RETURN_IF_ERROR(code_object::inspect_cubin(file, &info));
    }
    return info;
  }
  if (code_object::looks_like_ptx(bytes)) {
    DEVBIN_RETURN_IF_ERROR(code_object::inspect_ptx(bytes, &info));
    return info;
  }
  return invalid_argument("not a code object: expected an ELF file (7f 45 4c 46) or PTX text, found " +
                          elf::hex_bytes(bytes, 4));
}

Status validate_code_object(const TocEntry& entry, const CodeObjectInfo& info) {
  Status status = [&]() -> Status {
    const CodeObjectFormat expected = expected_format(entry);
    if (info.format != expected) {
      return failed_precondition("the TOC entry is " + std::string(code_object_format_name(expected)) +
                                 " but the bytes are " + std::string(code_object_format_name(info.format)));
    }
    if (info.format == CodeObjectFormat::kAmdgpuHsaco) {
      DEVBIN_RETURN_IF_ERROR(validate_amdgpu(entry, info));
    } else {
      DEVBIN_RETURN_IF_ERROR(validate_nvidia(entry, info));
    }
#define DEVBIN_VALIDATE_KERNEL_(name, type) \
  DEVBIN_RETURN_IF_ERROR(validate_kernel(info, #name, #type, sizeof(type), alignof(type)));
    DEVBIN_ABI_KERNELS(DEVBIN_VALIDATE_KERNEL_)
#undef DEVBIN_VALIDATE_KERNEL_
    return Status::Ok();
  }();
  if (!status.ok()) status.annotate(entry.name);
  return status;
}

Result<CodeObjectInfo> inspect_and_validate(const TocEntry& entry) {
  if (entry.data == nullptr && entry.size != 0) {
    return invalid_argument(std::string(entry.name) + ": the TOC entry has no bytes but a size of " +
                            std::to_string(entry.size));
  }
  Result<CodeObjectInfo> info = inspect_code_object(entry.bytes());
  if (!info.ok()) {
    Status status = info.status();
    status.annotate(entry.name);
    return status;
  }
  DEVBIN_RETURN_IF_ERROR(validate_code_object(entry, *info));
  return info;
}

}  // namespace devbin
