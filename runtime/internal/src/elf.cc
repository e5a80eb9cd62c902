// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/elf.h"

#include <algorithm>
#include <cstdio>

namespace devbin::elf {
namespace {

// SHN_XINDEX / PN_XNUM: the count or index lives elsewhere (extended
// numbering). Code objects never need it, so it is refused rather than half
// supported.
constexpr uint16_t kSectionIndexExtended = 0xffff;
constexpr uint16_t kProgramHeaderCountExtended = 0xffff;

std::string number(uint64_t value) { return std::to_string(value); }

// `what` ("ELF section 3") lies within the file's `bytes`, or a data-loss
// error saying where it ends.
Status within_file(const std::string& what, std::string_view size_name, uint64_t offset, uint64_t size,
                   std::span<const uint8_t> bytes) {
  if (range_fits(offset, size, bytes.size())) return Status::Ok();
  return data_loss(what + " (offset " + hex(offset) + ", " + std::string(size_name) + " " + hex(size) +
                   ") ends past the end of the file (" + number(bytes.size()) + " bytes)");
}

uint64_t align_up(uint64_t value, uint64_t align) {
  // `align` is 4 or 8; the caller bounds `value` far below overflow.
  return (value + align - 1) & ~(align - 1);
}

// A header table (sections or program headers) as e_*off, e_*num and
// e_*entsize describe it.
struct HeaderTable {
  const char* what;    // "section" or "program"
  const char* prefix;  // "sh" or "ph", as the e_ fields spell it
  uint64_t offset;
  uint64_t count;
  uint64_t entry_size;
  uint64_t expected_entry_size;
};

// The rule: entries have the ELF64 size, and the whole table lies inside the
// file.
Status check_header_table(const HeaderTable& t, size_t file_size) {
  if (t.entry_size != t.expected_entry_size) {
    return data_loss(std::string("ELF e_") + t.prefix + "entsize " + number(t.entry_size) + ": expected " +
                     number(t.expected_entry_size));
  }
  if (!range_fits(t.offset, t.count * t.entry_size, file_size)) {
    return data_loss(std::string("ELF ") + t.what + " header table (e_" + t.prefix + "off " + hex(t.offset) + ", " +
                     number(t.count) + " entries of " + number(t.entry_size) +
                     " bytes) ends past the end of the file (" + number(file_size) + " bytes)");
  }
  return Status::Ok();
}

}  // namespace

std::string hex_bytes(std::span<const uint8_t> bytes, size_t count) {
  if (bytes.empty()) return "nothing (0 bytes)";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const size_t shown = std::min(count, bytes.size());
  for (size_t i = 0; i < shown; ++i) {
    if (i != 0) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

std::string_view machine_name(uint16_t machine) {
  switch (machine) {
    case 3: return "x86 (EM_386)";
    case 40: return "ARM (EM_ARM)";
    case kMachineX86_64: return "x86-64 (EM_X86_64)";
    case kMachineAarch64: return "AArch64 (EM_AARCH64)";
    case kMachineCuda: return "EM_CUDA";
    case kMachineAmdgpu: return "EM_AMDGPU";
    case 243: return "RISC-V (EM_RISCV)";
    default: return "unknown";
  }
}

Result<Header> parse_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < 4 || !std::equal(kMagic, kMagic + 4, bytes.begin())) {
    return invalid_argument("not an ELF file: expected 7f 45 4c 46, found " + hex_bytes(bytes, 4));
  }
  if (bytes.size() < kHeaderSize) {
    return data_loss("truncated ELF header: expected 64 bytes, found " + number(bytes.size()));
  }
  if (bytes[4] != kClass64) {
    return invalid_argument("ELF class " + number(bytes[4]) + (bytes[4] == 1 ? " (ELF32)" : "") +
                            ": expected 2 (ELF64)");
  }
  if (bytes[5] != kDataLittleEndian) {
    return invalid_argument("ELF data encoding " + number(bytes[5]) + (bytes[5] == 2 ? " (big endian)" : "") +
                            ": expected 1 (little endian)");
  }
  if (bytes[6] != 1) return invalid_argument("ELF identification version " + number(bytes[6]) + ": expected 1");
  Header header;
  header.os_abi = bytes[7];
  header.abi_version = bytes[8];
  header.type = load_u16(bytes, 16);
  header.machine = load_u16(bytes, 18);
  header.version = load_u32(bytes, 20);
  header.entry = load_u64(bytes, 24);
  header.phoff = load_u64(bytes, 32);
  header.shoff = load_u64(bytes, 40);
  header.flags = load_u32(bytes, 48);
  header.ehsize = load_u16(bytes, 52);
  header.phentsize = load_u16(bytes, 54);
  header.phnum = load_u16(bytes, 56);
  header.shentsize = load_u16(bytes, 58);
  header.shnum = load_u16(bytes, 60);
  header.shstrndx = load_u16(bytes, 62);
  if (header.version != 1) return invalid_argument("ELF e_version " + number(header.version) + ": expected 1");
  return header;
}

Result<std::string_view> string_at(std::span<const uint8_t> table, uint64_t offset, std::string_view table_name) {
  if (offset >= table.size()) {
    return data_loss("string offset " + number(offset) + " is past the end of " + std::string(table_name) + " (" +
                     number(table.size()) + " bytes)");
  }
  const auto begin = table.begin() + static_cast<std::ptrdiff_t>(offset);
  const auto end = std::find(begin, table.end(), uint8_t{0});
  if (end == table.end()) {
    return data_loss("string at offset " + number(offset) + " of " + std::string(table_name) +
                     " has no terminating NUL");
  }
  return std::string_view(reinterpret_cast<const char*>(&*begin), static_cast<size_t>(end - begin));
}

Result<File> File::parse(std::span<const uint8_t> bytes) {
  File file;
  file.bytes_ = bytes;
  DEVBIN_ASSIGN_OR_RETURN(file.header_, parse_header(bytes));
  const Header& h = file.header_;
  if (h.ehsize != kHeaderSize) return data_loss("ELF e_ehsize " + number(h.ehsize) + ": expected 64");

  // Section headers.
  if (h.shnum == 0 && h.shoff != 0) {
    return data_loss("ELF e_shnum 0 with e_shoff " + hex(h.shoff) +
                     ": extended section numbering is not supported in code objects");
  }
  if (h.shnum != 0) {
    DEVBIN_RETURN_IF_ERROR(
        check_header_table({"section", "sh", h.shoff, h.shnum, h.shentsize, kSectionHeaderSize}, bytes.size()));
    if (h.shstrndx == kSectionIndexExtended) {
      return data_loss("ELF e_shstrndx SHN_XINDEX: extended section numbering is not supported in code objects");
    }
    if (h.shstrndx != 0 && h.shstrndx >= h.shnum) {
      return data_loss("ELF e_shstrndx " + number(h.shstrndx) + " is not a section (e_shnum " + number(h.shnum) +
                       ")");
    }
    file.sections_.reserve(h.shnum);
    for (uint32_t i = 0; i < h.shnum; ++i) {
      const size_t base = static_cast<size_t>(h.shoff) + size_t{i} * kSectionHeaderSize;
      Section section;
      section.index = i;
      section.type = load_u32(bytes, base + 4);
      section.flags = load_u64(bytes, base + 8);
      section.offset = load_u64(bytes, base + 24);
      section.size = load_u64(bytes, base + 32);
      section.link = load_u32(bytes, base + 40);
      section.info = load_u32(bytes, base + 44);
      section.addralign = load_u64(bytes, base + 48);
      section.entsize = load_u64(bytes, base + 56);
      // The NUL section's fields carry extended-numbering values, not contents.
      if (i != 0 && section.type != kSectionNobits && section.type != kSectionNull) {
        DEVBIN_RETURN_IF_ERROR(within_file("ELF section " + number(i), "size", section.offset, section.size, bytes));
        section.data = bytes.subspan(static_cast<size_t>(section.offset), static_cast<size_t>(section.size));
      }
      // Names are resolved below, once the name table itself is checked.
      file.sections_.push_back(section);
    }
    if (h.shstrndx != 0) {
      const Section& names = file.sections_[h.shstrndx];
      if (names.type != kSectionStrtab) {
        return data_loss("ELF section name table (section " + number(h.shstrndx) + ") has type " +
                         number(names.type) + ": expected 3 (SHT_STRTAB)");
      }
      for (Section& section : file.sections_) {
        const size_t base = static_cast<size_t>(h.shoff) + size_t{section.index} * kSectionHeaderSize;
        Result<std::string_view> name = string_at(names.data, load_u32(bytes, base), ".shstrtab");
        if (!name.ok()) {
          return Status(name.status()).annotate("ELF section " + number(section.index) + " name");
        }
        section.name = *name;
      }
    }
  }

  // Program headers.
  if (h.phnum == kProgramHeaderCountExtended) {
    return data_loss("ELF e_phnum PN_XNUM: extended program header numbering is not supported in code objects");
  }
  if (h.phnum != 0) {
    DEVBIN_RETURN_IF_ERROR(
        check_header_table({"program", "ph", h.phoff, h.phnum, h.phentsize, kProgramHeaderSize}, bytes.size()));
    file.segments_.reserve(h.phnum);
    for (uint32_t i = 0; i < h.phnum; ++i) {
      const size_t base = static_cast<size_t>(h.phoff) + size_t{i} * kProgramHeaderSize;
      Segment segment;
      segment.type = load_u32(bytes, base);
      segment.offset = load_u64(bytes, base + 8);
      segment.vaddr = load_u64(bytes, base + 16);
      segment.filesz = load_u64(bytes, base + 32);
      segment.memsz = load_u64(bytes, base + 40);
      segment.align = load_u64(bytes, base + 48);
      DEVBIN_RETURN_IF_ERROR(
          within_file("ELF program header " + number(i), "file size", segment.offset, segment.filesz, bytes));
      segment.data = bytes.subspan(static_cast<size_t>(segment.offset), static_cast<size_t>(segment.filesz));
      file.segments_.push_back(segment);
    }
  }
  return file;
}

const Section* File::find_section(std::string_view name) const {
  for (const Section& section : sections_) {
    if (section.index != 0 && section.name == name) return &section;
  }
  return nullptr;
}

const Section* File::section_at(uint32_t index) const {
  return index < sections_.size() ? &sections_[index] : nullptr;
}

Result<std::vector<Note>> parse_notes(std::span<const uint8_t> data, uint64_t align) {
  if (align != 8) align = 4;
  std::vector<Note> notes;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t remaining = data.size() - pos;
    if (remaining < 12) {
      return data_loss("truncated ELF note at offset " + std::to_string(pos) + ": expected a 12-byte header, found " +
                       std::to_string(remaining) + " bytes");
    }
    const uint32_t namesz = load_u32(data, pos);
    const uint32_t descsz = load_u32(data, pos + 4);
    Note note;
    note.type = load_u32(data, pos + 8);
    const uint64_t name_start = pos + 12;
    const uint64_t desc_start = align_up(name_start + namesz, align);
    if (!range_fits(name_start, namesz, data.size()) || !range_fits(desc_start, descsz, data.size())) {
      return data_loss("ELF note at offset " + std::to_string(pos) + " (name " + std::to_string(namesz) +
                       " bytes, descriptor " + std::to_string(descsz) + " bytes) runs past the end of its " +
                       std::to_string(data.size()) + "-byte section");
    }
    std::string_view owner(reinterpret_cast<const char*>(data.data() + name_start), namesz);
    while (!owner.empty() && owner.back() == '\0') owner.remove_suffix(1);
    note.owner = owner;
    note.desc = data.subspan(static_cast<size_t>(desc_start), descsz);
    notes.push_back(note);
    // The final note's padding may be cut off by the end of the section.
    pos = static_cast<size_t>(std::min<uint64_t>(align_up(desc_start + descsz, align), data.size()));
  }
  return notes;
}

Result<std::vector<Note>> File::notes() const {
  std::vector<Note> notes;
  bool have_note_sections = false;
  for (const Section& section : sections_) {
    if (section.type != kSectionNote) continue;
    have_note_sections = true;
    Result<std::vector<Note>> these = parse_notes(section.data, section.addralign);
    if (!these.ok()) return Status(these.status()).annotate("section " + std::string(section.name));
    notes.insert(notes.end(), these->begin(), these->end());
  }
  if (have_note_sections) return notes;
  for (const Segment& segment : segments_) {
    if (segment.type != kSegmentNote) continue;
    Result<std::vector<Note>> these = parse_notes(segment.data, segment.align);
    if (!these.ok()) return Status(these.status()).annotate("PT_NOTE segment");
    notes.insert(notes.end(), these->begin(), these->end());
  }
  return notes;
}

Result<std::vector<Symbol>> File::symbols(const Section& table) const {
  const std::string table_name = "symbol table " + std::string(table.name);
  if (table.type != kSectionSymtab && table.type != kSectionDynsym) {
    return data_loss(table_name + " has type " + number(table.type) + ": expected 2 (SHT_SYMTAB) or 11 (SHT_DYNSYM)");
  }
  if (table.entsize != kSymbolSize) {
    return data_loss(table_name + " has entries of " + number(table.entsize) + " bytes: expected 24");
  }
  if (table.data.size() % kSymbolSize != 0) {
    return data_loss(table_name + " is " + number(table.data.size()) + " bytes: not a multiple of 24");
  }
  const Section* strings = section_at(table.link);
  if (strings == nullptr || strings->type != kSectionStrtab) {
    return data_loss(table_name + " links section " + number(table.link) + ": expected a SHT_STRTAB section");
  }
  std::vector<Symbol> symbols;
  symbols.reserve(table.data.size() / kSymbolSize);
  for (size_t base = 0; base < table.data.size(); base += kSymbolSize) {
    Symbol symbol;
    DEVBIN_ASSIGN_OR_RETURN(symbol.name, string_at(strings->data, load_u32(table.data, base), strings->name));
    symbol.info = table.data[base + 4];
    symbol.other = table.data[base + 5];
    symbol.section_index = load_u16(table.data, base + 6);
    symbol.value = load_u64(table.data, base + 8);
    symbol.size = load_u64(table.data, base + 16);
    symbols.push_back(symbol);
  }
  return symbols;
}

}  // namespace devbin::elf
