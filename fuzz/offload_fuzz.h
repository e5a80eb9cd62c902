// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the offload-container fuzzers (fatbin, clang_bundle, offload_binary)
// share: a view lies inside the input, and the doctor's whole scan of the
// input (tools/offload/scan.h) and its diagnosis for a few GPUs hold together;
// the scan on worker threads gives the report one thread gives, and the
// summary's scan (read_every_entry false) the same choice and the same
// per-code-object loads for the GPUs it was asked about.
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

// Every field that a report or a verdict reads.
inline std::string scan_signature(const offload::ScanReport& report) {
  std::string out;
  for (const std::string& container : report.containers) out += container + "\n";
  for (const offload::FoundCodeObject& code : report.code_objects) {
    out += code.location + "|" + code.target + "|" + code.format + "|" + std::to_string(code.size) + "|" +
           std::to_string(code.kernel_count) + "|" + std::to_string(code.kernels.size()) + "|" +
           (code.loadable ? "l" : "-") + (code.needs_link ? "n" : "-") + "|" + code.note + "\n";
  }
  for (const std::string& problem : report.problems) out += problem + "\n";
  return out;
}

inline void check_scan(std::span<const uint8_t> bytes) {
  offload::ScanOptions options;
  options.decompressed_limit = kDecompressLimit;
  options.threads = 1;
  const offload::ScanReport report = offload::scan_gpu_binary(bytes, options);
  offload::ScanOptions threaded = options;
  threaded.threads = 2;
  threaded.memory_budget = 4096;  // small: entries wait for each other, or run alone
  const std::string expected = scan_signature(report);
  const std::string found = scan_signature(offload::scan_gpu_binary(bytes, threaded));
  DEVBIN_FUZZ_CHECK(found == expected, "two threads and one differ:\n" + found + "---\n" + expected);
  offload::ScanOptions summary = threaded;
  summary.read_every_entry = false;
  summary.nvidia_majors = {9, 8};  // sm_90 and sm_86, below
  const offload::ScanReport fast = offload::scan_gpu_binary(bytes, summary);
  DEVBIN_FUZZ_CHECK(fast.code_objects.size() == report.code_objects.size(),
                    "the summary's scan found another number of code objects");
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
    if (gpu.target.vendor == Vendor::kNvidia) {
      const offload::Diagnosis quick = offload::diagnose(gpu, fast.code_objects);
      DEVBIN_FUZZ_CHECK(quick.chosen == diagnosis.chosen && quick.kind == diagnosis.kind &&
                            quick.verdicts.size() == diagnosis.verdicts.size(),
                        std::string("the summary's scan chose otherwise for ") + isa);
      for (size_t i = 0; i < quick.verdicts.size(); ++i) {
        DEVBIN_FUZZ_CHECK(quick.verdicts[i].loads == diagnosis.verdicts[i].loads,
                          std::string("the summary's scan gave another verdict for ") + isa + ": " +
                              quick.verdicts[i].reason + " / " + diagnosis.verdicts[i].reason);
      }
    }
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
