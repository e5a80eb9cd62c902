// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "inspect_format.h"

#include <cstdio>
#include <string>

#include "devbin_internal/text.h"
#include "json.h"

namespace devbin::cli {
namespace {

using util::hex;

std::string_view elf_type_name(uint16_t type) {
  switch (type) {
    case 1: return "ET_REL";
    case 2: return "ET_EXEC";
    case 3: return "ET_DYN";
    default: return "unknown";
  }
}

std::string_view machine_name(uint16_t machine) {
  switch (machine) {
    case 190: return "EM_CUDA";
    case 224: return "EM_AMDGPU";
    default: return "unknown";
  }
}

bool is_elf(const CodeObjectInfo& info) { return info.format != CodeObjectFormat::kPtx; }

// ", hidden_block_count_x 288+4": the hidden arguments are summarised, the
// explicit ones listed.
std::string describe_args(const KernelInfo& kernel) {
  std::string explicit_args;
  size_t hidden = 0;
  for (const KernelArg& arg : kernel.args) {
    if (arg.value_kind.starts_with("hidden_")) {
      ++hidden;
      continue;
    }
    explicit_args += (explicit_args.empty() ? "" : ", ") + arg.value_kind + " at " + std::to_string(arg.offset) +
                     " (" + std::to_string(arg.size) + " bytes)";
  }
  std::string out = explicit_args.empty() ? "none" : explicit_args;
  if (hidden != 0) out += "; " + std::to_string(hidden) + " hidden";
  return out;
}

}  // namespace

std::string format_code_object(const CodeObjectInfo& info, std::string_view file_name) {
  std::string out(file_name);
  out += ": ";
  out += code_object_format_name(info.format);
  out += ", ";
  out += info.target_name();
  out += "\n";
  if (is_elf(info)) {
    out += "  ELF: type " + std::to_string(info.e_type) + " (" + std::string(elf_type_name(info.e_type)) +
           "), machine " + std::to_string(info.e_machine) + " (" + std::string(machine_name(info.e_machine)) +
           "), OS/ABI " + std::to_string(info.os_abi) + ", ABI version " + std::to_string(info.abi_version) +
           ", flags " + hex(info.e_flags) + "\n";
  }
  switch (info.format) {
    case CodeObjectFormat::kAmdgpuHsaco:
      out += "  code object v" + std::to_string(info.code_object_version) + ", mach " + hex(info.mach) + " (" +
             (info.processor.empty() ? std::string("unknown") : info.processor) + "), xnack " +
             std::string(feature_setting_name(info.xnack)) + ", sramecc " +
             std::string(feature_setting_name(info.sramecc));
      if (info.generic_version != 0) out += ", generic version " + std::to_string(info.generic_version);
      out += "\n";
      if (!info.metadata_target.empty()) out += "  metadata target: " + info.metadata_target + "\n";
      break;
    case CodeObjectFormat::kCudaCubin:
      out += "  SM " + std::to_string(info.nvidia.major) + "." + std::to_string(info.nvidia.minor) + " (" +
             info.nvidia.to_string() + ")\n";
      break;
    case CodeObjectFormat::kPtx:
      out += "  PTX ISA " + info.ptx_version + ", " + info.nvidia.to_string() + "\n";
      break;
  }
  out += "  " + std::to_string(info.kernels.size()) + (info.kernels.size() == 1 ? " kernel" : " kernels") +
         (info.kernels.empty() ? "\n" : ":\n");
  for (const KernelInfo& kernel : info.kernels) {
    out += "    " + kernel.name;
    if (kernel.symbol != kernel.name) out += " (symbol " + kernel.symbol + ")";
    out += ": explicit args " + std::to_string(kernel.explicit_args_size) + " bytes, kernarg segment " +
           std::to_string(kernel.kernarg_segment_size) + " bytes aligned to " +
           std::to_string(kernel.kernarg_segment_align);
    if (is_elf(info)) {
      out += ", group segment " + std::to_string(kernel.group_segment_fixed_size) + " bytes, private segment " +
             std::to_string(kernel.private_segment_fixed_size) + " bytes";
    }
    out += "\n";
    if (!kernel.args.empty()) out += "      args: " + describe_args(kernel) + "\n";
  }
  return out;
}

std::string code_object_json(const CodeObjectInfo& info) {
  std::string out = "{\"format\": " + json_string(code_object_format_name(info.format)) +
                    ", \"target\": " + json_string(info.target_name());
  auto field = [&out](std::string_view name, const std::string& json_value) {
    out += ", ";
    out += json_string(name);
    out += ": ";
    out += json_value;
  };
  if (is_elf(info)) {
    field("e_type", std::to_string(info.e_type));
    field("e_machine", std::to_string(info.e_machine));
    field("os_abi", std::to_string(info.os_abi));
    field("abi_version", std::to_string(info.abi_version));
    field("e_flags", std::to_string(info.e_flags));
  }
  if (info.format == CodeObjectFormat::kAmdgpuHsaco) {
    field("code_object_version", std::to_string(info.code_object_version));
    field("mach", std::to_string(info.mach));
    field("processor", json_string(info.processor));
    field("xnack", json_string(feature_setting_name(info.xnack)));
    field("sramecc", json_string(feature_setting_name(info.sramecc)));
    field("generic_version", std::to_string(info.generic_version));
    field("metadata_target", json_string(info.metadata_target));
  } else {
    field("nvidia_target", json_string(info.nvidia.to_string()));
    if (info.format == CodeObjectFormat::kPtx) field("ptx_version", json_string(info.ptx_version));
  }
  out += ", \"kernels\": [";
  bool first_kernel = true;
  for (const KernelInfo& kernel : info.kernels) {
    out += first_kernel ? "{" : ", {";
    first_kernel = false;
    out += "\"name\": " + json_string(kernel.name) + ", \"symbol\": " + json_string(kernel.symbol) +
           ", \"explicit_args_size\": " + std::to_string(kernel.explicit_args_size) +
           ", \"kernarg_segment_size\": " + std::to_string(kernel.kernarg_segment_size) +
           ", \"kernarg_segment_align\": " + std::to_string(kernel.kernarg_segment_align);
    if (is_elf(info)) {
      out += ", \"group_segment_fixed_size\": " + std::to_string(kernel.group_segment_fixed_size) +
             ", \"private_segment_fixed_size\": " + std::to_string(kernel.private_segment_fixed_size);
    }
    if (info.format == CodeObjectFormat::kAmdgpuHsaco) {
      out += ", \"args\": [";
      bool first_arg = true;
      for (const KernelArg& arg : kernel.args) {
        out += first_arg ? "{" : ", {";
        first_arg = false;
        out += "\"offset\": " + std::to_string(arg.offset) + ", \"size\": " + std::to_string(arg.size) +
               ", \"value_kind\": " + json_string(arg.value_kind) + "}";
      }
      out += "]";
    }
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace devbin::cli
