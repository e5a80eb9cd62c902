// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bounded ELF64 reader: a hand-built file with every field at a known
// offset, each header field broken in turn, and the host's own /bin/true
// cross-checked against readelf.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "devbin_internal/elf.h"

namespace devbin::elf {
namespace {

namespace fs = std::filesystem;

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// The hand-built file's layout.
constexpr size_t kNamesAt = 64;     // .shstrtab: "\0.shstrtab\0.note\0.bss\0"
constexpr size_t kNamesSize = 22;
constexpr size_t kNoteAt = 88;      // one "GNU" note, type 3, 4-byte descriptor
constexpr size_t kNoteSize = 20;
constexpr size_t kSectionsAt = 112;  // null, .shstrtab, .note, .bss
constexpr size_t kSectionCount = 4;
constexpr size_t kSegmentsAt = kSectionsAt + kSectionCount * 64;  // one PT_NOTE
constexpr size_t kFileSize = kSegmentsAt + 56;

size_t section_field(size_t index, size_t field_offset) { return kSectionsAt + index * 64 + field_offset; }

std::vector<uint8_t> minimal_elf() {
  std::vector<uint8_t> b(kFileSize, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', kClass64, kDataLittleEndian, 1, 64, 4};
  std::copy(std::begin(ident), std::end(ident), b.begin());
  put16(b, 16, kTypeDyn);
  put16(b, 18, kMachineAmdgpu);
  put32(b, 20, 1);
  put64(b, 32, kSegmentsAt);
  put64(b, 40, kSectionsAt);
  put32(b, 48, 0x1000054);
  put16(b, 52, 64);
  put16(b, 54, 56);
  put16(b, 56, 1);
  put16(b, 58, 64);
  put16(b, 60, kSectionCount);
  put16(b, 62, 1);
  const char names[] = "\0.shstrtab\0.note\0.bss";
  std::copy(names, names + kNamesSize, b.begin() + kNamesAt);
  put32(b, kNoteAt, 4);
  put32(b, kNoteAt + 4, 4);
  put32(b, kNoteAt + 8, 3);
  const char owner[] = "GNU";
  std::copy(owner, owner + 4, b.begin() + kNoteAt + 12);
  put32(b, kNoteAt + 16, 0xdeadbeef);
  auto section = [&](size_t i, uint32_t name, uint32_t type, uint64_t offset, uint64_t size, uint64_t align) {
    put32(b, section_field(i, 0), name);
    put32(b, section_field(i, 4), type);
    put64(b, section_field(i, 24), offset);
    put64(b, section_field(i, 32), size);
    put64(b, section_field(i, 48), align);
  };
  section(1, 1, kSectionStrtab, kNamesAt, kNamesSize, 1);
  section(2, 11, kSectionNote, kNoteAt, kNoteSize, 4);
  section(3, 17, kSectionNobits, kNoteAt + kNoteSize, 1ull << 40, 16);  // no file bytes however large
  put32(b, kSegmentsAt, kSegmentNote);
  put64(b, kSegmentsAt + 8, kNoteAt);
  put64(b, kSegmentsAt + 16, 0x1200);  // p_vaddr
  put64(b, kSegmentsAt + 32, kNoteSize);
  put64(b, kSegmentsAt + 40, 0x3000);  // p_memsz
  put64(b, kSegmentsAt + 48, 4);
  return b;
}

TEST(ElfTest, MinimalFile) {
  const std::vector<uint8_t> bytes = minimal_elf();
  Result<File> file = File::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->header().machine, kMachineAmdgpu);
  EXPECT_EQ(file->header().os_abi, 64);
  EXPECT_EQ(file->header().abi_version, 4);
  EXPECT_EQ(file->header().flags, 0x1000054u);
  ASSERT_EQ(file->sections().size(), kSectionCount);
  EXPECT_EQ(file->sections()[1].name, ".shstrtab");
  EXPECT_EQ(file->sections()[2].name, ".note");
  const Section* bss = file->find_section(".bss");
  ASSERT_NE(bss, nullptr);
  EXPECT_EQ(bss->size, 1ull << 40);
  EXPECT_TRUE(bss->data.empty());
  EXPECT_EQ(file->find_section(".text"), nullptr);
  EXPECT_EQ(file->section_at(2), &file->sections()[2]);
  EXPECT_EQ(file->section_at(4), nullptr);
  ASSERT_EQ(file->segments().size(), 1u);
  EXPECT_EQ(file->segments()[0].data.size(), kNoteSize);
  EXPECT_EQ(file->segments()[0].vaddr, 0x1200u);
  EXPECT_EQ(file->segments()[0].memsz, 0x3000u);

  Result<std::vector<Note>> notes = file->notes();
  ASSERT_TRUE(notes.ok()) << notes.status().to_string();
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].owner, "GNU");
  EXPECT_EQ((*notes)[0].type, 3u);
  ASSERT_EQ((*notes)[0].desc.size(), 4u);
  EXPECT_EQ(load_u32((*notes)[0].desc, 0), 0xdeadbeefu);
}

TEST(ElfTest, NotesComeFromSegmentsWithoutSectionHeaders) {
  std::vector<uint8_t> bytes = minimal_elf();
  put64(bytes, 40, 0);  // e_shoff
  put16(bytes, 60, 0);  // e_shnum
  put16(bytes, 62, 0);  // e_shstrndx
  Result<File> file = File::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_TRUE(file->sections().empty());
  Result<std::vector<Note>> notes = file->notes();
  ASSERT_TRUE(notes.ok()) << notes.status().to_string();
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].owner, "GNU");
}

TEST(ElfTest, BrokenHeadersGiveCleanErrors) {
  struct Case {
    std::string what;
    size_t offset;
    int width;  // bytes written at offset
    uint64_t value;
    std::string expected;
  };
  const Case cases[] = {
      {"ELF32", 4, 1, 1, "ELF class 1 (ELF32): expected 2 (ELF64)"},
      {"big endian", 5, 1, 2, "ELF data encoding 2 (big endian): expected 1 (little endian)"},
      {"ident version", 6, 1, 0, "ELF identification version 0: expected 1"},
      {"e_version", 20, 4, 2, "ELF e_version 2: expected 1"},
      {"e_ehsize", 52, 2, 52, "ELF e_ehsize 52: expected 64"},
      {"e_shentsize", 58, 2, 40, "ELF e_shentsize 40: expected 64"},
      {"e_shoff past the end", 40, 8, kFileSize - 100,
       "ELF section header table (e_shoff 0x144, 4 entries of 64 bytes) ends past the end of the file (424 bytes)"},
      {"e_shoff overflows", 40, 8, UINT64_MAX - 127, "ends past the end of the file"},
      {"e_shnum too large", 60, 2, 200, "ELF section header table"},
      {"extended section count", 60, 2, 0, "extended section numbering is not supported"},
      {"e_shstrndx past e_shnum", 62, 2, 9, "ELF e_shstrndx 9 is not a section (e_shnum 4)"},
      {"e_shstrndx SHN_XINDEX", 62, 2, 0xffff, "SHN_XINDEX"},
      {"e_shstrndx not a string table", 62, 2, 2, "section name table (section 2) has type 7: expected 3"},
      {"name past the name table", section_field(2, 0), 4, 500,
       "ELF section 2 name: string offset 500 is past the end of .shstrtab (22 bytes)"},
      {"name table without NUL", section_field(1, 32), 8, 21, "has no terminating NUL"},
      {"section past the end", section_field(2, 32), 8, 1000,
       "ELF section 2 (offset 0x58, size 0x3e8) ends past the end of the file (424 bytes)"},
      {"section offset overflows", section_field(2, 24), 8, UINT64_MAX - 3, "ELF section 2 (offset 0xfffffffffffffffc"},
      {"e_phnum PN_XNUM", 56, 2, 0xffff, "PN_XNUM"},
      {"e_phentsize", 54, 2, 32, "ELF e_phentsize 32: expected 56"},
      {"e_phoff past the end", 32, 8, kFileSize - 8, "ELF program header table (e_phoff 0x1a0"},
      {"segment past the end", kSegmentsAt + 32, 8, 4096, "ELF program header 0 (offset 0x58, file size 0x1000)"},
      {"segment offset overflows", kSegmentsAt + 8, 8, UINT64_MAX, "ELF program header 0 (offset 0xffffffffffffffff"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<uint8_t> bytes = minimal_elf();
    for (int i = 0; i < c.width; ++i) bytes[c.offset + i] = static_cast<uint8_t>(c.value >> (8 * i));
    Result<File> file = File::parse(bytes);
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.status().message().find(c.expected), std::string::npos) << file.status().to_string();
  }
}

TEST(ElfTest, ShortAndForeignInput) {
  const std::vector<uint8_t> elf = minimal_elf();
  for (size_t size : {size_t{0}, size_t{3}, size_t{4}, size_t{63}}) {
    SCOPED_TRACE(size);
    Result<File> file = File::parse(std::span<const uint8_t>(elf.data(), size));
    ASSERT_FALSE(file.ok());
    EXPECT_FALSE(file.status().message().empty());
  }
  EXPECT_EQ(File::parse(std::span<const uint8_t>(elf.data(), 63)).status().message(),
            "truncated ELF header: expected 64 bytes, found 63");
  const std::vector<uint8_t> zip = {'P', 'K', 3, 4, 0, 0};
  EXPECT_EQ(File::parse(zip).status().message(), "not an ELF file: expected 7f 45 4c 46, found 50 4b 03 04");
  EXPECT_EQ(File::parse(std::span<const uint8_t>()).status().message(),
            "not an ELF file: expected 7f 45 4c 46, found nothing (0 bytes)");
}

std::vector<uint8_t> note(uint32_t namesz, uint32_t descsz, uint32_t type, std::string_view name, size_t desc_bytes,
                          size_t align) {
  // Reserved up front: g++-12 at -O2 otherwise warns (-Warray-bounds, a false
  // positive) on the insert into a 12-byte vector.
  std::vector<uint8_t> b;
  b.reserve(12 + name.size() + align + desc_bytes);
  b.resize(12, 0);
  put32(b, 0, namesz);
  put32(b, 4, descsz);
  put32(b, 8, type);
  b.insert(b.end(), name.begin(), name.end());
  while (b.size() % align != 0) b.push_back(0);
  b.insert(b.end(), desc_bytes, 0xab);
  return b;
}

TEST(ElfNotesTest, Parsing) {
  // Two notes in an 8-aligned section; the last one's padding is cut off.
  std::vector<uint8_t> data = note(7, 3, 32, std::string_view("AMDGPU\0", 7), 3, 8);
  while (data.size() % 8 != 0) data.push_back(0);
  const std::vector<uint8_t> second = note(4, 1, 1, std::string_view("GNU\0", 4), 1, 8);
  data.insert(data.end(), second.begin(), second.end());
  Result<std::vector<Note>> notes = parse_notes(data, 8);
  ASSERT_TRUE(notes.ok()) << notes.status().to_string();
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].owner, "AMDGPU");
  EXPECT_EQ((*notes)[0].type, 32u);
  EXPECT_EQ((*notes)[0].desc.size(), 3u);
  EXPECT_EQ((*notes)[1].owner, "GNU");
  EXPECT_EQ((*notes)[1].desc.size(), 1u);

  // An empty owner is allowed.
  notes = parse_notes(note(0, 0, 5, "", 0, 4), 4);
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ((*notes)[0].owner, "");
}

TEST(ElfNotesTest, HostileSizesAreRefused) {
  struct Case {
    std::vector<uint8_t> data;
    std::string expected;
  };
  const Case cases[] = {
      {std::vector<uint8_t>(11, 0), "truncated ELF note at offset 0: expected a 12-byte header, found 11 bytes"},
      {note(0xffffffff, 0, 1, "GNU", 0, 4), "(name 4294967295 bytes, descriptor 0 bytes) runs past the end"},
      {note(4, 0xffffffff, 1, std::string_view("GNU\0", 4), 4, 4), "descriptor 4294967295 bytes"},
      {note(4, 0xfffffff0, 1, std::string_view("GNU\0", 4), 4, 8), "descriptor 4294967280 bytes"},
      {note(4, 8, 1, std::string_view("GNU\0", 4), 7, 4), "runs past the end of its 23-byte section"},
  };
  for (const Case& c : cases) {
    Result<std::vector<Note>> notes = parse_notes(c.data, 4);
    ASSERT_FALSE(notes.ok());
    EXPECT_NE(notes.status().message().find(c.expected), std::string::npos) << notes.status().to_string();
  }
}

TEST(ElfStringsTest, Bounds) {
  const std::vector<uint8_t> table = {0, 'a', 'b', 0, 'c'};
  EXPECT_EQ(*string_at(table, 0, "t"), "");
  EXPECT_EQ(*string_at(table, 1, "t"), "ab");
  EXPECT_EQ(*string_at(table, 2, "t"), "b");
  EXPECT_EQ(string_at(table, 4, "t").status().message(), "string at offset 4 of t has no terminating NUL");
  EXPECT_EQ(string_at(table, 5, "t").status().message(), "string offset 5 is past the end of t (5 bytes)");
  EXPECT_FALSE(string_at(table, UINT64_MAX, "t").ok());
}

TEST(ElfHelpersTest, Text) {
  EXPECT_EQ(hex(0), "0x0");
  EXPECT_EQ(hex(0x6005a04), "0x6005a04");
  const std::vector<uint8_t> bytes = {0x7f, 'E', 'L', 'F', 2};
  EXPECT_EQ(hex_bytes(bytes, 4), "7f 45 4c 46");
  EXPECT_EQ(hex_bytes(std::span<const uint8_t>(bytes.data(), 2), 4), "7f 45");
  EXPECT_EQ(machine_name(kMachineAmdgpu), "EM_AMDGPU");
  EXPECT_EQ(machine_name(kMachineX86_64), "x86-64 (EM_X86_64)");
  EXPECT_EQ(machine_name(9999), "unknown");
  EXPECT_TRUE(range_fits(0, 0, 0));
  EXPECT_TRUE(range_fits(10, 0, 10));
  EXPECT_FALSE(range_fits(11, 0, 10));
  EXPECT_FALSE(range_fits(UINT64_MAX, 2, 10));
  EXPECT_FALSE(range_fits(2, UINT64_MAX, 10));
}

std::optional<std::string> run(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

// A real, foreign ELF file: the host's /bin/true, against readelf.
TEST(ElfHostTest, HostBinaryMatchesReadelf) {
  const fs::path path = "/bin/true";
  if (!fs::exists(path)) GTEST_SKIP() << path << " is not there";
  if (std::system("command -v readelf > /dev/null 2>&1") != 0) GTEST_SKIP() << "readelf is not installed";
  std::ifstream stream(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  Result<File> file = File::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().to_string();

  // Section names in order, from "  [ N] name type ..." lines.
  const std::optional<std::string> sections = run("readelf -SW " + path.string());
  ASSERT_TRUE(sections.has_value());
  std::vector<std::string> expected;
  std::istringstream lines(*sections);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t close = line.find("] ");
    if (line.find("  [") != 0 || close == std::string::npos || line.find("Nr]") != std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    std::string name;
    fields >> name;
    expected.push_back(name == "NULL" ? "" : name);
  }
  ASSERT_EQ(file->sections().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(file->sections()[i].name, expected[i]) << i;

  // Notes: every owner readelf -n lists, in order.
  const std::optional<std::string> note_text = run("readelf -nW " + path.string());
  ASSERT_TRUE(note_text.has_value());
  std::vector<std::string> owners;
  std::istringstream note_lines(*note_text);
  while (std::getline(note_lines, line)) {
    std::istringstream fields(line);
    std::string owner;
    std::string size;
    if (!(fields >> owner >> size) || size.rfind("0x", 0) != 0) continue;
    owners.push_back(owner);
  }
  Result<std::vector<Note>> notes = file->notes();
  ASSERT_TRUE(notes.ok()) << notes.status().to_string();
  ASSERT_EQ(notes->size(), owners.size());
  for (size_t i = 0; i < owners.size(); ++i) EXPECT_EQ((*notes)[i].owner, owners[i]);

  // The dynamic symbol table: as many symbols as readelf counts.
  const Section* dynsym = file->find_section(".dynsym");
  ASSERT_NE(dynsym, nullptr);
  Result<std::vector<Symbol>> symbols = file->symbols(*dynsym);
  ASSERT_TRUE(symbols.ok()) << symbols.status().to_string();
  const std::optional<std::string> dyn = run("readelf --dyn-syms -W " + path.string());
  ASSERT_TRUE(dyn.has_value());
  EXPECT_NE(dyn->find("Symbol table '.dynsym' contains " + std::to_string(symbols->size()) + " entries"),
            std::string::npos)
      << *dyn;

  // A section that is not a symbol table is refused as one.
  EXPECT_FALSE(file->symbols(*file->find_section(".shstrtab")).ok());
}

}  // namespace
}  // namespace devbin::elf
