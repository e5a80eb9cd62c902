// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// AMDGPU kernel descriptors (`<kernel>.kd`, 64 bytes; LLVM AMDGPUUsage,
// "Kernel Descriptor"): read from the loaded image, and held to the kernel's
// metadata and to what the processor's waves can have. A descriptor is what
// the GPU's command processor reads at dispatch: if it grants fewer registers
// than the code uses, the kernel runs with other waves' registers; if its LDS,
// kernarg or scratch sizes disagree with the metadata, the runtime sets the
// dispatch up for a different kernel than the one that runs.
#include <string>

#include "devbin_internal/inspect.h"

namespace devbin::code_object {
namespace {

constexpr uint64_t kDescriptorSize = 64;
// Byte offsets in the descriptor.
constexpr size_t kGroupSegmentOffset = 0;    // group_segment_fixed_size (LDS)
constexpr size_t kPrivateSegmentOffset = 4;  // private_segment_fixed_size (scratch per work-item)
constexpr size_t kKernargSizeOffset = 8;     // kernarg_size
constexpr size_t kRsrc3Offset = 44;          // COMPUTE_PGM_RSRC3
constexpr size_t kRsrc1Offset = 48;          // COMPUTE_PGM_RSRC1
constexpr size_t kRsrc2Offset = 52;          // COMPUTE_PGM_RSRC2
constexpr size_t kPropertiesOffset = 56;     // kernel_code_properties (uint16)
// Fields.
constexpr uint32_t kRsrc1VgprBlocksMask = 0x3f;  // bits 5:0 GRANULATED_WORKITEM_VGPR_COUNT
constexpr unsigned kRsrc1SgprBlocksShift = 6;    // bits 9:6 GRANULATED_WAVEFRONT_SGPR_COUNT
constexpr uint32_t kRsrc1SgprBlocksMask = 0xf;
constexpr uint32_t kRsrc2EnablePrivateSegment = 1u << 0;  // ENABLE_PRIVATE_SEGMENT (SCRATCH_EN)
constexpr uint32_t kRsrc3AccumOffsetMask = 0x3f;          // gfx90a, gfx942: ACCUM_OFFSET = accum_offset / 4 - 1
constexpr uint16_t kPropertyWavefrontSize32 = 1u << 10;   // ENABLE_WAVEFRONT_SIZE32 (gfx10+)
constexpr uint32_t kSgprGranuleGfx9 = 8;                  // GFX9 SGPR blocks are 8 registers each

// What a processor family's waves can have.
struct Limits {
  std::string_view family;
  uint32_t vgpr_granule_wave64 = 0;  // 0: the family has no wave64
  uint32_t vgpr_granule_wave32 = 0;  // 0: the family has no wave32
  uint32_t max_vgprs = 0;            // per work-item, AGPRs included where they share the file
  bool unified_agprs = false;        // gfx90a, gfx942, gfx950: AGPRs follow the VGPRs at accum_offset
  bool separate_agprs = false;       // gfx908: a second file of the same size
  bool sgpr_blocks = false;          // GFX9 allocates SGPRs from RSRC1; GFX10+ always 128 (the field must be 0)
  uint32_t max_sgprs = 0;            // the metadata's count (VCC, flat scratch, XNACK mask included)
  uint32_t max_lds = 0;              // bytes per workgroup
};

bool any_of(std::string_view processor, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (processor == name) return true;
  }
  return false;
}

// The family of `processor` (an exact processor or a generic target), or one
// with an empty family name when none is known. A generic target's limits are
// those of the least capable processor it covers.
Limits limits_for(std::string_view processor) {
  // GFX9: 256 VGPRs per work-item in blocks of 4, up to 112 SGPRs per wave
  // in blocks of 8, 64 KiB of LDS (gfx950: 160 KiB).
  if (processor.starts_with("gfx9")) {
    Limits limits{.family = "GFX9", .vgpr_granule_wave64 = 4, .max_vgprs = 256, .sgpr_blocks = true,
                  .max_sgprs = 112, .max_lds = 64 * 1024};
    if (any_of(processor, {"gfx90a", "gfx940", "gfx941", "gfx942", "gfx950", "gfx9-4-generic"})) {
      limits.family = "GFX90A/GFX942 (unified VGPR and AGPR file)";
      limits.vgpr_granule_wave64 = 8;
      limits.max_vgprs = 512;
      limits.unified_agprs = true;
      if (processor == "gfx950") limits.max_lds = 160 * 1024;
    } else if (processor == "gfx908") {
      limits.family = "GFX908 (separate AGPR file)";
      limits.separate_agprs = true;
    }
    return limits;
  }
  // GFX12.5: 1024 VGPRs per work-item in blocks of 16, wave32 only, 320 KiB of LDS.
  if (processor.starts_with("gfx125")) {
    return {.family = "GFX12.5", .vgpr_granule_wave32 = 16, .max_vgprs = 1024, .max_sgprs = 108,
            .max_lds = 320 * 1024};
  }
  // GFX10-GFX12: 256 VGPRs per work-item, in blocks of 8 (wave32) or 4
  // (wave64); 106 addressable SGPRs and VCC; 64 KiB of LDS.
  if (processor.starts_with("gfx10") || processor.starts_with("gfx11") || processor.starts_with("gfx12")) {
    return {.family = "GFX10-GFX12", .vgpr_granule_wave64 = 4, .vgpr_granule_wave32 = 8, .max_vgprs = 256,
            .max_sgprs = 108, .max_lds = 64 * 1024};
  }
  return {};
}

uint32_t round_up(uint32_t value, uint32_t granule) { return (value + granule - 1) / granule * granule; }

// The checks of one kernel; the caller names the kernel in the error.
Status check_kernel(const KernelInfo& kernel, const Limits& limits, std::string_view processor) {
  if (kernel.descriptor.size() != kDescriptorSize) {
    return failed_precondition("has no kernel descriptor: the code object defines no symbol " + kernel.symbol +
                               " (the 64-byte descriptor its metadata .symbol names) in its loaded segments");
  }
  const std::span<const uint8_t> d = kernel.descriptor;
  const uint32_t group = elf::load_u32(d, kGroupSegmentOffset);
  const uint32_t private_size = elf::load_u32(d, kPrivateSegmentOffset);
  const uint32_t kernarg = elf::load_u32(d, kKernargSizeOffset);
  const uint32_t rsrc1 = elf::load_u32(d, kRsrc1Offset);
  const uint32_t rsrc2 = elf::load_u32(d, kRsrc2Offset);
  const uint32_t rsrc3 = elf::load_u32(d, kRsrc3Offset);
  const uint16_t properties = elf::load_u16(d, kPropertiesOffset);
  const std::string in = " in its descriptor " + kernel.symbol;

  // Segment sizes: the descriptor's and the metadata's must agree.
  const std::pair<std::string_view, std::pair<uint32_t, uint32_t>> sizes[] = {
      {"group_segment_fixed_size (LDS bytes)", {group, kernel.group_segment_fixed_size}},
      {"kernarg_size", {kernarg, kernel.kernarg_segment_size}},
      {"private_segment_fixed_size (scratch bytes per work-item)", {private_size, kernel.private_segment_fixed_size}},
  };
  for (const auto& [name, values] : sizes) {
    if (values.first != values.second) {
      return failed_precondition("has " + std::string(name) + " " + std::to_string(values.first) + in +
                                 "; its metadata says " + std::to_string(values.second));
    }
  }
  if (group > limits.max_lds) {
    return failed_precondition("needs " + std::to_string(group) + " bytes of LDS; " + std::string(processor) +
                               " has " + std::to_string(limits.max_lds) + " per workgroup");
  }
  if (private_size != 0 && (rsrc2 & kRsrc2EnablePrivateSegment) == 0) {
    return failed_precondition("needs " + std::to_string(private_size) + " bytes of scratch per work-item but " +
                               "COMPUTE_PGM_RSRC2" + in + " does not enable the private segment (bit 0)");
  }

  // Wave size: the property bit, the metadata and the family.
  const bool wave32 = (properties & kPropertyWavefrontSize32) != 0;
  const uint32_t wave = wave32 ? 32 : 64;
  const uint32_t granule = wave32 ? limits.vgpr_granule_wave32 : limits.vgpr_granule_wave64;
  if (granule == 0) {
    return failed_precondition("is built for wave" + std::to_string(wave) + " (kernel_code_properties bit 10" + in +
                               "); " + std::string(processor) + " (" + std::string(limits.family) +
                               ") runs wave" + (wave32 ? "64" : "32") + " only");
  }
  if (kernel.wavefront_size != wave) {
    return failed_precondition("runs as wave" + std::to_string(wave) + " by kernel_code_properties bit 10" + in +
                               "; its metadata .wavefront_size is " + std::to_string(kernel.wavefront_size));
  }

  // VGPRs (and AGPRs): what RSRC1 grants must hold what the metadata counts.
  if (kernel.vgpr_count == 0 || kernel.sgpr_count == 0) {
    return failed_precondition("has no .vgpr_count or .sgpr_count in its metadata: expected both (code object v4+)");
  }
  const uint32_t granted_vgprs = ((rsrc1 & kRsrc1VgprBlocksMask) + 1) * granule;
  uint32_t needed_vgprs = kernel.vgpr_count;
  std::string needed_what = ".vgpr_count " + std::to_string(kernel.vgpr_count);
  if (limits.unified_agprs) {
    const uint32_t accum_offset = ((rsrc3 & kRsrc3AccumOffsetMask) + 1) * 4;
    if (accum_offset < kernel.vgpr_count || accum_offset > 256) {
      return failed_precondition("puts its AGPRs at accum_offset " + std::to_string(accum_offset) +
                                 " (COMPUTE_PGM_RSRC3" + in + "); expected " + std::to_string(round_up(kernel.vgpr_count, 4)) +
                                 " to 256 for .vgpr_count " + std::to_string(kernel.vgpr_count));
    }
    needed_vgprs = accum_offset + kernel.agpr_count;
    needed_what = "accum_offset " + std::to_string(accum_offset) + " + .agpr_count " + std::to_string(kernel.agpr_count);
  } else if (limits.separate_agprs) {
    if (kernel.agpr_count > needed_vgprs) {
      needed_vgprs = kernel.agpr_count;
      needed_what = ".agpr_count " + std::to_string(kernel.agpr_count);
    }
  } else if (kernel.agpr_count != 0) {
    return failed_precondition("counts " + std::to_string(kernel.agpr_count) + " AGPRs; " + std::string(processor) +
                               " has none");
  }
  if (needed_vgprs > limits.max_vgprs) {
    return failed_precondition("needs " + std::to_string(needed_vgprs) + " VGPRs (" + needed_what + "); " +
                               std::string(processor) + " has " + std::to_string(limits.max_vgprs) + " per work-item");
  }
  if (granted_vgprs < needed_vgprs) {
    return failed_precondition("is granted " + std::to_string(granted_vgprs) + " VGPRs by COMPUTE_PGM_RSRC1" + in +
                               " (granulated count " + std::to_string(rsrc1 & kRsrc1VgprBlocksMask) + ", blocks of " +
                               std::to_string(granule) + "); its metadata needs " + std::to_string(needed_vgprs) +
                               " (" + needed_what + "): expected a granulated count of at least " +
                               std::to_string(round_up(needed_vgprs, granule) / granule - 1));
  }
  if (granted_vgprs > round_up(limits.max_vgprs, granule)) {
    return failed_precondition("is granted " + std::to_string(granted_vgprs) + " VGPRs by COMPUTE_PGM_RSRC1" + in +
                               "; " + std::string(processor) + " has " + std::to_string(limits.max_vgprs));
  }

  // SGPRs.
  if (kernel.sgpr_count > limits.max_sgprs) {
    return failed_precondition("needs " + std::to_string(kernel.sgpr_count) + " SGPRs (.sgpr_count); " +
                               std::string(processor) + " gives a wave at most " + std::to_string(limits.max_sgprs));
  }
  const uint32_t sgpr_blocks = (rsrc1 >> kRsrc1SgprBlocksShift) & kRsrc1SgprBlocksMask;
  if (limits.sgpr_blocks) {
    const uint32_t granted = (sgpr_blocks + 1) * kSgprGranuleGfx9;
    if (granted < kernel.sgpr_count || granted > round_up(limits.max_sgprs, kSgprGranuleGfx9)) {
      return failed_precondition("is granted " + std::to_string(granted) + " SGPRs by COMPUTE_PGM_RSRC1" + in +
                                 " (granulated count " + std::to_string(sgpr_blocks) + ", blocks of 8); expected " +
                                 std::to_string(round_up(kernel.sgpr_count, kSgprGranuleGfx9)) + " to " +
                                 std::to_string(limits.max_sgprs) + " for .sgpr_count " +
                                 std::to_string(kernel.sgpr_count));
    }
  } else if (sgpr_blocks != 0) {
    return failed_precondition("has granulated SGPR count " + std::to_string(sgpr_blocks) + " in COMPUTE_PGM_RSRC1" +
                               in + ": expected 0 (" + std::string(limits.family) + " allocates SGPRs itself)");
  }
  return Status::Ok();
}

}  // namespace

Status read_amdgpu_kernel_descriptors(const elf::File& file, CodeObjectInfo* info) {
  std::vector<elf::Symbol> symbols;
  for (std::string_view table : {".dynsym", ".symtab"}) {
    const elf::Section* section = file.find_section(table);
    if (section == nullptr) continue;
    DEVBIN_ASSIGN_OR_RETURN(std::vector<elf::Symbol> found, file.symbols(*section));
    symbols.insert(symbols.end(), found.begin(), found.end());
  }
  for (KernelInfo& kernel : info->kernels) {
    kernel.descriptor.clear();
    const elf::Symbol* symbol = nullptr;
    for (const elf::Symbol& candidate : symbols) {
      if (candidate.name == kernel.symbol && candidate.section_index != 0) symbol = &candidate;
    }
    if (symbol == nullptr) continue;
    // A relocatable object (no PT_LOAD) or a symbol outside the loaded bytes
    // leaves the descriptor empty: inspection reports what it can, and
    // validation refuses a kernel without one.
    for (const elf::Segment& segment : file.segments()) {
      if (segment.type != elf::kSegmentLoad || symbol->value < segment.vaddr) continue;
      const uint64_t offset = symbol->value - segment.vaddr;
      if (!elf::range_fits(offset, kDescriptorSize, segment.data.size())) continue;
      const auto bytes = segment.data.subspan(offset, kDescriptorSize);
      kernel.descriptor.assign(bytes.begin(), bytes.end());
      break;
    }
  }
  return Status::Ok();
}

Status validate_amdgpu_kernel_resources(const CodeObjectInfo& info) {
  const Limits limits = limits_for(info.processor);
  if (limits.family.empty()) {
    return failed_precondition("no register and LDS limits are known for " + info.processor +
                               ": expected a GFX9, GFX10, GFX11 or GFX12 processor");
  }
  for (const KernelInfo& kernel : info.kernels) {
    Status status = check_kernel(kernel, limits, info.processor);
    if (!status.ok()) {
      return Status(status.code(), "kernel " + kernel.name + " " + status.message());
    }
  }
  return Status::Ok();
}

}  // namespace devbin::code_object
