// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the offload-container fuzzers (fatbin, clang_bundle, offload_binary)
// share: a view lies inside the input, and the doctor's whole scan of the
// input (tools/offload/scan.h) and its diagnosis for a few GPUs hold together.
#ifndef DEVBIN_FUZZ_OFFLOAD_FUZZ_H_
#define DEVBIN_FUZZ_OFFLOAD_FUZZ_H_

#include <cstdint>
#include <span>
#include <string>

#include "doctor.h"
#include "fuzz/fuzz_check.h"
#include "scan.h"

namespace devbin::fuzz {

// Decompressed payloads stay small: inputs are kilobytes, and a bigger limit
// only spends the campaign's time zero-filling buffers.
inline constexpr uint64_t kDecompressLimit = uint64_t{1} << 20;

inline void check_within(std::span<const uint8_t> input, std::span<const uint8_t> view, const std::string& what) {
  if (view.empty()) return;
  DEVBIN_FUZZ_CHECK(view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size(),
                    what + " outside the input");
}

// A container reader's result: an error explains itself (check_result); a
// container it reads is no larger than the input. The container, or nullptr.
template <class T>
const T* check_container(const Result<T>& parsed, size_t input_size, const std::string& what) {
  check_result(parsed);
  if (!parsed.ok()) return nullptr;
  DEVBIN_FUZZ_CHECK(parsed->size <= input_size, what + " larger than its input");
  return &parsed.value();
}

inline void check_scan(std::span<const uint8_t> bytes) {
  offload::ScanOptions options;
  options.decompressed_limit = kDecompressLimit;
  const offload::ScanReport report = offload::scan_gpu_binary(bytes, options);
  for (const offload::FoundCodeObject& code : report.code_objects) {
    DEVBIN_FUZZ_CHECK(!code.location.empty(), "a code object without a location");
    DEVBIN_FUZZ_CHECK(!code.format.empty(), "a code object without a format");
  }
  for (const std::string& problem : report.problems) DEVBIN_FUZZ_CHECK(!problem.empty(), "an empty problem");
  static const char* const kGpus[] = {"gfx90a:xnack-", "gfx1100", "gfx942:sramecc+:xnack+", "sm_90", "sm_86"};
  for (const char* isa : kGpus) {
    offload::GpuQuery gpu;
    gpu.label = isa;
    gpu.target = *parse_target(isa);
    gpu.cuda_driver_version = 12040;
    const offload::Diagnosis diagnosis = offload::diagnose(gpu, report.code_objects);
    if (diagnosis.chosen) {
      DEVBIN_FUZZ_CHECK(*diagnosis.chosen < report.code_objects.size(), "a chosen index past the code objects");
      bool verdict_loads = false;
      for (const offload::CodeObjectVerdict& verdict : diagnosis.verdicts) {
        if (verdict.index == *diagnosis.chosen) verdict_loads = verdict.loads;
      }
      DEVBIN_FUZZ_CHECK(verdict_loads, "the chosen code object's verdict says it does not load");
    } else {
      DEVBIN_FUZZ_CHECK(!diagnosis.reason.empty(), "nothing loads and no reason");
    }
  }
}

}  // namespace devbin::fuzz

#endif  // DEVBIN_FUZZ_OFFLOAD_FUZZ_H_
