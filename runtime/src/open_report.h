// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The report a Device::open fills in as it goes, both backends alike: the
// caller's DeviceReport (or a local one), reset and tagged with the backend
// and index; fail() names the device in a Status and records it there, so a
// failed open still says how far it got.
#ifndef DEVBIN_RUNTIME_OPEN_REPORT_H_
#define DEVBIN_RUNTIME_OPEN_REPORT_H_

#include <string>
#include <utility>

#include "devbin/device.h"

namespace devbin {

class OpenReport {
 public:
  // `device`: how messages name it, "CUDA device 0", "HSA GPU agent 1".
  OpenReport(DeviceReport* caller, const char* backend, int index, std::string device)
      : report_(caller != nullptr ? caller : &local_), device_(std::move(device)) {
    *report_ = DeviceReport{};
    report_->backend = backend;
    report_->index = index;
  }
  OpenReport(const OpenReport&) = delete;
  OpenReport& operator=(const OpenReport&) = delete;

  DeviceReport& report() { return *report_; }
  Status fail(Status status) {
    status.annotate(device_);
    report_->status = status;
    return status;
  }

 private:
  DeviceReport local_;
  DeviceReport* report_;
  std::string device_;
};

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_OPEN_REPORT_H_
