// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Runs the real devbin binary: exit codes, messages and JSON shape of each verb.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "devbin/toc.h"
#include "tests/tools/cli_run.h"

namespace {

using devbin::testing_cli::CliRun;
using devbin::testing_cli::run_devbin;

std::string temp_file(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("devbin_cli_test_" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

TEST(DevbinCliTest, HelpOnEveryVerb) {
  for (const char* verb : {"", "list", "select", "inspect", "doctor", "selftest", "bench"}) {
    SCOPED_TRACE(verb);
    CliRun run = run_devbin(std::string(verb) + " --help");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("Usage"), std::string::npos) << run.output;
  }
}

TEST(DevbinCliTest, UnknownVerbIsAUsageError) {
  CliRun run = run_devbin("frobnicate");
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

TEST(DevbinCliTest, SelectAnswersPerIsa) {
  if (devbin::embedded_toc().empty()) GTEST_SKIP() << "this build embeds no code objects";
  CliRun run = run_devbin("select amdgcn-amd-amdhsa--gfx1151 sm_90");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("amdgcn-amd-amdhsa--gfx1151 -> amdgcn-amd-amdhsa--gfx11-generic.so"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("sm_90 -> nvptx64-nvidia-cuda--sm_90.cubin"), std::string::npos) << run.output;
}

TEST(DevbinCliTest, SelectMapOnlyNeedsNoToc) {
  CliRun run = run_devbin("select --map-only gfx942:sramecc+:xnack- sm_87");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("gfx942:sramecc+:xnack- -> amdgcn-amd-amdhsa--gfx9-4-generic.so"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("sm_87 -> nvptx64-nvidia-cuda--sm_86.cubin"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("target map only"), std::string::npos) << run.output;
}

TEST(DevbinCliTest, SelectFailuresExitOneWithTheDiagnostic) {
  CliRun malformed = run_devbin("select gfx942:xnack");
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_NE(malformed.output.find("at position 12"), std::string::npos) << malformed.output;
  CliRun unknown = run_devbin("select gfx9999");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("gfx9999"), std::string::npos) << unknown.output;
  CliRun too_old = run_devbin("select sm_70");
  EXPECT_EQ(too_old.exit_code, 1);
  EXPECT_NE(too_old.output.find("to add the target"), std::string::npos) << too_old.output;
}

TEST(DevbinCliTest, OverrideIsValidated) {
  CliRun missing = run_devbin("select sm_90", "DEVBIN_TARGET_OVERRIDE=nvptx64-nvidia-cuda--sm_999.cubin");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("names no TOC entry"), std::string::npos) << missing.output;
  if (devbin::embedded_toc().empty()) return;
  CliRun forced = run_devbin("select sm_90", "DEVBIN_TARGET_OVERRIDE=compute_75");
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("override"), std::string::npos) << forced.output;
  // An NVIDIA entry forces nothing on an AMD ISA.
  CliRun mixed = run_devbin("select sm_90 gfx1100", "DEVBIN_TARGET_OVERRIDE=compute_75");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.output;
  EXPECT_NE(mixed.output.find("sm_90 -> nvptx64-nvidia-cuda--compute_75.ptx"), std::string::npos) << mixed.output;
  EXPECT_NE(mixed.output.find("gfx1100 -> amdgcn-amd-amdhsa--gfx11-generic.so"), std::string::npos) << mixed.output;
}

TEST(DevbinCliTest, SelectJson) {
  CliRun run = run_devbin("select --json --map-only gfx1100 banana");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("\"isa\": \"gfx1100\""), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"error\": \"INVALID_ARGUMENT"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.front(), '[');
}

TEST(DevbinCliTest, ListShowsEveryEmbeddedEntry) {
  CliRun run = run_devbin("list");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const devbin::Toc& toc = devbin::embedded_toc();
  if (toc.empty()) {
    EXPECT_NE(run.output.find("no code objects are embedded"), std::string::npos) << run.output;
  }
  for (const devbin::TocEntry& entry : toc.entries) {
    EXPECT_NE(run.output.find(std::string(entry.name)), std::string::npos) << entry.name;
  }
  EXPECT_EQ(run.output.find("unreadable"), std::string::npos) << run.output;
  CliRun json = run_devbin("list --json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(json.output.front(), '[');
}

TEST(DevbinCliTest, InspectRefusesForeignAndTruncatedFiles) {
  CliRun missing = run_devbin("inspect /nonexistent/devbin.so");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("cannot open"), std::string::npos) << missing.output;
  const std::string zip = temp_file("zip", std::string("PK\x03\x04 not a code object"));
  CliRun foreign = run_devbin("inspect " + zip);
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_NE(foreign.output.find("expected"), std::string::npos) << foreign.output;
  const std::string truncated = temp_file("truncated", std::string("\x7f" "ELF\x02\x01\x01\x40", 8));
  CliRun cut = run_devbin("inspect " + truncated);
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.output.find("expected"), std::string::npos) << cut.output;
}

// Paths that are no code object file: each refused at once, in bounded
// memory, naming what was found. `timeout` turns a hang into a failure.
TEST(DevbinCliTest, InspectRefusesWhatIsNotARegularFile) {
  CliRun missing = run_devbin("inspect /nonexistent/devbin.so");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("cannot open '/nonexistent/devbin.so': No such file or directory"), std::string::npos)
      << missing.output;

  const auto dir = std::filesystem::temp_directory_path() / ("devbin_cli_dir_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CliRun directory = run_devbin("inspect " + dir.string());
  EXPECT_EQ(directory.exit_code, 1) << directory.output;
  EXPECT_NE(directory.output.find("' is a directory; expected a regular file"), std::string::npos) << directory.output;

  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  CliRun pipe = run_devbin("inspect " + fifo.string(), "timeout 20");
  EXPECT_EQ(pipe.exit_code, 1) << pipe.output;  // timeout's 124 if it blocked
  EXPECT_NE(pipe.output.find("' is a FIFO; expected a regular file"), std::string::npos) << pipe.output;

  CliRun zero = run_devbin("inspect /dev/zero", "timeout 20");
  EXPECT_EQ(zero.exit_code, 1) << zero.output;
  EXPECT_NE(zero.output.find("'/dev/zero' is a character device"), std::string::npos) << zero.output;

  // A sparse 8 GiB file: refused by its size, unread.
  const auto sparse = dir / "sparse.so";
  { std::ofstream create(sparse); }
  std::filesystem::resize_file(sparse, uint64_t{8} << 30);
  CliRun large = run_devbin("inspect --json " + sparse.string(), "timeout 20");
  EXPECT_EQ(large.exit_code, 1) << large.output;
  EXPECT_NE(large.output.find("is 8589934592 bytes; expected at most 268435456"), std::string::npos) << large.output;
  std::filesystem::remove_all(dir);
}

TEST(DevbinCliTest, InspectDecodesEveryPrebuiltBlob) {
  const std::filesystem::path dir = DEVBIN_PREBUILT_DIR;
  size_t count = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string name = file.path().filename().string();
    if (name.find("--") == std::string::npos) continue;
    ++count;
    SCOPED_TRACE(name);
    CliRun run = run_devbin("inspect " + file.path().string());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("devbin_fill"), std::string::npos) << run.output;
    CliRun json = run_devbin("inspect --json " + file.path().string());
    EXPECT_EQ(json.exit_code, 0) << json.output;
  }
  if (count == 0) GTEST_SKIP() << "device/binaries/prebuilt/ holds no code objects yet";
}

TEST(DevbinCliTest, MainJobWithoutGpuSaysSoAndSummarisesTheToc) {
  // CI and this machine have no GPU driver; on a GPU machine the report lists devices instead.
  CliRun run = run_devbin("", "DEVBIN_CUDA_DRIVER_PATH=/nonexistent/libcuda.so.1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Embedded TOC"), std::string::npos) << run.output;
}

TEST(DevbinCliTest, SelftestWithoutAnyUsableGpuExitsThreeSayingWhyPerBackend) {
  CliRun run = run_devbin("selftest", "DEVBIN_CUDA_DRIVER_PATH=/nonexistent/libcuda.so.1 "
                                      "DEVBIN_HSA_RUNTIME_PATH=/nonexistent/libhsa-runtime64.so.1");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.output.rfind("selftest: no usable GPU: CUDA: CUDA driver /nonexistent/libcuda.so.1 not found", 0), 0u)
      << run.output;
  EXPECT_NE(run.output.find("; HSA: HSA runtime /nonexistent/libhsa-runtime64.so.1 not found"), std::string::npos)
      << run.output;
}

// devbin doctor on tests/offload/data's files, GPUs named with --gpu.
std::string data_file(const std::string& name) { return std::string(DEVBIN_OFFLOAD_DATA_DIR) + "/" + name; }

TEST(DevbinCliTest, DoctorSaysWhichCodeObjectLoads) {
  CliRun run = run_devbin("doctor " + data_file("hip_gfx90a_gfx1100.hipfb") + " --gpu gfx90a:xnack- --gpu gfx1100");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("the file: clang offload bundle, 3 entries"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("[0] AMDGPU gfx1100  amdgpu-hsaco  5656 bytes  kernels: scale, _Z7add_onePi"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("--gpu gfx90a:xnack-: loads [1] gfx90a: exact code object for gfx90a:xnack-"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("--gpu gfx1100: loads [0] gfx1100"), std::string::npos) << run.output;
}

TEST(DevbinCliTest, DoctorExplainsWhyNothingLoadsAndExitsOne) {
  CliRun run = run_devbin("doctor " + data_file("hip_ccob_v3_zstd.hipfb") + " " +
                          data_file("libcuda_sm75_sm86_compute86.so") +
                          " --gpu gfx90a:xnack- --gpu sm_90 --cuda-driver 12.4");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  for (const char* expected : {
           "compressed clang offload bundle (CCOB version 3, zstd,",
           "--gpu gfx90a:xnack-: NOTHING LOADS: none of the file's 3 AMDGPU code objects loads on gfx90a:xnack- "
           "(HIP: hipErrorNoBinaryForGpu)",
           "[1] gfx90a:xnack+: no: built for xnack+ but the GPU runs with xnack-",
           "fix: rebuild with --offload-arch=gfx90a (no :xnack/:sramecc suffix",
           ".nv_fatbin: CUDA fat binary, 3 entries",
           "[0] sm_75: no: the SM major differs",
           "[1] compute_86: no: the PTX is newer than the driver: PTX ISA 9.0 needs a CUDA 13.0 driver",
           "fix: add -gencode arch=compute_90,code=sm_90",
           "the file holds no NVIDIA code",
       }) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

TEST(DevbinCliTest, DoctorJson) {
  CliRun run = run_devbin("doctor --json " + data_file("cuda_sm80_sm90_compute90.fatbin") + " --gpu sm_89");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind("{\"gpus\": [\"--gpu sm_89\"]", 0), 0u) << run.output;
  for (const char* expected : {
           "\"target\": \"compute_90\", \"format\": \"ptx\", \"size\": 1004, \"stored_size\": 413, "
           "\"compression\": \"zstd\"",
           "\"ptx_version\": \"9.0\"",
           "\"loads\": true, \"code_object\": 0, \"kind\": \"compatible-sass\"",
           "\"fixes\": []",
       }) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

TEST(DevbinCliTest, DoctorRefusesBadInput) {
  CliRun text = run_devbin("doctor " + temp_file("doctor.txt", "just text\n") + " --gpu gfx1100");
  EXPECT_EQ(text.exit_code, 1) << text.output;
  EXPECT_NE(text.output.find("problem: not a GPU binary: expected an ELF file"), std::string::npos) << text.output;
  CliRun missing = run_devbin("doctor /nonexistent/file.hipfb --gpu gfx1100");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/file.hipfb"), std::string::npos) << missing.output;
  CliRun bad_gpu = run_devbin("doctor " + data_file("hip_host.o") + " --gpu gfx90a:bogus+");
  EXPECT_EQ(bad_gpu.exit_code, 1) << bad_gpu.output;
  EXPECT_NE(bad_gpu.output.find("--gpu gfx90a:bogus+"), std::string::npos) << bad_gpu.output;
  CliRun bad_driver = run_devbin("doctor " + data_file("hip_host.o") + " --gpu sm_90 --cuda-driver twelve");
  EXPECT_EQ(bad_driver.exit_code, 2) << bad_driver.output;
  EXPECT_NE(bad_driver.output.find("expected a CUDA version like 12.4"), std::string::npos) << bad_driver.output;
  CliRun directory = run_devbin("doctor /tmp --gpu gfx1100");
  EXPECT_EQ(directory.exit_code, 1) << directory.output;
}

TEST(DevbinCliTest, DoctorWithoutGpusListsTheCodeObjects) {
  CliRun run = run_devbin("doctor " + data_file("hip_images.offbin"),
                          "DEVBIN_CUDA_DRIVER_PATH=/nonexistent/libcuda.so.1 "
                          "DEVBIN_HSA_RUNTIME_PATH=/nonexistent/libhsa-runtime64.so.1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind("no GPU found; name targets with --gpu", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("[0] AMDGPU gfx90a:xnack-  amdgpu-hsaco"), std::string::npos) << run.output;
}

// devbin on the HSA runtime stand-in (tests/hsa/stand_in_runtime.cc), which shows
// the GPU agents DEVBIN_STAND_IN_HSA_AGENTS names and runs the host build of the
// kernels; CUDA is pointed at nothing, so only the HSA agents are tested.
#ifdef DEVBIN_HSA_STAND_IN_RUNTIME
constexpr const char* kStandInHsaRuntime = DEVBIN_HSA_STAND_IN_RUNTIME;
#else
constexpr const char* kStandInHsaRuntime = nullptr;
#endif

class DevbinCliHsaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kStandInHsaRuntime == nullptr) {
      GTEST_SKIP() << "the HSA runtime stand-in (devbin_hsa_stand_in_runtime) is not part of this build, so "
                      "DEVBIN_HSA_STAND_IN_RUNTIME is not defined";
    }
    for (const char* entry : {"amdgcn-amd-amdhsa--gfx11-generic.so", "amdgcn-amd-amdhsa--gfx90a.so"}) {
      if (devbin::embedded_toc().find(entry) == nullptr) GTEST_SKIP() << "the embedded TOC has no " << entry;
    }
  }

  static CliRun run_on_agents(const std::string& arguments, const std::string& agents) {
    const std::string environment =
        std::string("env -u DEVBIN_TARGET_OVERRIDE DEVBIN_CUDA_DRIVER_PATH=/nonexistent/libcuda.so.1 ") +
        "DEVBIN_HSA_RUNTIME_PATH='" + kStandInHsaRuntime + "' DEVBIN_STAND_IN_HSA_AGENTS=" + agents;
    return run_devbin(arguments, environment);
  }
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The checks every GPU gets, by the start of their names.
constexpr const char* kChecks[] = {
    "fill 1-byte pattern",         "fill 2-byte pattern",         "fill 4-byte pattern",
    "fill 8-byte pattern",         "fill 16-byte pattern",        "copy source+0 to target+0",
    "copy source+1 to target+3",   "copy source+3 to target+1",   "copy source+16 to target+0",
    "copy source+7 to target+7",   "copy source+5 to target+9",   "batch of a fill and a misaligned copy",
    "copy_rect 2D",                "copy_rect 3D",                "fill_rect 3D, 1-byte pattern",
    "fill_rect 3D, 2-byte pattern", "fill_rect 3D, 4-byte pattern", "fill_rect 3D, 8-byte pattern",
    "fill_rect 3D, 16-byte pattern", "timestamp",
    "update of 64 bytes at offset 1", "update of 4096 bytes at offset 3", "update of 65536 bytes at offset 5",
    "dispatch_patch valid counts", "dispatch_patch zero count",   "dispatch_patch count over the limit",
};

TEST_F(DevbinCliHsaTest, DoctorJudgesTheAgentsPresent) {
  CliRun run = run_on_agents("doctor " + data_file("hip_ccob_v3_zstd.hipfb"), "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("HSA agent 0 ("), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("gfx1100): loads [0] gfx11-generic: generic code object gfx11-generic"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("gfx90a:xnack-): NOTHING LOADS"), std::string::npos) << run.output;
}

TEST_F(DevbinCliHsaTest, SelftestChecksEveryAgent) {
  CliRun run = run_on_agents("selftest", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind("CUDA: no usable GPU: ", 0), 0u) << run.output;
  const size_t first = run.output.find("GPU 0 (hsa): Stand-in gfx1100, gfx1100\n"
                                       "  entry: amdgcn-amd-amdhsa--gfx11-generic.so (generic): ");
  const size_t second = run.output.find("GPU 1 (hsa): Stand-in gfx90a, gfx90a:xnack-\n"
                                        "  entry: amdgcn-amd-amdhsa--gfx90a.so (exact): ");
  ASSERT_NE(first, std::string::npos) << run.output;
  ASSERT_NE(second, std::string::npos) << run.output;
  ASSERT_LT(first, second) << run.output;
  const std::string sections[] = {run.output.substr(first, second - first), run.output.substr(second)};
  for (const std::string& section : sections) {
    for (const char* check : kChecks) {
      EXPECT_NE(section.find(std::string("\n  ok     ") + check), std::string::npos)
          << "expected \"  ok     " << check << "\" in:\n"
          << section;
    }
    EXPECT_EQ(count(section, "\n  ok     "), std::size(kChecks)) << section;
  }
  EXPECT_EQ(run.output.find("FAILED"), std::string::npos) << run.output;
  EXPECT_TRUE(run.output.ends_with("\nselftest: passed\n")) << run.output;
}

TEST_F(DevbinCliHsaTest, SelftestJsonHasBothBackends) {
  CliRun run = run_on_agents("selftest --json", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output.rfind("{\"backends\":[{\"backend\":\"cuda\",\"available\":false,\"driver\":null,\"reason\":"
                             "\"CUDA driver /nonexistent/libcuda.so.1 not found",
                             0),
            0u)
      << run.output;
  EXPECT_NE(run.output.find("{\"backend\":\"hsa\",\"available\":true,\"driver\":\"1.1\",\"reason\":null,\"devices\":[{\"backend\":"
                            "\"hsa\",\"index\":0,\"name\":\"Stand-in gfx1100\",\"target\":\"gfx1100\""),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("{\"backend\":\"hsa\",\"index\":1,\"name\":\"Stand-in gfx90a\",\"target\":\"gfx90a:xnack-\""),
            std::string::npos)
      << run.output;
  EXPECT_EQ(count(run.output, "{\"name\":"), 2 * std::size(kChecks)) << run.output;
  EXPECT_EQ(count(run.output, "\"ok\":true,\"error\":null}"), 2 * std::size(kChecks)) << run.output;
  EXPECT_EQ(run.output.find("\"ok\":false"), std::string::npos) << run.output;
  EXPECT_TRUE(run.output.ends_with("]}]}\n")) << run.output;
}

TEST_F(DevbinCliHsaTest, SelftestFailsNamingAnAgentNoCodeObjectServes) {
  CliRun run = run_on_agents("selftest", "gfx1100,gfx803");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("GPU 1 (hsa): Stand-in gfx803, gfx803\n"
                            "  FAILED to load: HSA GPU agent 1: no code object for device amdgcn-amd-amdhsa--gfx803"),
            std::string::npos)
      << run.output;
  // The agent that loads is still tested, and passes.
  EXPECT_EQ(count(run.output, "\n  ok     "), std::size(kChecks)) << run.output;
  EXPECT_TRUE(run.output.ends_with("\nselftest: FAILED\n")) << run.output;
  CliRun json = run_on_agents("selftest --json", "gfx1100,gfx803");
  EXPECT_EQ(json.exit_code, 1) << json.output;
  EXPECT_NE(json.output.find("\"name\":\"Stand-in gfx803\",\"target\":\"gfx803\",\"selection\":null,"), std::string::npos)
      << json.output;
}

// --backend and --device pick the GPUs the report, selftest and bench run on.
TEST_F(DevbinCliHsaTest, BackendAndDeviceSelectTheGpus) {
  CliRun one = run_on_agents("selftest --backend hsa --device 1", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(one.output.find("GPU 0 (hsa)"), std::string::npos) << one.output;
  EXPECT_NE(one.output.find("GPU 1 (hsa): Stand-in gfx90a, gfx90a:xnack-\n"), std::string::npos) << one.output;
  EXPECT_EQ(one.output.find("CUDA"), std::string::npos) << one.output;  // not asked for
  EXPECT_NE(one.output.find("selftest: passed\n"), std::string::npos) << one.output;

  CliRun report = run_on_agents("--device 0 --json", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("\"index\":0,\"name\":\"Stand-in gfx1100\""), std::string::npos) << report.output;
  EXPECT_EQ(report.output.find("Stand-in gfx90a"), std::string::npos) << report.output;

  CliRun missing = run_on_agents("selftest --device 5", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("selftest: no GPU 5 (CUDA shows 0, HSA shows 2)\n"), std::string::npos)
      << missing.output;

  CliRun no_cuda = run_on_agents("selftest --backend cuda", "gfx1100");
  EXPECT_EQ(no_cuda.exit_code, 3) << no_cuda.output;
  EXPECT_EQ(no_cuda.output.find("HSA"), std::string::npos) << no_cuda.output;

  CliRun bench = run_on_agents("bench --backend hsa", "gfx1100");
  EXPECT_EQ(bench.exit_code, 3) << bench.output;
  EXPECT_NE(bench.output.find("bench: measures against the CUDA driver's own calls"), std::string::npos)
      << bench.output;

  EXPECT_EQ(run_on_agents("selftest --backend rocm", "gfx1100").exit_code, 2);
  EXPECT_EQ(run_on_agents("--device -1", "gfx1100").exit_code, 2);
}

TEST_F(DevbinCliHsaTest, MainReportSelfTestsEveryAgent) {
  CliRun run = run_on_agents("", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const std::string passed = "  self-test: passed (" + std::to_string(std::size(kChecks)) +
                             " checks: fill, copy, batch, copy_rect, fill_rect, timestamp, dispatch_patch)\n";
  for (const char* agent : {"GPU 0 (hsa): Stand-in gfx1100, gfx1100, 4 CUs, wave32\n",
                            "GPU 1 (hsa): Stand-in gfx90a, gfx90a:xnack-, 4 CUs, wave64\n"}) {
    const size_t at = run.output.find(agent);
    ASSERT_NE(at, std::string::npos) << "expected \"" << agent << "\" in:\n" << run.output;
    const size_t self_test = run.output.find("  self-test: ", at);
    ASSERT_NE(self_test, std::string::npos) << run.output;
    EXPECT_EQ(run.output.compare(self_test, passed.size(), passed), 0)
        << "expected \"" << passed << "\" after \"" << agent << "\" in:\n"
        << run.output;
  }
  EXPECT_EQ(run.output.find("No GPU found"), std::string::npos) << run.output;

  CliRun json = run_on_agents("--json", "gfx1100,gfx90a:xnack-");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(count(json.output, "\"ok\":true,\"error\":null,\"self_test\":{\"checks\":" +
                                   std::to_string(std::size(kChecks)) + ",\"failed\":0,\"first_failure\":null}}"),
            2u)
      << json.output;

  CliRun unserved = run_on_agents("", "gfx1100,gfx803");
  EXPECT_EQ(unserved.exit_code, 1) << unserved.output;
  EXPECT_NE(unserved.output.find("GPU 1 (hsa): Stand-in gfx803, gfx803\n  error:     HSA GPU agent 1: "), std::string::npos)
      << unserved.output;
}

// Issue 26, item 9: --device -1 printed CLI11's bound, DBL_MAX in 309
// digits; an ISA of 100 KiB or one with control bytes reached the terminal
// whole and raw.
TEST(DevbinCliTest, HostileArgumentsGiveShortEscapedErrors) {
  CliRun negative = run_devbin("--device -1");
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_LT(negative.output.size(), 400u) << negative.output;
  EXPECT_EQ(negative.output.find("179769313486231570"), std::string::npos) << negative.output;
  CliRun huge = run_devbin("select gfx" + std::string(100000, 'x'));
  EXPECT_EQ(huge.exit_code, 1);
  EXPECT_LT(huge.output.size(), 1024u) << huge.output.substr(0, 400);
  EXPECT_NE(huge.output.find("... (100003 bytes)"), std::string::npos) << huge.output.substr(0, 400);
  CliRun control = run_devbin("select \"$(printf 'gfx11\\033[2J\\007')\"");
  EXPECT_EQ(control.exit_code, 1);
  EXPECT_EQ(control.output.find('\x1b'), std::string::npos) << control.output;
  EXPECT_NE(control.output.find("\\x1b"), std::string::npos) << control.output;
}

}  // namespace
