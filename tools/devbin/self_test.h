// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The self-test: every builtin kernel on one opened GPU of either vendor,
// checked against host references, through the neutral device interface:
// fill at every pattern width and odd offsets, copy at misaligned offsets,
// two timestamps calibrated against the host clock, dispatch_patch with
// valid, zero and over-limit counts.
#ifndef DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_
#define DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_

#include <string>
#include <vector>

#include "devbin/device.h"
#include "devbin/status.h"

namespace devbin::cli {

struct SelfTestCheck {
  std::string name;  // "fill 4-byte pattern, offset 12, 1048596 bytes"
  Status status;
};

// The checks on one opened device, in order (no output). A queue or stream
// that cannot be created is one failed check.
std::vector<SelfTestCheck> self_test_device(const Device& device);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_SELF_TEST_H_
