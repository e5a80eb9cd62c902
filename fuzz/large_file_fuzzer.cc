// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The doctor's reading of files of any size (tools/offload/source.h,
// host_elf.h, the scan over a FileSource): the input becomes a file in
// memory (memfd) with a hole in it, its head at the start and its tail after
// the hole, so section offsets and sizes may point anywhere in up to 64 MiB
// that costs nothing. Input: u8 where the head ends (in 256ths of the rest),
// u16 the hole in KiB, then the bytes.
// Properties beyond "no crash": the file scan says what it found or why not,
// errors explain themselves, and for holes of at most 1 MiB the scan of the
// same bytes in memory (scan_gpu_binary) gives the same report.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/offload_fuzz.h"
#include "host_elf.h"
#include "scan.h"
#include "source.h"

namespace {

bool write_all(int fd, std::span<const uint8_t> bytes, uint64_t offset) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string signature(const devbin::offload::ScanReport& report) {
  std::string out;
  for (const std::string& container : report.containers) out += container + "\n";
  for (const devbin::offload::FoundCodeObject& code : report.code_objects) {
    out += code.location + "|" + code.target + "|" + code.format + "|" + std::to_string(code.size) + "|" +
           std::to_string(code.kernel_count) + "|" + code.note + "\n";
  }
  for (const std::string& problem : report.problems) out += problem + "\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const std::span<const uint8_t> rest(data + 3, size - 3);
  const size_t head_size = rest.size() * data[0] / 256;
  const uint64_t hole = (uint64_t{data[1]} | (uint64_t{data[2]} << 8)) << 10;  // up to 64 MiB
  static const int fd = ::memfd_create("devbin_large_file_fuzzer", MFD_CLOEXEC);
  DEVBIN_FUZZ_CHECK(fd >= 0, "memfd_create failed");
  const std::span<const uint8_t> head = rest.first(head_size);
  const std::span<const uint8_t> tail = rest.subspan(head_size);
  const uint64_t file_size = head.size() + hole + tail.size();
  DEVBIN_FUZZ_CHECK(::ftruncate(fd, 0) == 0 && ::ftruncate(fd, static_cast<off_t>(file_size)) == 0, "ftruncate");
  DEVBIN_FUZZ_CHECK(write_all(fd, head, 0) && write_all(fd, tail, head.size() + hole), "pwrite");

  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  devbin::Result<std::unique_ptr<devbin::offload::FileSource>> source = devbin::offload::FileSource::open(path);
  DEVBIN_FUZZ_CHECK(source.ok(), source.status().message());
  DEVBIN_FUZZ_CHECK((*source)->size() == file_size, "the source's size is not the file's");

  const devbin::Result<devbin::offload::ElfSections> sections = devbin::offload::read_elf_sections(**source);
  if (!sections.ok() && (**source).size() >= 4) {
    // Not an ELF file is fine; an ELF error must explain itself.
    devbin::fuzz::check_error(sections.status());
  }

  devbin::offload::ScanOptions options;
  options.decompressed_limit = devbin::fuzz::kDecompressLimit;
  // One input in eight (by its size) is also read by a worker thread: starting
  // a thread for every input would spend most of each execution on the
  // thread's stack; the threads' own property is check_scan's (offload_fuzz.h).
  options.threads = size % 8 == 0 ? 2 : 1;
  options.object_limit = devbin::fuzz::kDecompressLimit;
  const devbin::offload::ScanReport from_file = devbin::offload::scan_gpu_source(**source, options);
  DEVBIN_FUZZ_CHECK(!from_file.code_objects.empty() || !from_file.problems.empty(),
                    "a file scan found nothing and said nothing");
  for (const std::string& problem : from_file.problems) DEVBIN_FUZZ_CHECK(!problem.empty(), "an empty problem");

  if (hole <= (uint64_t{1} << 20)) {
    // The same bytes in memory: one buffer kept zero between inputs, so only
    // the head and the tail are written (and cleared again), not the hole.
    static std::vector<uint8_t>& zeros = *new std::vector<uint8_t>();
    if (zeros.size() < file_size) zeros.resize(file_size, 0);
    const auto tail_at = zeros.begin() + static_cast<std::ptrdiff_t>(head.size() + hole);
    std::copy(head.begin(), head.end(), zeros.begin());
    std::copy(tail.begin(), tail.end(), tail_at);
    const std::span<const uint8_t> whole(zeros.data(), file_size);
    devbin::offload::MemorySource memory(whole, "'" + path + "'");  // named as the file, so messages match
    const devbin::offload::ScanReport from_memory = devbin::offload::scan_gpu_source(memory, options);
    std::fill(zeros.begin(), zeros.begin() + static_cast<std::ptrdiff_t>(head.size()), 0);
    std::fill(tail_at, tail_at + static_cast<std::ptrdiff_t>(tail.size()), 0);
    DEVBIN_FUZZ_CHECK(signature(from_file) == signature(from_memory),
                      "file and memory scans differ:\n" + signature(from_file) + "---\n" + signature(from_memory));
  }
  return 0;
}
