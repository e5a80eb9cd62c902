// The self-test: every builtin kernel on one opened GPU, checked against host
// references. One set of checks for both backends (a CUDA device with its
// Stream, an HSA GPU agent with its Queue): fill at every pattern width and
// odd offsets, copy at misaligned offsets, two timestamps, dispatch_patch with
// valid, zero and over-limit counts. Only the timestamp check differs: CUDA's
// steady clock is calibrated against the host's, HSA's (raw device ticks, no
// calibration yet) is checked for being written and non-decreasing.
#ifndef DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_
#define DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_

#include <string>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/hsa.h"
#include "devbin/status.h"

namespace devbin::cli {

struct SelfTestCheck {
  std::string name;  // "fill 4-byte pattern, offset 12, 1048596 bytes"
  Status status;
};

// The checks on one opened device, in order (no output). A queue or stream
// that cannot be created is one failed check.
std::vector<SelfTestCheck> self_test_device(const cuda::Device& device);
std::vector<SelfTestCheck> self_test_device(const hsa::Device& device);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_
