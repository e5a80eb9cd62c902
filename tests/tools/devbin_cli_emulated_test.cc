// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin selftest and the main report on emulated AMD GPUs: the HSA backend
// on the runtime stand-in built with the emulator executor
// (tests/hsa/emulator_executor.cc), so every check runs the shipped code
// objects' own machine code on the AMDGPU emulator of $DEVBIN_AMDGPU_EMULATOR.
// One agent per ISA family the emulator decodes, each code object at least once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/hsa/stand_in_runtime.h"
#include "tests/hsa/emulated_agents.h"
#include "tests/tools/cli_run.h"

namespace {

using devbin::testing_cli::CliRun;
using devbin::testing_cli::run_devbin;

using ::devbin::hsa::EmulatedAgent;
using ::devbin::hsa::kEmulatedAgents;

// The environment that puts the emulated agents behind the HSA backend, or
// "" after a skip.
std::string emulated_environment() {
#ifndef DEVBIN_HSA_EMULATED_RUNTIME
  return "";
#else
  std::string agents;
  for (const EmulatedAgent& agent : kEmulatedAgents) agents += (agents.empty() ? "" : ",") + std::string(agent.isa);
  return std::string("DEVBIN_HSA_RUNTIME_PATH=") + DEVBIN_HSA_EMULATED_RUNTIME + " DEVBIN_STAND_IN_HSA_AGENTS=" + agents;
#endif
}

std::string skip_reason() {
#ifndef DEVBIN_HSA_EMULATED_RUNTIME
  return "the emulated HSA runtime stand-in is not part of this build (python3-dev or clang missing at configure "
         "time)";
#else
  const char* emulator = std::getenv(DEVBIN_AMDGPU_EMULATOR_ENV);
  if (emulator == nullptr || *emulator == '\0') {
    return "DEVBIN_AMDGPU_EMULATOR is not set: point it at ../shared/amdgpu-emulator to run the self-test on the "
           "emulated AMD GPU";
  }
  return "";
#endif
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

TEST(DevbinCliEmulatedTest, SelftestPassesOnEveryAgent) {
  if (std::string reason = skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
  CliRun run = run_devbin("selftest", emulated_environment());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("selftest: passed"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("FAILED"), std::string::npos) << run.output;
  for (size_t i = 0; i < std::size(kEmulatedAgents); ++i) {
    const std::string processor = std::string(kEmulatedAgents[i].isa).substr(0, std::string(kEmulatedAgents[i].isa).find(':'));
    EXPECT_NE(run.output.find("GPU " + std::to_string(i) + " (hsa): Stand-in " + processor + ", " + kEmulatedAgents[i].isa),
              std::string::npos)
        << run.output;
  }
  for (const EmulatedAgent& agent : kEmulatedAgents) {
    EXPECT_NE(run.output.find(std::string("entry: ") + agent.entry), std::string::npos) << agent.isa;
  }
  EXPECT_GE(occurrences(run.output, "  ok     "), 10 * std::size(kEmulatedAgents)) << run.output;
}

TEST(DevbinCliEmulatedTest, TheReportSelfTestsEveryAgent) {
  if (std::string reason = skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
  CliRun run = run_devbin("", emulated_environment());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(occurrences(run.output, "self-test: passed"), std::size(kEmulatedAgents)) << run.output;
}

}  // namespace
