// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Selection over a TOC built from the input. Input: newline-separated lines;
// the first is the device ISA, the second an override (empty: none), the rest
// TOC entry names (those parse_toc_entry_name accepts become entries).
// Properties beyond "no crash": a selection names an entry of this TOC, of the
// device's vendor, JIT exactly when it is PTX; the choice does not depend on
// the TOC's order; and forcing the chosen entry as an override is accepted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/select.h"
#include "devbin/toc.h"
#include "fuzz/fuzz_check.h"

namespace {

// More entries add nothing a fuzzer can find that 64 do not, only time.
constexpr size_t kMaxEntries = 64;

using devbin::Selection;
using devbin::SelectionKind;
using devbin::Toc;
using devbin::TocEntry;

void check_selection(const Selection& selection, const devbin::Target& device, const Toc& toc) {
  const TocEntry* first = toc.entries.data();
  DEVBIN_FUZZ_CHECK(selection.entry != nullptr, "a selection without an entry");
  DEVBIN_FUZZ_CHECK(selection.entry >= first && selection.entry < first + toc.entries.size(),
                    "a selection pointing outside the TOC");
  DEVBIN_FUZZ_CHECK(selection.entry->triple == device.triple(),
                    std::string(selection.entry->name) + " selected for " + device.to_string());
  DEVBIN_FUZZ_CHECK(!selection.reason.empty(), "a selection without a reason");
  if (selection.kind == SelectionKind::kPtxJit) DEVBIN_FUZZ_CHECK(selection.jit, "ptx-jit selection not marked JIT");
  if (device.vendor == devbin::Vendor::kNvidia) {
    DEVBIN_FUZZ_CHECK(selection.jit == selection.entry->target.starts_with("compute_"),
                      "JIT flag wrong for " + std::string(selection.entry->name));
  } else {
    DEVBIN_FUZZ_CHECK(!selection.jit, "an AMDGPU selection marked JIT");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  const std::string_view device_isa = lines[0];
  const std::string_view override_text = lines.size() > 1 ? lines[1] : std::string_view();

  std::vector<TocEntry> entries;
  for (size_t i = 2; i < lines.size() && entries.size() < kMaxEntries; ++i) {
    TocEntry entry;
    devbin::Status parsed = devbin::parse_toc_entry_name(lines[i], &entry);
    if (!parsed.ok()) {
      devbin::fuzz::check_error(parsed);
      continue;
    }
    DEVBIN_FUZZ_CHECK(entry.name == lines[i], "entry name differs from its text");
    DEVBIN_FUZZ_CHECK(!entry.target.empty(), "an entry with an empty target");
    entries.push_back(entry);
  }
  const Toc toc{entries};
  for (const std::string_view line : lines) {
    const TocEntry* found = toc.find(line);
    if (found != nullptr) DEVBIN_FUZZ_CHECK(found >= entries.data() && found < entries.data() + entries.size(), "find outside the TOC");
  }

  devbin::Result<devbin::Target> device = devbin::parse_target(device_isa);
  devbin::fuzz::check_result(device);
  // The string overload parses first: its answer must match the Target one.
  devbin::Result<Selection> by_text = devbin::select(device_isa, toc);
  devbin::fuzz::check_result(by_text);
  if (!device.ok()) {
    DEVBIN_FUZZ_CHECK(!by_text.ok(), "select(text) succeeds where parse_target fails");
    return 0;
  }
  devbin::fuzz::check_result(devbin::describe_map_choice(*device));

  devbin::Result<Selection> selection = devbin::select(*device, toc);
  devbin::fuzz::check_result(selection);
  DEVBIN_FUZZ_CHECK(selection.ok() == by_text.ok(), "select(text) and select(Target) disagree");
  if (selection.ok()) {
    check_selection(*selection, *device, toc);
    DEVBIN_FUZZ_CHECK(selection->kind != SelectionKind::kOverride, "override kind without an override");

    // Same TOC, reversed: same kind of answer (ties among equally good
    // entries may pick another of them).
    std::vector<TocEntry> reversed(entries.rbegin(), entries.rend());
    devbin::Result<Selection> again = devbin::select(*device, Toc{reversed});
    DEVBIN_FUZZ_CHECK(again.ok(), "selection depends on TOC order: " + again.status().to_string());
    DEVBIN_FUZZ_CHECK(again->kind == selection->kind && again->jit == selection->jit,
                      "selection kind depends on TOC order");

    // Forcing what the rules chose must be accepted.
    devbin::SelectOptions forced;
    forced.override_entry = selection->entry->name;
    devbin::Result<Selection> by_override = devbin::select(*device, toc, forced);
    DEVBIN_FUZZ_CHECK(by_override.ok(), "forcing the selected entry " + std::string(selection->entry->name) +
                                            " fails: " + by_override.status().to_string());
    DEVBIN_FUZZ_CHECK(by_override->kind == SelectionKind::kOverride, "an override not reported as one");
  }

  // Selects with `options`; a success satisfies every selection property.
  auto select_checked = [&](const devbin::SelectOptions& options) {
    devbin::Result<Selection> chosen = devbin::select(*device, toc, options);
    devbin::fuzz::check_result(chosen);
    if (chosen.ok()) check_selection(*chosen, *device, toc);
    return chosen;
  };
  if (!override_text.empty()) {
    devbin::SelectOptions options;
    options.override_entry = override_text;
    devbin::Result<Selection> forced = select_checked(options);
    if (forced.ok()) {
      DEVBIN_FUZZ_CHECK(forced->kind == SelectionKind::kOverride, "an override not reported as one");
      DEVBIN_FUZZ_CHECK(forced->entry == toc.find(override_text), "the override chose another entry than it names");
    }

    // The same text as DEVBIN_TARGET_OVERRIDE's per-vendor list: an error, an
    // override of the device's vendor, or the rules' own choice.
    devbin::SelectOptions list;
    list.vendor_overrides = override_text;
    devbin::Result<Selection> listed = select_checked(list);
    if (listed.ok()) {
      DEVBIN_FUZZ_CHECK(listed->kind == SelectionKind::kOverride || selection.ok(),
                        "the list chose an entry where neither it nor the rules name one");
      if (listed->kind != SelectionKind::kOverride) {
        DEVBIN_FUZZ_CHECK(listed->entry == selection->entry, "a list without the device's vendor changed the choice");
      }
    }
  }
  return 0;
}
