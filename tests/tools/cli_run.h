// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Runs the real devbin binary (DEVBIN_CLI_PATH) with an environment prefix
// and collects its exit code and output, for the CLI tests.
#ifndef DEVBIN_TESTS_TOOLS_CLI_RUN_H_
#define DEVBIN_TESTS_TOOLS_CLI_RUN_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace devbin::testing_cli {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// `environment`: "NAME=value ..." put before the command, as a shell reads it.
inline CliRun run_devbin(const std::string& arguments, const std::string& environment = "") {
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

}  // namespace devbin::testing_cli

#endif  // DEVBIN_TESTS_TOOLS_CLI_RUN_H_
