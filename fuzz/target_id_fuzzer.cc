// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Target IDs and HSA ISA names as devices, users (DEVBIN_TARGET_OVERRIDE,
// `devbin select`) and TOC entries give them. Properties beyond "no crash":
// whatever parses prints back to text that parses to the same value, and the
// target map answers every parsed target without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "devbin/select.h"
#include "devbin/target_id.h"
#include "devbin/target_map.h"
#include "fuzz/fuzz_check.h"

namespace {

using devbin::fuzz::check_error;
using devbin::fuzz::check_result;

void check_amdgpu_round_trip(const devbin::AmdgpuTargetId& id) {
  const std::string text = id.to_string();
  auto again = devbin::parse_amdgpu_target_id(text);
  DEVBIN_FUZZ_CHECK(again.ok(), "canonical form '" + text + "' does not parse: " + again.status().to_string());
  DEVBIN_FUZZ_CHECK(*again == id, "'" + text + "' parses to another target ID");
  auto isa = devbin::parse_amdgpu_target_id(id.to_isa_name());
  DEVBIN_FUZZ_CHECK(isa.ok() && *isa == id, "ISA name '" + id.to_isa_name() + "' does not round-trip");
}

void check_nvidia_round_trip(const devbin::NvidiaTarget& target) {
  const std::string text = target.to_string();
  auto again = devbin::parse_nvidia_target(text);
  DEVBIN_FUZZ_CHECK(again.ok(), "canonical form '" + text + "' does not parse: " + again.status().to_string());
  DEVBIN_FUZZ_CHECK(*again == target, "'" + text + "' parses to another NVIDIA target");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto amdgpu = devbin::parse_amdgpu_target_id(text);
  check_result(amdgpu);
  if (amdgpu.ok()) {
    check_amdgpu_round_trip(*amdgpu);
    (void)devbin::find_amdgpu_processor(amdgpu->processor);
    (void)devbin::find_amdgpu_code_object(amdgpu->processor);
    (void)devbin::find_amdgpu_unsupported_processor(amdgpu->processor);
  }

  auto nvidia = devbin::parse_nvidia_target(text);
  check_result(nvidia);
  if (nvidia.ok()) check_nvidia_round_trip(*nvidia);

  auto target = devbin::parse_target(text);
  check_result(target);
  if (target.ok()) {
    // parse_target must agree with the vendor parser it dispatches to.
    if (target->vendor == devbin::Vendor::kAmdgpu) {
      DEVBIN_FUZZ_CHECK(amdgpu.ok() && target->amdgpu == *amdgpu, "parse_target disagrees with the AMDGPU parser");
    } else {
      DEVBIN_FUZZ_CHECK(nvidia.ok() && target->nvidia == *nvidia, "parse_target disagrees with the NVIDIA parser");
    }
    check_result(devbin::describe_map_choice(*target));
  } else {
    check_error(target.status());
  }

  // The same text as a CMake/CLI target selector list (DEVBIN_AMDGPU_TARGETS).
  check_result(devbin::expand_amdgpu_targets(text));
  return 0;
}
