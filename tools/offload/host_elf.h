// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The section table of an ELF file of any size, read through a ByteSource:
// the 64-byte header, the section headers and the section name table, and
// nothing else. The rules: the section table and the name table lie within
// the file (else the file is unreadable); a section that ends past the end
// of the file, or a device section that overlaps another section, is a
// problem that names both, and such a device section is not read.
#ifndef DEVBIN_TOOLS_OFFLOAD_HOST_ELF_H_
#define DEVBIN_TOOLS_OFFLOAD_HOST_ELF_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/status.h"
#include "devbin_internal/elf.h"
#include "source.h"

namespace devbin::offload {

// The most bytes of section names read (linkers write kilobytes).
inline constexpr uint64_t kMaxSectionNameTable = uint64_t{16} << 20;

// The sections that hold GPU code: .nv_fatbin, __nv_relfatbin, .hip_fatbin,
// .llvm.offloading and __CLANG_OFFLOAD_BUNDLE__<entry ID>.
bool is_device_section(std::string_view name);

struct ElfSection {
  uint32_t index = 0;
  std::string name;
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  // The file holds its bytes, apart from every other section's (device
  // sections only; others are checked only against the file's end).
  bool readable = true;
};

struct ElfSections {
  elf::Header header;
  std::vector<ElfSection> sections;
  // Sections past the end of the file, overlapping device sections.
  std::vector<std::string> problems;
};

Result<ElfSections> read_elf_sections(ByteSource& source);

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_HOST_ELF_H_
