// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// CUDA cubins: the SM from e_flags, kernels from the symbol table, parameter
// sizes from the EIATTR records of each kernel's ".nv.info.<name>" section.
// NVIDIA documents none of this; the layouts below were measured on ptxas 13.0
// output (sm_75..sm_121, arch-specific "a" variants) and agree with the
// open-source cubin readers (cuda-gdb, cudaparsers).
#include <algorithm>
#include <string>

#include "devbin_internal/inspect.h"

namespace devbin::code_object {
namespace {

// ELFABIVERSION_CUDA_V1 (CUDA < 12.8): SM in e_flags bits 0-7; V2 (CUDA
// 12.8+): SM in bits 8-15 (LLVM BinaryFormat/ELF.h: EF_CUDA_SM, EF_CUDA_SM_MASK).
constexpr uint8_t kCudaAbiV1 = 7;
constexpr uint8_t kCudaAbiV2 = 8;
constexpr uint32_t kAcceleratorsV1 = 0x800;  // EF_CUDA_ACCELERATORS_V1
constexpr uint32_t kAcceleratorsV2 = 0x8;    // EF_CUDA_ACCELERATORS

// EIFMT_*: how an attribute record carries its value.
constexpr uint8_t kFormatNoValue = 1;   // EIFMT_NVAL
constexpr uint8_t kFormatByte = 2;      // EIFMT_BVAL
constexpr uint8_t kFormatHalf = 3;      // EIFMT_HVAL
constexpr uint8_t kFormatSized = 4;     // EIFMT_SVAL: 2-byte size + payload

// EIATTR_*.
constexpr uint8_t kAttrParamCbank = 0x0a;      // u32 symbol, u16 offset, u16 size
constexpr uint8_t kAttrFrameSize = 0x11;       // u32 symbol, u32 bytes (in .nv.info)
constexpr uint8_t kAttrKparamInfo = 0x17;      // u32 index, u16 ordinal, u16 offset, u32 flags (size in 31:18)
constexpr uint8_t kAttrCbankParamSize = 0x19;  // u16 bytes
// .nv.compat (EICOMPAT_ATTR_*): attribute 9 is 1 in sm_XXa cubins and 0 in
// sm_XX and sm_XXf ones (measured); "f" leaves no mark outside the tool notes.
constexpr uint8_t kCompatIsaClass = 0x09;
constexpr uint8_t kIsaClassArchSpecific = 1;

// CUDA lays parameters out at their natural alignment in an 8-byte aligned
// buffer; the cubin records sizes and offsets but no alignment, so 8 is the
// most it can promise and what a by-value struct of 8-byte fields needs.
constexpr uint32_t kParameterAlign = 8;

struct Attribute {
  uint8_t format = 0;
  uint8_t id = 0;
  uint16_t value = 0;                // EIFMT_BVAL / EIFMT_HVAL
  std::span<const uint8_t> payload;  // EIFMT_SVAL
};

size_t align_to(size_t value, size_t align) { return (value + align - 1) / align * align; }

Result<std::vector<Attribute>> parse_attributes(std::span<const uint8_t> data, std::string_view section_name) {
  std::vector<Attribute> attributes;
  size_t pos = 0;
  while (pos < data.size()) {
    auto bad = [&](std::string_view what) {
      return data_loss(std::string(section_name) + " record at offset " + std::to_string(pos) + ": " +
                       std::string(what));
    };
    if (data.size() - pos < 2) return bad("truncated: expected a format and an attribute byte");
    Attribute attribute;
    attribute.format = data[pos];
    attribute.id = data[pos + 1];
    size_t next = 0;
    switch (attribute.format) {
      case kFormatNoValue:
        next = align_to(pos + 2, 4);
        break;
      case kFormatByte:
        if (data.size() - pos < 3) return bad("truncated: expected a 1-byte value");
        attribute.value = data[pos + 2];
        next = align_to(pos + 3, 2);
        break;
      case kFormatHalf:
        if (data.size() - pos < 4) return bad("truncated: expected a 2-byte value");
        attribute.value = elf::load_u16(data, pos + 2);
        next = pos + 4;
        break;
      case kFormatSized: {
        if (data.size() - pos < 4) return bad("truncated: expected a 2-byte size");
        const uint16_t size = elf::load_u16(data, pos + 2);
        if (data.size() - pos - 4 < size) {
          return bad("attribute " + elf::hex(attribute.id) + " claims " + std::to_string(size) + " bytes; only " +
                     std::to_string(data.size() - pos - 4) + " remain");
        }
        attribute.payload = data.subspan(pos + 4, size);
        next = pos + 4 + size;
        break;
      }
      default:
        return bad("unknown format " + std::to_string(attribute.format) +
                   ": expected 1 (EIFMT_NVAL), 2 (EIFMT_BVAL), 3 (EIFMT_HVAL) or 4 (EIFMT_SVAL)");
    }
    attributes.push_back(attribute);
    pos = next;
  }
  return attributes;
}

struct KernelParameters {
  uint32_t size = 0;
};

Result<KernelParameters> decode_parameters(const elf::Section& section) {
  const std::string name(section.name);
  DEVBIN_ASSIGN_OR_RETURN(const std::vector<Attribute> attributes, parse_attributes(section.data, name));
  bool have_cbank_size = false;
  uint32_t cbank_size = 0;
  bool have_param_cbank = false;
  uint32_t param_cbank_size = 0;
  uint64_t kparam_end = 0;
  for (const Attribute& attribute : attributes) {
    if (attribute.id == kAttrCbankParamSize && attribute.format == kFormatHalf) {
      have_cbank_size = true;
      cbank_size = attribute.value;
    } else if (attribute.id == kAttrParamCbank && attribute.format == kFormatSized) {
      if (attribute.payload.size() != 8) {
        return data_loss(name + ": EIATTR_PARAM_CBANK has " + std::to_string(attribute.payload.size()) +
                         " bytes: expected 8");
      }
      have_param_cbank = true;
      param_cbank_size = elf::load_u16(attribute.payload, 6);
    } else if (attribute.id == kAttrKparamInfo && attribute.format == kFormatSized) {
      if (attribute.payload.size() != 12) {
        return data_loss(name + ": EIATTR_KPARAM_INFO has " + std::to_string(attribute.payload.size()) +
                         " bytes: expected 12");
      }
      const uint32_t offset = elf::load_u16(attribute.payload, 6);
      const uint32_t size = elf::load_u32(attribute.payload, 8) >> 18;
      kparam_end = std::max<uint64_t>(kparam_end, uint64_t{offset} + size);
    }
  }
  if (have_cbank_size && have_param_cbank && cbank_size != param_cbank_size) {
    return data_loss(name + ": EIATTR_CBANK_PARAM_SIZE says " + std::to_string(cbank_size) +
                     " parameter bytes, EIATTR_PARAM_CBANK " + std::to_string(param_cbank_size));
  }
  KernelParameters parameters;
  if (have_cbank_size) {
    parameters.size = cbank_size;
  } else if (have_param_cbank) {
    parameters.size = param_cbank_size;
  } else {
    parameters.size = static_cast<uint32_t>(kparam_end);  // at most 0xffff + 0x3fff
  }
  if (kparam_end > parameters.size) {
    return data_loss(name + ": EIATTR_KPARAM_INFO places a parameter ending at byte " + std::to_string(kparam_end) +
                     " of a " + std::to_string(parameters.size) + "-byte parameter block");
  }
  return parameters;
}

// EIATTR_FRAME_SIZE of each symbol, from the module-wide ".nv.info".
Result<std::vector<std::pair<uint32_t, uint32_t>>> frame_sizes(const elf::File& file) {
  std::vector<std::pair<uint32_t, uint32_t>> sizes;
  const elf::Section* section = file.find_section(".nv.info");
  if (section == nullptr) return sizes;
  DEVBIN_ASSIGN_OR_RETURN(const std::vector<Attribute> attributes, parse_attributes(section->data, ".nv.info"));
  for (const Attribute& attribute : attributes) {
    if (attribute.id != kAttrFrameSize || attribute.format != kFormatSized) continue;
    if (attribute.payload.size() != 8) {
      return data_loss(".nv.info: EIATTR_FRAME_SIZE has " + std::to_string(attribute.payload.size()) +
                       " bytes: expected 8");
    }
    sizes.emplace_back(elf::load_u32(attribute.payload, 0), elf::load_u32(attribute.payload, 4));
  }
  return sizes;
}

Result<bool> arch_specific_from_compat(const elf::File& file) {
  const elf::Section* section = file.find_section(".nv.compat");
  if (section == nullptr) return false;
  DEVBIN_ASSIGN_OR_RETURN(const std::vector<Attribute> attributes, parse_attributes(section->data, ".nv.compat"));
  for (const Attribute& attribute : attributes) {
    if (attribute.id == kCompatIsaClass && attribute.format == kFormatByte) {
      return attribute.value == kIsaClassArchSpecific;
    }
  }
  return false;
}

}  // namespace

Status inspect_cubin(const elf::File& file, CodeObjectInfo* info) {
  const elf::Header& header = file.header();
  info->format = CodeObjectFormat::kCudaCubin;

  uint32_t sm = 0;
  bool arch_specific = false;
  if (header.abi_version == kCudaAbiV1) {
    sm = header.flags & 0xff;
    arch_specific = (header.flags & kAcceleratorsV1) != 0;
  } else if (header.abi_version == kCudaAbiV2) {
    sm = (header.flags >> 8) & 0xff;
    arch_specific = (header.flags & kAcceleratorsV2) != 0;
  } else {
    return invalid_argument("cubin EI_ABIVERSION " + std::to_string(header.abi_version) +
                            ": expected 7 (SM in e_flags bits 0-7) or 8 (CUDA 12.8+, SM in bits 8-15)");
  }
  if (sm < 10) {
    return data_loss("cubin e_flags " + elf::hex(header.flags) + " (EI_ABIVERSION " +
                     std::to_string(header.abi_version) + ") give SM " + std::to_string(sm) +
                     ": expected an SM version of 10 or more");
  }
  DEVBIN_ASSIGN_OR_RETURN(const bool compat_arch_specific, arch_specific_from_compat(file));
  info->nvidia.kind = NvidiaCodeKind::kSass;
  info->nvidia.major = sm / 10;
  info->nvidia.minor = sm % 10;
  info->nvidia.suffix =
      arch_specific || compat_arch_specific ? NvidiaArchSuffix::kArchSpecific : NvidiaArchSuffix::kNone;

  const elf::Section* symtab = nullptr;
  for (const elf::Section& section : file.sections()) {
    if (section.type == elf::kSectionSymtab) symtab = &section;
  }
  if (symtab == nullptr) return data_loss("cubin has no symbol table (SHT_SYMTAB): expected the kernel symbols");
  DEVBIN_ASSIGN_OR_RETURN(const std::vector<elf::Symbol> symbols, file.symbols(*symtab));
  DEVBIN_ASSIGN_OR_RETURN(const auto frames, frame_sizes(file));

  for (size_t index = 0; index < symbols.size(); ++index) {
    const elf::Symbol& symbol = symbols[index];
    if (symbol.type() != elf::kSymbolFunc || (symbol.other & kSymbolOtherCudaEntry) == 0) continue;
    const elf::Section* text = file.section_at(symbol.section_index);
    const std::string text_name = ".text." + std::string(symbol.name);
    if (text == nullptr || text->name != text_name) {
      return data_loss("cubin kernel symbol " + std::string(symbol.name) + " is in section " +
                       std::to_string(symbol.section_index) + ": expected its own " + text_name + " section");
    }
    KernelInfo kernel;
    kernel.name = std::string(symbol.name);
    kernel.symbol = kernel.name;
    const std::string info_name = ".nv.info." + kernel.name;
    const elf::Section* attributes = file.find_section(info_name);
    if (attributes == nullptr) {
      return data_loss("cubin kernel " + kernel.name + " has no " + info_name + " section: expected its parameter "
                       "attributes");
    }
    DEVBIN_ASSIGN_OR_RETURN(const KernelParameters parameters, decode_parameters(*attributes));
    kernel.kernarg_segment_size = parameters.size;
    kernel.explicit_args_size = parameters.size;
    kernel.kernarg_segment_align = kParameterAlign;
    if (const elf::Section* shared = file.find_section(".nv.shared." + kernel.name); shared != nullptr) {
      kernel.group_segment_fixed_size = static_cast<uint32_t>(std::min<uint64_t>(shared->size, UINT32_MAX));
    }
    for (const auto& [symbol_index, bytes] : frames) {
      if (symbol_index == index) kernel.private_segment_fixed_size = bytes;
    }
    info->kernels.push_back(std::move(kernel));
  }
  return Status::Ok();
}

}  // namespace devbin::code_object
