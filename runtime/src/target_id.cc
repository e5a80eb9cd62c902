// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/target_id.h"

#include <algorithm>
#include <string>
#include <utility>

#include "devbin_internal/text.h"

namespace devbin {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }

using util::quote;

Status parse_error(std::string_view what, std::string_view text, size_t position, std::string_view expected) {
  std::string message = "invalid ";
  message += what;
  message += " ";
  message += quote(text);
  message += " at position ";
  message += std::to_string(position);
  message += ": expected ";
  message += expected;
  if (position < text.size()) {
    message += ", found ";
    message += quote(text.substr(position, 1));
  } else {
    message += ", found the end of the text";
  }
  return invalid_argument(std::move(message));
}

// Where the target starts in `text`: after "<triple>--" when `text` begins
// with `triple` (an HSA ISA name, "nvptx64-nvidia-cuda--sm_90"), else at 0.
// `prefix`: the bytes of a "<triple>--" the text may start with, which the
// limit does not count (a bare target and its ISA name both fit).
Status check_length(std::string_view what, std::string_view text, size_t prefix) {
  if (text.size() <= kMaxTargetTextBytes + prefix) return Status::Ok();
  return invalid_argument("invalid " + std::string(what) + " " + quote(text, 64) + ": expected at most " +
                          std::to_string(kMaxTargetTextBytes) + " bytes after any triple");
}

Result<size_t> after_triple(std::string_view text, std::string_view triple, std::string_view what) {
  DEVBIN_RETURN_IF_ERROR(check_length(what, text, text.starts_with(triple) ? triple.size() + 2 : 0));
  if (text.substr(0, triple.size()) != triple) return size_t{0};
  if (text.substr(triple.size(), 2) != "--") return parse_error(what, text, triple.size(), "'--' after the triple");
  return triple.size() + 2;
}

}  // namespace

std::string_view feature_setting_name(FeatureSetting setting) {
  switch (setting) {
    case FeatureSetting::kUnsupported: return "unsupported";
    case FeatureSetting::kAny: return "any";
    case FeatureSetting::kOff: return "off";
    case FeatureSetting::kOn: return "on";
  }
  return "unknown";
}

namespace {

// Appends ":sramecc±:xnack±" (settings that are on or off only); `separate`
// says whether the first one takes a ':' too.
void append_feature_suffix(std::string& out, const AmdgpuTargetId& id, bool separate) {
  for (const auto& [name, setting] : {std::pair<std::string_view, FeatureSetting>{"sramecc", id.sramecc},
                                      std::pair<std::string_view, FeatureSetting>{"xnack", id.xnack}}) {
    if (setting != FeatureSetting::kOn && setting != FeatureSetting::kOff) continue;
    if (separate) out += ':';
    separate = true;
    out += name;
    out += setting == FeatureSetting::kOn ? '+' : '-';
  }
}

}  // namespace

std::string AmdgpuTargetId::features() const {
  std::string out;
  append_feature_suffix(out, *this, false);
  return out;
}

void AmdgpuTargetId::append_to(std::string& out) const {
  out += processor;
  append_feature_suffix(out, *this, true);
}

std::string AmdgpuTargetId::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

std::string AmdgpuTargetId::to_isa_name() const {
  std::string out(kAmdgpuTriple);
  out += "--";
  out += to_string();
  return out;
}

Result<AmdgpuTargetId> parse_amdgpu_target_id(std::string_view text) {
  constexpr std::string_view kWhat = "AMDGPU target ID";
  DEVBIN_ASSIGN_OR_RETURN(size_t pos, after_triple(text, kAmdgpuTriple, kWhat));
  // Processor: "gfx" then lower-case letters/digits, optionally "-generic"
  // style suffixes ("gfx9-4-generic"): words of [a-z0-9] joined by '-'.
  const size_t processor_start = pos;
  if (text.substr(pos, 3) != "gfx") return parse_error(kWhat, text, pos, "a processor name starting with 'gfx'");
  pos += 3;
  if (pos >= text.size() || !is_lower_alnum(text[pos])) {
    return parse_error(kWhat, text, pos, "a processor version after 'gfx' (e.g. gfx942)");
  }
  while (pos < text.size() && text[pos] != ':') {
    const char c = text[pos];
    if (is_lower_alnum(c)) {
      ++pos;
    } else if (c == '-' && pos + 1 < text.size() && is_lower_alnum(text[pos + 1]) && text[pos - 1] != '-') {
      ++pos;
    } else {
      return parse_error(kWhat, text, pos, "a lower-case letter, digit or '-' in the processor name, or ':'");
    }
  }
  AmdgpuTargetId id;
  id.processor = std::string(text.substr(processor_start, pos - processor_start));
  bool seen_sramecc = false;
  bool seen_xnack = false;
  while (pos < text.size()) {
    ++pos;  // ':'
    const size_t feature_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    const std::string_view name = text.substr(feature_start, pos - feature_start);
    bool* seen = nullptr;
    FeatureSetting* setting = nullptr;
    if (name == "sramecc") {
      seen = &seen_sramecc;
      setting = &id.sramecc;
    } else if (name == "xnack") {
      seen = &seen_xnack;
      setting = &id.xnack;
    } else {
      return parse_error(kWhat, text, feature_start, "a feature name 'sramecc' or 'xnack'");
    }
    if (*seen) return parse_error(kWhat, text, feature_start, "each feature at most once");
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
      return parse_error(kWhat, text, pos, "'+' or '-' after the feature name");
    }
    *seen = true;
    *setting = text[pos] == '+' ? FeatureSetting::kOn : FeatureSetting::kOff;
    ++pos;
    if (pos < text.size() && text[pos] != ':') return parse_error(kWhat, text, pos, "':' or the end of the text");
    if (pos + 1 == text.size()) return parse_error(kWhat, text, pos + 1, "a feature after ':'");
  }
  return id;
}

std::string NvidiaTarget::to_string() const {
  std::string out = kind == NvidiaCodeKind::kSass ? "sm_" : "compute_";
  out += std::to_string(number());
  if (suffix == NvidiaArchSuffix::kArchSpecific) out += 'a';
  if (suffix == NvidiaArchSuffix::kFamily) out += 'f';
  return out;
}

Result<NvidiaTarget> parse_nvidia_target(std::string_view text) {
  constexpr std::string_view kWhat = "NVIDIA target";
  DEVBIN_ASSIGN_OR_RETURN(size_t pos, after_triple(text, kNvptxTriple, kWhat));
  NvidiaTarget target;
  if (text.substr(pos, 3) == "sm_") {
    target.kind = NvidiaCodeKind::kSass;
    pos += 3;
  } else if (text.substr(pos, 8) == "compute_") {
    target.kind = NvidiaCodeKind::kPtx;
    pos += 8;
  } else {
    return parse_error(kWhat, text, pos, "'sm_' or 'compute_'");
  }
  const size_t digits_start = pos;
  uint32_t number = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    if (pos - digits_start >= 4) return parse_error(kWhat, text, pos, "at most 4 digits of SM version");
    number = number * 10 + static_cast<uint32_t>(text[pos] - '0');
    ++pos;
  }
  const size_t digit_count = pos - digits_start;
  if (digit_count < 2) return parse_error(kWhat, text, pos, "a version of two or more digits (e.g. 90, 100)");
  if (text[digits_start] == '0') return parse_error(kWhat, text, digits_start, "a version not starting with 0");
  target.major = number / 10;
  target.minor = number % 10;
  if (pos < text.size()) {
    if (text[pos] == 'a') {
      target.suffix = NvidiaArchSuffix::kArchSpecific;
    } else if (text[pos] == 'f') {
      target.suffix = NvidiaArchSuffix::kFamily;
    } else {
      return parse_error(kWhat, text, pos, "'a', 'f' or the end of the text after the version");
    }
    ++pos;
    if (pos < text.size()) return parse_error(kWhat, text, pos, "the end of the text");
  }
  return target;
}

std::string Target::to_string() const {
  return vendor == Vendor::kAmdgpu ? amdgpu.to_string() : nvidia.to_string();
}

Result<Target> parse_target(std::string_view text) {
  DEVBIN_RETURN_IF_ERROR(check_length("target", text, std::max(kAmdgpuTriple.size(), kNvptxTriple.size()) + 2));
  Target target;
  if (text.starts_with("gfx") || text.starts_with(kAmdgpuTriple)) {
    DEVBIN_ASSIGN_OR_RETURN(target.amdgpu, parse_amdgpu_target_id(text));
    target.vendor = Vendor::kAmdgpu;
    return target;
  }
  if (text.starts_with("sm_") || text.starts_with("compute_") || text.starts_with(kNvptxTriple)) {
    DEVBIN_ASSIGN_OR_RETURN(target.nvidia, parse_nvidia_target(text));
    target.vendor = Vendor::kNvidia;
    return target;
  }
  return invalid_argument("invalid target " + quote(text) +
                          ": expected an AMDGPU target ID or HSA ISA name (gfx942:sramecc+:xnack-, "
                          "amdgcn-amd-amdhsa--gfx1100) or an NVIDIA target (sm_90, sm_90a, compute_75)");
}

}  // namespace devbin
