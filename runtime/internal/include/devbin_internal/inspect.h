// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The per-format decoders behind inspect_code_object (code_object.cc picks one
// by content). Each fills the fields of CodeObjectInfo its format defines.
#ifndef DEVBIN_INTERNAL_INSPECT_H_
#define DEVBIN_INTERNAL_INSPECT_H_

#include <span>
#include <string_view>

#include "devbin/code_object.h"
#include "devbin/status.h"
#include "devbin_internal/elf.h"

namespace devbin::code_object {

// NT_AMDGPU_METADATA: the note type and owner of the msgpack kernel metadata.
inline constexpr uint32_t kNoteAmdgpuMetadata = 32;
inline constexpr std::string_view kNoteOwnerAmdgpu = "AMDGPU";
inline constexpr uint8_t kOsAbiAmdgpuHsa = 64;

// cuda-gdb's STO_CUDA_ENTRY: the st_other bit ptxas sets on __global__ kernels.
inline constexpr uint8_t kSymbolOtherCudaEntry = 0x10;

// The inspectors fill the vendor fields of `info`; inspect_code_object has
// already copied the ELF header fields (e_type, e_machine, e_flags, ...).
Status inspect_amdgpu(const elf::File& file, CodeObjectInfo* info);
// Decodes the msgpack metadata note body into info->kernels and
// info->metadata_target.
Status parse_amdgpu_metadata(std::span<const uint8_t> note_desc, CodeObjectInfo* info);

// Copies each kernel's 64-byte descriptor (its metadata .symbol, in .dynsym
// or .symtab, mapped through the PT_LOAD segments) into KernelInfo::descriptor.
// A kernel without one, or whose symbol lies outside the loaded bytes (a
// relocatable object), keeps an empty descriptor.
Status read_amdgpu_kernel_descriptors(const elf::File& file, CodeObjectInfo* info);
// Holds each kernel's descriptor to its metadata and to the limits of the
// processor (info.processor): registers (VGPR, SGPR, AGPR granules), wave
// size, LDS, kernarg and private segment sizes (LLVM AMDGPUUsage, "Kernel
// Descriptor").
Status validate_amdgpu_kernel_resources(const CodeObjectInfo& info);

Status inspect_cubin(const elf::File& file, CodeObjectInfo* info);

// True when the first thing in `bytes` after whitespace and comments is a PTX
// ".version" directive.
bool looks_like_ptx(std::span<const uint8_t> bytes);
Status inspect_ptx(std::span<const uint8_t> bytes, CodeObjectInfo* info);

}  // namespace devbin::code_object

#endif  // DEVBIN_INTERNAL_INSPECT_H_
