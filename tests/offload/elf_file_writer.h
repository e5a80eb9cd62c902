// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Host ELF files of any size for the doctor's tests, written with pwrite and
// ftruncate so that the bytes between the pieces are holes: an 8 GiB file
// costs a few kilobytes of disk. The section table and names sit near the
// start; each section's bytes where the test puts them.
#ifndef DEVBIN_TESTS_OFFLOAD_ELF_FILE_WRITER_H_
#define DEVBIN_TESTS_OFFLOAD_ELF_FILE_WRITER_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include "offload_test_util.h"

namespace devbin::offload {

struct SectionSpec {
  std::string name;
  uint32_t type = 1;  // SHT_PROGBITS
  uint64_t offset = 0;
  uint64_t size = 0;
  std::vector<uint8_t> bytes;  // written at `offset` (may be fewer than `size`: the rest is a hole)
};

struct ElfSpec {
  uint64_t file_size = 0;
  std::vector<SectionSpec> sections;  // section 0 (SHT_NULL) and .shstrtab are added
  uint64_t table_offset = 0x400;      // e_shoff
  uint16_t shnum_override = 0;        // non-zero: e_shnum as written, whatever the table holds
};

// The section name table goes at 0x100, the section table at table_offset.
inline bool write_elf_file(const std::filesystem::path& path, const ElfSpec& spec) {
  std::vector<uint8_t> names(1, 0);
  std::vector<uint32_t> name_offsets;
  for (const SectionSpec& section : spec.sections) {
    name_offsets.push_back(static_cast<uint32_t>(names.size()));
    names.insert(names.end(), section.name.begin(), section.name.end());
    names.push_back(0);
  }
  const uint32_t shstrtab_name = static_cast<uint32_t>(names.size());
  const std::string shstrtab = ".shstrtab";
  names.insert(names.end(), shstrtab.begin(), shstrtab.end());
  names.push_back(0);
  const uint64_t names_offset = 0x100;
  const uint16_t count = static_cast<uint16_t>(spec.sections.size() + 2);

  std::vector<uint8_t> header(64, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::copy(std::begin(ident), std::end(ident), header.begin());
  put_u16(header, 16, 3);   // ET_DYN
  put_u16(header, 18, 62);  // EM_X86_64
  put_u32(header, 20, 1);
  put_u64(header, 40, spec.table_offset);
  put_u16(header, 52, 64);
  put_u16(header, 58, 64);
  put_u16(header, 60, spec.shnum_override != 0 ? spec.shnum_override : count);
  put_u16(header, 62, static_cast<uint16_t>(count - 1));

  std::vector<uint8_t> table(size_t{count} * 64, 0);
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    const size_t base = (i + 1) * 64;
    put_u32(table, base, name_offsets[i]);
    put_u32(table, base + 4, spec.sections[i].type);
    put_u64(table, base + 24, spec.sections[i].offset);
    put_u64(table, base + 32, spec.sections[i].size);
    put_u64(table, base + 48, 8);
  }
  const size_t last = (size_t{count} - 1) * 64;
  put_u32(table, last, shstrtab_name);
  put_u32(table, last + 4, 3);  // SHT_STRTAB
  put_u64(table, last + 24, names_offset);
  put_u64(table, last + 32, names.size());

  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::ftruncate(fd, static_cast<off_t>(spec.file_size)) == 0;
  auto put = [&](const std::vector<uint8_t>& bytes, uint64_t offset) {
    if (bytes.empty() || offset >= spec.file_size) return;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), spec.file_size - offset));
    ok = ok && ::pwrite(fd, bytes.data(), n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n);
  };
  put(header, 0);
  put(names, names_offset);
  put(table, spec.table_offset);
  for (const SectionSpec& section : spec.sections) put(section.bytes, section.offset);
  ok = ::close(fd) == 0 && ok;
  return ok;
}

// A scratch folder of the test's own, removed with it.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace devbin::offload

#endif  // DEVBIN_TESTS_OFFLOAD_ELF_FILE_WRITER_H_
