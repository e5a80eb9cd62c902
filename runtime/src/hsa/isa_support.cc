// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the HSA runtime can load, and what to say when it refuses. ROCr lists
// an agent's ISAs with hsa_agent_iterate_isas: its own ISA first, then, from
// the ROCm 6.4 releases on, the generic ISA its loader also accepts for it
// (core/runtime/amd_gpu_agent.cpp, supported_isas_; core/runtime/isa.cpp,
// IsaRegistry). The loader takes a generic code object only for an agent
// whose generic ISA is that code object's (Isa::IsCompatible): a runtime that
// lists no generic ISA cannot load one. The versions: code object v6 (every
// shipped code object) loads from ROCm 6.3; generic code objects from ROCm
// 6.4 (README, "ROCm versions", gives the sources).
#include <string>
#include <vector>

#include "devbin/select.h"
#include "hsa/device_impl.h"

namespace devbin::hsa {
namespace {

constexpr char kGenericSuffix[] = "-generic";

// "amdgcn-amd-amdhsa--gfx11-generic:xnack-" -> "gfx11-generic".
std::string_view processor_of(std::string_view isa) {
  if (size_t dashes = isa.rfind("--"); dashes != std::string_view::npos) isa.remove_prefix(dashes + 2);
  return isa.substr(0, isa.find(':'));
}

}  // namespace

AgentIsas split_isas(const std::vector<std::string>& isa_names) {
  AgentIsas isas;
  for (const std::string& name : isa_names) {
    (processor_of(name).ends_with(kGenericSuffix) ? isas.generic : isas.native).push_back(name);
  }
  return isas;
}

bool runtime_lists_generic(const AgentIsas& isas, const TocEntry& entry) {
  const std::string_view wanted = processor_of(entry.target);
  for (const std::string& name : isas.generic) {
    if (processor_of(name) == wanted) return true;
  }
  return false;
}

std::string rocm_needed(uint32_t code_object_version, bool generic) {
  if (generic) return "ROCm 6.4";
  if (code_object_version >= 6) return "ROCm 6.3";
  // devbin ships code object v6 only; older versions' boundaries are not
  // recorded here.
  return "a ROCm that loads code object v" + std::to_string(code_object_version);
}

std::string load_refusal_hint(api::hsa_status_t status, const TocEntry& entry, const CodeObjectInfo& info,
                              const std::string& agent_isa) {
  const bool generic = entry.target.ends_with(kGenericSuffix);
  const std::string name(entry.name);
  const std::string version = "code object v" + std::to_string(info.code_object_version);
  std::string hint = "; the runtime does not accept " + name + " (" + version +
                     (generic ? ", generic " + std::string(entry.target) : "") + ") for " + agent_isa;
  switch (status) {
    case api::HSA_STATUS_ERROR_INVALID_ISA_NAME:
      // ROCr before generic support knows no name for the generic machines
      // (gfx9, gfx10-1, gfx10-3, gfx11 generic).
      hint += generic ? ": it has no ISA named " + std::string(entry.target) + "; generic code objects need " +
                            rocm_needed(info.code_object_version, true) + " or later"
                      : ": it does not know the code object's ISA";
      break;
    case api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT:
      // ROCr before code object v6 refuses every v6 object; ROCr before
      // generic support refuses gfx9-4-generic and gfx12-generic this way too.
      hint += ": " + version + " needs " + rocm_needed(info.code_object_version, false) + " or later" +
              (generic ? ", a generic code object " + rocm_needed(info.code_object_version, true) + " or later" : "");
      break;
    case api::HSA_STATUS_ERROR_INVALID_ISA:
    case api::HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS:
      hint += generic ? " (a generic code object needs " + rocm_needed(info.code_object_version, true) +
                            " or later, whose loader lists the generic ISA for the agent)"
                      : "";
      break;
    default:
      return "";
  }
  return hint + "; update ROCm, or force another entry with " + kTargetOverrideEnv;
}

}  // namespace devbin::hsa
