// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor as a user runs it, on the files of data/ and on files made
// here: a sparse 8 GiB library, thousands of code objects, a PTX file cut
// short. The JSON it writes must parse (python3 -m json.tool).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "elf_file_writer.h"
#include "fatbin.h"
#include "offload_test_util.h"
#include "tests/tools/cli_run.h"

namespace devbin::offload {
namespace {

using testing_cli::CliRun;
using testing_cli::run_devbin;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The JSON parses; python3's own parser is the judge.
void expect_valid_json(const std::string& json, const std::filesystem::path& scratch) {
  if (std::system("python3 -c pass >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not found";
  const auto path = scratch / "out.json";
  {
    std::ofstream out(path);
    out << json;
  }
  const std::string command = "python3 -m json.tool " + path.string() + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << "not valid JSON:\n" << json.substr(0, 2000);
}

TEST(DoctorCliTest, EightGiBLibraryIsRead) {
  ScratchDir dir("devbin_doctor_cli");
  const std::vector<uint8_t> fatbin = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  ElfSpec spec;
  spec.file_size = uint64_t{8} << 30;
  const uint64_t at = (spec.file_size - fatbin.size()) & ~uint64_t{7};
  spec.sections.push_back({".text", 1, 0x1000, at - 0x1000, {}});
  spec.sections.push_back({".nv_fatbin", 1, at, fatbin.size(), fatbin});
  const auto path = dir.path / "libhuge.so";
  ASSERT_TRUE(write_elf_file(path, spec));

  CliRun text = run_devbin("doctor --gpu sm_90 " + path.string(), "timeout 60");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(has(text.output, ".nv_fatbin: CUDA fat binary, 3 entries")) << text.output;
  EXPECT_TRUE(has(text.output, "[2] NVIDIA sm_90  cuda-cubin  5456 bytes (lz4-compressed, 1485 stored)  kernels: "
                               "_Z7add_onePi, scale"))
      << text.output;
  EXPECT_TRUE(has(text.output, "--gpu sm_90: loads [2] sm_90: exact cubin for sm_90")) << text.output;

  CliRun json = run_devbin("doctor --json --gpu sm_90 --gpu sm_87 " + path.string(), "timeout 60");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(occurrences(json.output, "\"kernel_count\": 2"), 3u) << json.output;
  expect_valid_json(json.output, dir.path);
}

TEST(DoctorCliTest, ThousandsOfCodeObjectsAreSummarisedByTarget) {
  ScratchDir dir("devbin_doctor_cli");
  const std::vector<uint8_t> one = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  std::vector<uint8_t> many;
  for (int i = 0; i < 1000; ++i) many.insert(many.end(), one.begin(), one.end());
  const auto path = dir.path / "many.fatbin";
  write_file(path, many);

  CliRun text = run_devbin("doctor --gpu sm_86 " + path.string());
  EXPECT_EQ(text.exit_code, 0) << text.output;
  // Of the sm_90 cubins, which no verdict for sm_86 can choose, only the
  // first two are read whole; the rest only as far as their ELF header.
  EXPECT_TRUE(has(text.output, "3000 code objects, by target (--verbose lists each one; 998 of them, of SMs no GPU "
                               "asked about, read only as far as their ELF header):"))
      << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA sm_90  cuda-cubin  1000 code objects, 5456000 bytes (1485000 stored, lz4)  "
                               "kernels: _Z7add_onePi, scale, ... (4 in the 2 code objects read; --verbose reads "
                               "every one)"))
      << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA sm_80  cuda-cubin  1000 code objects, 4712000 bytes (1338000 stored, lz4)  "
                               "kernels: _Z7add_onePi, scale, ... (2000 in all)"))
      << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA compute_90  ptx  1000 code objects")) << text.output;
  EXPECT_TRUE(has(text.output, "... and 992 more containers (--verbose lists them)")) << text.output;
  EXPECT_TRUE(has(text.output, "--gpu sm_86: loads [0] sm_80:")) << text.output;
  EXPECT_TRUE(has(text.output, "      sm_80 (1000 code objects): would load: compatible")) << text.output;
  EXPECT_FALSE(has(text.output, "[2999]")) << "each code object listed without --verbose";
  EXPECT_LT(text.output.size(), size_t{8192}) << text.output;

  CliRun verbose = run_devbin("doctor --verbose --gpu sm_86 " + path.string());
  EXPECT_EQ(verbose.exit_code, 0);
  EXPECT_TRUE(has(verbose.output, "[2999] NVIDIA sm_90  cuda-cubin")) << verbose.output.substr(0, 2000);
  EXPECT_TRUE(has(verbose.output, "      [2999] sm_90: no: ")) << verbose.output.substr(0, 2000);

  CliRun json = run_devbin("doctor --json --gpu sm_86 " + path.string());
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(occurrences(json.output, "\"kernel_count\": "), 3000u);
  EXPECT_TRUE(has(json.output, "\"index\": 2999,")) << json.output.substr(json.output.size() - 2000);
  expect_valid_json(json.output, dir.path);
}

// The summary believes a fat binary entry's arch-specific flag (0x100000,
// sm_XXa) for the cubins it reads only as far as their header, but not in a
// file where a cubin read whole says otherwise: there every one is read.
TEST(DoctorCliTest, SummaryReadsEveryCubinWhereTheArchFlagIsWrong) {
  ScratchDir dir("devbin_doctor_cli");
  std::vector<uint8_t> one = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  Result<offload::Fatbin> fatbin = offload::parse_fatbin(one);
  ASSERT_TRUE(fatbin.ok()) << fatbin.status().message();
  for (const offload::FatbinEntry& entry : fatbin->entries) {
    if (entry.sm == 90 && entry.kind == offload::kFatbinKindCubin) {
      offload::put_u64(one, entry.offset + 40, entry.flags | offload::kFatbinFlagArchSpecific);
    }
  }
  std::vector<uint8_t> many;
  for (int i = 0; i < 100; ++i) many.insert(many.end(), one.begin(), one.end());
  const auto path = dir.path / "flagged.fatbin";
  write_file(path, many);

  CliRun text = run_devbin("doctor --gpu sm_86 " + path.string());
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(has(text.output, "300 code objects, by target (--verbose lists each one):")) << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA sm_90  cuda-cubin  100 code objects, 545600 bytes (148500 stored, lz4)  "
                               "kernels: _Z7add_onePi, scale, ... (200 in all)"))
      << text.output;
  EXPECT_FALSE(has(text.output, "sm_90a")) << text.output;
}

// DEVBIN_DOCTOR_THREADS sets how many threads read fat binary entries; the
// output is the same for any number.
TEST(DoctorCliTest, ThreadsChangeNothingButTime) {
  ScratchDir dir("devbin_doctor_cli");
  const std::vector<uint8_t> one = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  std::vector<uint8_t> many;
  for (int i = 0; i < 200; ++i) many.insert(many.end(), one.begin(), one.end());
  const auto path = dir.path / "many.fatbin";
  write_file(path, many);
  for (const char* arguments : {"doctor --gpu sm_86 ", "doctor --json --gpu sm_90 ", "doctor --verbose --gpu sm_75 "}) {
    const CliRun one_thread = run_devbin(arguments + path.string(), "DEVBIN_DOCTOR_THREADS=1");
    EXPECT_EQ(one_thread.exit_code, std::string(arguments).find("sm_75") != std::string::npos ? 1 : 0) << one_thread.output;
    for (const char* threads : {"2", "7", "64"}) {
      const CliRun run = run_devbin(arguments + path.string(), std::string("DEVBIN_DOCTOR_THREADS=") + threads);
      EXPECT_EQ(run.output, one_thread.output) << arguments << threads;
      EXPECT_EQ(run.exit_code, one_thread.exit_code);
    }
  }
  const CliRun bad = run_devbin("doctor --gpu sm_90 " + path.string(), "DEVBIN_DOCTOR_THREADS=0");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(has(bad.output, "DEVBIN_DOCTOR_THREADS=0: expected a number of threads from 1 to 64")) << bad.output;
}

// A library built with -rdc keeps each object's relocatable device code in
// __nv_relfatbin (nvlink's input) beside the linked code in .nv_fatbin: only
// the latter loads, and cuobjdump --list-elf lists only it.
TEST(DoctorCliTest, RelocatableDeviceCodeIsCountedApartAndNeverLoads) {
  ScratchDir dir("devbin_doctor_cli");
  const std::vector<uint8_t> one = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  std::vector<uint8_t> relocatable;
  for (int i = 0; i < 6; ++i) relocatable.insert(relocatable.end(), one.begin(), one.end());
  ElfSpec spec;
  const uint64_t linked_at = (0x1000 + relocatable.size() + 7) & ~uint64_t{7};
  spec.file_size = linked_at + one.size();
  spec.sections.push_back({"__nv_relfatbin", 1, 0x1000, relocatable.size(), relocatable});
  spec.sections.push_back({".nv_fatbin", 1, linked_at, one.size(), one});
  const auto path = dir.path / "librdc.so";
  ASSERT_TRUE(write_elf_file(path, spec));

  CliRun text = run_devbin("doctor --gpu sm_90 " + path.string());
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(has(text.output, "21 code objects (18 relocatable, not loadable until linked), by target")) << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA sm_80  cuda-cubin (relocatable)  6 code objects")) << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA compute_90  ptx (relocatable)  6 code objects")) << text.output;
  EXPECT_TRUE(has(text.output, "NVIDIA sm_80  cuda-cubin  1 code object,")) << text.output;
  EXPECT_TRUE(has(text.output, "--gpu sm_90: loads [20] sm_90: exact cubin for sm_90")) << text.output;

  CliRun verbose = run_devbin("doctor --verbose --gpu sm_80 " + path.string());
  EXPECT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_TRUE(has(verbose.output, "[0] NVIDIA sm_80  cuda-cubin (relocatable)  ")) << verbose.output;
  EXPECT_TRUE(has(verbose.output, "note: relocatable device code (nvcc -rdc) in __nv_relfatbin")) << verbose.output;
  EXPECT_TRUE(has(verbose.output, "--gpu sm_80: loads [18] sm_80")) << verbose.output;

  CliRun json = run_devbin("doctor --json --gpu sm_90 " + path.string());
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(occurrences(json.output, "\"needs_link\": true"), 18u);
  EXPECT_EQ(occurrences(json.output, "\"needs_link\": false"), 3u);
  expect_valid_json(json.output, dir.path);

  // nvcc -c -rdc=true: a relocatable cubin (ET_REL) in __nv_relfatbin.
  CliRun object = run_devbin("doctor --json --gpu sm_80 " + std::string(DEVBIN_OFFLOAD_DATA_DIR) + "/cuda_rdc_sm80.o");
  EXPECT_EQ(object.exit_code, 1) << object.output;
  EXPECT_EQ(occurrences(object.output, "\"needs_link\": true"), 1u) << object.output;
}

TEST(DoctorCliTest, JsonStaysValidForErrorsAndProblems) {
  ScratchDir dir("devbin_doctor_cli");
  std::vector<uint8_t> junk = {'\x01', '"', '\\', '\n', 0xff, 0x7f, 'E', 'L'};
  const auto junk_path = dir.path / "junk\"name.bin";
  write_file(junk_path, junk);
  CliRun json = run_devbin("doctor --json '" + junk_path.string() + "' /nonexistent/x.so " +
                           std::string(DEVBIN_OFFLOAD_DATA_DIR) + "/hip_ccob_v3_zstd.hipfb --gpu sm_90 --gpu gfx90a");
  EXPECT_EQ(json.exit_code, 1) << json.output;
  EXPECT_TRUE(has(json.output, "\"error\": \"cannot open '/nonexistent/x.so'")) << json.output;
  expect_valid_json(json.output, dir.path);
}

// Issue 26 item 9: a PTX file cut short said "not a GPU binary", dropping the
// PTX parser's reason.
TEST(DoctorCliTest, TruncatedPtxKeepsTheParsersReason) {
  ScratchDir dir("devbin_doctor_cli");
  std::ifstream in(std::string(DEVBIN_PREBUILT_DIR) + "/nvptx64-nvidia-cuda--compute_75.ptx", std::ios::binary);
  std::vector<uint8_t> ptx((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(ptx.size(), 3000u);
  ptx.resize(3000);
  const auto path = dir.path / "cut.ptx";
  write_file(path, ptx);
  CliRun run = run_devbin("doctor --gpu sm_90 " + path.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(has(run.output, "problem: unreadable PTX file (it starts with .version): PTX at byte 3000: expected "
                              "'}' closing every '{'"))
      << run.output;
  EXPECT_FALSE(has(run.output, "not a GPU binary")) << run.output;
}

}  // namespace
}  // namespace devbin::offload
