// The CLI's GPU verbs: the device report (devbin with no verb), `devbin
// selftest` and `devbin bench`, on every GPU the CUDA driver shows.
//
// Exit codes (commands.h): 0 success; 1 a selection, load, self-test check or
// bench correctness check failed; 3 no usable GPU or driver (selftest and
// bench only: the report then prints why and returns 0).
#ifndef DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_
#define DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/device.h"

namespace devbin::cli {

// One line per GPU: its target, the entry chosen and why, load time, and a
// quick self-test; or one line saying why there is no usable GPU. `json`
// writes one object: {"backend":"cuda","available":…,"driver":…,"reason":…,"devices":[…]}.
int run_devices_report(std::ostream& out, bool json);

// Every builtin kernel on every GPU, checked against host references.
int run_selftest(std::ostream& out, bool json = false);

// Fill and copy against cuMemsetD32Async / cuMemcpyDtoDAsync (buffers of
// `size_bytes`), small-operation cost and load time; prints a table with the
// ratios and the targets they are held to. Misses are marked, not failures.
int run_bench(std::ostream& out, uint64_t size_bytes);

// A device report as a JSON object (shared with other backends' reports).
std::string device_report_json(const DeviceReport& report);

struct SelfTestCheck {
  std::string name;  // "fill width 4", "copy src+1 dst+3 1048581 bytes"
  Status status;
};
// The self-test's checks on one opened device (no output).
std::vector<SelfTestCheck> self_test_device(const cuda::Device& device);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_GPU_COMMANDS_H_
