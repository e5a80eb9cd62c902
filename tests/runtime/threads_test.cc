// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The thread-safety contract of devbin/cuda.h and devbin/hsa.h ("Threads:"),
// exercised from many threads at once: opening devices (the same agent or
// ordinal and different ones), enqueueing on a queue or stream of each
// thread's own, enqueueing on one shared queue or stream, allocating and
// freeing, synchronous copies, and selection over the embedded TOC.
//
// The HSA backend runs against its test stand-in (tests/hsa/stand_in_runtime.cc
// with the host build of the kernels), so every result is checked. The CUDA
// stand-in driver (tests/cuda/stand_in_driver.c) runs nothing: there the test checks
// the backend's control paths (each call finds the device's context current on
// its own thread, and leaves the thread's own context as it was) and that
// nothing is lost. scripts/tsan.sh runs this under ThreadSanitizer.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "devbin/select.h"
#include "devbin/toc.h"
#include "hsa/api.h"
#include "tests/cuda/test_env.h"
#include "tests/runtime/stand_ins.h"

namespace devbin {
namespace {

using ::devbin::testing::ScopedEnv;

constexpr int kThreads = 8;

// A Status-returning call that must succeed; the Status is printed when it does not.
#define DEVBIN_ASSERT_OK(call)                                          \
  do {                                                                  \
    const ::devbin::Status status_ = (call);                            \
    ASSERT_TRUE(status_.ok()) << #call << ": " << status_.to_string(); \
  } while (0)

// Runs body(thread) on kThreads threads, released together so their calls overlap.
template <typename Body>
void run_threads(Body body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      body(t);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go.store(true);
  for (std::thread& thread : threads) thread.join();
}

// A lost packet or a wait that never ends must fail the test, not hang it.
class Watchdog {
 public:
  explicit Watchdog(const char* what, std::chrono::seconds limit = std::chrono::seconds(240))
      : thread_([this, what, limit] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_changed_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "threads_test: %s did not finish in %lld s (a lost packet or a hung wait)\n", what,
                         static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_changed_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread thread_;
};

using ::devbin::testing::stand_in_hsa_runtime_path;
using ::devbin::testing::stand_in_driver_path;

// The byte pattern of operation `op` of thread `thread`: distinct per operation.
uint8_t byte_of(int thread, int op) { return static_cast<uint8_t>(1 + thread * 31 + op * 7); }

//===----------------------------------------------------------------------===//
// HSA
//===----------------------------------------------------------------------===//

class HsaThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    runtime_ = stand_in_hsa_runtime_path(&why);
    if (runtime_.empty()) GTEST_SKIP() << "no HSA runtime stand-in: " << why;
    // Set before any thread starts: the environment is read, never written, from here on.
    path_.emplace(hsa::kRuntimePathEnv, runtime_);
    agents_.emplace("DEVBIN_STAND_IN_HSA_AGENTS", "gfx1100,gfx90a:xnack-");
    override_.emplace(kTargetOverrideEnv, std::nullopt);
  }

  // `length` bytes at `address`, read back.
  static std::vector<uint8_t> read(const hsa::Device& device, DevicePtr address, size_t length) {
    std::vector<uint8_t> bytes(length);
    Status status = device.copy_to_host(bytes.data(), address, length);
    EXPECT_TRUE(status.ok()) << status.to_string();
    return bytes;
  }

  std::string runtime_;
  std::optional<ScopedEnv> path_, agents_, override_;
};

// Every thread opens agent (thread % 2) kOpens times, all at once, and uses
// each device it opened: the same agent from four threads, two agents side by side.
TEST_F(HsaThreads, DevicesOpenFromManyThreadsAtOnce) {
  constexpr int kOpens = 4;
  const std::array<std::string, 2> entries = {"amdgcn-amd-amdhsa--gfx11-generic.so", "amdgcn-amd-amdhsa--gfx90a.so"};
  Watchdog watchdog("HSA opens");
  run_threads([&](int t) {
    const int index = t % 2;
    std::vector<std::unique_ptr<hsa::Device>> devices;
    for (int i = 0; i < kOpens; ++i) {
      DeviceReport report;
      auto device = hsa::Device::open(index, {}, &report);
      ASSERT_TRUE(device.ok()) << "thread " << t << ": " << device.status().to_string();
      EXPECT_EQ(report.selection.entry, entries[index]);
      EXPECT_EQ((*device)->properties().ordinal, index);
      devices.push_back(std::move(device).value());
    }
    // Each is a device of its own that works.
    for (size_t i = 0; i < devices.size(); ++i) {
      hsa::Device& device = *devices[i];
      auto queue = device.create_queue(64);
      auto buffer = device.allocate(256);
      ASSERT_TRUE(queue.ok() && buffer.ok());
      const uint8_t value = byte_of(t, static_cast<int>(i));
      DEVBIN_ASSERT_OK(device.fill(**queue, buffer->address(), 256, {&value, 1}));
      DEVBIN_ASSERT_OK((*queue)->synchronize());
      EXPECT_EQ(read(device, buffer->address(), 256), std::vector<uint8_t>(256, value)) << "thread " << t;
    }
  });
}

// One device; every thread its own queue (64 packets: it wraps), its own
// buffers, allocated and freed each round: fills of every pattern width,
// misaligned copies, each result read back.
TEST_F(HsaThreads, EachThreadEnqueuesOnItsOwnQueue) {
  constexpr int kOps = 48;
  auto device_or = hsa::Device::open(0);
  ASSERT_TRUE(device_or.ok()) << device_or.status().to_string();
  const hsa::Device& device = *device_or.value();
  Watchdog watchdog("HSA own queues");
  run_threads([&](int t) {
    auto queue_or = device.create_queue(64);
    ASSERT_TRUE(queue_or.ok()) << queue_or.status().to_string();
    hsa::Queue& queue = *queue_or.value();
    for (int i = 0; i < kOps; ++i) {
      const uint64_t bytes = 1024 + 16 * static_cast<uint64_t>(t + i);
      auto source = device.allocate(bytes);
      auto target = device.allocate(bytes);
      ASSERT_TRUE(source.ok() && target.ok());
      const size_t width = size_t{1} << (i % 5);  // 1, 2, 4, 8, 16
      std::array<uint8_t, 16> pattern{};
      for (size_t k = 0; k < width; ++k) pattern[k] = static_cast<uint8_t>(byte_of(t, i) + k);
      const uint64_t offset = static_cast<uint64_t>(i % 13);
      DEVBIN_ASSERT_OK(device.fill(queue, source->address(), bytes, {pattern.data(), width}));
      DEVBIN_ASSERT_OK(device.fill(queue, target->address(), bytes, {pattern.data(), 1}));
      DEVBIN_ASSERT_OK(device.copy(queue, target->address() + offset, source->address(), bytes - 2 * offset));
      Status synced = queue.synchronize();
      ASSERT_TRUE(synced.ok()) << synced.to_string();
      const std::vector<uint8_t> result = read(device, target->address(), bytes);
      for (uint64_t k = 0; k < bytes; ++k) {
        const uint8_t expected = k < offset || k >= bytes - offset ? pattern[0] : pattern[(k - offset) % width];
        ASSERT_EQ(result[k], expected) << "thread " << t << ", op " << i << ", byte " << k;
      }
    }
  });
}

// One queue of 64 packets for all threads: each enqueues kOps fills (every
// eighth an indirect dispatch: three packets that must stay together), each
// followed by a copy of what it filled. The queue runs packets in order, so
// every copy sees its own thread's fill whatever the other threads put in
// between. Each thread synchronizes while the others still enqueue and checks
// its results; then every result is checked again.
TEST_F(HsaThreads, AllThreadsEnqueueOnOneQueue) {
  constexpr int kOps = 160;
  constexpr uint64_t kBlock = 96;
  constexpr int kRegions = kThreads * kOps;
  auto device_or = hsa::Device::open(0);
  ASSERT_TRUE(device_or.ok()) << device_or.status().to_string();
  const hsa::Device& device = *device_or.value();
  auto queue_or = device.create_queue(64);
  ASSERT_TRUE(queue_or.ok());
  hsa::Queue& queue = *queue_or.value();
  auto source = device.allocate(kRegions * kBlock);
  auto target = device.allocate(kRegions * kBlock);
  // Indirect dispatches: workgroup counts at 0, each one's kernargs in a slot of its own.
  constexpr uint64_t kKernargSlot = 128;
  auto control = device.allocate(256 + kRegions * kKernargSlot, hsa::MemoryKind::kHost);
  ASSERT_TRUE(source.ok() && target.ok() && control.ok());
  uint8_t* host = static_cast<uint8_t*>(control->host_pointer());
  const uint32_t counts[3] = {1, 1, 1};
  std::memcpy(host, counts, sizeof(counts));
  const KernelInfo* fill = device.code_object().find_kernel("devbin_fill");
  ASSERT_NE(fill, nullptr);
  ASSERT_LE(fill->kernarg_segment_size, kKernargSlot);

  Watchdog watchdog("HSA shared queue");
  run_threads([&](int t) {
    for (int i = 0; i < kOps; ++i) {
      const int region = t * kOps + i;
      const DevicePtr from = source->address() + region * kBlock;
      const DevicePtr to = target->address() + region * kBlock;
      const uint8_t value = byte_of(t, i);
      if (i % 8 == 7) {
        auto args = make_fill_args(from, kBlock, {&value, 1});
        ASSERT_TRUE(args.ok());
        uint8_t* kernargs = host + 256 + region * kKernargSlot;
        ASSERT_TRUE(hsa::write_kernargs({kernargs, fill->kernarg_segment_size}, *fill,
                                   {reinterpret_cast<const uint8_t*>(&args.value()), sizeof(devbin_fill_args_t)},
                                   hsa::linear_geometry(1, 32))
                        .ok());
        hsa::IndirectDispatch request;
        request.kernel = device.kernel(hsa::Kernel::devbin_fill);
        request.kernarg_address = control->address() + 256 + region * kKernargSlot;
        request.workgroup_size[0] = 32;
        request.workgroup_counts = control->address();
        DEVBIN_ASSERT_OK(device.dispatch_indirect(queue, request));
      } else {
        DEVBIN_ASSERT_OK(device.fill(queue, from, kBlock, {&value, 1}));
      }
      DEVBIN_ASSERT_OK(device.copy(queue, to, from, kBlock));
    }
    Status synced = queue.synchronize();
    ASSERT_TRUE(synced.ok()) << synced.to_string();
    for (int i = 0; i < kOps; ++i) {
      const std::vector<uint8_t> copied = read(device, target->address() + (t * kOps + i) * kBlock, kBlock);
      ASSERT_EQ(copied, std::vector<uint8_t>(kBlock, byte_of(t, i))) << "thread " << t << ", op " << i;
    }
  });
  DEVBIN_ASSERT_OK(queue.synchronize());
  const std::vector<uint8_t> all = read(device, target->address(), kRegions * kBlock);
  for (int region = 0; region < kRegions; ++region) {
    const uint8_t expected = byte_of(region / kOps, region % kOps);
    for (uint64_t k = 0; k < kBlock; ++k) {
      ASSERT_EQ(all[region * kBlock + k], expected) << "region " << region << ", byte " << k;
    }
  }
}

// The caller's own AQL queue, created with the runtime's hsa_queue_create
// (as IREE's HAL creates its queues), wrapped once and shared by every
// thread: devbin takes slots through the write-index protocol and waits on
// the queue's read index for ring space, a small ring makes every thread
// wait for space again and again, and the wrapper's kernarg slots follow
// devbin's own completions. Destroying the wrapper leaves the queue to its
// owner, who destroys it.
TEST_F(HsaThreads, AllThreadsEnqueueOnOneWrappedNativeQueue) {
  constexpr int kOps = 120;
  constexpr uint64_t kBlock = 64;
  constexpr int kRegions = kThreads * kOps;
  auto device_or = hsa::Device::open(0);
  ASSERT_TRUE(device_or.ok()) << device_or.status().to_string();
  const hsa::Device& device = *device_or.value();

  void* runtime = dlopen(runtime_.c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(runtime, nullptr) << dlerror();
  auto iterate = reinterpret_cast<hsa::api::hsa_status_t (*)(hsa::api::hsa_agent_callback_t, void*)>(
      dlsym(runtime, "hsa_iterate_agents"));
  auto get_info = reinterpret_cast<hsa::api::hsa_status_t (*)(hsa::api::hsa_agent_t, hsa::api::hsa_agent_info_t,
                                                             void*)>(dlsym(runtime, "hsa_agent_get_info"));
  auto queue_create = reinterpret_cast<hsa::api::hsa_status_t (*)(
      hsa::api::hsa_agent_t, uint32_t, hsa::api::hsa_queue_type32_t, hsa::api::hsa_queue_error_callback_t, void*,
      uint32_t, uint32_t, hsa::api::hsa_queue_t**)>(dlsym(runtime, "hsa_queue_create"));
  auto queue_destroy =
      reinterpret_cast<hsa::api::hsa_status_t (*)(hsa::api::hsa_queue_t*)>(dlsym(runtime, "hsa_queue_destroy"));
  ASSERT_TRUE(iterate != nullptr && get_info != nullptr && queue_create != nullptr && queue_destroy != nullptr);
  struct Found {
    decltype(get_info) info;
    hsa::api::hsa_agent_t gpu{};
  } found{get_info};
  iterate(
      [](hsa::api::hsa_agent_t agent, void* data) {
        auto* f = static_cast<Found*>(data);
        hsa::api::hsa_device_type_t type{};
        f->info(agent, hsa::api::HSA_AGENT_INFO_DEVICE, &type);
        if (type == hsa::api::HSA_DEVICE_TYPE_GPU && f->gpu.handle == 0) f->gpu = agent;
        return hsa::api::HSA_STATUS_SUCCESS;
      },
      &found);
  ASSERT_NE(found.gpu.handle, 0u);
  hsa::api::hsa_queue_t* native = nullptr;
  ASSERT_EQ(queue_create(found.gpu, 64, hsa::api::HSA_QUEUE_TYPE_MULTI, nullptr, nullptr, UINT32_MAX, UINT32_MAX,
                         &native),
            hsa::api::HSA_STATUS_SUCCESS);

  auto source = device.allocate(kRegions * kBlock);
  auto target = device.allocate(kRegions * kBlock);
  ASSERT_TRUE(source.ok() && target.ok());
  {
    auto wrapped_or = device.wrap_hsa_queue(native);
    ASSERT_TRUE(wrapped_or.ok()) << wrapped_or.status().to_string();
    hsa::Queue& queue = *wrapped_or.value();
    EXPECT_FALSE(queue.owned());
    EXPECT_EQ(queue.native_handle(), native);
    Watchdog watchdog("HSA wrapped native queue");
    run_threads([&](int t) {
      for (int i = 0; i < kOps; ++i) {
        const int region = t * kOps + i;
        const DevicePtr from = source->address() + region * kBlock;
        const DevicePtr to = target->address() + region * kBlock;
        const uint8_t value = byte_of(t, i);
        if (i % 3 == 0) {
          const std::vector<uint8_t> bytes(kBlock, value);
          DEVBIN_ASSERT_OK(device.update(queue, from, bytes));
        } else {
          DEVBIN_ASSERT_OK(device.fill(queue, from, kBlock, {&value, 1}));
        }
        DEVBIN_ASSERT_OK(device.copy(queue, to, from, kBlock));
      }
      Status synced = queue.synchronize();
      ASSERT_TRUE(synced.ok()) << synced.to_string();
      for (int i = 0; i < kOps; ++i) {
        const std::vector<uint8_t> copied = read(device, target->address() + (t * kOps + i) * kBlock, kBlock);
        ASSERT_EQ(copied, std::vector<uint8_t>(kBlock, byte_of(t, i))) << "thread " << t << ", op " << i;
      }
    });
  }
  // The wrapper is gone and the queue is still the caller's, and still works.
  auto again = device.wrap_hsa_queue(native);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  const uint8_t last = 0x5a;
  DEVBIN_ASSERT_OK(device.fill(**again, target->address(), kBlock, {&last, 1}));
  DEVBIN_ASSERT_OK((*again)->synchronize());
  EXPECT_EQ(read(device, target->address(), kBlock), std::vector<uint8_t>(kBlock, last));
  again->reset();
  EXPECT_EQ(queue_destroy(native), hsa::api::HSA_STATUS_SUCCESS);
  dlclose(runtime);
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

class CudaThreads : public ::testing::Test {
 protected:
  using GetCurrent = int (*)(void**);
  using SetCurrent = int (*)(void*);

  void SetUp() override {
    std::string why;
    const std::string stand_in = stand_in_driver_path(&why);
    if (stand_in.empty()) GTEST_SKIP() << "no CUDA stand-in driver: " << why;
    // A copy per test (the backend keeps each driver it opened mapped: one
    // must never be overwritten), so each test starts from a fresh driver.
    const std::string copy = ::devbin::testing::stand_in_driver_copy(
        stand_in, std::string("threads-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    path_.emplace(cuda::kDriverPathEnv, copy);
    mode_.emplace("DEVBIN_STAND_IN_CUDA_MODE", std::nullopt);
    override_.emplace(kTargetOverrideEnv, std::nullopt);
    // The same library the backend opens: each thread's current context, as the driver keeps it.
    handle_ = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    get_current_ = reinterpret_cast<GetCurrent>(dlsym(handle_, "cuCtxGetCurrent"));
    set_current_ = reinterpret_cast<SetCurrent>(dlsym(handle_, "cuCtxSetCurrent"));
    ASSERT_TRUE(get_current_ != nullptr && set_current_ != nullptr);
  }
  void TearDown() override {
    if (handle_ != nullptr) dlclose(handle_);
  }

  // A context of the thread's own (as another library on that thread would
  // have made current), which every devbin call must leave in place.
  static void* own_context(int thread) { return reinterpret_cast<void*>(uintptr_t{0x90000} + 0x100 * thread); }
  void* current() const {
    void* context = nullptr;
    EXPECT_EQ(get_current_(&context), 0);
    return context;
  }

  std::optional<ScopedEnv> path_, mode_, override_;
  void* handle_ = nullptr;
  GetCurrent get_current_ = nullptr;
  SetCurrent set_current_ = nullptr;
};

// Each thread opens ordinal 0 kOpens times at once with the others, and
// closes each device; its own current context stays.
TEST_F(CudaThreads, DevicesOpenFromManyThreadsAtOnce) {
  constexpr int kOpens = 8;
  Watchdog watchdog("CUDA opens");
  run_threads([&](int t) {
    ASSERT_EQ(set_current_(own_context(t)), 0);
    for (int i = 0; i < kOpens; ++i) {
      auto device = cuda::Device::open(0);
      ASSERT_TRUE(device.ok()) << "thread " << t << ": " << device.status().to_string();
      EXPECT_EQ((*device)->report().selection.entry, "nvptx64-nvidia-cuda--sm_90.cubin");
      EXPECT_EQ(current(), own_context(t));
      auto stream = (*device)->create_stream();
      ASSERT_TRUE(stream.ok());
      DEVBIN_ASSERT_OK((*stream)->synchronize());
      stream->reset();
      Status closed = (*device)->close();
      EXPECT_TRUE(closed.ok()) << closed.to_string();
      EXPECT_EQ(current(), own_context(t));
    }
  });
}

// One device: every thread its own stream and buffers (allocated and freed
// each round) and every operation; then all threads on one shared stream.
// Every call must succeed (the stand-in refuses context-bound calls without the
// device's context current on the calling thread), leave the thread's own
// context current, and every allocation must be distinct.
TEST_F(CudaThreads, StreamsOfTheirOwnAndOneSharedStream) {
  constexpr int kOps = 64;
  auto device_or = cuda::Device::open(0);
  ASSERT_TRUE(device_or.ok()) << device_or.status().to_string();
  cuda::Device& device = *device_or.value();
  auto shared_or = device.create_stream();
  ASSERT_TRUE(shared_or.ok());
  cuda::Stream& shared = *shared_or.value();
  std::mutex addresses_mutex;
  std::set<DevicePtr> addresses;  // of buffers alive at the same time

  Watchdog watchdog("CUDA streams");
  run_threads([&](int t) {
    ASSERT_EQ(set_current_(own_context(t)), 0);
    auto stream_or = device.create_stream();
    auto event_or = device.create_event();
    ASSERT_TRUE(stream_or.ok() && event_or.ok());
    cuda::Stream& own = *stream_or.value();
    std::vector<cuda::Buffer> kept;
    for (int i = 0; i < kOps; ++i) {
      cuda::Stream& stream = i % 2 == 0 ? own : shared;
      auto a = device.allocate(4096);
      auto b = device.allocate(4096);
      ASSERT_TRUE(a.ok() && b.ok());
      std::vector<uint8_t> bytes(4096, byte_of(t, i));
      const uint8_t value = byte_of(t, i);
      const std::array<Status, 9> calls = {
          device.copy_to_device(a->address(), bytes.data(), bytes.size()),
          device.fill(stream, a->address(), 4096, {&value, 1}),
          device.copy(stream, b->address(), a->address(), 4096),
          // A fill the memset path takes, and an update the staged copy takes:
          // the vendor paths from every thread, on shared and own streams.
          device.fill(stream, b->address(), 4096, std::array<uint8_t, 4>{7, 0, 0, 0}),
          device.update(stream, a->address(), {bytes.data(), 64}),
          device.timestamp(stream, b->address()),
          event_or.value()->record(stream),
          stream.synchronize(),
          device.copy_to_host(bytes.data(), b->address(), bytes.size()),
      };
      for (size_t c = 0; c < calls.size(); ++c) {
        ASSERT_TRUE(calls[c].ok()) << "thread " << t << ", op " << i << ", call " << c << ": "
                                   << calls[c].to_string();
      }
      DEVBIN_ASSERT_OK(device.memset_d8(a->address(), 0, 4096));
      DEVBIN_ASSERT_OK(event_or.value()->synchronize());
      EXPECT_EQ(current(), own_context(t)) << "thread " << t << ", op " << i;
      kept.push_back(std::move(a).value());  // freed when the thread ends, with the others alive
    }
    {
      std::lock_guard<std::mutex> lock(addresses_mutex);
      for (const cuda::Buffer& buffer : kept) EXPECT_TRUE(addresses.insert(buffer.address()).second);
    }
    kept.clear();
    DEVBIN_ASSERT_OK(device.synchronize());
    EXPECT_EQ(current(), own_context(t));
  });
  EXPECT_EQ(addresses.size(), size_t{kThreads} * kOps);
  shared_or->reset();
  Status closed = device.close();
  EXPECT_TRUE(closed.ok()) << closed.to_string();
}

//===----------------------------------------------------------------------===//
// Selection
//===----------------------------------------------------------------------===//

// select() over the embedded TOC from every thread gives what it gives on one.
TEST(SelectThreads, TheEmbeddedTocFromManyThreads) {
  constexpr int kRounds = 50;
  const std::vector<std::string> isas = {"gfx1100", "gfx1151", "gfx1201", "gfx90a:xnack-", "gfx942:sramecc+:xnack-",
                                         "gfx906",  "gfx803",  "sm_90",   "sm_86",         "sm_75",
                                         "sm_120",  "sm_50",   "gfx9999"};
  auto answer = [](const std::string& isa) {
    auto selection = select(std::string_view(isa), embedded_toc());
    return selection.ok() ? std::string(selection->entry->name) + " " + selection->reason
                          : "error: " + selection.status().to_string();
  };
  std::vector<std::string> expected;
  for (const std::string& isa : isas) expected.push_back(answer(isa));
  run_threads([&](int t) {
    for (int round = 0; round < kRounds; ++round) {
      for (size_t k = 0; k < isas.size(); ++k) {
        const size_t at = (k + static_cast<size_t>(t)) % isas.size();
        ASSERT_EQ(answer(isas[at]), expected[at]) << "thread " << t << ", round " << round;
      }
    }
  });
}

}  // namespace
}  // namespace devbin
