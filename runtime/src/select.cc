// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/select.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "devbin/target_map.h"
#include "devbin_internal/text.h"

namespace devbin {
namespace {

struct FeatureSettings {
  FeatureSetting sramecc = FeatureSetting::kAny;
  FeatureSetting xnack = FeatureSetting::kAny;
};

// The features of a TOC entry ("", "xnack+", "sramecc-:xnack+"); entries are
// named by our build, but an override or a hand-built TOC may carry anything.
bool parse_entry_features(std::string_view text, FeatureSettings* out) {
  while (!text.empty()) {
    const size_t colon = text.find(':');
    std::string_view item = text.substr(0, colon);
    text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (item.size() < 2) return false;
    const char sign = item.back();
    if (sign != '+' && sign != '-') return false;
    const FeatureSetting setting = sign == '+' ? FeatureSetting::kOn : FeatureSetting::kOff;
    item.remove_suffix(1);
    if (item == "sramecc") {
      out->sramecc = setting;
    } else if (item == "xnack") {
      out->xnack = setting;
    } else {
      return false;
    }
  }
  return true;
}

// A blob built for "any" (feature not named) runs with either device setting;
// one built "on" or "off" only on a device with that same setting. A device
// whose setting is not known (kAny) only takes "any" blobs.
bool feature_fits(FeatureSetting blob, FeatureSetting device) {
  if (blob == FeatureSetting::kAny || blob == FeatureSetting::kUnsupported) return true;
  return blob == device;
}

// How well an AMDGPU entry's features match: -1 does not fit; higher is more specific.
int amdgpu_feature_score(const TocEntry& entry, const AmdgpuTargetId& device) {
  FeatureSettings blob;
  if (!parse_entry_features(entry.features, &blob)) return -1;
  if (!feature_fits(blob.sramecc, device.sramecc) || !feature_fits(blob.xnack, device.xnack)) return -1;
  auto specific = [](FeatureSetting s) { return s == FeatureSetting::kOn || s == FeatureSetting::kOff ? 1 : 0; };
  return specific(blob.sramecc) + specific(blob.xnack);
}

const TocEntry* best_amdgpu_entry(const Toc& toc, std::string_view target, const AmdgpuTargetId& device) {
  const TocEntry* best = nullptr;
  int best_score = -1;
  for (const TocEntry& entry : toc.entries) {
    if (entry.triple != kAmdgpuTriple || entry.target != target) continue;
    const int score = amdgpu_feature_score(entry, device);
    if (score > best_score) {
      best = &entry;
      best_score = score;
    }
  }
  return best;
}

std::string list_entries(const Toc& toc) {
  if (toc.empty()) return "the TOC is empty (this build embeds no code objects)";
  std::string out = "TOC entries present: ";
  bool first = true;
  for (const TocEntry& entry : toc.entries) {
    if (!first) out += ", ";
    out += entry.name;
    first = false;
  }
  return out;
}

constexpr std::string_view kHowToAdd =
    "to add the target: add it to build_tools/target_map.py, run `python3 build_tools/target_map.py`, then "
    "rebuild the code objects (`python3 build_tools/device_binaries.py --output-dir device/binaries/prebuilt`, "
    "or configure with -DDEVBIN_DEVICE_BINARY_BUILD_MODE=source)";

// `addable`: whether adding the target to the map could help; not for a
// processor the map lists as unsupported (its reason says why not).
Status no_selection(const Target& device, std::string_view expected, const Toc& toc, bool addable = true) {
  std::string message = "no code object for device ";
  message += device.triple();
  message += "--";
  message += device.to_string();
  message += ": ";
  message += expected;
  message += "; ";
  message += list_entries(toc);
  if (addable) {
    message += "; ";
    message += kHowToAdd;
  }
  return not_found(std::move(message));
}

void append_features(std::string& out, std::string_view features) {
  if (features.empty()) return;
  out += " (features ";
  out += features;
  out += ')';
}

Status check_device_features(const AmdgpuTargetId& device, const AmdgpuProcessor& processor) {
  auto check = [&](std::string_view name, FeatureSetting setting, bool supported) -> Status {
    if (supported || setting == FeatureSetting::kAny || setting == FeatureSetting::kUnsupported) return Status::Ok();
    return invalid_argument("device target '" + device.to_string() + "' names " + std::string(name) + " but " +
                            std::string(processor.name) + " has no " + std::string(name) + " feature");
  };
  DEVBIN_RETURN_IF_ERROR(check("sramecc", device.sramecc, processor.sramecc));
  return check("xnack", device.xnack, processor.xnack);
}

Result<Selection> select_amdgpu(const Target& device_target, const Toc& toc) {
  const AmdgpuTargetId& device = device_target.amdgpu;
  const AmdgpuProcessor* processor = find_amdgpu_processor(device.processor);
  if (processor != nullptr) DEVBIN_RETURN_IF_ERROR(check_device_features(device, *processor));

  if (const TocEntry* exact = best_amdgpu_entry(toc, device.processor, device)) {
    Selection selection{exact, SelectionKind::kExact, false, ""};
    // Appended into one reserved string: selection sits on a device's load
    // path and is held to a couple of hundred nanoseconds.
    std::string& reason = selection.reason;
    reason.reserve(96);
    reason += "exact code object for ";
    device.append_to(reason);
    append_features(reason, exact->features);
    return selection;
  }
  if (processor == nullptr) {
    if (const AmdgpuUnsupportedProcessor* unsupported = find_amdgpu_unsupported_processor(device.processor)) {
      return no_selection(device_target,
                          "the target map lists " + device.processor + " as unsupported (" +
                              std::string(unsupported->reason) + ")",
                          toc, /*addable=*/false);
    }
    return no_selection(device_target, "the target map does not know processor " + device.processor, toc);
  }
  const AmdgpuCodeObject* code_object = find_amdgpu_code_object(processor->code_object);
  if (code_object == nullptr || code_object->name == processor->name) {
    return no_selection(device_target,
                        "the target map expects the exact code object " + std::string(processor->code_object), toc);
  }
  if (code_object->generic_version < processor->min_generic_version) {
    return no_selection(device_target,
                        "the target map's " + std::string(code_object->name) + " is generic version " +
                            std::to_string(code_object->generic_version) + " but " + device.processor +
                            " needs version " + std::to_string(processor->min_generic_version) + " or later",
                        toc);
  }
  if (const TocEntry* generic = best_amdgpu_entry(toc, code_object->name, device)) {
    Selection selection{generic, SelectionKind::kGeneric, false, ""};
    std::string& reason = selection.reason;
    reason.reserve(112);
    reason += "generic code object ";
    reason += code_object->name;
    reason += " (generic version ";
    reason += std::to_string(code_object->generic_version);
    reason += ") covers ";
    device.append_to(reason);
    append_features(reason, generic->features);
    return selection;
  }
  std::string expected = "the target map expects " + std::string(code_object->name);
  if (best_amdgpu_entry(toc, code_object->name, AmdgpuTargetId{"", FeatureSetting::kOn, FeatureSetting::kOn}) ||
      best_amdgpu_entry(toc, code_object->name, AmdgpuTargetId{"", FeatureSetting::kOff, FeatureSetting::kOff})) {
    expected += " with features matching " + device.to_string() + " (the TOC's are built for other settings)";
  }
  return no_selection(device_target, expected, toc);
}

// Whether code built for `code` runs on a device of SM `device` (a plain SM).
// SASS: same major, minor not above the device's; "a" only on its exact SM;
// "f" on its family (same major) at or above its minor. PTX: any device at or
// above its version ("a"/"f" PTX follow the SASS rules).
bool nvidia_runs_on(const NvidiaTarget& code, const NvidiaTarget& device) {
  switch (code.suffix) {
    case NvidiaArchSuffix::kArchSpecific:
      return code.number() == device.number();
    case NvidiaArchSuffix::kFamily:
      return code.major == device.major && code.minor <= device.minor;
    case NvidiaArchSuffix::kNone:
      if (code.kind == NvidiaCodeKind::kPtx) return code.number() <= device.number();
      return code.major == device.major && code.minor <= device.minor;
  }
  return false;
}

// Among fitting entries: exact SM first (arch-specific, then family, then
// plain), then the highest compatible SASS, then the highest PTX.
int nvidia_score(const NvidiaTarget& code, const NvidiaTarget& device) {
  const int suffix_rank = code.suffix == NvidiaArchSuffix::kArchSpecific ? 2
                          : code.suffix == NvidiaArchSuffix::kFamily     ? 1
                                                                         : 0;
  if (code.kind == NvidiaCodeKind::kSass) {
    if (code.number() == device.number()) return 3'000'000 + suffix_rank;
    return 2'000'000 + static_cast<int>(code.number()) * 10 + suffix_rank;
  }
  return 1'000'000 + static_cast<int>(code.number()) * 10 + suffix_rank;
}

Result<Selection> select_nvidia(const Target& device_target, const Toc& toc) {
  NvidiaTarget device = device_target.nvidia;
  device.kind = NvidiaCodeKind::kSass;
  device.suffix = NvidiaArchSuffix::kNone;
  const TocEntry* best = nullptr;
  NvidiaTarget best_target;
  int best_score = -1;
  for (const TocEntry& entry : toc.entries) {
    if (entry.triple != kNvptxTriple || !entry.features.empty()) continue;
    Result<NvidiaTarget> code = parse_nvidia_target(entry.target);
    if (!code.ok()) continue;
    if (!nvidia_runs_on(*code, device)) continue;
    const int score = nvidia_score(*code, device);
    if (score > best_score) {
      best = &entry;
      best_target = *code;
      best_score = score;
    }
  }
  if (best == nullptr) {
    return no_selection(device_target,
                        "expected a cubin sm_" + std::to_string(device.major) + "X with X <= " +
                            std::to_string(device.minor) + ", or PTX compute_NN with NN <= " +
                            std::to_string(device.number()),
                        toc);
  }
  Selection selection{best, SelectionKind::kExact, false, ""};
  const std::string device_name = device.to_string();
  if (best_target.kind == NvidiaCodeKind::kPtx) {
    selection.kind = SelectionKind::kPtxJit;
    selection.jit = true;
    selection.reason = "no cubin runs on " + device_name + "; PTX " + best_target.to_string() +
                       " is compiled by the driver at load time (JIT)";
  } else if (best_target.number() == device.number()) {
    selection.reason = "exact cubin for " + device_name;
    if (best_target.suffix != NvidiaArchSuffix::kNone) selection.reason += " (" + best_target.to_string() + ")";
  } else {
    selection.kind = SelectionKind::kCompatibleSass;
    selection.reason = "cubin " + best_target.to_string() + " runs on " + device_name +
                       " (same major, lower minor); no exact cubin";
  }
  return selection;
}

Result<Selection> select_override(const Target& device, const Toc& toc, std::string_view name) {
  const TocEntry* entry = toc.find(name);
  if (entry == nullptr) {
    return not_found(std::string(kTargetOverrideEnv) + "=" + util::quote(name) +
                     " names no TOC entry (expected a file name, <triple>--<target> or a target id); " +
                     list_entries(toc));
  }
  if (entry->triple != device.triple()) {
    return invalid_argument(std::string(kTargetOverrideEnv) + "=" + util::quote(name) + " is " +
                            std::string(entry->triple) + " code but the device is " + std::string(device.triple()) +
                            "--" + device.to_string());
  }
  // The forced entry must still be able to run: the rules decide that over a
  // TOC holding just this entry.
  const Toc only{std::span<const TocEntry>(entry, 1)};
  Result<Selection> fits = device.vendor == Vendor::kAmdgpu ? select_amdgpu(device, only) : select_nvidia(device, only);
  if (!fits.ok()) {
    return failed_precondition(std::string(kTargetOverrideEnv) + "=" + util::quote(name) + " names " +
                               std::string(entry->name) + ", which cannot run on " + device.to_string() + ": " +
                               fits.status().message());
  }
  Selection selection = std::move(fits).value();
  selection.kind = SelectionKind::kOverride;
  // The rules' own reason was worded for a TOC of this one entry ("no cubin
  // runs on ...") and would mislead: say what was forced instead.
  selection.reason = std::string("forced by ") + kTargetOverrideEnv + ": " + std::string(entry->name) +
                     (selection.jit ? " (PTX, compiled by the driver at load time)" : "") + ", which can run on " +
                     device.to_string();
  return selection;
}

// The entry of `list` (DEVBIN_TARGET_OVERRIDE's value) for the device's vendor.
Result<Selection> select_vendor_override(const Target& device, const Toc& toc, std::string_view list) {
  std::optional<std::string_view> mine;
  std::vector<const TocEntry*> named;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view item = list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
    if (item.empty()) {
      return invalid_argument(std::string(kTargetOverrideEnv) + "=" + util::quote(list) +
                              " has an empty entry; expected TOC entries separated by commas, one per vendor");
    }
    const TocEntry* entry = toc.find(item);
    if (entry == nullptr && item.size() == list.size()) return select_override(device, toc, item);
    if (entry == nullptr) {
      // The whole value, then the entry of it that names nothing.
      return not_found(std::string(kTargetOverrideEnv) + "=" + util::quote(list) + ": its entry " +
                       util::quote(item) +
                       " names no TOC entry (expected a file name, <triple>--<target> or a target id); " +
                       list_entries(toc));
    }
    for (const TocEntry* other : named) {
      if (other->triple == entry->triple) {
        return invalid_argument(std::string(kTargetOverrideEnv) + "=" + util::quote(list) + " names two " +
                                std::string(entry->triple) + " entries (" + std::string(other->name) + " and " +
                                std::string(entry->name) + "); expected at most one per vendor");
      }
    }
    named.push_back(entry);
    if (entry->triple == device.triple()) mine = item;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (mine.has_value()) return select_override(device, toc, *mine);
  return device.vendor == Vendor::kAmdgpu ? select_amdgpu(device, toc) : select_nvidia(device, toc);
}

}  // namespace

std::string_view selection_kind_name(SelectionKind kind) {
  switch (kind) {
    case SelectionKind::kExact: return "exact";
    case SelectionKind::kGeneric: return "generic";
    case SelectionKind::kCompatibleSass: return "compatible-sass";
    case SelectionKind::kPtxJit: return "ptx-jit";
    case SelectionKind::kOverride: return "override";
  }
  return "unknown";
}

Result<Selection> select(const Target& device, const Toc& toc, const SelectOptions& options) {
  if (options.override_entry.has_value()) return select_override(device, toc, *options.override_entry);
  if (options.vendor_overrides.has_value()) return select_vendor_override(device, toc, *options.vendor_overrides);
  return device.vendor == Vendor::kAmdgpu ? select_amdgpu(device, toc) : select_nvidia(device, toc);
}

Result<Selection> select(std::string_view device_isa, const Toc& toc, const SelectOptions& options) {
  DEVBIN_ASSIGN_OR_RETURN(Target device, parse_target(device_isa));
  return select(device, toc, options);
}

std::optional<std::string_view> target_override_from_env() {
  const char* value = std::getenv(kTargetOverrideEnv);
  if (value == nullptr || value[0] == '\0') return std::nullopt;
  return std::string_view(value);
}

Result<std::string> describe_map_choice(const Target& device) {
  // The map's own code objects as a TOC without bytes: the same rules then
  // answer from the map alone.
  std::vector<std::string> names;
  for (const AmdgpuCodeObject& code_object : amdgpu_code_objects()) {
    names.push_back(std::string(kAmdgpuTriple) + "--" + std::string(code_object.name) + ".so");
  }
  for (const NvidiaMapTarget& target : nvidia_targets()) {
    names.push_back(std::string(kNvptxTriple) + "--" + std::string(target.name) + (target.ptx ? ".ptx" : ".cubin"));
  }
  std::vector<TocEntry> entries(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    DEVBIN_RETURN_IF_ERROR(parse_toc_entry_name(names[i], &entries[i]));
  }
  const Toc map_toc{entries};
  Result<Selection> selection = select(device, map_toc);
  if (!selection.ok()) {
    Status status = selection.status();
    return status;
  }
  // Point into `names`, which dies here: copy out what we say.
  return std::string(selection->entry->name) + " (" + std::string(selection_kind_name(selection->kind)) + "): " +
         selection->reason;
}

}  // namespace devbin
