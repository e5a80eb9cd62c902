// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The table of contents (TOC) of embedded code objects.
#ifndef DEVBIN_TOC_H_
#define DEVBIN_TOC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "devbin/status.h"
#include "devbin/target_id.h"

namespace devbin {

// One code object. Entries are named "<triple>--<target>[:<features>].<ext>",
// e.g. "amdgcn-amd-amdhsa--gfx11-generic.so", "nvptx64-nvidia-cuda--sm_90.cubin",
// "nvptx64-nvidia-cuda--compute_75.ptx". The bytes of embedded entries are
// 64-byte aligned so ELF readers and loaders can use them in place.
struct TocEntry {
  std::string_view name;      // the file name
  std::string_view triple;    // "amdgcn-amd-amdhsa"
  std::string_view target;    // "gfx11-generic", "sm_90", "compute_75"
  std::string_view features;  // "" or "sramecc+:xnack-"
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string_view sha256;  // lower-case hex digest of the bytes

  std::span<const uint8_t> bytes() const { return {data, size}; }
  // target plus features: "gfx90a:xnack+", "sm_90".
  std::string target_id() const;
};

struct Toc {
  std::span<const TocEntry> entries;

  bool empty() const { return entries.empty(); }
  const TocEntry* find(std::string_view name) const;  // by file name, or by "<triple>--<target id>", or by target id alone
};

// The code objects built into this library (prebuilt or source mode).
const Toc& embedded_toc();
// How they were produced: "prebuilt" or "source".
std::string_view embedded_toc_build_mode();

// Splits a TOC file name into triple, target and features (views into `name`).
// Errors name the expected shape.
Status parse_toc_entry_name(std::string_view name, TocEntry* entry);

}  // namespace devbin

#endif  // DEVBIN_TOC_H_
