// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/toc.h"

#include <string>

namespace devbin {

std::string TocEntry::target_id() const {
  std::string id(target);
  if (!features.empty()) {
    id += ':';
    id += features;
  }
  return id;
}

Status parse_toc_entry_name(std::string_view name, TocEntry* entry) {
  auto bad = [name](std::string_view why) {
    return invalid_argument("TOC entry name '" + std::string(name) + "' " + std::string(why) +
                            "; expected <triple>--<target>[:<features>].<ext>, e.g. "
                            "amdgcn-amd-amdhsa--gfx11-generic.so or nvptx64-nvidia-cuda--sm_90.cubin");
  };
  const size_t separator = name.find("--");
  if (separator == std::string_view::npos || separator == 0) return bad("has no '<triple>--' prefix");
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot < separator + 2) return bad("has no '.<ext>' suffix");
  const std::string_view triple = name.substr(0, separator);
  const std::string_view ext = name.substr(dot + 1);
  if (triple != kAmdgpuTriple && triple != kNvptxTriple) return bad("has an unknown triple");
  if (triple == kAmdgpuTriple && ext != "so" && ext != "hsaco") return bad("is AMDGPU but does not end in .so or .hsaco");
  if (triple == kNvptxTriple && ext != "cubin" && ext != "ptx") return bad("is NVIDIA but does not end in .cubin or .ptx");
  std::string_view target_id = name.substr(separator + 2, dot - separator - 2);
  std::string_view features;
  if (const size_t colon = target_id.find(':'); colon != std::string_view::npos) {
    features = target_id.substr(colon + 1);
    target_id = target_id.substr(0, colon);
  }
  if (target_id.empty()) return bad("has an empty target");
  // The target parsers accept a "<triple>--" prefix; inside an entry name it
  // would leave entry.target holding a triple ("nvptx64-nvidia-cuda--
  // nvptx64-nvidia-cuda--compute_75.ptx"), which selection, overrides and
  // reports do not expect.
  if (target_id.find("--") != std::string_view::npos) return bad("has a second '--' in its target");
  if (triple == kAmdgpuTriple) {
    Result<AmdgpuTargetId> id = parse_amdgpu_target_id(name.substr(separator + 2, dot - separator - 2));
    if (!id.ok()) return bad("has no valid AMDGPU target (" + id.status().message() + ")");
  } else {
    if (!features.empty()) return bad("is NVIDIA but has features ':" + std::string(features) + "'");
    Result<NvidiaTarget> target = parse_nvidia_target(target_id);
    if (!target.ok()) return bad("has no valid NVIDIA target (" + target.status().message() + ")");
    // The extension says how the bytes are validated and loaded; the target
    // says how selection treats the entry: they must agree.
    if (ext == "ptx" && target->kind != NvidiaCodeKind::kPtx) return bad("is PTX but its target is not compute_XX");
    if (ext == "cubin" && target->kind != NvidiaCodeKind::kSass) return bad("is a cubin but its target is not sm_XX");
  }
  entry->name = name;
  entry->triple = triple;
  entry->target = target_id;
  entry->features = features;
  return Status::Ok();
}

const TocEntry* Toc::find(std::string_view name) const {
  for (const TocEntry& entry : entries) {
    if (entry.name == name) return &entry;
  }
  // "<triple>--<target id>" or the target id alone.
  std::string_view id = name;
  std::string_view triple;
  if (const size_t separator = name.find("--"); separator != std::string_view::npos) {
    triple = name.substr(0, separator);
    id = name.substr(separator + 2);
  }
  for (const TocEntry& entry : entries) {
    if (!triple.empty() && entry.triple != triple) continue;
    if (!id.starts_with(entry.target)) continue;
    const std::string_view rest = id.substr(entry.target.size());
    if (entry.features.empty() ? rest.empty()
                               : (rest.size() == entry.features.size() + 1 && rest[0] == ':' &&
                                  rest.substr(1) == entry.features)) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace devbin
