// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor's reading of files of any size (tools/offload/source.h,
// host_elf.h): a sparse 8 GiB shared library whose .nv_fatbin sits at its
// end is read in bounded memory, and broken section tables get errors that
// say what is wrong.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "elf_file_writer.h"
#include "offload_test_util.h"
#include "scan.h"
#include "source.h"

namespace devbin::offload {
namespace {

constexpr uint64_t kEightGiB = uint64_t{8} << 30;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string all_problems(const ScanReport& report) {
  std::string out;
  for (const std::string& problem : report.problems) out += problem + "\n";
  return out;
}

ScanReport scan_path(const std::filesystem::path& path) {
  Result<std::unique_ptr<FileSource>> source = FileSource::open(path.string());
  EXPECT_TRUE(source.ok()) << source.status().message();
  if (!source.ok()) return {};
  return scan_gpu_source(**source);
}

// .text fills the file up to the fat binary (a hole: never read).
ElfSpec library_with_fatbin_at(uint64_t file_size, const std::vector<uint8_t>& fatbin) {
  ElfSpec spec;
  spec.file_size = file_size;
  const uint64_t fatbin_offset = (file_size - fatbin.size()) & ~uint64_t{7};
  spec.sections.push_back({".text", 1, 0x1000, fatbin_offset - 0x1000, {}});
  spec.sections.push_back({".nv_fatbin", 1, fatbin_offset, fatbin.size(), fatbin});
  return spec;
}

TEST(LargeFileTest, ReadsTheDeviceSectionAtTheEndOfAnEightGiBFile) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "libhuge.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ASSERT_TRUE(write_elf_file(path, library_with_fatbin_at(kEightGiB, fatbin)));
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  ASSERT_EQ(static_cast<uint64_t>(info.st_size), kEightGiB);

  const ScanReport report = scan_path(path);
  EXPECT_TRUE(report.problems.empty()) << all_problems(report);
  ASSERT_EQ(report.code_objects.size(), 3u);
  EXPECT_EQ(report.code_objects[0].target, "sm_80");
  EXPECT_EQ(report.code_objects[1].target, "compute_90");
  EXPECT_EQ(report.code_objects[2].target, "sm_90");
  for (const FoundCodeObject& code : report.code_objects) {
    EXPECT_TRUE(code.kernels_known) << code.location << ": " << code.note;
    EXPECT_EQ(code.kernel_count, 2u) << code.location;
  }
  // The whole test process, 8 GiB file included, stays far under 128 MiB.
  struct rusage usage {};
  ASSERT_EQ(::getrusage(RUSAGE_SELF, &usage), 0);
  EXPECT_LT(usage.ru_maxrss, 128 * 1024) << "maximum RSS in KiB";
}

// An 8 GiB .nv_fatbin that is a hole but for its last bytes: the hole is
// skipped (SEEK_DATA), not read as 8 GiB of zeros.
TEST(LargeFileTest, HolesInADeviceSectionAreSkipped) {
  ScratchDir dir("devbin_large_file");
  const std::vector<uint8_t> fatbin = read_data_file("cuda_lz4_sm80_sm90_compute90.fatbin");
  ElfSpec spec;
  spec.file_size = kEightGiB;
  spec.sections.push_back({".nv_fatbin", 1, 0x1000, kEightGiB - 0x1000, {}});
  const auto empty = dir.path / "zeros.so";
  ASSERT_TRUE(write_elf_file(empty, spec));
  const ScanReport zeros = scan_path(empty);
  EXPECT_TRUE(zeros.code_objects.empty());
  ASSERT_EQ(zeros.problems.size(), 1u) << all_problems(zeros);
  EXPECT_EQ(zeros.problems[0], ".nv_fatbin: 8589930496 bytes of zeros and no container");

  const auto last = dir.path / "last.so";
  ASSERT_TRUE(write_elf_file(last, spec));
  {
    // The fat binary in the section's last bytes.
    std::fstream file(last, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(kEightGiB - fatbin.size()));
    file.write(reinterpret_cast<const char*>(fatbin.data()), static_cast<std::streamsize>(fatbin.size()));
  }
  const ScanReport found = scan_path(last);
  EXPECT_TRUE(found.problems.empty()) << all_problems(found);
  EXPECT_EQ(found.code_objects.size(), 3u);
}

TEST(LargeFileTest, TruncatedSectionTableIsAnError) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "truncated.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ElfSpec spec = library_with_fatbin_at(1 << 20, fatbin);
  spec.table_offset = (1 << 20) - 100;  // 4 entries of 64 bytes do not fit in the last 100 bytes
  ASSERT_TRUE(write_elf_file(path, spec));
  const ScanReport report = scan_path(path);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u) << all_problems(report);
  EXPECT_TRUE(has(report.problems[0], "unreadable ELF file: truncated ELF section table: e_shoff 0xfff9c and 4 "
                                      "entries of 64 bytes end at 0x10009c, past the end of the file (1048576 bytes)"))
      << report.problems[0];
}

TEST(LargeFileTest, DeviceSectionPastTheEndIsNotRead) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "short.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ElfSpec spec = library_with_fatbin_at(1 << 20, fatbin);
  spec.sections[1].size = uint64_t{1} << 40;  // the section claims 1 TiB
  ASSERT_TRUE(write_elf_file(path, spec));
  const ScanReport report = scan_path(path);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u) << all_problems(report);
  EXPECT_TRUE(has(report.problems[0], "ELF section 2 (.nv_fatbin, offset 0xfd5c8, size 0x10000000000) ends "
                                      "past the end of the file (1048576 bytes): not read"))
      << report.problems[0];
}

TEST(LargeFileTest, OtherSectionPastTheEndSaysTheFileIsCutShort) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "cut.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ElfSpec spec = library_with_fatbin_at(1 << 20, fatbin);
  spec.sections.push_back({".symtab", 2, 1 << 19, 1 << 20, {}});
  ASSERT_TRUE(write_elf_file(path, spec));
  const ScanReport report = scan_path(path);
  EXPECT_EQ(report.code_objects.size(), 3u);  // the device section itself is whole
  ASSERT_EQ(report.problems.size(), 1u) << all_problems(report);
  EXPECT_TRUE(has(report.problems[0], "the file is cut short or corrupt: ELF section 3 (.symtab, offset 0x80000, "
                                      "size 0x100000) ends past the end of the file"))
      << report.problems[0];
}

TEST(LargeFileTest, OverlappingDeviceSectionIsNotRead) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "overlap.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ElfSpec spec = library_with_fatbin_at(1 << 20, fatbin);
  spec.sections[0].size += 16;  // .text runs 16 bytes into .nv_fatbin
  ASSERT_TRUE(write_elf_file(path, spec));
  const ScanReport report = scan_path(path);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u) << all_problems(report);
  EXPECT_TRUE(has(report.problems[0], "ELF section 2 (.nv_fatbin, offset 0xfd5c8, size 0x2a38) overlaps section 1 "
                                      "(.text, offset 0x1000, size 0xfc5d8): expected sections apart"))
      << report.problems[0];
}

TEST(LargeFileTest, OverlapWithALaterSectionIsFound) {
  ScratchDir dir("devbin_large_file");
  const auto path = dir.path / "overlap_later.so";
  const std::vector<uint8_t> fatbin = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ElfSpec spec;
  spec.file_size = 1 << 20;
  spec.sections.push_back({".nv_fatbin", 1, 0x1000, fatbin.size(), fatbin});
  spec.sections.push_back({".rodata", 1, 0x1000 + 8, 64, {}});
  ASSERT_TRUE(write_elf_file(path, spec));
  const ScanReport report = scan_path(path);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u) << all_problems(report);
  EXPECT_TRUE(has(report.problems[0], "overlaps section 2 (.rodata, offset 0x1008, size 0x40)")) << report.problems[0];
}

TEST(LargeFileTest, OnlyRegularFilesAreOpened) {
  Result<std::unique_ptr<FileSource>> missing = FileSource::open("/nonexistent/devbin.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(has(missing.status().message(), "cannot open '/nonexistent/devbin.so': No such file or directory"));
  Result<std::unique_ptr<FileSource>> device = FileSource::open("/dev/zero");
  ASSERT_FALSE(device.ok());
  EXPECT_TRUE(has(device.status().message(), "'/dev/zero' is a character device; expected a regular file"));
}

// The same bytes give the same report from a file as from memory.
TEST(LargeFileTest, FileAndMemoryScansAgree) {
  ScratchDir dir("devbin_large_file");
  for (const std::string& name : data_file_names()) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = read_data_file(name);
    const ScanReport memory = scan_gpu_binary(bytes);
    const ScanReport file = scan_path(std::filesystem::path(DEVBIN_OFFLOAD_DATA_DIR) / name);
    EXPECT_EQ(memory.containers, file.containers);
    EXPECT_EQ(memory.problems, file.problems);
    ASSERT_EQ(memory.code_objects.size(), file.code_objects.size());
    for (size_t i = 0; i < memory.code_objects.size(); ++i) {
      EXPECT_EQ(memory.code_objects[i].location, file.code_objects[i].location);
      EXPECT_EQ(memory.code_objects[i].kernels, file.code_objects[i].kernels);
      EXPECT_EQ(memory.code_objects[i].note, file.code_objects[i].note);
    }
  }
}

// A code object over the object limit is listed from its container's header,
// its kernels unread.
TEST(LargeFileTest, CodeObjectOverTheLimitIsListedUnread) {
  const std::vector<uint8_t> bytes = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  ScanOptions options;
  options.object_limit = 4096;
  const ScanReport report = scan_gpu_binary(bytes, options);
  ASSERT_EQ(report.code_objects.size(), 3u);
  EXPECT_EQ(report.code_objects[0].target, "sm_80");
  EXPECT_FALSE(report.code_objects[0].kernels_known);
  EXPECT_TRUE(has(report.code_objects[0].note, "the payload is 4712 bytes: more than the 4096 bytes devbin reads of "
                                               "one code object or container; its kernels are not listed"))
      << report.code_objects[0].note;
  EXPECT_TRUE(report.code_objects[1].kernels_known) << report.code_objects[1].note;  // 413 bytes stored, 1004 decompressed
}

}  // namespace
}  // namespace devbin::offload
