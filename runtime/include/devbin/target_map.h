// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The target map at run time: the tables build_tools/target_map.py generates
// into device/binaries/target_map.inl, included once (runtime/src/target_map.cc).
#ifndef DEVBIN_TARGET_MAP_H_
#define DEVBIN_TARGET_MAP_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/status.h"

namespace devbin {

enum class AmdgpuGpuKind : uint8_t { kDgpu, kDcgpu, kIgpu };
std::string_view amdgpu_gpu_kind_name(AmdgpuGpuKind kind);  // "dgpu", "dcgpu", "igpu"

// A code object devbin builds: a generic target or an exact processor.
struct AmdgpuCodeObject {
  std::string_view name;     // "gfx11-generic", "gfx90a"
  uint32_t mach;             // EF_AMDGPU_MACH
  uint32_t generic_version;  // EF_AMDGPU_GENERIC_VERSION; 0 for an exact processor
  bool xnack;                // the target supports xnack (so a blob may be any/on/off)
  bool sramecc;
  uint32_t min_llvm_major;   // oldest LLVM that builds it (the source build mode checks this)
};

// An exact processor that runs one of the code objects.
struct AmdgpuProcessor {
  std::string_view name;         // "gfx1151"
  uint32_t mach;                 // its own EF_AMDGPU_MACH
  std::string_view code_object;  // "gfx11-generic", or its own name where devbin ships it exact
  uint32_t min_generic_version;  // lowest generic version of code_object that covers it (0 when exact)
  bool xnack;
  bool sramecc;
  AmdgpuGpuKind kind;
};

// A processor LLVM knows but devbin cannot serve, with the reason.
struct AmdgpuUnsupportedProcessor {
  std::string_view name;
  uint32_t mach;
  std::string_view reason;
};

// A ROCm/TheRock family selector and the processors it names.
struct AmdgpuFamily {
  std::string_view selector;    // "gfx110X-all"
  std::string_view processors;  // space-separated exact processors
};

struct NvidiaMapTarget {
  std::string_view name;  // "sm_90", "compute_75"
  bool ptx;
  uint32_t major;
  uint32_t minor;
};

std::span<const AmdgpuCodeObject> amdgpu_code_objects();
std::span<const AmdgpuProcessor> amdgpu_processors();
std::span<const AmdgpuUnsupportedProcessor> amdgpu_unsupported_processors();
std::span<const AmdgpuFamily> amdgpu_families();
std::span<const NvidiaMapTarget> nvidia_targets();

const AmdgpuCodeObject* find_amdgpu_code_object(std::string_view name);
const AmdgpuCodeObject* find_amdgpu_code_object_by_mach(uint32_t mach);
const AmdgpuProcessor* find_amdgpu_processor(std::string_view name);
const AmdgpuUnsupportedProcessor* find_amdgpu_unsupported_processor(std::string_view name);
// Any processor or code object name for an EF_AMDGPU_MACH value ("" when unknown).
std::string_view amdgpu_mach_name(uint32_t mach);

// Expands a ';'- or ','-separated list of exact processors, code-object names
// and family selectors ("gfx110X-all;gfx90a", "dgpu-all", "all") into exact
// processors, in map order, without duplicates. Unknown words and selectors
// that expand to nothing are errors listing the known selectors.
Result<std::vector<std::string_view>> expand_amdgpu_targets(std::string_view selectors);

}  // namespace devbin

#endif  // DEVBIN_TARGET_MAP_H_
