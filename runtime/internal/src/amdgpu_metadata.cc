// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// AMDGPU HSA code objects (v4, v5, v6): the ELF header's target fields and the
// msgpack kernel metadata of the NT_AMDGPU_METADATA note (LLVM AMDGPUUsage,
// "Code Object V3 Metadata" and later).
#include <bit>
#include <string>

#include "devbin/target_map.h"
#include "devbin_internal/inspect.h"
#include "devbin_internal/msgpack.h"

namespace devbin::code_object {
namespace {

constexpr std::string_view kHiddenPrefix = "hidden_";

// EF_AMDGPU_* fields of e_flags (code object v4+).
constexpr uint32_t kMachMask = 0xff;
constexpr unsigned kXnackShift = 8;
constexpr unsigned kSrameccShift = 10;
constexpr unsigned kGenericVersionShift = 24;

std::string describe_kernel(size_t index, std::string_view name) {
  std::string text = "kernel " + std::to_string(index);
  if (!name.empty()) text += " (" + std::string(name) + ")";
  return text;
}

std::string describe_found(const msgpack::Value& value) {
  std::string text(msgpack::type_name(value.type));
  if (value.type == msgpack::Type::kPositiveInteger) text += " " + std::to_string(value.unsigned_value);
  return text;
}

Status get_string(const msgpack::Value& map, std::string_view key, std::string_view where, std::string* out) {
  const msgpack::Value* value = map.find(key);
  if (value == nullptr) return data_loss(std::string(where) + " has no " + std::string(key));
  if (value->type != msgpack::Type::kString) {
    return data_loss(std::string(where) + " " + std::string(key) + " is a " + describe_found(*value) +
                     ": expected a string");
  }
  *out = std::string(value->bytes);
  return Status::Ok();
}

Status get_u32(const msgpack::Value& map, std::string_view key, std::string_view where, uint32_t* out) {
  const msgpack::Value* value = map.find(key);
  if (value == nullptr) return data_loss(std::string(where) + " has no " + std::string(key));
  if (value->type != msgpack::Type::kPositiveInteger || value->unsigned_value > UINT32_MAX) {
    return data_loss(std::string(where) + " " + std::string(key) + " is a " + describe_found(*value) +
                     ": expected an integer from 0 to 4294967295");
  }
  *out = static_cast<uint32_t>(value->unsigned_value);
  return Status::Ok();
}

Status parse_kernel(const msgpack::Value& map, size_t index, KernelInfo* kernel) {
  if (map.type != msgpack::Type::kMap) {
    return data_loss(describe_kernel(index, "") + " of amdhsa.kernels is a " + describe_found(map) +
                     ": expected a map");
  }
  DEVBIN_RETURN_IF_ERROR(get_string(map, ".name", describe_kernel(index, ""), &kernel->name));
  const std::string where = describe_kernel(index, kernel->name);
  DEVBIN_RETURN_IF_ERROR(get_string(map, ".symbol", where, &kernel->symbol));
  DEVBIN_RETURN_IF_ERROR(get_u32(map, ".kernarg_segment_size", where, &kernel->kernarg_segment_size));
  DEVBIN_RETURN_IF_ERROR(get_u32(map, ".kernarg_segment_align", where, &kernel->kernarg_segment_align));
  DEVBIN_RETURN_IF_ERROR(get_u32(map, ".group_segment_fixed_size", where, &kernel->group_segment_fixed_size));
  DEVBIN_RETURN_IF_ERROR(get_u32(map, ".private_segment_fixed_size", where, &kernel->private_segment_fixed_size));
  // Required by code object v4+ metadata, but an inspector of foreign files
  // takes their absence as 0; validation of devbin's own objects refuses it.
  for (const auto& [key, out] : {std::pair<std::string_view, uint32_t*>{".vgpr_count", &kernel->vgpr_count},
                                 {".sgpr_count", &kernel->sgpr_count},
                                 {".agpr_count", &kernel->agpr_count},
                                 {".wavefront_size", &kernel->wavefront_size}}) {
    if (map.find(key) != nullptr) DEVBIN_RETURN_IF_ERROR(get_u32(map, key, where, out));
  }
  if (!std::has_single_bit(kernel->kernarg_segment_align)) {
    return data_loss(where + " .kernarg_segment_align is " + std::to_string(kernel->kernarg_segment_align) +
                     ": expected a power of two");
  }
  const msgpack::Value* args = map.find(".args");
  if (args == nullptr) return Status::Ok();  // a kernel without arguments may omit .args
  if (args->type != msgpack::Type::kArray) {
    return data_loss(where + " .args is a " + describe_found(*args) + ": expected an array");
  }
  uint64_t explicit_end = 0;
  for (size_t i = 0; i < args->items.size(); ++i) {
    const msgpack::Value& arg_map = args->items[i];
    const std::string arg_where = where + " argument " + std::to_string(i);
    if (arg_map.type != msgpack::Type::kMap) {
      return data_loss(arg_where + " is a " + describe_found(arg_map) + ": expected a map");
    }
    KernelArg arg;
    DEVBIN_RETURN_IF_ERROR(get_u32(arg_map, ".offset", arg_where, &arg.offset));
    DEVBIN_RETURN_IF_ERROR(get_u32(arg_map, ".size", arg_where, &arg.size));
    DEVBIN_RETURN_IF_ERROR(get_string(arg_map, ".value_kind", arg_where, &arg.value_kind));
    const uint64_t end = uint64_t{arg.offset} + arg.size;
    if (end > kernel->kernarg_segment_size) {
      return data_loss(arg_where + " (offset " + std::to_string(arg.offset) + ", size " + std::to_string(arg.size) +
                       ") ends past the " + std::to_string(kernel->kernarg_segment_size) +
                       "-byte kernarg segment");
    }
    if (!arg.value_kind.starts_with(kHiddenPrefix) && end > explicit_end) explicit_end = end;
    kernel->args.push_back(std::move(arg));
  }
  kernel->explicit_args_size = static_cast<uint32_t>(explicit_end);
  return Status::Ok();
}

}  // namespace

Status parse_amdgpu_metadata(std::span<const uint8_t> note_desc, CodeObjectInfo* info) {
  DEVBIN_ASSIGN_OR_RETURN(const msgpack::Value root, msgpack::parse(note_desc));
  if (root.type != msgpack::Type::kMap) {
    return data_loss("the metadata is a " + describe_found(root) + ": expected a map");
  }
  if (const msgpack::Value* target = root.find("amdhsa.target"); target != nullptr) {
    if (target->type != msgpack::Type::kString) {
      return data_loss("amdhsa.target is a " + describe_found(*target) + ": expected a string");
    }
    info->metadata_target = std::string(target->bytes);
  }
  const msgpack::Value* kernels = root.find("amdhsa.kernels");
  if (kernels == nullptr) return data_loss("the metadata has no amdhsa.kernels");
  if (kernels->type != msgpack::Type::kArray) {
    return data_loss("amdhsa.kernels is a " + describe_found(*kernels) + ": expected an array");
  }
  info->kernels.clear();
  for (size_t i = 0; i < kernels->items.size(); ++i) {
    KernelInfo kernel;
    DEVBIN_RETURN_IF_ERROR(parse_kernel(kernels->items[i], i, &kernel));
    info->kernels.push_back(std::move(kernel));
  }
  return Status::Ok();
}

Status inspect_amdgpu(const elf::File& file, CodeObjectInfo* info) {
  const elf::Header& header = file.header();
  info->format = CodeObjectFormat::kAmdgpuHsaco;
  if (header.os_abi != kOsAbiAmdgpuHsa) {
    return invalid_argument("AMDGPU ELF EI_OSABI " + std::to_string(header.os_abi) +
                            ": expected 64 (ELFOSABI_AMDGPU_HSA); PAL and Mesa code objects are not HSA code objects");
  }
  // EI_ABIVERSION 2, 3, 4 are code object v4, v5, v6; v2/v3 (0, 1) use an
  // older e_flags layout and metadata this reader does not decode.
  if (header.abi_version < 2 || header.abi_version > 4) {
    return invalid_argument("AMDGPU ELF EI_ABIVERSION " + std::to_string(header.abi_version) + " (code object v" +
                            std::to_string(header.abi_version + 2) +
                            "): expected 2, 3 or 4 (code object v4, v5 or v6)");
  }
  info->code_object_version = header.abi_version + 2u;
  info->mach = header.flags & kMachMask;
  info->processor = std::string(amdgpu_mach_name(info->mach));
  info->xnack = static_cast<FeatureSetting>((header.flags >> kXnackShift) & 3);
  info->sramecc = static_cast<FeatureSetting>((header.flags >> kSrameccShift) & 3);
  info->generic_version = info->code_object_version >= 6 ? header.flags >> kGenericVersionShift : 0;

  DEVBIN_ASSIGN_OR_RETURN(const std::vector<elf::Note> notes, file.notes());
  for (const elf::Note& note : notes) {
    if (note.type != kNoteAmdgpuMetadata || note.owner != kNoteOwnerAmdgpu) continue;
    Status status = parse_amdgpu_metadata(note.desc, info);
    if (!status.ok()) {
      status.annotate("NT_AMDGPU_METADATA note");
      return status;
    }
    return read_amdgpu_kernel_descriptors(file, info);
  }
  return data_loss("AMDGPU code object has no NT_AMDGPU_METADATA note (type 32, owner \"AMDGPU\"): "
                   "expected the kernel metadata every code object v4+ carries");
}

}  // namespace devbin::code_object
