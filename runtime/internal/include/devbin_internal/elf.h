// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A bounded reader for little-endian ELF64 files (the container of AMDGPU code
// objects and CUDA cubins). Every offset and size in the file is checked
// against the buffer before use; the views it returns point into the buffer.
#ifndef DEVBIN_INTERNAL_ELF_H_
#define DEVBIN_INTERNAL_ELF_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devbin/status.h"
#include "devbin_internal/text.h"

namespace devbin::elf {

inline constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kSectionHeaderSize = 64;
inline constexpr size_t kProgramHeaderSize = 56;
inline constexpr size_t kSymbolSize = 24;

inline constexpr uint8_t kClass64 = 2;
inline constexpr uint8_t kDataLittleEndian = 1;

inline constexpr uint16_t kTypeRel = 1;
inline constexpr uint16_t kTypeExec = 2;
inline constexpr uint16_t kTypeDyn = 3;

inline constexpr uint16_t kMachineX86_64 = 62;
inline constexpr uint16_t kMachineAarch64 = 183;
inline constexpr uint16_t kMachineCuda = 190;
inline constexpr uint16_t kMachineAmdgpu = 224;

inline constexpr uint32_t kSectionNull = 0;
inline constexpr uint32_t kSectionSymtab = 2;
inline constexpr uint32_t kSectionStrtab = 3;
inline constexpr uint32_t kSectionNote = 7;
inline constexpr uint32_t kSectionNobits = 8;
inline constexpr uint32_t kSectionDynsym = 11;
inline constexpr uint64_t kSectionFlagExecInstr = 0x4;

inline constexpr uint32_t kSegmentLoad = 1;
inline constexpr uint32_t kSegmentNote = 4;

inline constexpr uint8_t kSymbolFunc = 2;

// Little-endian loads from a span; the caller has checked the bounds.
inline uint16_t load_u16(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
}
inline uint32_t load_u32(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint32_t>(bytes[offset]) | (static_cast<uint32_t>(bytes[offset + 1]) << 8) |
         (static_cast<uint32_t>(bytes[offset + 2]) << 16) | (static_cast<uint32_t>(bytes[offset + 3]) << 24);
}
inline uint64_t load_u64(std::span<const uint8_t> bytes, size_t offset) {
  return static_cast<uint64_t>(load_u32(bytes, offset)) | (static_cast<uint64_t>(load_u32(bytes, offset + 4)) << 32);
}

// True when [offset, offset + size) lies within a buffer of `buffer_size`
// bytes, without overflowing.
inline bool range_fits(uint64_t offset, uint64_t size, uint64_t buffer_size) {
  return offset <= buffer_size && size <= buffer_size - offset;
}

using util::hex;  // "0x1a2b"
// "7f 45 4c 46": up to `count` leading bytes, or "nothing (0 bytes)".
std::string hex_bytes(std::span<const uint8_t> bytes, size_t count);
// "EM_AMDGPU", "x86-64", or "unknown".
std::string_view machine_name(uint16_t machine);

struct Header {
  uint8_t os_abi = 0;
  uint8_t abi_version = 0;
  uint16_t type = 0;
  uint16_t machine = 0;
  uint32_t version = 0;
  uint64_t entry = 0;
  uint64_t phoff = 0;
  uint64_t shoff = 0;
  uint32_t flags = 0;
  uint16_t ehsize = 0;
  uint16_t phentsize = 0;
  uint16_t phnum = 0;
  uint16_t shentsize = 0;
  uint16_t shnum = 0;
  uint16_t shstrndx = 0;
};

struct Section {
  uint32_t index = 0;
  std::string_view name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0;
  uint64_t size = 0;  // for SHT_NOBITS, the memory size (no file bytes)
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t addralign = 0;
  uint64_t entsize = 0;
  std::span<const uint8_t> data;  // empty for SHT_NOBITS
};

struct Segment {
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;  // where a loader places it, relative to the load base
  uint64_t filesz = 0;
  uint64_t memsz = 0;  // not checked against anything: a loader must check it
  uint64_t align = 0;
  std::span<const uint8_t> data;
};

struct Note {
  std::string_view owner;  // without the terminating NUL
  uint32_t type = 0;
  std::span<const uint8_t> desc;
};

struct Symbol {
  std::string_view name;
  uint8_t info = 0;
  uint8_t other = 0;
  uint16_t section_index = 0;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type() const { return info & 0xf; }
  uint8_t binding() const { return info >> 4; }
};

// Checks only what identifies the file: magic, class (ELF64), data (little
// endian), version, and that the 64-byte header is there. Errors say what was
// expected and what was found.
Result<Header> parse_header(std::span<const uint8_t> bytes);

// A validated ELF64 file: header, section headers and their names, program
// headers. Section and segment contents are within the buffer.
class File {
 public:
  static Result<File> parse(std::span<const uint8_t> bytes);

  const Header& header() const { return header_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  const std::vector<Section>& sections() const { return sections_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const Section* find_section(std::string_view name) const;
  const Section* section_at(uint32_t index) const;

  // Notes from SHT_NOTE sections, or from PT_NOTE segments when the file has
  // no SHT_NOTE section (a stripped section table).
  Result<std::vector<Note>> notes() const;

  // The symbols of a SHT_SYMTAB/SHT_DYNSYM section, names from its linked
  // string table.
  Result<std::vector<Symbol>> symbols(const Section& symbol_table) const;

 private:
  std::span<const uint8_t> bytes_;
  Header header_;
  std::vector<Section> sections_;
  std::vector<Segment> segments_;
};

// Notes in a SHT_NOTE/PT_NOTE body: each a 12-byte header (namesz, descsz,
// type), the name and the descriptor, each padded to `align` (4 or 8).
Result<std::vector<Note>> parse_notes(std::span<const uint8_t> data, uint64_t align);

// A NUL-terminated string at `offset` of a string table.
Result<std::string_view> string_at(std::span<const uint8_t> table, uint64_t offset, std::string_view table_name);

}  // namespace devbin::elf

#endif  // DEVBIN_INTERNAL_ELF_H_
