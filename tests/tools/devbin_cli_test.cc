// Runs the real devbin binary: exit codes, messages and JSON shape of each verb.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "devbin/toc.h"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CliRun run_devbin(const std::string& arguments, const std::string& environment = "") {
  const std::string command = environment + " " + DEVBIN_CLI_PATH + " " + arguments + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string temp_file(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("devbin_cli_test_" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

TEST(DevbinCliTest, HelpOnEveryVerb) {
  for (const char* verb : {"", "list", "select", "inspect", "selftest", "bench"}) {
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

}  // namespace
