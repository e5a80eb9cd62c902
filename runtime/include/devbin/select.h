// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Selection: which TOC entry serves a device.
//
// AMDGPU: the exact code object when the TOC has one; else the map's code
// object for the processor (generic), if it supports that generic version;
// xnack/sramecc: a blob built for "any" fits every device setting, "on"/"off"
// only the same setting. Never across families.
// NVIDIA: a cubin for the exact SM; else a cubin of the same major with the
// highest minor not above the device's (arch-specific "a" cubins only on their
// exact SM, family "f" cubins on the same major at or above their minor); else
// the PTX with the highest compute version not above the device's (JIT).
#ifndef DEVBIN_SELECT_H_
#define DEVBIN_SELECT_H_

#include <optional>
#include <string>
#include <string_view>

#include "devbin/status.h"
#include "devbin/target_id.h"
#include "devbin/toc.h"

namespace devbin {

inline constexpr const char kTargetOverrideEnv[] = "DEVBIN_TARGET_OVERRIDE";

enum class SelectionKind : uint8_t {
  kExact,           // built for this very target
  kGeneric,         // AMDGPU generic code object covering the processor
  kCompatibleSass,  // NVIDIA cubin of the same major, lower or equal minor
  kPtxJit,          // NVIDIA PTX the driver compiles at load time
  kOverride,        // forced by DEVBIN_TARGET_OVERRIDE
};
std::string_view selection_kind_name(SelectionKind kind);  // "exact", "generic", "compatible-sass", "ptx-jit", "override"

struct Selection {
  const TocEntry* entry = nullptr;
  SelectionKind kind = SelectionKind::kExact;
  bool jit = false;    // the driver compiles the entry at load time (PTX)
  std::string reason;  // one line: why this entry
};

struct SelectOptions {
  // A TOC entry to force on this device (file name, <triple>--<target> or
  // target id). It must exist, be of the device's vendor and be able to run
  // on it; it is reported as kOverride.
  std::optional<std::string_view> override_entry;
  // DEVBIN_TARGET_OVERRIDE's value, for every device of a process: entries
  // separated by commas, at most one per vendor, each naming a TOC entry. A
  // device takes the entry of its own vendor as override_entry does; a device
  // of a vendor the list does not name selects by the rules, so forcing an
  // NVIDIA entry leaves the AMD devices of the same machine alone. Ignored
  // when override_entry is set.
  std::optional<std::string_view> vendor_overrides;
};

Result<Selection> select(const Target& device, const Toc& toc, const SelectOptions& options = {});
// Parses `device_isa` (any form parse_target takes) first.
Result<Selection> select(std::string_view device_isa, const Toc& toc, const SelectOptions& options = {});

// DEVBIN_TARGET_OVERRIDE, if set and non-empty.
std::optional<std::string_view> target_override_from_env();

// What the target map alone says about a device target, with no TOC: the AMDGPU
// code object that serves it or the NVIDIA chain (exact SM, compatible SMs, PTX).
Result<std::string> describe_map_choice(const Target& device);

}  // namespace devbin

#endif  // DEVBIN_SELECT_H_
