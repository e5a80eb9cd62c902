// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The doctor's scan (scan.h) as one object: it walks a file's containers
// (scan.cc: ELF files, container sequences, offload bundles, offload
// binaries; scan_fatbin.cc: CUDA fat binaries and their entries, read on
// the EntryReader's threads), lists every code object in the report in scan
// order, and charges every decompression against one budget.
#ifndef DEVBIN_TOOLS_OFFLOAD_SCANNER_H_
#define DEVBIN_TOOLS_OFFLOAD_SCANNER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bytes.h"
#include "decompress.h"
#include "describe.h"
#include "entry_reader.h"
#include "fatbin.h"
#include "scan.h"
#include "source.h"

namespace devbin::offload {

class Scanner {
 public:
  explicit Scanner(const ScanOptions& options)
      : options_(options),
        budget_(options.decompressed_limit),
        describer_(options.kernel_name_limit),
        reader_(options.threads, options.memory_budget) {}

  ScanReport take() {
    flush();
    return std::move(report_);
  }
  // Whether a cubin read whole had another suffix than its entry's flag and
  // ELF header predict (ScanOptions::read_every_entry).
  bool arch_flag_disagrees() const { return arch_flag_disagrees_; }

  // A whole file: an ELF (host or device), a container sequence, or a bare code object.
  void scan_file(ByteSource& source);

 private:
  void scan_host_elf(ByteSource& source);

  void scan_bundle_section(const Region& region, const std::string& name);

  // Containers one after another (a section may hold several, each padded
  // with zeros): each is parsed, then scanning goes on after it.
  void scan_sequence(const Region& bytes, const std::string& where, int depth);

  // The container `parsed` when it is readable; else nullptr, its error kept
  // as a problem found at `where`.
  template <class T>
  const T* readable(const Result<T>& parsed, const std::string& where) {
    if (parsed.ok()) return &parsed.value();
    report_.problems.push_back(where + ": " + parsed.status().message());
    return nullptr;
  }

  // A container that cannot be read: its size is not known (0).
  uint64_t unreadable(const Status& status, const std::string& where);

  // `count` bytes at `at` of `region`, refused past the object limit.
  Result<Bytes> read_limited(const Region& region, uint64_t at, uint64_t count, const std::string& what);

  uint64_t scan_bundle(const Region& bytes, const std::string& where, const std::string& compression, int depth);

  uint64_t scan_compressed_bundle(const Region& rest, const std::string& where, int depth);

  uint64_t scan_fatbin(const Region& rest, const std::string& where);

  void scan_fatbin_entry(const Region& fatbin, const FatbinEntry& entry, const std::string& where);

  // Whether a cubin entry is read whole (ScanOptions::read_every_entry).
  bool read_whole(const FatbinEntry& entry);

  // The oldest entry handed to the reader, once done, into the report.
  void drain_front();

  // Every entry handed to the reader, into the report: before a code object
  // is added here, and before the bytes the entries are read from go.
  void flush();

  void add_fatbin_entry(FoundCodeObject found, bool nvlink_input);

  uint64_t scan_offload_binary(const Region& rest, const std::string& where, int depth);

  // The code object that fills `region`, read and described.
  void add_code_object(const Region& region, const std::string& location, Vendor vendor, std::string target,
                       const std::string& compression);

  // Decompresses against what is left of the scan's budget (into an owned
  // buffer here; fat binary entries use their reader's), charged for
  // every attempt, failed or not: a file of many compressed payloads, valid
  // or corrupt, cannot make it allocate or decompress without bound. One
  // payload decompresses to at most the object limit.
  Result<std::vector<uint8_t>> decompress_within_budget(Codec codec, std::span<const uint8_t> payload,
                                                        uint64_t expected_size);
  void charge(uint64_t expected_size);

  // Whether another code object may be listed; the first refusal is a problem.
  bool room_for_code_object();

  const ScanOptions options_;
  bool full_ = false;
  bool nvlink_input_ = false;  // scanning __nv_relfatbin
  uint64_t budget_;
  Describer describer_;
  ScanReport report_;
  bool arch_flag_disagrees_ = false;
  // Cubins read whole so far, by SM, arch-specific flag and section (__nv_relfatbin or not).
  std::map<std::tuple<uint32_t, bool, bool>, size_t> whole_per_sm_;
  struct Pending {
    FoundCodeObject found;  // what the entry header gave
    std::shared_ptr<EntryTask> task;
    bool nvlink_input = false;
  };
  EntryReader reader_;
  std::deque<Pending> pending_;  // handed to reader_, not yet in report_, in scan order
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_SCANNER_H_
