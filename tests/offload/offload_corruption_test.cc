// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The corruption sweep the TOC blobs get (tests/runtime/corruption_test.cc),
// on every file of tests/offload/data through devbin doctor's whole path
// (scan_gpu_binary, then diagnose for GPUs of both vendors): each file cut at
// every length and hit by seeded random bit flips. Each outcome must be code
// objects and/or problems that say something; crashes and out-of-bounds reads
// show up under the sanitizers (scripts/asan.sh), the bytes past each cut
// being poisoned.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#include "doctor.h"
#include "offload_test_util.h"
#include "scan.h"

namespace devbin::offload {
namespace {

constexpr int kFlipsPerFile = 10'000;
constexpr int kMaxReportedFailures = 5;

struct Outcome {
  std::string problem;  // empty when acceptable
  bool intact = false;  // the same code objects as the whole file, none with a note, and no problem
};

const std::vector<GpuQuery>& gpus() {
  static const std::vector<GpuQuery> list = [] {
    std::vector<GpuQuery> out;
    for (const char* isa : {"gfx90a:xnack-", "gfx1100", "gfx942:sramecc+:xnack-", "sm_90", "sm_86"}) {
      GpuQuery query;
      query.label = isa;
      query.target = *parse_target(isa);
      query.cuda_driver_version = 12040;
      out.push_back(query);
    }
    return out;
  }();
  return list;
}

std::string signature(const ScanReport& report) {
  std::string out;
  for (const FoundCodeObject& code : report.code_objects) {
    out += code.target + "/" + code.format + "/" + std::to_string(code.size) + "/" + code.note + ";";
  }
  return out;
}

Outcome exercise(std::span<const uint8_t> bytes, const std::string& whole) {
  ScanOptions options;
  options.decompressed_limit = uint64_t{1} << 20;
  const ScanReport report = scan_gpu_binary(bytes, options);
  if (report.code_objects.empty() && report.problems.empty()) return {"neither code objects nor a problem"};
  for (const std::string& problem : report.problems) {
    if (problem.empty()) return {"an empty problem"};
  }
  for (const FoundCodeObject& code : report.code_objects) {
    if (code.location.empty() || code.format.empty()) return {"a code object without location or format"};
    if (code.loadable && code.target.empty()) return {"a loadable code object without a target"};
  }
  for (const GpuQuery& gpu : gpus()) {
    const Diagnosis diagnosis = diagnose(gpu, report.code_objects);
    if (diagnosis.reason.empty()) return {"a diagnosis without a reason for " + gpu.label};
    if (diagnosis.chosen && *diagnosis.chosen >= report.code_objects.size()) return {"a chosen index out of range"};
  }
  Outcome out;
  out.intact = report.problems.empty() && signature(report) == whole;
  return out;
}

std::string param_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class OffloadCorruptionTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    file_ = read_data_file(GetParam());
    ASSERT_FALSE(file_.empty()) << "cannot read " << GetParam();
    const ScanReport report = scan_gpu_binary(file_);
    ASSERT_TRUE(report.problems.empty()) << GetParam() << ": " << report.problems.front();
    ASSERT_FALSE(report.code_objects.empty()) << GetParam();
    whole_ = signature(report);
  }

  std::vector<uint8_t> file_;
  std::string whole_;
};

TEST_P(OffloadCorruptionTest, EveryTruncationIsReported) {
  int failures = 0;
  size_t intact = 0;
  auto buffer = std::make_unique_for_overwrite<uint8_t[]>(file_.size());
  std::copy(file_.begin(), file_.end(), buffer.get());
  for (size_t length = 0; length < file_.size() && failures < kMaxReportedFailures; ++length) {
    ASAN_POISON_MEMORY_REGION(buffer.get() + length, file_.size() - length);
    const Outcome outcome = exercise({buffer.get(), length}, whole_);
    ASAN_UNPOISON_MEMORY_REGION(buffer.get(), file_.size());
    if (!outcome.problem.empty()) {
      ADD_FAILURE() << GetParam() << " cut to " << length << " of " << file_.size() << " bytes: " << outcome.problem;
      ++failures;
    }
    if (outcome.intact) ++intact;
  }
  // Only cuts into trailing padding or a host file's bytes after its GPU
  // code may look whole; most cuts must be noticed.
  EXPECT_LT(intact, file_.size() / 2) << GetParam() << ": most truncated copies looked whole";
}

TEST_P(OffloadCorruptionTest, RandomBitFlipsGiveCodeObjectsOrProblems) {
  std::seed_seq seed(GetParam().begin(), GetParam().end());
  std::mt19937_64 random(seed);
  const uint64_t bits = file_.size() * 8;
  auto buffer = std::make_unique_for_overwrite<uint8_t[]>(file_.size());
  std::copy(file_.begin(), file_.end(), buffer.get());
  int failures = 0;
  int intact = 0;
  for (int trial = 0; trial < kFlipsPerFile && failures < kMaxReportedFailures; ++trial) {
    const size_t flipped = static_cast<size_t>(random() % bits);
    const uint8_t mask = static_cast<uint8_t>(1u << (flipped % 8));
    buffer[flipped / 8] ^= mask;
    const Outcome outcome = exercise({buffer.get(), file_.size()}, whole_);
    buffer[flipped / 8] ^= mask;
    if (!outcome.problem.empty()) {
      ADD_FAILURE() << GetParam() << " trial " << trial << ", bit " << flipped << " flipped: " << outcome.problem;
      ++failures;
    }
    if (outcome.intact) ++intact;
  }
  EXPECT_LT(intact, kFlipsPerFile) << "no flip in " << GetParam() << " was ever noticed";
}

INSTANTIATE_TEST_SUITE_P(Data, OffloadCorruptionTest, testing::ValuesIn(data_file_names()), param_name);

}  // namespace
}  // namespace devbin::offload
