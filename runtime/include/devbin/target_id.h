// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Target IDs: the names GPUs and code objects go by.
//   AMDGPU: "gfx942:sramecc+:xnack-", "gfx90a:xnack+", "gfx11-generic", and HSA ISA names
//           "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-" (LLVM's target-ID syntax).
//   NVIDIA: "sm_90", "sm_90a" (arch-specific), "sm_100f" (family), "compute_75" (PTX),
//           optionally prefixed "nvptx64-nvidia-cuda--".
#ifndef DEVBIN_TARGET_ID_H_
#define DEVBIN_TARGET_ID_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "devbin/status.h"

namespace devbin {

inline constexpr std::string_view kAmdgpuTriple = "amdgcn-amd-amdhsa";
inline constexpr std::string_view kNvptxTriple = "nvptx64-nvidia-cuda";
// The longest target the parsers take after any "<triple>--": the longest
// real one ("gfx10-3-generic:sramecc+:xnack-") is 32 bytes, so a longer one
// is refused before its parts are echoed anywhere.
inline constexpr size_t kMaxTargetTextBytes = 128;

enum class Vendor : uint8_t { kAmdgpu, kNvidia };

// A target feature's setting; the numeric order matches the AMDGPU ELF e_flags
// encoding (xnack: (flags >> 8) & 3, sramecc: (flags >> 10) & 3).
enum class FeatureSetting : uint8_t {
  kUnsupported = 0,  // the processor has no such feature
  kAny = 1,          // not named in the target ID: code runs with either setting
  kOff = 2,          // "feature-"
  kOn = 3,           // "feature+"
};
std::string_view feature_setting_name(FeatureSetting setting);  // "unsupported", "any", "off", "on"

struct AmdgpuTargetId {
  std::string processor;  // "gfx942", "gfx11-generic"
  // Absent from the text means kAny; whether the processor supports the
  // feature at all is the target map's business, not the parser's.
  FeatureSetting sramecc = FeatureSetting::kAny;
  FeatureSetting xnack = FeatureSetting::kAny;

  // Canonical LLVM form: processor, then ":sramecc±", then ":xnack±" (only
  // settings that are on or off are written).
  std::string to_string() const;
  // "amdgcn-amd-amdhsa--" + to_string().
  std::string to_isa_name() const;
  // The feature suffix alone, "sramecc+:xnack-" or "".
  std::string features() const;
  // Appends to_string() to `out` without a temporary (selection builds its
  // reasons this way on the hot path).
  void append_to(std::string& out) const;
  bool operator==(const AmdgpuTargetId&) const = default;
};

// Accepts a bare target ID or an HSA ISA name. Errors name the text and the
// 0-based position of the first character that does not fit.
Result<AmdgpuTargetId> parse_amdgpu_target_id(std::string_view text);

enum class NvidiaCodeKind : uint8_t { kSass, kPtx };  // "sm_XX" cubin, "compute_XX" PTX
enum class NvidiaArchSuffix : uint8_t {
  kNone,
  kArchSpecific,  // "a": runs only on exactly this SM
  kFamily,        // "f": runs on this SM and later minors of the same major family
};

struct NvidiaTarget {
  NvidiaCodeKind kind = NvidiaCodeKind::kSass;
  uint32_t major = 0;  // sm_90 -> 9, sm_100 -> 10, sm_121 -> 12
  uint32_t minor = 0;  // sm_90 -> 0, sm_86 -> 6, sm_121 -> 1
  NvidiaArchSuffix suffix = NvidiaArchSuffix::kNone;

  uint32_t number() const { return major * 10 + minor; }  // 90, 100, 121
  std::string to_string() const;                           // "sm_90a", "compute_75"
  bool operator==(const NvidiaTarget&) const = default;
};

Result<NvidiaTarget> parse_nvidia_target(std::string_view text);

// Either vendor's target; what a device reports and what a TOC entry is built for.
struct Target {
  Vendor vendor = Vendor::kAmdgpu;
  AmdgpuTargetId amdgpu;  // valid when vendor == kAmdgpu
  NvidiaTarget nvidia;    // valid when vendor == kNvidia

  std::string_view triple() const { return vendor == Vendor::kAmdgpu ? kAmdgpuTriple : kNvptxTriple; }
  std::string to_string() const;  // the target without the triple
};

// Dispatches on the text: "gfx…" or "amdgcn-amd-amdhsa--…" is AMDGPU; "sm_…",
// "compute_…" or "nvptx64-nvidia-cuda--…" is NVIDIA; anything else is an error
// naming both forms.
Result<Target> parse_target(std::string_view text);

}  // namespace devbin

#endif  // DEVBIN_TARGET_ID_H_
