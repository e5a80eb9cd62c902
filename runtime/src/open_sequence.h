// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The open sequence both backends share (Device::open): select a TOC entry
// for the device's own targets, inspect and validate it, load it, resolve
// every kernel of DEVBIN_ABI_KERNELS, and time it. Each backend supplies
// only its steps: the targets it selects for, what it refuses after
// selection, and its loader and kernel lookup.
#ifndef DEVBIN_RUNTIME_OPEN_SEQUENCE_H_
#define DEVBIN_RUNTIME_OPEN_SEQUENCE_H_

#include <functional>
#include <string>
#include <vector>

#include "devbin/code_object.h"
#include "devbin/device.h"
#include "open_report.h"

namespace devbin {

struct OpenSteps {
  // The device's own ISAs, preferred first: the first one the TOC serves wins.
  std::vector<std::string> targets;
  // Refuses a selection the device cannot load (optional).
  std::function<Status(const Selection&)> check_selection;
  // Refuses a code object of a format the backend cannot load (optional).
  std::function<Status(const TocEntry&, const CodeObjectInfo&)> check_code_object;
  // Loads the entry.
  std::function<Status(const TocEntry&, const CodeObjectInfo&)> load;
  // Finds one kernel in what was loaded; `metadata` is the code object's
  // for it, nullptr when the code object has none.
  std::function<Status(Kernel, const KernelInfo* metadata)> resolve;
};

// Runs the sequence, recording the selection and the load time in
// `opening`'s report; a failure is opening.fail()'s. The validated code
// object's description, for the device to keep.
Result<CodeObjectInfo> open_code_object(OpenReport& opening, const OpenOptions& options, const OpenSteps& steps);

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_OPEN_SEQUENCE_H_
