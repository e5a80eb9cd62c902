// What a GPU backend reports about one device: which code object it chose and
// why, how long loading took, and whether it is usable. Backend-neutral: the
// CUDA backend fills it today, the HSA backend will fill the same struct.
#ifndef DEVBIN_DEVICE_H_
#define DEVBIN_DEVICE_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "devbin/select.h"
#include "devbin/status.h"

namespace devbin {

struct DeviceSelectionReport {
  std::string entry;  // TOC entry name: "nvptx64-nvidia-cuda--sm_90.cubin"
  SelectionKind kind = SelectionKind::kExact;
  std::string reason;  // one line: why this entry
  bool jit = false;    // the driver compiled the entry at load time (PTX)
};

struct DeviceReport {
  std::string backend;    // "cuda", "hsa"
  int index = -1;         // the backend's device ordinal (after CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES)
  std::string name;       // "NVIDIA H100 80GB HBM3"
  std::string target;     // the device's own target: "sm_90", "gfx942:sramecc+:xnack-"
  bool selected = false;  // `selection` is valid
  DeviceSelectionReport selection;
  // select + validate + load + resolving every kernel of the ABI.
  std::chrono::nanoseconds load_time{0};
  // OK when the device's library is loaded and every kernel resolved; else why not.
  Status status;

  double load_time_ms() const { return std::chrono::duration<double, std::milli>(load_time).count(); }
};

}  // namespace devbin

#endif  // DEVBIN_DEVICE_H_
