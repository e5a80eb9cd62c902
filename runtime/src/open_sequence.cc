// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The open sequence both backends share (open_sequence.h).
#include "open_sequence.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "devbin/select.h"

namespace devbin {

Result<CodeObjectInfo> open_code_object(OpenReport& opening, const OpenOptions& options, const OpenSteps& steps) {
  const Toc& toc = toc_to_open(options);
  const SelectOptions select_options = select_options_to_open(options);
  const auto start = std::chrono::steady_clock::now();
  std::optional<Selection> chosen;
  Status first_failure = not_found("the device reports no target to select for");
  for (size_t i = 0; i < steps.targets.size(); ++i) {
    auto selection_or = select(std::string_view(steps.targets[i]), toc, select_options);
    if (selection_or.ok()) {
      chosen = std::move(selection_or).value();
      break;
    }
    if (i == 0) first_failure = selection_or.status();
  }
  if (!chosen.has_value()) return opening.fail(first_failure);
  if (steps.check_selection) {
    if (Status s = steps.check_selection(*chosen); !s.ok()) return opening.fail(s);
  }
  const TocEntry& entry = *chosen->entry;
  opening.selected(*chosen);

  auto info_or = inspect_and_validate(entry);
  if (!info_or.ok()) return opening.fail(info_or.status());
  CodeObjectInfo info = std::move(info_or).value();
  if (steps.check_code_object) {
    if (Status s = steps.check_code_object(entry, info); !s.ok()) return opening.fail(s);
  }
  if (Status s = steps.load(entry, info); !s.ok()) return opening.fail(s);
  for (size_t i = 0; i < kKernelCount; ++i) {
    const Kernel kernel = static_cast<Kernel>(i);
    if (Status s = steps.resolve(kernel, info.find_kernel(kernel_name(kernel))); !s.ok()) return opening.fail(s);
  }
  opening.report().load_time =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  return info;
}

}  // namespace devbin
