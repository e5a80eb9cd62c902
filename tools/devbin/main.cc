// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin: the command-line face of the runtime. Exit codes (README.md lists them):
//   0 success; 1 the request failed (nothing fits, a blob is refused, a test failed);
//   2 usage error; 3 no usable GPU or driver (selftest, bench).
#include <CLI/CLI.hpp>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "devbin: the builtin device library for GPU runtimes.\n"
      "With no verb: report each GPU found, the code object chosen for it and a self-test;\n"
      "on a machine without GPUs, say so and summarise the embedded TOC."};
  app.require_subcommand(0, 1);
  bool json = false;
  app.add_flag("--json", json, "Machine-readable output (main report)");

  CLI::App* list = app.add_subcommand("list", "One line per embedded code object: name, size, digest, kernels");
  bool list_json = false;
  list->add_flag("--json", list_json, "JSON array");

  CLI::App* select = app.add_subcommand("select", "Which embedded code object serves each ISA, and why");
  std::vector<std::string> isas;
  bool map_only = false;
  bool select_json = false;
  select->add_option("ISA", isas, "Device ISAs: gfx942:sramecc+:xnack-, amdgcn-amd-amdhsa--gfx1100, sm_90, ...")
      ->required();
  select->add_flag("--map-only", map_only, "Answer from the target map alone, without the embedded TOC");
  select->add_flag("--json", select_json, "JSON array");

  CLI::App* inspect = app.add_subcommand("inspect", "Decode AMDGPU code objects, cubins or PTX files");
  std::vector<std::string> files;
  bool inspect_json = false;
  inspect->add_option("FILE", files, "Code object files")->required();
  inspect->add_flag("--json", inspect_json, "JSON array");

  CLI::App* doctor = app.add_subcommand(
      "doctor", "Which code object in a GPU binary (fat binary, offload bundle, executable, library) each GPU loads, "
                "or why none does and the fix");
  std::vector<std::string> doctor_files;
  std::vector<std::string> doctor_gpus;
  std::string doctor_cuda_driver;
  bool doctor_json = false;
  doctor->add_option("FILE", doctor_files, "Fat binaries, offload bundles, objects, executables, libraries")
      ->required();
  doctor->add_option("--gpu", doctor_gpus,
                     "Ask about these targets instead of the GPUs present: gfx90a:xnack-, gfx1100, sm_90, ...");
  doctor->add_option("--cuda-driver", doctor_cuda_driver,
                     "With --gpu: judge PTX against this CUDA driver version (12.4)");
  doctor->add_flag("--json", doctor_json, "JSON: every code object, for scripts");
  bool doctor_verbose = false;
  doctor->add_flag("--verbose", doctor_verbose,
                   "List every code object, container and problem (a file of many is otherwise summarised by target)");

  CLI::App* selftest = app.add_subcommand(
      "selftest", "Run every builtin kernel on every GPU (CUDA devices, HSA agents) and check the results");
  bool selftest_json = false;
  selftest->add_flag("--json", selftest_json, "JSON: every backend, every device's checks");

  CLI::App* bench = app.add_subcommand("bench", "Time fill and copy against the driver's calls on every CUDA GPU");
  uint64_t bench_size = uint64_t{1} << 30;
  bench->add_option("--size", bench_size, "Buffer size in bytes (default 1 GiB)")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));

  // Which GPUs the report, selftest and bench run on.
  std::string backend_name;
  int device_index = -1;
  for (CLI::App* command : {&app, selftest, bench}) {
    command->add_option("--backend", backend_name, "Only this backend's GPUs: cuda or hsa")
        ->check(CLI::IsMember({"cuda", "hsa"}));
    command->add_option("--device", device_index, "Only GPU N of each backend shown (as the report numbers them)")
        ->check(CLI::Range(0, std::numeric_limits<int>::max()));  // NonNegativeNumber's message prints DBL_MAX
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : devbin::cli::kExitUsage;
  }

  devbin::cli::DeviceSelection selection;
  if (!backend_name.empty()) selection.backend = devbin::parse_backend(backend_name);
  if (device_index >= 0) selection.index = device_index;

  std::ostream& out = std::cout;
  if (*list) return devbin::cli::run_list(out, list_json);
  if (*select) return devbin::cli::run_select(out, isas, map_only, select_json);
  if (*inspect) return devbin::cli::run_inspect(out, files, inspect_json);
  if (*doctor) return devbin::cli::run_doctor(out, doctor_files, doctor_gpus, doctor_cuda_driver, doctor_json,
                                                      doctor_verbose);
  if (*selftest) return devbin::cli::run_selftest(out, selftest_json, selection);
  if (*bench) return devbin::cli::run_bench(out, bench_size, selection);
  return devbin::cli::run_main_report(out, json, selection);
}
