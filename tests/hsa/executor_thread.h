// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The stand-in's "GPU": one thread for the whole process that runs every
// queue's kernels, one at a time. Both executors keep per-thread state there
// that must outlive any queue: the host launcher's wavefront cache (16 MiB of
// fiber stacks), the emulator's embedded Python interpreter.
#ifndef DEVBIN_TESTS_HSA_EXECUTOR_THREAD_H_
#define DEVBIN_TESTS_HSA_EXECUTOR_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace devbin::hsa::stand_in {

class ExecutorThread {
 public:
  // Never destroyed: its thread runs until the process exits.
  static ExecutorThread& instance() {
    static ExecutorThread* executor = new ExecutorThread();
    return *executor;
  }

  // Runs `job` on the executor thread and returns when it has finished;
  // callers from several queues take turns.
  void run(const std::function<void()>& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return job_ == nullptr; });
    job_ = &job;
    done_ = false;
    changed_.notify_all();
    changed_.wait(lock, [&] { return done_; });
    job_ = nullptr;
    changed_.notify_all();
  }

 private:
  ExecutorThread() {
    std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (true) {
        changed_.wait(lock, [&] { return job_ != nullptr && !done_; });
        const std::function<void()>* job = job_;
        lock.unlock();
        (*job)();
        lock.lock();
        done_ = true;
        changed_.notify_all();
      }
    }).detach();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* job_ = nullptr;
  bool done_ = true;
};

}  // namespace devbin::hsa::stand_in

#endif  // DEVBIN_TESTS_HSA_EXECUTOR_THREAD_H_
