// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Corrupted code objects: every prebuilt blob (DEVBIN_PREBUILT_DIR) cut at
// every length and hit by seeded random bit flips, through the same calls the
// loader makes (inspect_code_object, validate_code_object against the blob's
// own TOC entry, inspect_and_validate). Each outcome must be a valid decode or
// a clean error: a non-OK, non-internal Status with a message. Crashes and
// out-of-bounds reads show up under the sanitizers (scripts/asan.sh): the
// bytes past each input's end are unaddressable (the heap buffer ends there,
// or ASan poisons the rest), so reading one byte past the end is a report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>  // no-op macros unless built with ASan
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#include "devbin/code_object.h"
#include "devbin/toc.h"

// The parsers allocate a fresh tree per call; ASan's default 256 MB
// quarantine then turns every call into page faults. 16 MB still holds every
// block one call frees, so a use after free within a call is still caught.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

namespace devbin {
namespace {

constexpr int kFlipsPerBlob = 10'000;
// Failures past this many per blob add noise, not information.
constexpr int kMaxReportedFailures = 5;

bool is_elf(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
}

std::vector<std::string> prebuilt_names() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& file : std::filesystem::directory_iterator(DEVBIN_PREBUILT_DIR, error)) {
    const std::string ext = file.path().extension().string();
    if (ext == ".so" || ext == ".cubin" || ext == ".ptx") names.push_back(file.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<uint8_t> read_file(const std::string& name) {
  std::ifstream in(std::string(DEVBIN_PREBUILT_DIR) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Empty when the outcome is acceptable, else what is wrong with it.
std::string judge(const Status& status) {
  if (status.ok()) return "";
  if (status.code() == StatusCode::kInternal) return "an internal error: " + status.to_string();
  if (status.message().empty()) return "an error without a message (" + std::string(status_code_name(status.code())) + ")";
  return "";
}

struct Outcome {
  std::string problem;  // empty when the outcome is acceptable
  bool decoded = false;  // inspect_code_object succeeded
  bool loadable = false;  // and the blob validates as its entry
};

// Runs the loader's calls over `bytes` (a heap buffer of exactly the input's
// size) as the TOC entry `named` names them.
// `cross_check` also runs inspect_and_validate (the loader's one call) and
// holds it to the two separate calls; it doubles the cost, so the bit-flip
// test samples it.
Outcome exercise(const TocEntry& named, std::span<const uint8_t> bytes, bool cross_check) {
  Outcome out;
  Result<CodeObjectInfo> info = inspect_code_object(bytes);
  if (std::string bad = judge(info.status()); !bad.empty()) return {"inspect_code_object: " + bad};
  TocEntry entry = named;
  entry.data = bytes.data();
  entry.size = bytes.size();
  Status valid = Status::Ok();
  if (info.ok()) {
    out.decoded = true;
    valid = validate_code_object(entry, *info);
    if (std::string bad = judge(valid); !bad.empty()) return {"validate_code_object: " + bad};
    out.loadable = valid.ok();
    for (const KernelInfo& kernel : info->kernels) {
      if (info->find_kernel(kernel.name) == nullptr) return {"find_kernel misses '" + kernel.name + "'"};
    }
    (void)info->target_name();
  }
  if (!cross_check) return out;
  Result<CodeObjectInfo> both = inspect_and_validate(entry);
  if (std::string bad = judge(both.status()); !bad.empty()) return {"inspect_and_validate: " + bad};
  if (both.ok() != out.loadable) {
    return {"inspect_and_validate says " + both.status().to_string() + " but inspect + validate say " +
            (info.ok() ? valid.to_string() : info.status().to_string())};
  }
  if (!both.ok() && both.status().message().find(entry.name) == std::string::npos) {
    return {"inspect_and_validate's error does not name the entry: " + both.status().to_string()};
  }
  return out;
}

std::string param_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

TEST(CorruptionTest, PrebuiltSetIsThere) {
  // Without blobs every test below would pass over nothing.
  const std::vector<std::string> names = prebuilt_names();
  auto count = [&](std::string_view ext) {
    return std::count_if(names.begin(), names.end(), [&](const std::string& n) { return n.ends_with(ext); });
  };
  EXPECT_GE(count(".so"), 7) << "AMDGPU code objects in " << DEVBIN_PREBUILT_DIR;
  EXPECT_GE(count(".cubin"), 1) << "cubins in " << DEVBIN_PREBUILT_DIR;
  EXPECT_GE(count(".ptx"), 1) << "PTX in " << DEVBIN_PREBUILT_DIR;
}

class BlobCorruptionTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    blob_ = read_file(GetParam());
    ASSERT_FALSE(blob_.empty()) << "cannot read " << GetParam();
    Status parsed = parse_toc_entry_name(GetParam(), &entry_);
    ASSERT_TRUE(parsed.ok()) << parsed.to_string();
    entry_.data = blob_.data();
    entry_.size = blob_.size();
    // The intact blob must load: otherwise every corruption below would be
    // refused for the wrong reason.
    Result<CodeObjectInfo> intact = inspect_and_validate(entry_);
    ASSERT_TRUE(intact.ok()) << intact.status().to_string();
  }

  std::vector<uint8_t> blob_;
  TocEntry entry_;
};

TEST_P(BlobCorruptionTest, EveryTruncationIsACleanError) {
  const bool elf = is_elf(blob_);
  int failures = 0;
  size_t accepted = 0;
  // One copy, its tail poisoned past each cut: a fresh buffer per length
  // would cost time quadratic in the blob's size.
  auto buffer = std::make_unique_for_overwrite<uint8_t[]>(blob_.size());
  std::copy(blob_.begin(), blob_.end(), buffer.get());
  for (size_t length = 0; length < blob_.size() && failures < kMaxReportedFailures; ++length) {
    ASAN_POISON_MEMORY_REGION(buffer.get() + length, blob_.size() - length);
    const Outcome outcome = exercise(entry_, {buffer.get(), length}, /*cross_check=*/true);
    ASAN_UNPOISON_MEMORY_REGION(buffer.get(), blob_.size());
    if (!outcome.problem.empty()) {
      ADD_FAILURE() << GetParam() << " cut to " << length << " of " << blob_.size() << " bytes: " << outcome.problem;
      ++failures;
    }
    if (outcome.decoded) ++accepted;
  }
  // An ELF file's section headers sit at its end: no cut of it may still
  // decode as a whole code object.
  if (elf) {
    EXPECT_EQ(accepted, 0u) << "truncated copies of " << GetParam() << " decoded";
  }
}

TEST_P(BlobCorruptionTest, RandomBitFlipsGiveADecodeOrACleanError) {
  // Seeded per blob: a failure names the trial, and rerunning repeats it.
  // (seed_seq and mt19937_64 are specified exactly; the distributions are
  // not, so the bit is taken modulo, the same with every standard library.)
  std::seed_seq seed(GetParam().begin(), GetParam().end());
  std::mt19937_64 random(seed);
  const uint64_t bits = blob_.size() * 8;
  auto buffer = std::make_unique_for_overwrite<uint8_t[]>(blob_.size());
  std::copy(blob_.begin(), blob_.end(), buffer.get());

  int failures = 0;
  int still_valid = 0;
  for (int trial = 0; trial < kFlipsPerBlob && failures < kMaxReportedFailures; ++trial) {
    const size_t flipped = static_cast<size_t>(random() % bits);
    const uint8_t mask = static_cast<uint8_t>(1u << (flipped % 8));
    buffer[flipped / 8] ^= mask;
    const Outcome outcome = exercise(entry_, {buffer.get(), blob_.size()}, /*cross_check=*/trial % 8 == 0);
    buffer[flipped / 8] ^= mask;
    if (!outcome.problem.empty()) {
      ADD_FAILURE() << GetParam() << " trial " << trial << ", bit " << flipped << " (byte " << flipped / 8
                    << ") flipped: " << outcome.problem;
      ++failures;
    }
    if (outcome.loadable) ++still_valid;
  }
  // Most flips land in code or padding the decoders do not read; some must
  // land in what they check, or the decoders check nothing.
  EXPECT_LT(still_valid, kFlipsPerBlob) << "no flip in " << GetParam() << " was ever refused";
}

INSTANTIATE_TEST_SUITE_P(Prebuilt, BlobCorruptionTest, testing::ValuesIn(prebuilt_names()), param_name);

}  // namespace
}  // namespace devbin
