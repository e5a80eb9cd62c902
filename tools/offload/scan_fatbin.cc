// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The scan's CUDA fat binaries (scanner.h): each entry listed from its
// header, and read (decompressed, described) on the EntryReader's threads
// only where the report needs its bytes; entries join the report in scan
// order.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "devbin_internal/elf.h"
#include "devbin_internal/text.h"
#include "fatbin.h"
#include "scanner.h"

namespace devbin::offload {

uint64_t Scanner::scan_fatbin(const Region& rest, const std::string& where) {
  Result<std::span<const uint8_t>> head = rest.header_up_to(0, kFatbinHeaderSize);
  if (!head.ok()) return unreadable(head.status(), where);
  const Result<uint64_t> size = parse_fatbin_header(*head, rest.size);
  if (readable(size, where) == nullptr) return 0;
  // Every entry header first: a fat binary whose entries cannot be walked
  // is unreadable as a whole, as parse_fatbin has it.
  std::vector<FatbinEntry> entries;
  for (uint64_t position = kFatbinHeaderSize; position < *size;) {
    Result<std::span<const uint8_t>> bytes =
        rest.header_up_to(position, std::min(kFatbinEntryMinHeaderSize, *size - position));
    if (!bytes.ok()) return unreadable(bytes.status(), where);
    Result<FatbinEntry> entry = parse_fatbin_entry(*bytes, position, *size, entries.size());
    if (readable(entry, where) == nullptr) return 0;
    position = entry->end;
    entries.push_back(*entry);
  }
  report_.containers.push_back(where + ": CUDA fat binary, " + number(entries.size()) + " entries");
  for (size_t i = 0; i < entries.size() && room_for_code_object(); ++i) {
    scan_fatbin_entry(rest, entries[i], where + ": fat binary entry " + number(i));
  }
  return *size;
}

void Scanner::scan_fatbin_entry(const Region& fatbin, const FatbinEntry& entry, const std::string& where) {
  const bool ptx = entry.kind == kFatbinKindPtx;
  const std::string target = (ptx ? "compute_" : "sm_") + number(entry.sm);
  const std::string location = where + " (" + target + ")";
  if (entry.kind != kFatbinKindPtx && entry.kind != kFatbinKindCubin) {
    report_.problems.push_back(location + ": entry kind " + number(entry.kind) +
                               " is neither PTX (1) nor a cubin (2); not listed");
    return;
  }
  FoundCodeObject found;
  found.location = location;
  found.vendor = Vendor::kNvidia;
  found.target = target;
  found.format = ptx ? "ptx" : "cuda-cubin";
  found.fatbin_flags = entry.flags;
  if (ptx) found.ptx_version = number(entry.code_version_major) + "." + number(entry.code_version_minor);
  found.stored_size = entry.payload_size;
  found.size = entry.uncompressed_size;
  found.compression =
      entry.compression == FatbinCompression::kNone ? "" : std::string(fatbin_compression_name(entry.compression));
  // The payload is read and decoded on a worker (entry_reader.h); the scan
  // goes on, and takes the results back in order (drain_front). The
  // decompression budget is charged here, in scan order, as if each were
  // decompressed now.
  auto task = std::make_shared<EntryTask>();
  task->fatbin = fatbin;
  task->entry = entry;
  task->whole = read_whole(entry);
  task->object_limit = options_.object_limit;
  task->decompress_limit = std::min(budget_, options_.object_limit);
  if (entry.compression != FatbinCompression::kNone && entry.payload_size <= options_.object_limit) {
    charge(entry.uncompressed_size);
  }
  pending_.push_back(Pending{std::move(found), task, nvlink_input_});
  reader_.submit(task);
  const size_t window = std::max<size_t>(8, size_t{4} * reader_.threads());
  while (pending_.size() > window) drain_front();
}

bool Scanner::read_whole(const FatbinEntry& entry) {
  if (options_.read_every_entry || entry.kind != kFatbinKindCubin) return true;
  const std::vector<uint32_t>& majors = options_.nvidia_majors;
  if (std::find(majors.begin(), majors.end(), entry.sm / 10) != majors.end()) return true;
  size_t& seen = whole_per_sm_[{entry.sm, (entry.flags & kFatbinFlagArchSpecific) != 0, nvlink_input_}];
  return seen++ < options_.whole_entries_per_sm;
}

void Scanner::drain_front() {
  Pending& pending = pending_.front();
  reader_.wait(*pending.task);
  const EntryTask& task = *pending.task;
  FoundCodeObject found = std::move(pending.found);
  if (!task.note.empty()) {
    found.note = task.note;
    if (task.unreadable) found.loadable = false;
  } else if (task.decoded_ok) {
    describer_.describe(found, task.decoded);
    if (task.decoded.header_only) {
      ++report_.header_only;
    } else if (task.decoded.info.ok() && !arch_flag_agrees(*task.decoded.info, task.entry.flags)) {
      arch_flag_disagrees_ = true;
    }
  }
  const bool nvlink_input = pending.nvlink_input;
  pending_.pop_front();
  add_fatbin_entry(std::move(found), nvlink_input);
}

void Scanner::flush() {
  while (!pending_.empty()) drain_front();
}

void Scanner::add_fatbin_entry(FoundCodeObject found, bool nvlink_input) {
  if (nvlink_input && !found.needs_link) {
    found.loadable = false;
    found.needs_link = true;
    found.note = "relocatable device code (nvcc -rdc) in __nv_relfatbin: input to nvlink when the program is "
                 "linked; no driver loads it" +
                 (found.note.empty() ? "" : "; " + found.note);
  }
  report_.code_objects.push_back(std::move(found));
}

}  // namespace devbin::offload
