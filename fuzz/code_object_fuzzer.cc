// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Code objects as the loader meets them: inspect_code_object over any bytes
// (ELF header, sections, notes, symbols, AMDGPU msgpack metadata, cubin
// .nv.info, PTX text), then validate_code_object against the TOC entry the
// blob claims to be and against entries of every other kind. Properties
// beyond "no crash": the decoded fields agree with the format, every kernel is
// found by name, and a blob never validates as an entry of another format.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "devbin/code_object.h"
#include "devbin/toc.h"
#include "fuzz/fuzz_check.h"

namespace {

using devbin::CodeObjectFormat;
using devbin::CodeObjectInfo;
using devbin::TocEntry;

// The TOC entry name a build would give this blob.
std::string entry_name_for(const CodeObjectInfo& info) {
  switch (info.format) {
    case CodeObjectFormat::kAmdgpuHsaco: {
      const devbin::AmdgpuTargetId id{info.processor, info.sramecc, info.xnack};
      return std::string(devbin::kAmdgpuTriple) + "--" + id.to_string() + ".so";
    }
    case CodeObjectFormat::kCudaCubin:
      return std::string(devbin::kNvptxTriple) + "--" + info.nvidia.to_string() + ".cubin";
    case CodeObjectFormat::kPtx:
      return std::string(devbin::kNvptxTriple) + "--" + info.nvidia.to_string() + ".ptx";
  }
  return "";
}

void check_info(const CodeObjectInfo& info) {
  switch (info.format) {
    case CodeObjectFormat::kAmdgpuHsaco:
      DEVBIN_FUZZ_CHECK(info.e_machine == 224, "an AMDGPU code object with e_machine " + std::to_string(info.e_machine));
      break;
    case CodeObjectFormat::kCudaCubin:
      DEVBIN_FUZZ_CHECK(info.e_machine == 190, "a cubin with e_machine " + std::to_string(info.e_machine));
      DEVBIN_FUZZ_CHECK(info.nvidia.kind == devbin::NvidiaCodeKind::kSass, "a cubin whose target is not sm_");
      break;
    case CodeObjectFormat::kPtx:
      DEVBIN_FUZZ_CHECK(info.e_machine == 0, "PTX with an ELF machine");
      DEVBIN_FUZZ_CHECK(info.nvidia.kind == devbin::NvidiaCodeKind::kPtx, "PTX whose target is not compute_");
      break;
  }
  DEVBIN_FUZZ_CHECK(!devbin::code_object_format_name(info.format).empty(), "a format without a name");
  (void)info.target_name();
  for (const devbin::KernelInfo& kernel : info.kernels) {
    DEVBIN_FUZZ_CHECK(info.find_kernel(kernel.name) != nullptr, "find_kernel misses kernel '" + kernel.name + "'");
    for (const devbin::KernelArg& arg : kernel.args) (void)arg.value_kind.size();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  devbin::Result<CodeObjectInfo> info = devbin::inspect_code_object(bytes);
  devbin::fuzz::check_result(info);
  if (!info.ok()) return 0;
  check_info(*info);

  // Validate against the entry it claims to be (when its target has a name).
  const std::string name = entry_name_for(*info);
  TocEntry own;
  if (devbin::parse_toc_entry_name(name, &own).ok()) {
    own.data = data;
    own.size = size;
    devbin::Status valid = devbin::validate_code_object(own, *info);
    if (!valid.ok()) devbin::fuzz::check_error(valid);
    devbin::Result<CodeObjectInfo> both = devbin::inspect_and_validate(own);
    devbin::fuzz::check_result(both);
    DEVBIN_FUZZ_CHECK(both.ok() == valid.ok(), "inspect_and_validate disagrees with inspect + validate");
  }

  // Entries of each kind: a blob of one format never passes as another.
  static constexpr const char* kOthers[] = {
      "amdgcn-amd-amdhsa--gfx11-generic.so", "amdgcn-amd-amdhsa--gfx90a:xnack+.so",
      "nvptx64-nvidia-cuda--sm_90.cubin", "nvptx64-nvidia-cuda--compute_75.ptx"};
  for (const char* other_name : kOthers) {
    TocEntry other;
    if (!devbin::parse_toc_entry_name(other_name, &other).ok()) continue;
    other.data = data;
    other.size = size;
    devbin::Status valid = devbin::validate_code_object(other, *info);
    if (!valid.ok()) {
      devbin::fuzz::check_error(valid);
      continue;
    }
    const bool entry_ptx = std::string_view(other_name).ends_with(".ptx");
    const bool entry_cubin = std::string_view(other_name).ends_with(".cubin");
    DEVBIN_FUZZ_CHECK(entry_ptx == (info->format == CodeObjectFormat::kPtx) &&
                          entry_cubin == (info->format == CodeObjectFormat::kCudaCubin),
                      std::string(devbin::code_object_format_name(info->format)) + " validated as " + other_name);
  }
  return 0;
}
