// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "host_elf.h"

#include <algorithm>

#include "bytes.h"
#include "clang_bundle.h"

namespace devbin::offload {
namespace {

constexpr uint16_t kSectionIndexExtended = 0xffff;  // SHN_XINDEX: the index lives in section 0

std::string describe(const ElfSection& section) {
  return "section " + number(section.index) + " (" + (section.name.empty() ? "no name" : section.name) +
         ", offset " + elf::hex(section.offset) + ", size " + elf::hex(section.size) + ")";
}

bool has_file_bytes(const ElfSection& section) {
  return section.index != 0 && section.type != elf::kSectionNobits && section.type != elf::kSectionNull;
}

}  // namespace

bool is_device_section(std::string_view name) {
  return name == ".nv_fatbin" || name == "__nv_relfatbin" || name == ".hip_fatbin" || name == ".llvm.offloading" ||
         name.starts_with(kBundleMagic);
}

Result<ElfSections> read_elf_sections(ByteSource& source) {
  const uint64_t file_size = source.size();
  ElfSections out;
  {
    DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> bytes,
                            source.header(0, std::min<uint64_t>(file_size, elf::kHeaderSize)));
    DEVBIN_ASSIGN_OR_RETURN(out.header, elf::parse_header(bytes));
  }
  const elf::Header& h = out.header;
  if (h.ehsize != elf::kHeaderSize) return data_loss("ELF e_ehsize " + number(h.ehsize) + ": expected 64");
  if (h.shnum == 0) {
    if (h.shoff != 0) {
      return data_loss("ELF e_shnum 0 with e_shoff " + elf::hex(h.shoff) +
                       ": extended section numbering is not supported");
    }
    return out;  // no section table (stripped): no sections to read
  }
  if (h.shentsize != elf::kSectionHeaderSize) {
    return data_loss("ELF e_shentsize " + number(h.shentsize) + ": expected 64");
  }
  const uint64_t table_size = uint64_t{h.shnum} * elf::kSectionHeaderSize;
  if (!range_fits(h.shoff, table_size, file_size)) {
    return data_loss("truncated ELF section table: e_shoff " + elf::hex(h.shoff) + " and " + number(h.shnum) +
                     " entries of 64 bytes end at " + elf::hex(h.shoff + table_size) + ", past the end of the file (" +
                     number(file_size) + " bytes)");
  }
  if (h.shstrndx == kSectionIndexExtended) {
    return data_loss("ELF e_shstrndx SHN_XINDEX: extended section numbering is not supported");
  }
  if (h.shstrndx != 0 && h.shstrndx >= h.shnum) {
    return data_loss("ELF e_shstrndx " + number(h.shstrndx) + " is not a section (e_shnum " + number(h.shnum) + ")");
  }
  // 65535 entries of 64 bytes at most: read in header-sized pieces.
  std::vector<uint32_t> name_offsets;
  out.sections.reserve(h.shnum);
  name_offsets.reserve(h.shnum);
  constexpr uint64_t kPerRead = kMaxHeaderRead / elf::kSectionHeaderSize;
  for (uint64_t first = 0; first < h.shnum; first += kPerRead) {
    const uint64_t count = std::min<uint64_t>(kPerRead, h.shnum - first);
    DEVBIN_ASSIGN_OR_RETURN(std::span<const uint8_t> table,
                            source.header(h.shoff + first * elf::kSectionHeaderSize, count * elf::kSectionHeaderSize));
    for (uint64_t i = 0; i < count; ++i) {
      const size_t base = static_cast<size_t>(i * elf::kSectionHeaderSize);
      ElfSection section;
      section.index = static_cast<uint32_t>(first + i);
      name_offsets.push_back(load_u32(table, base));
      section.type = load_u32(table, base + 4);
      section.offset = load_u64(table, base + 24);
      section.size = load_u64(table, base + 32);
      out.sections.push_back(std::move(section));
    }
  }
  if (h.shstrndx != 0) {
    const ElfSection& names = out.sections[h.shstrndx];
    if (names.type != elf::kSectionStrtab) {
      return data_loss("ELF section name table (section " + number(h.shstrndx) + ") has type " + number(names.type) +
                       ": expected 3 (SHT_STRTAB)");
    }
    if (!range_fits(names.offset, names.size, file_size)) {
      return data_loss("ELF section name table (" + describe(names) + ") ends past the end of the file (" +
                       number(file_size) + " bytes)");
    }
    if (names.size > kMaxSectionNameTable) {
      return data_loss("ELF section name table of " + number(names.size) + " bytes: expected at most " +
                       number(kMaxSectionNameTable));
    }
    DEVBIN_ASSIGN_OR_RETURN(Bytes table, source.read_bytes(names.offset, names.size));
    for (ElfSection& section : out.sections) {
      Result<std::string_view> name = elf::string_at(table.span(), name_offsets[section.index], ".shstrtab");
      if (!name.ok()) return Status(name.status()).annotate("ELF section " + number(section.index) + " name");
      section.name = std::string(*name);
    }
  }
  // Past the end: every such section is reported, the first of the others
  // only (one says the file is cut short).
  bool other_reported = false;
  std::vector<ElfSection*> placed;
  for (ElfSection& section : out.sections) {
    if (!has_file_bytes(section)) continue;
    const bool device = is_device_section(section.name);
    if (!range_fits(section.offset, section.size, file_size)) {
      if (device) {
        section.readable = false;
        out.problems.push_back("ELF " + describe(section) + " ends past the end of the file (" +
                               number(file_size) + " bytes): not read");
      } else if (!other_reported) {
        other_reported = true;
        out.problems.push_back("the file is cut short or corrupt: ELF " + describe(section) +
                               " ends past the end of the file (" + number(file_size) + " bytes)");
      }
      continue;
    }
    if (section.size != 0) placed.push_back(&section);
  }
  // Overlaps, in one pass over the sections sorted by offset: a section
  // overlaps an earlier one when it starts before the furthest end so far,
  // and a later one when the next starts before its own end.
  std::sort(placed.begin(), placed.end(), [](const ElfSection* a, const ElfSection* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->index < b->index;
  });
  const ElfSection* furthest = nullptr;
  for (size_t i = 0; i < placed.size(); ++i) {
    ElfSection& section = *placed[i];
    const ElfSection* other = nullptr;
    if (furthest != nullptr && furthest->offset + furthest->size > section.offset) other = furthest;
    if (other == nullptr && i + 1 < placed.size() && placed[i + 1]->offset < section.offset + section.size) {
      other = placed[i + 1];
    }
    if (other != nullptr && is_device_section(section.name)) {
      section.readable = false;
      out.problems.push_back("ELF " + describe(section) + " overlaps " + describe(*other) +
                             ": expected sections apart from each other; not read");
    }
    if (furthest == nullptr || section.offset + section.size > furthest->offset + furthest->size) furthest = &section;
  }
  return out;
}

}  // namespace devbin::offload
