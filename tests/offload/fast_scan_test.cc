// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The scan's fast paths (scan.h, entry_reader.h): fat binary entries read on
// worker threads give the report one thread gives; reading only the ELF
// header of cubins no verdict can choose gives the verdicts reading them
// whole gives; and a fat binary whose arch-specific flag disagrees with its
// cubin's .nv.compat / e_flags is read whole after all.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "doctor.h"
#include "fatbin.h"
#include "offload_test_util.h"
#include "scan.h"

namespace devbin::offload {
namespace {

// Every field of every code object, and the containers and problems.
std::string describe_report(const ScanReport& report) {
  std::string out;
  for (const std::string& container : report.containers) out += "container " + container + "\n";
  for (const std::string& problem : report.problems) out += "problem " + problem + "\n";
  for (const FoundCodeObject& code : report.code_objects) {
    out += code.location + " | " + code.target + " | " + code.format + " | " + std::to_string(code.size) + " | " +
           std::to_string(code.stored_size) + " | " + code.compression + " | " + code.ptx_version + " | " +
           (code.kernels_known ? "known" : "unknown") + " | " + std::to_string(code.kernel_count) + " |";
    for (const std::string& kernel : code.kernels) out += " " + kernel;
    out += std::string(" | ") + (code.loadable ? "loadable" : "-") + (code.needs_link ? " needs_link" : "") + " | " +
           code.note + " | " + std::to_string(code.fatbin_flags) + "\n";
  }
  return out;
}

std::string describe_diagnosis(const Diagnosis& diagnosis) {
  std::string out = diagnosis.chosen ? "chosen " + std::to_string(*diagnosis.chosen) : std::string("none");
  out += " | " + diagnosis.reason + "\n";
  for (const CodeObjectVerdict& verdict : diagnosis.verdicts) {
    out += std::to_string(verdict.index) + (verdict.loads ? " loads: " : " no: ") + verdict.reason + "\n";
  }
  for (const std::string& fix : diagnosis.fixes) out += "fix " + fix + "\n";
  return out;
}

GpuQuery gpu(const std::string& isa) {
  GpuQuery query;
  query.label = isa;
  Result<Target> target = parse_target(isa);
  EXPECT_TRUE(target.ok()) << isa;
  if (target.ok()) query.target = *target;
  return query;
}

// `copies` of each checked-in CUDA fat binary (stored, LZ4, zstd), one after
// another as in a library's .nv_fatbin.
std::vector<uint8_t> many_fatbins(int copies) {
  std::vector<uint8_t> out;
  for (const char* name : {"cuda_sm80_sm90_compute90.fatbin", "cuda_lz4_sm80_sm90_compute90.fatbin",
                           "cuda_compressed_sm80_compute90.fatbin"}) {
    const std::vector<uint8_t> one = read_data_file(name);
    EXPECT_FALSE(one.empty()) << name;
    for (int i = 0; i < copies; ++i) {
      out.insert(out.end(), one.begin(), one.end());
      out.resize((out.size() + 7) & ~size_t{7});
    }
  }
  return out;
}

// Sets `flags` on every sm_`sm` cubin entry of the fat binaries in `bytes`.
void set_cubin_flags(std::vector<uint8_t>& bytes, uint32_t sm, uint64_t set) {
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes[at] == 0) {
      ++at;
      continue;
    }
    Result<Fatbin> fatbin = parse_fatbin(std::span<const uint8_t>(bytes).subspan(at));
    ASSERT_TRUE(fatbin.ok()) << fatbin.status().message();
    for (const FatbinEntry& entry : fatbin->entries) {
      if (entry.kind == kFatbinKindCubin && entry.sm == sm) put_u64(bytes, at + entry.offset + 40, entry.flags | set);
    }
    at += fatbin->size;
  }
}

ScanOptions fast(std::vector<uint32_t> majors, unsigned threads) {
  ScanOptions options;
  options.read_every_entry = false;
  options.nvidia_majors = std::move(majors);
  options.threads = threads;
  return options;
}

TEST(FastScanTest, WorkerThreadsGiveTheReportOneThreadGives) {
  const std::vector<uint8_t> bytes = many_fatbins(40);
  ScanOptions one;
  one.threads = 1;
  const ScanReport expected = scan_gpu_binary(bytes, one);
  ASSERT_EQ(expected.code_objects.size(), 40u * 8);
  for (const uint64_t budget : {uint64_t{1}, uint64_t{4096}, uint64_t{32} << 20}) {
    ScanOptions many;
    many.threads = 4;
    many.memory_budget = budget;  // 1: each entry runs alone, as one larger than the budget does
    EXPECT_EQ(describe_report(scan_gpu_binary(bytes, many)), describe_report(expected)) << "budget " << budget;
  }
  // The kernel names a report keeps are the first ones in scan order, whatever the timing.
  ScanOptions few_names = one;
  few_names.kernel_name_limit = 100;
  const ScanReport names = scan_gpu_binary(bytes, few_names);
  few_names.threads = 4;
  EXPECT_EQ(describe_report(scan_gpu_binary(bytes, few_names)), describe_report(names));
}

TEST(FastScanTest, ReadingOnlyHeadersGivesTheSameVerdicts) {
  const std::vector<uint8_t> bytes = many_fatbins(10);
  const ScanReport whole = scan_gpu_binary(bytes);
  for (const char* isa : {"sm_90", "sm_86", "sm_80", "sm_75", "sm_120", "sm_100"}) {
    const GpuQuery query = gpu(isa);
    for (const unsigned threads : {1u, 3u}) {
      const ScanReport report = scan_gpu_binary(bytes, fast({query.target.nvidia.major}, threads));
      EXPECT_FALSE(report.read_again);
      ASSERT_EQ(report.code_objects.size(), whole.code_objects.size());
      EXPECT_EQ(describe_diagnosis(diagnose(query, report.code_objects)),
                describe_diagnosis(diagnose(query, whole.code_objects)))
          << isa;
      size_t header_only = 0;
      for (size_t i = 0; i < whole.code_objects.size(); ++i) {
        const FoundCodeObject& full = whole.code_objects[i];
        const FoundCodeObject& code = report.code_objects[i];
        EXPECT_EQ(code.target, full.target) << i;
        EXPECT_EQ(code.format, full.format) << i;
        EXPECT_EQ(code.size, full.size) << i;
        EXPECT_EQ(code.needs_link, full.needs_link) << i;
        if (code.kernels_known) {
          EXPECT_EQ(code.kernels, full.kernels) << i;
        } else {
          ++header_only;
          // Only cubins of an SM no GPU asked about, past the first two of their SM.
          EXPECT_EQ(code.format, "cuda-cubin") << i;
          Result<Target> target = parse_target(code.target);
          ASSERT_TRUE(target.ok()) << code.target;
          EXPECT_NE(target->nvidia.major, query.target.nvidia.major) << i;
        }
      }
      EXPECT_EQ(report.header_only, header_only);
      EXPECT_GT(header_only, 0u) << isa;
    }
  }
}

// nvcc 13.0 sets 0x100000 on an sm_90a entry; a file whose flags say sm_90a
// where the cubin's own header and .nv.compat say sm_90 (or the reverse, a
// toolkit that does not set it) must not be believed for the cubins read
// only as far as their header.
TEST(FastScanTest, ArchFlagThatDisagreesWithTheCubinIsNotBelieved) {
  std::vector<uint8_t> bytes = many_fatbins(10);
  set_cubin_flags(bytes, 90, kFatbinFlagArchSpecific);
  ScanOptions one;
  one.threads = 1;
  const ScanReport whole = scan_gpu_binary(bytes, one);
  for (const FoundCodeObject& code : whole.code_objects) EXPECT_NE(code.target, "sm_90a") << code.location;
  for (const unsigned threads : {1u, 4u}) {
    // sm_86: the sm_90 cubins' verdicts cannot matter, so all but the first
    // two would be read only as far as their header, and taken for sm_90a.
    const ScanReport report = scan_gpu_binary(bytes, fast({8}, threads));
    EXPECT_TRUE(report.read_again);
    EXPECT_EQ(report.header_only, 0u);
    EXPECT_EQ(describe_report(report), describe_report(whole));
  }
  // The flag that agrees is believed: the sm_90 cubins past the first two are headers only.
  const std::vector<uint8_t> plain = many_fatbins(10);
  const ScanReport report = scan_gpu_binary(plain, fast({8}, 4));
  EXPECT_FALSE(report.read_again);
  EXPECT_EQ(report.header_only, 20u - 2u);
}

}  // namespace
}  // namespace devbin::offload
