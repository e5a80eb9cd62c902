// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The verbs of the devbin CLI, one function each, so tests can call them.
#ifndef DEVBIN_TOOLS_DEVBIN_COMMANDS_H_
#define DEVBIN_TOOLS_DEVBIN_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "gpu_commands.h"

namespace devbin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoDevice = 3;

int run_list(std::ostream& out, bool json);
int run_select(std::ostream& out, const std::vector<std::string>& isas, bool map_only, bool json);
int run_inspect(std::ostream& out, const std::vector<std::string>& files, bool json);
// The GPU code inside each file (fat binaries, offload bundles, offload
// binaries, host ELF sections) and, for each GPU present or each `gpu_isas`
// target, which code object would load, or why none would and the fix.
// `cuda_driver` ("12.4", or "") is the CUDA driver the --gpu NVIDIA targets
// are judged with. 1 when a file holds no readable code object or a GPU
// gets none; 2 for a malformed --cuda-driver.
int run_doctor(std::ostream& out, const std::vector<std::string>& files, const std::vector<std::string>& gpu_isas,
               const std::string& cuda_driver, bool json, bool verbose);
// The main job: the selected GPUs' report (gpu_commands.h), or, with none,
// why and the embedded TOC.
int run_main_report(std::ostream& out, bool json, const DeviceSelection& selection = {});

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_COMMANDS_H_
