// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CLI's GPU verbs: the device report (devbin with no verb) and `devbin
// selftest` on every CUDA device and HSA GPU agent, and `devbin bench` on
// every CUDA device.
//
// Exit codes (commands.h): 0 success; 1 a selection, load, self-test check or
// bench correctness check failed; 3 no usable GPU or driver (selftest: on
// neither backend; bench: no CUDA GPU; the report then prints why and returns 0).
#ifndef DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_
#define DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "devbin/device.h"

namespace devbin::cli {

// Which GPUs a verb runs on (--backend, --device): every one by default;
// `index` is the backend's own ordinal, as the report's "GPU N (cuda)" lines number them.
struct DeviceSelection {
  std::optional<Backend> backend;
  std::optional<int> index;
};

// The selected GPUs of every selected backend: per GPU its target, the entry
// chosen and why, load time, and the self-test's outcome; per backend without
// a usable GPU one line saying why ("CUDA: no usable GPU: …"; not a failure).
// `json` writes a JSON array of backend objects
// {"backend":…,"available":…,"driver":…,"reason":…,"devices":[…]}, each
// device with a "self_test" field. `usable`, when given, says whether any
// backend had a usable GPU. 1 when a device failed, or --device names none.
int run_devices_report(std::ostream& out, bool json, const DeviceSelection& selection = {}, bool* usable = nullptr);

// Every builtin kernel on every selected GPU, checked against host
// references. `json`: {"backends":[…]}, the same backend objects, each device
// with its "checks". 3 when no selected backend has a usable GPU.
int run_selftest(std::ostream& out, bool json = false, const DeviceSelection& selection = {});

// CUDA GPUs only (bench_command.cc): the bench library's run over each
// selected device (bench/cuda/device_bench.h, buffers of `size_bytes`): every
// operation against the driver's own call, in a table with the ratios and the
// targets they are held to. Misses are marked, not failures.
int run_bench(std::ostream& out, uint64_t size_bytes, const DeviceSelection& selection = {});

// "<entry> (<how it was chosen>[, PTX JIT]): <why>", as the report and the bench print it.
std::string selection_text(const DeviceReport& report);

// A device report as a JSON object (shared with other backends' reports).
std::string device_report_json(const DeviceReport& report);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_
