// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "entry_reader.h"

#include <sched.h>

#include <algorithm>

#include "bytes.h"

namespace devbin::offload {
namespace {

constexpr unsigned kMaxThreads = 16;       // chosen from the CPUs
constexpr unsigned kMaxAskedThreads = 64;  // asked for
// Stored bytes read first for a header: an LZ4 block's first sequences, a
// zstd frame's header (at most 18 bytes) and its first block's header, and
// often the block; a zstd first block that ends past them is read next, at
// most 128 KiB.
constexpr uint64_t kPrefixRead = 4096;
constexpr uint64_t kZstdPrefixRead = (uint64_t{128} << 10) + 64;
// What decompressing a prefix writes: an LZ4 block's first bytes, a zstd
// frame's first block (at most 128 KiB) and the bytes asked for.
constexpr uint64_t kZstdPrefixOutput = (uint64_t{128} << 10) + elf::kHeaderSize;
// The buffers the workers keep between tasks, all together (entry_reader.h).
constexpr uint64_t kKeptByAll = uint64_t{16} << 20;

unsigned usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

uint64_t prefix_read(const FatbinEntry& entry) {
  switch (entry.compression) {
    case FatbinCompression::kNone: return std::min<uint64_t>(entry.payload_size, elf::kHeaderSize);
    case FatbinCompression::kLz4: return std::min(entry.payload_size, kPrefixRead);
    case FatbinCompression::kZstd: return std::min(entry.payload_size, kZstdPrefixRead);  // at most
  }
  return entry.payload_size;
}

Codec codec_of(const FatbinEntry& entry) {
  return entry.compression == FatbinCompression::kZstd ? Codec::kZstd : Codec::kLz4;
}

// The ELF header alone, from the payload's first bytes; false when it must be
// read whole (the header is no cubin's, the bytes do not decompress).
bool read_header_only(EntryTask& task, PageBuffer& scratch, Decompressor& decompressor) {
  const FatbinEntry& entry = task.entry;
  if (entry.payload_size > task.object_limit) return false;
  if (entry.compression != FatbinCompression::kNone && entry.uncompressed_size > task.decompress_limit) return false;
  const uint64_t first = std::min(entry.payload_size, entry.compression == FatbinCompression::kNone
                                                         ? elf::kHeaderSize
                                                         : kPrefixRead);
  Result<std::span<const uint8_t>> stored = task.fatbin.read_into(entry.payload_offset, first, scratch);
  if (!stored.ok()) return false;
  if (entry.compression == FatbinCompression::kZstd) {
    const std::optional<uint64_t> end = zstd_first_block_end(*stored);
    if (!end || *end > prefix_read(entry)) return false;
    if (*end > stored->size()) {
      stored = task.fatbin.read_into(entry.payload_offset, *end, scratch);
      if (!stored.ok()) return false;
    }
  }
  std::span<const uint8_t> header = *stored;
  if (entry.compression != FatbinCompression::kNone) {
    Result<std::span<const uint8_t>> out =
        decompressor.decompress_prefix(codec_of(entry), *stored, entry.uncompressed_size, elf::kHeaderSize);
    if (!out.ok()) return false;
    header = *out;
  }
  std::optional<Decoded> decoded = decode_cubin_header(header, entry.uncompressed_size, entry.flags);
  if (!decoded) return false;
  task.decoded = std::move(*decoded);
  task.decoded_ok = true;
  return true;
}

void read_whole(EntryTask& task, PageBuffer& scratch, Decompressor& decompressor) {
  const FatbinEntry& entry = task.entry;
  Status size = check_object_size("the payload", entry.payload_size, task.object_limit);
  Result<std::span<const uint8_t>> stored =
      size.ok() ? task.fatbin.read_into(entry.payload_offset, entry.payload_size, scratch)
                : Result<std::span<const uint8_t>>(size);
  if (!stored.ok()) {
    task.note = stored.status().message() + "; its kernels are not listed";
    return;
  }
  if (entry.compression == FatbinCompression::kNone) {
    task.decoded = decode_code_object(*stored);
    task.decoded_ok = true;
    return;
  }
  Result<std::span<const uint8_t>> out =
      decompressor.decompress(codec_of(entry), *stored, entry.uncompressed_size, task.decompress_limit);
  if (!out.ok()) {
    task.note = "compressed payload unreadable: " + out.status().message();
    task.unreadable = true;
    return;
  }
  task.decoded = decode_code_object(*out);
  task.decoded_ok = true;
}

}  // namespace

Status check_object_size(const std::string& what, uint64_t count, uint64_t limit) {
  if (count <= limit) return Status::Ok();
  return failed_precondition(what + " is " + number(count) + " bytes: more than the " + number(limit) +
                             " bytes devbin reads of one code object or container");
}

EntryReader::EntryReader(unsigned threads, uint64_t memory_budget)
    : threads_(threads == 0 ? std::min(usable_cpus(), kMaxThreads) : std::min(threads, kMaxAskedThreads)),
      memory_budget_(memory_budget) {}

EntryReader::~EntryReader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

uint64_t EntryReader::charge(const EntryTask& task) const {
  const FatbinEntry& entry = task.entry;
  if (!task.whole) {
    return prefix_read(entry) + (entry.compression == FatbinCompression::kZstd
                                     ? std::min(entry.uncompressed_size, kZstdPrefixOutput)
                                     : elf::kHeaderSize);
  }
  return std::min(entry.payload_size, task.object_limit) +
         (entry.compression == FatbinCompression::kNone ? 0
                                                        : std::min(entry.uncompressed_size, task.decompress_limit));
}

void EntryReader::run(EntryTask& task, Worker& worker) {
  if (!task.whole) {
    if (read_header_only(task, worker.scratch, worker.decompressor)) return;
    task.whole = true;
  }
  read_whole(task, worker.scratch, worker.decompressor);
}

void EntryReader::submit(const std::shared_ptr<EntryTask>& task) {
  if (threads_ <= 1) {
    run(*task, inline_worker_);
    task->done = true;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Threads start as work outgrows them: a scan of one entry starts one.
    if (idle_ == 0 && workers_.size() < threads_) workers_.emplace_back([this] { work(); });
    queue_.push_back(task);
  }
  work_ready_.notify_one();
}

void EntryReader::wait(const EntryTask& task) {
  if (threads_ <= 1) return;
  std::unique_lock<std::mutex> lock(mutex_);
  awaited_ = &task;
  task_done_.wait(lock, [&] { return task.done; });
  awaited_ = nullptr;
}

void EntryReader::work() {
  Worker worker;
  const uint64_t keep = std::min(memory_budget_, kKeptByAll) / threads_;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) return;  // stopping, nothing left
    const std::shared_ptr<EntryTask> task = std::move(queue_.front());
    queue_.pop_front();
    // A task reads only once its bytes fit the budget beside the others'; one
    // larger than the whole budget waits until it runs alone. A header-only
    // task that turns out to need the whole payload gives its share back and
    // asks again for the larger one.
    for (bool whole = task->whole;;) {
      const uint64_t cost = charge(*task);
      const auto fits = [&] { return memory_in_use_ == 0 || memory_in_use_ + cost <= memory_budget_; };
      if (!fits()) {
        ++memory_waiters_;
        memory_freed_.wait(lock, fits);
        --memory_waiters_;
      }
      memory_in_use_ += cost;
      lock.unlock();
      if (whole) {
        read_whole(*task, worker.scratch, worker.decompressor);
      } else {
        if (!read_header_only(*task, worker.scratch, worker.decompressor)) task->whole = true;
      }
      if (worker.decompressor.held() + worker.scratch.held() > keep) {
        worker.decompressor.release();
        worker.scratch.release();
      }
      lock.lock();
      memory_in_use_ -= cost;
      if (memory_waiters_ != 0) memory_freed_.notify_all();
      if (whole || !task->whole) break;
      whole = true;
    }
    task->done = true;
    if (awaited_ == task.get()) task_done_.notify_one();
  }
}

}  // namespace devbin::offload
