// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The emulated AMD GPU's agents (tests/hsa/emulator_executor.cc): one list
// for the device tests and the CLI tests. Their ISAs reach every code object
// the emulator decodes, by exact or generic rules: all but gfx10-1-generic,
// gfx10-3-generic, gfx1250 and gfx1251 (emulated_device_test.cc's
// EmulatedGpuLimits shows those refused).
#ifndef DEVBIN_TESTS_HSA_EMULATED_AGENTS_H_
#define DEVBIN_TESTS_HSA_EMULATED_AGENTS_H_

#include <ostream>

#include "devbin/select.h"

namespace devbin::hsa {

struct EmulatedAgent {
  const char* isa;    // as DEVBIN_STAND_IN_HSA_AGENTS takes it: "gfx942:sramecc+:xnack-"
  const char* entry;  // the TOC entry selection picks
  SelectionKind kind;
  // Every code object is swept whole through one agent (all 16 x 16 copy
  // offsets); agents that share a code object run a lighter sweep.
  bool full_sweep;
};

inline constexpr EmulatedAgent kEmulatedAgents[] = {
    {"gfx1100", "amdgcn-amd-amdhsa--gfx11-generic.so", SelectionKind::kGeneric, true},
    {"gfx1151", "amdgcn-amd-amdhsa--gfx11-generic.so", SelectionKind::kGeneric, false},
    {"gfx1201", "amdgcn-amd-amdhsa--gfx12-generic.so", SelectionKind::kGeneric, true},
    {"gfx942:sramecc+:xnack-", "amdgcn-amd-amdhsa--gfx9-4-generic.so", SelectionKind::kGeneric, true},
    {"gfx950", "amdgcn-amd-amdhsa--gfx9-4-generic.so", SelectionKind::kGeneric, false},
    {"gfx90a:xnack-", "amdgcn-amd-amdhsa--gfx90a.so", SelectionKind::kExact, true},
    {"gfx908:sramecc+:xnack-", "amdgcn-amd-amdhsa--gfx908.so", SelectionKind::kExact, true},
    {"gfx906", "amdgcn-amd-amdhsa--gfx9-generic.so", SelectionKind::kGeneric, true},
    {"gfx90c", "amdgcn-amd-amdhsa--gfx9-generic.so", SelectionKind::kGeneric, false},
};

// Test names and failure messages show the ISA.
inline void PrintTo(const EmulatedAgent& agent, std::ostream* out) { *out << agent.isa; }

}  // namespace devbin::hsa

#endif  // DEVBIN_TESTS_HSA_EMULATED_AGENTS_H_
