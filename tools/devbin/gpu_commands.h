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
#include <ostream>
#include <string>

#include "devbin/device.h"

namespace devbin::cli {

enum class Backend : uint8_t { kCuda, kHsa };

// One backend's GPUs: per GPU its target, the entry chosen and why, load
// time, and the self-test's outcome; or one line saying why there is no
// usable GPU ("CUDA: no usable GPU: …"; not a failure). `json` writes one
// object: {"backend":"cuda","available":…,"driver":…,"reason":…,"devices":[…]}
// (HSA: no "driver"), each device with a "self_test" field. `usable`, when
// given, says whether the backend had a usable GPU.
int run_devices_report(std::ostream& out, bool json, Backend backend, bool* usable = nullptr);

// Every builtin kernel on every CUDA device and HSA GPU agent, checked
// against host references. `json`: {"backends":[{"backend":"cuda",…},{"backend":"hsa",…}]},
// each device with its "checks". 3 when neither backend has a usable GPU.
int run_selftest(std::ostream& out, bool json = false);

// Fill and copy against cuMemsetD32Async / cuMemcpyDtoDAsync (buffers of
// `size_bytes`), small-operation cost and load time; prints a table with the
// ratios and the targets they are held to. Misses are marked, not failures.
int run_bench(std::ostream& out, uint64_t size_bytes);

// A device report as a JSON object (shared with other backends' reports).
std::string device_report_json(const DeviceReport& report);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_
