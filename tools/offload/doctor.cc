// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "doctor.h"

#include <array>
#include <charconv>
#include <deque>
#include <string_view>

#include "devbin/target_map.h"
#include "devbin/toc.h"
#include "devbin_internal/text.h"

namespace devbin::offload {
namespace {

// NVIDIA's PTX ISA release history ("Release Notes" of the PTX ISA manual):
// each PTX ISA version and the CUDA release that introduced it. A driver
// compiles PTX up to its own release's version.
struct PtxRelease {
  PtxIsaVersion ptx;
  int cuda;  // cuDriverGetVersion's form
};
constexpr std::array kPtxReleases = {
    PtxRelease{{7, 0}, 11000}, PtxRelease{{7, 1}, 11010}, PtxRelease{{7, 2}, 11020}, PtxRelease{{7, 3}, 11030},
    PtxRelease{{7, 4}, 11040}, PtxRelease{{7, 5}, 11050}, PtxRelease{{7, 6}, 11060}, PtxRelease{{7, 7}, 11070},
    PtxRelease{{7, 8}, 11080}, PtxRelease{{8, 0}, 12000}, PtxRelease{{8, 1}, 12010}, PtxRelease{{8, 2}, 12020},
    PtxRelease{{8, 3}, 12030}, PtxRelease{{8, 4}, 12040}, PtxRelease{{8, 5}, 12050}, PtxRelease{{8, 6}, 12070},
    PtxRelease{{8, 7}, 12080}, PtxRelease{{8, 8}, 12090}, PtxRelease{{9, 0}, 13000}, PtxRelease{{9, 1}, 13010},
};

std::string feature_text(std::string_view name, FeatureSetting setting) {
  switch (setting) {
    case FeatureSetting::kOn: return std::string(name) + "+";
    case FeatureSetting::kOff: return std::string(name) + "-";
    default: return std::string(name) + " any";
  }
}

// Why a code object built with `blob` does not run on a GPU with `device`
// for one feature, or "" when it does.
std::string feature_mismatch(std::string_view name, FeatureSetting blob, FeatureSetting device,
                             std::string_view processor) {
  if (blob == FeatureSetting::kAny || blob == FeatureSetting::kUnsupported) return {};
  if (blob == device) return {};
  const std::string built = feature_text(name, blob);
  if (device == FeatureSetting::kAny || device == FeatureSetting::kUnsupported) {
    return "built for " + built + "; it loads only where the GPU runs with " + built +
           ", and this GPU's setting is not given (name it: --gpu " + std::string(processor) + ":" + built + ")";
  }
  return "built for " + built + " but the GPU runs with " + feature_text(name, device);
}

struct AmdVerdict {
  bool loads = false;
  bool same_processor = false;  // failed (if at all) on features only
  std::string reason;
};

AmdVerdict amd_verdict(const AmdgpuTargetId& device, const AmdgpuTargetId& code) {
  AmdVerdict out;
  const AmdgpuProcessor* processor = find_amdgpu_processor(device.processor);
  std::string how;
  if (code.processor == device.processor) {
    out.same_processor = true;
    how = "exact: built for " + code.to_string();
  } else if (const AmdgpuCodeObject* generic = find_amdgpu_code_object(code.processor);
             generic != nullptr && generic->generic_version > 0) {
    if (processor == nullptr || processor->code_object != generic->name) {
      std::string covered;
      if (processor != nullptr && processor->code_object != processor->name) {
        covered = " (" + device.processor + " is covered by " + std::string(processor->code_object) + ")";
      } else {
        covered = " (no LLVM generic target covers " + device.processor + ")";
      }
      out.reason = "generic " + code.processor + " does not cover " + device.processor + covered;
      return out;
    }
    if (generic->generic_version < processor->min_generic_version) {
      out.reason = "generic " + code.processor + " version " + std::to_string(generic->generic_version) +
                   " is older than the version " + std::to_string(processor->min_generic_version) + " " +
                   device.processor + " needs";
      return out;
    }
    out.same_processor = true;
    how = "generic: " + code.processor + " covers " + device.processor;
  } else {
    out.reason = "built for " + code.processor + ", not " + device.processor;
    return out;
  }
  for (const std::string& why : {feature_mismatch("sramecc", code.sramecc, device.sramecc, device.processor),
                                 feature_mismatch("xnack", code.xnack, device.xnack, device.processor)}) {
    if (!why.empty()) {
      out.reason = why;
      return out;
    }
  }
  out.loads = true;
  out.reason = how;
  return out;
}

struct NvidiaVerdict {
  bool loads = false;
  bool driver_too_old = false;  // PTX that fits the GPU but not the driver
  std::string reason;
};

NvidiaVerdict nvidia_verdict(const NvidiaTarget& device, const NvidiaTarget& code, const FoundCodeObject& found,
                             std::optional<int> driver) {
  NvidiaVerdict out;
  const std::string gpu = device.to_string();
  if (code.kind == NvidiaCodeKind::kSass) {
    if (code.suffix == NvidiaArchSuffix::kArchSpecific && code.number() != device.number()) {
      out.reason = code.to_string() + " is arch-specific: it runs only on " +
                   NvidiaTarget{NvidiaCodeKind::kSass, code.major, code.minor, NvidiaArchSuffix::kNone}.to_string() +
                   ", not " + gpu;
    } else if (code.major != device.major) {
      out.reason = "the SM major differs: a " + code.to_string() + " cubin runs only on SM " +
                   std::to_string(code.major) + ".x GPUs, this is " + gpu;
    } else if (code.minor > device.minor) {
      out.reason = "a " + code.to_string() + " cubin needs SM " + std::to_string(code.major) + "." +
                   std::to_string(code.minor) + " or a later " + std::to_string(code.major) + ".x; this is " + gpu;
    } else {
      out.loads = true;
      out.reason = code.number() == device.number()
                       ? "exact: a cubin for " + gpu
                       : "compatible: a " + code.to_string() + " cubin runs on " + gpu + " (same major, lower minor)";
    }
    return out;
  }
  if (code.suffix == NvidiaArchSuffix::kArchSpecific && code.number() != device.number()) {
    out.reason = "PTX " + code.to_string() + " is arch-specific: only " + std::to_string(code.number()) +
                 " GPUs compile it";
    return out;
  }
  if (code.suffix == NvidiaArchSuffix::kFamily && (code.major != device.major || code.minor > device.minor)) {
    out.reason = "PTX " + code.to_string() + " is family-specific: only SM " + std::to_string(code.major) +
                 ".x GPUs from " + std::to_string(code.number()) + " on compile it";
    return out;
  }
  if (code.number() > device.number()) {
    out.reason = "PTX " + code.to_string() + " is newer than the GPU (" + gpu +
                 "): PTX runs only on its own SM or a later one";
    return out;
  }
  Result<PtxIsaVersion> ptx = parse_ptx_isa_version(found.ptx_version);
  const std::string jit = "PTX " + code.to_string() + (ptx.ok() ? " (PTX ISA " + ptx->to_string() + ")" : "") +
                          ", compiled by the driver at load time (JIT)";
  if (ptx.ok() && driver.has_value()) {
    const std::optional<PtxIsaVersion> newest = newest_ptx_isa_for_driver(*driver);
    if (newest.has_value() && *ptx > *newest) {
      const std::optional<int> needed = oldest_driver_for_ptx_isa(*ptx);
      out.driver_too_old = true;
      out.reason = "the PTX is newer than the driver: PTX ISA " + ptx->to_string() + " needs a CUDA " +
                   (needed ? cuda_version_string(*needed) : std::string("newer")) + " driver; this driver is CUDA " +
                   cuda_version_string(*driver) + " (PTX ISA up to " + newest->to_string() + ")";
      return out;
    }
    out.loads = true;
    out.reason = jit;
    return out;
  }
  out.loads = true;
  out.reason = jit;
  if (ptx.ok() && !driver.has_value()) {
    const std::optional<int> needed = oldest_driver_for_ptx_isa(*ptx);
    out.reason += needed ? ", if the driver is CUDA " + cuda_version_string(*needed) + " or later"
                         : ", if the driver knows PTX ISA " + ptx->to_string();
  }
  return out;
}

// A code object's target as selection reads it; false when the text is no
// target of the GPU's vendor.
bool parse_code_target(const FoundCodeObject& found, Vendor vendor, Target* out) {
  if (found.vendor != vendor || found.target.empty()) return false;
  Result<Target> target = parse_target(found.target);
  if (!target.ok() || target->vendor != vendor) return false;
  *out = *target;
  return true;
}

std::string generic_fix(std::string_view processor) {
  const AmdgpuProcessor* entry = find_amdgpu_processor(processor);
  if (entry == nullptr || entry->code_object == entry->name) return {};
  std::string covered;
  for (const AmdgpuProcessor& other : amdgpu_processors()) {
    if (other.code_object != entry->code_object) continue;
    if (!covered.empty()) covered += ", ";
    covered += other.name;
  }
  return " (or --offload-arch=" + std::string(entry->code_object) + ", one generic code object for " + covered +
         "; it needs a runtime that loads code object version 6)";
}

}  // namespace

std::string PtxIsaVersion::to_string() const { return std::to_string(major) + "." + std::to_string(minor); }

Result<PtxIsaVersion> parse_ptx_isa_version(std::string_view text) {
  const size_t dot = text.find('.');
  PtxIsaVersion out;
  auto parse = [](std::string_view digits, uint32_t* value) {
    if (digits.empty() || digits.size() > 3) return false;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), *value);
    return error == std::errc() && end == digits.data() + digits.size();
  };
  if (dot == std::string_view::npos || !parse(text.substr(0, dot), &out.major) ||
      !parse(text.substr(dot + 1), &out.minor)) {
    return invalid_argument("PTX ISA version " + util::quote(text) + ": expected MAJOR.MINOR, e.g. 8.4");
  }
  return out;
}

std::optional<PtxIsaVersion> newest_ptx_isa_for_driver(int cuda_version) {
  // Past the table's last release the newest version is not known here.
  if (cuda_version < kPtxReleases.front().cuda || cuda_version > kPtxReleases.back().cuda) return std::nullopt;
  PtxIsaVersion newest = kPtxReleases.front().ptx;
  for (const PtxRelease& release : kPtxReleases) {
    if (release.cuda <= cuda_version) newest = release.ptx;
  }
  return newest;
}

std::optional<int> oldest_driver_for_ptx_isa(PtxIsaVersion ptx) {
  for (const PtxRelease& release : kPtxReleases) {
    if (release.ptx >= ptx) return release.cuda;
  }
  return std::nullopt;
}

std::string cuda_version_string(int cuda_version) {
  return std::to_string(cuda_version / 1000) + "." + std::to_string(cuda_version % 1000 / 10);
}

Diagnosis diagnose(const GpuQuery& gpu, std::span<const FoundCodeObject> code_objects) {
  Diagnosis out;
  const Vendor vendor = gpu.target.vendor;
  Target device = gpu.target;
  if (vendor == Vendor::kNvidia) {
    device.nvidia.kind = NvidiaCodeKind::kSass;
    device.nvidia.suffix = NvidiaArchSuffix::kNone;
  }
  // The code objects that load, as TOC entries for select(); the strings
  // they view live in `names` (a deque: its elements never move).
  std::deque<std::string> names;
  std::vector<TocEntry> entries;
  std::vector<size_t> entry_index;
  bool any_same_processor = false;
  bool any_driver_too_old = false;
  bool link_for_gpu = false;  // code that linking the program would make loadable on this GPU
  std::optional<PtxIsaVersion> too_new_ptx;
  for (size_t i = 0; i < code_objects.size(); ++i) {
    const FoundCodeObject& found = code_objects[i];
    if (found.vendor != vendor) continue;
    CodeObjectVerdict verdict;
    verdict.index = i;
    Target code;
    if (!found.loadable) {
      verdict.reason = found.note.empty() ? "not loadable as it stands" : found.note;
      if (found.needs_link && parse_code_target(found, vendor, &code)) {
        link_for_gpu = link_for_gpu || vendor == Vendor::kNvidia || code.amdgpu.processor == device.amdgpu.processor;
      }
    } else if (!parse_code_target(found, vendor, &code)) {
      verdict.reason = "its target " + util::quote(found.target) + " is not one the runtime knows";
    } else if (vendor == Vendor::kAmdgpu) {
      const AmdVerdict amd = amd_verdict(device.amdgpu, code.amdgpu);
      verdict.loads = amd.loads;
      verdict.reason = amd.reason;
      any_same_processor = any_same_processor || (amd.same_processor && !amd.loads);
    } else {
      const NvidiaVerdict nv = nvidia_verdict(device.nvidia, code.nvidia, found, gpu.cuda_driver_version);
      verdict.loads = nv.loads;
      verdict.reason = nv.reason;
      if (nv.driver_too_old) {
        any_driver_too_old = true;
        Result<PtxIsaVersion> ptx = parse_ptx_isa_version(found.ptx_version);
        if (ptx.ok() && (!too_new_ptx || *ptx < *too_new_ptx)) too_new_ptx = *ptx;
      }
    }
    if (verdict.loads) {
      TocEntry entry;
      const std::string& name = names.emplace_back("#" + std::to_string(i) + " " + found.location);
      entry.name = name;
      entry.triple = code.triple();
      if (vendor == Vendor::kAmdgpu) {
        entry.target = names.emplace_back(code.amdgpu.processor);
        entry.features = names.emplace_back(code.amdgpu.features());
      } else {
        entry.target = names.emplace_back(code.nvidia.to_string());
      }
      entries.push_back(entry);
      entry_index.push_back(i);
    }
    out.verdicts.push_back(std::move(verdict));
  }

  if (!entries.empty()) {
    const Toc toc{entries};
    Result<Selection> selection = select(device, toc);
    if (selection.ok()) {
      out.chosen = entry_index[static_cast<size_t>(selection->entry - entries.data())];
      out.kind = selection->kind;
      out.reason = selection->reason;
      return out;
    }
    out.reason = selection.status().message();
    return out;
  }

  const std::string gpu_name = device.to_string();
  const std::string vendor_code = vendor == Vendor::kAmdgpu ? "AMDGPU" : "NVIDIA";
  if (out.verdicts.empty()) {
    out.reason = "the file holds no " + vendor_code + " code";
  } else {
    out.reason = "none of the file's " + std::to_string(out.verdicts.size()) + " " + vendor_code +
                 " code objects loads on " + gpu_name;
  }
  if (link_for_gpu) {
    out.fixes.push_back("this file's device code for " + gpu_name +
                        " is not linked yet (LLVM bitcode or relocatable device code): it becomes loadable when "
                        "the program is linked; ask devbin doctor about the linked executable or library");
  }
  if (vendor == Vendor::kAmdgpu) {
    const std::string& processor = device.amdgpu.processor;
    out.reason += " (HIP: hipErrorNoBinaryForGpu)";
    if (link_for_gpu) {
      // The processor is there, as bitcode: linking is the fix.
    } else if (any_same_processor) {
      out.fixes.push_back("rebuild with --offload-arch=" + processor +
                          " (no :xnack/:sramecc suffix: the code object then runs with either setting), or run "
                          "the GPU with the setting the code was built for (HSA_XNACK=1 or 0 where the kernel "
                          "driver allows it)");
    } else {
      out.fixes.push_back("add --offload-arch=" + processor + " to the build" + generic_fix(processor));
    }
  } else {
    const std::string n = std::to_string(device.nvidia.number());
    out.reason += " (CUDA: no kernel image is available for execution on the device)";
    if (!link_for_gpu) out.fixes.push_back("add -gencode arch=compute_" + n + ",code=sm_" + n + " (a cubin for this GPU) and -gencode arch=compute_" + n + ",code=compute_" + n + " (PTX that later GPUs compile at load time)");
    if (any_driver_too_old && too_new_ptx) {
      const std::optional<int> needed = oldest_driver_for_ptx_isa(*too_new_ptx);
      out.fixes.push_back("or update the NVIDIA driver to CUDA " +
                          (needed ? cuda_version_string(*needed) : std::string("newer")) +
                          " or later, so it can compile PTX ISA " + too_new_ptx->to_string());
    }
  }
  return out;
}

}  // namespace devbin::offload
