// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The report a Device::open fills in as it goes, both backends alike: the
// caller's DeviceReport (or a local one), reset and tagged with the backend
// and index; fail() names the device in a Status and records it there, so a
// failed open still says how far it got.
#ifndef DEVBIN_RUNTIME_OPEN_REPORT_H_
#define DEVBIN_RUNTIME_OPEN_REPORT_H_

#include <string>
#include <string_view>
#include <utility>

#include "devbin/device.h"
#include "devbin/select.h"
#include "devbin/toc.h"

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
  // What select() chose, as the report shows it.
  void selected(const Selection& selection) {
    report_->selected = true;
    report_->selection.entry = std::string(selection.entry->name);
    report_->selection.kind = selection.kind;
    report_->selection.reason = selection.reason;
    report_->selection.jit = selection.jit;
  }
  // `result`, or its error named after the device and recorded as fail() does.
  template <class T>
  Result<T> checked(Result<T> result) {
    if (!result.ok()) return fail(result.status());
    return result;
  }
  // A message that already starts by naming the device ("HSA GPU agent 5
  // does not exist") is not named twice.
  Status fail(Status status) {
    const std::string_view message = status.message();
    if (!(message.starts_with(device_) && message.size() > device_.size() && message[device_.size()] == ' ')) {
      status.annotate(device_);
    }
    report_->status = status;
    return status;
  }

 private:
  DeviceReport local_;
  DeviceReport* report_;
  std::string device_;
};

// The TOC an open selects from: the caller's, else the embedded one.
inline const Toc& toc_to_open(const OpenOptions& options) {
  return options.toc != nullptr ? *options.toc : embedded_toc();
}

// How an open selects: the caller's forced entry, else (when it may read the
// environment) DEVBIN_TARGET_OVERRIDE's per-vendor list.
inline SelectOptions select_options_to_open(const OpenOptions& options) {
  SelectOptions select_options;
  if (options.override_entry.has_value()) {
    select_options.override_entry = *options.override_entry;
  } else if (options.read_environment) {
    select_options.vendor_overrides = target_override_from_env();
  }
  return select_options;
}

}  // namespace devbin

#endif  // DEVBIN_RUNTIME_OPEN_REPORT_H_
