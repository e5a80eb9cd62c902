// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// CUDA fat binary entries read and decoded on worker threads: a library of
// thousands of compressed cubins spends its scan decompressing them. The
// scan hands each entry over as a task, in order, and takes the results back
// in the same order (scan.cc), so the report does not depend on timing.
//
// Memory: the payloads and decompressed bytes of the tasks being worked on
// stay under `memory_budget` together (a task larger than it runs alone), and
// the workers keep at most 16 MiB of buffers between tasks, all together
// (PageBuffer: released, they go back to the system). So the workers hold at
// most the budget and 16 MiB, or one code object as stored and decompressed
// and 16 MiB.
#ifndef DEVBIN_TOOLS_OFFLOAD_ENTRY_READER_H_
#define DEVBIN_TOOLS_OFFLOAD_ENTRY_READER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "decompress.h"
#include "describe.h"
#include "fatbin.h"
#include "source.h"

namespace devbin::offload {

// "the payload is 52428800 bytes: more than the 50331648 bytes devbin reads
// of one code object or container" when `count` is over `limit`.
Status check_object_size(const std::string& what, uint64_t count, uint64_t limit);

struct EntryTask {
  // What to read, set by the scan: the entry's payload in `fatbin` (whose
  // source must outlive the task), read whole or, where `whole` is false,
  // only as far as its ELF header (a cubin whose target no verdict asked
  // about). A header that is not a cubin's, or a payload whose first bytes
  // do not decompress, is then read whole after all, as if asked.
  Region fatbin;
  FatbinEntry entry;
  bool whole = true;
  uint64_t object_limit = 0;      // ScanOptions::object_limit
  uint64_t decompress_limit = 0;  // what the scan's decompression budget left it

  // The outcome, once done.
  std::string note;         // the payload could not be read (or decompressed: then `unreadable`)
  bool unreadable = false;  // the compressed payload did not decompress: not loadable
  bool decoded_ok = false;  // `decoded` holds what the bytes say
  Decoded decoded;
  bool done = false;  // guarded by the reader's mutex
};

class EntryReader {
 public:
  // `threads` 0: the CPUs this process may run on, at most 16; 1: every
  // task runs on the calling thread, in submit(); at most 64.
  EntryReader(unsigned threads, uint64_t memory_budget);
  ~EntryReader();
  EntryReader(const EntryReader&) = delete;
  EntryReader& operator=(const EntryReader&) = delete;

  unsigned threads() const { return threads_; }
  void submit(const std::shared_ptr<EntryTask>& task);
  // Returns once `task` is done.
  void wait(const EntryTask& task);

 private:
  struct Worker {
    Decompressor decompressor;
    PageBuffer scratch;
  };
  void run(EntryTask& task, Worker& worker);
  void work();
  uint64_t charge(const EntryTask& task) const;

  unsigned threads_;
  uint64_t memory_budget_;
  std::mutex mutex_;
  std::condition_variable work_ready_;  // a task queued, or stopping
  std::condition_variable task_done_;
  std::condition_variable memory_freed_;
  std::deque<std::shared_ptr<EntryTask>> queue_;
  uint64_t memory_in_use_ = 0;
  unsigned memory_waiters_ = 0;
  unsigned idle_ = 0;  // workers waiting for a task
  const EntryTask* awaited_ = nullptr;  // the task wait() waits for
  bool stopping_ = false;
  std::vector<std::thread> workers_;  // started by submit(), up to threads_
  Worker inline_worker_;              // threads == 1
};

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_ENTRY_READER_H_
