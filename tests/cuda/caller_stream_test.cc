// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin inside the caller's CUDA work (label `gpu`): a stream the test
// creates with the driver, wrapped; every operation captured into a CUDA
// graph on it and the graph replayed 100 times, the bytes checked each time;
// recorded launches given to cuLaunchKernel and to cuGraphAddKernelNode.
// The driver is opened here with dlopen, as the caller's own runtime would
// have it. Without a driver or GPU every test is skipped with the reason.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/kernel_args.h"

namespace devbin::cuda {
namespace {

using CUresult = int;
using CUstream = void*;
using CUgraph = void*;
using CUgraphExec = void*;
using CUgraphNode = void*;

// cuda.h's CUDA_KERNEL_NODE_PARAMS_v2.
struct KernelNodeParams {
  void* func;
  unsigned grid_x, grid_y, grid_z;
  unsigned block_x, block_y, block_z;
  unsigned shared_bytes;
  void** kernel_params;
  void** extra;
  void* kernel;
  void* context;
};

// The caller's driver calls.
struct CallerDriver {
  void* library = nullptr;
  CUresult (*cuCtxSetCurrent)(void*) = nullptr;
  CUresult (*cuStreamCreate)(CUstream*, unsigned) = nullptr;
  CUresult (*cuStreamDestroy_v2)(CUstream) = nullptr;
  CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
  CUresult (*cuStreamBeginCapture_v2)(CUstream, int) = nullptr;
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph*) = nullptr;
  CUresult (*cuGraphCreate)(CUgraph*, unsigned) = nullptr;
  CUresult (*cuGraphAddKernelNode_v2)(CUgraphNode*, CUgraph, const CUgraphNode*, size_t,
                                      const KernelNodeParams*) = nullptr;
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec*, CUgraph, unsigned long long) = nullptr;
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream) = nullptr;
  CUresult (*cuGraphExecDestroy)(CUgraphExec) = nullptr;
  CUresult (*cuGraphDestroy)(CUgraph) = nullptr;
  CUresult (*cuLaunchKernel)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream,
                             void**, void**) = nullptr;

  bool load() {
    library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return false;
    auto get = [&](auto& entry, const char* name) {
      entry = reinterpret_cast<std::remove_reference_t<decltype(entry)>>(dlsym(library, name));
      return entry != nullptr;
    };
    return get(cuCtxSetCurrent, "cuCtxSetCurrent") && get(cuStreamCreate, "cuStreamCreate") &&
           get(cuStreamDestroy_v2, "cuStreamDestroy_v2") && get(cuStreamSynchronize, "cuStreamSynchronize") &&
           get(cuStreamBeginCapture_v2, "cuStreamBeginCapture_v2") && get(cuStreamEndCapture, "cuStreamEndCapture") &&
           get(cuGraphCreate, "cuGraphCreate") && get(cuGraphAddKernelNode_v2, "cuGraphAddKernelNode_v2") &&
           get(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags") && get(cuGraphLaunch, "cuGraphLaunch") &&
           get(cuGraphExecDestroy, "cuGraphExecDestroy") && get(cuGraphDestroy, "cuGraphDestroy") &&
           get(cuLaunchKernel, "cuLaunchKernel");
  }
};

constexpr int kCaptureModeGlobal = 0;  // CU_STREAM_CAPTURE_MODE_GLOBAL: unsafe calls anywhere end the capture
constexpr uint64_t kBytes = 1 << 20;

class CallerStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto count = device_count();
    if (!count.ok()) GTEST_SKIP() << "no usable CUDA GPU: " << count.status().to_string();
    ASSERT_TRUE(driver_.load()) << "libcuda.so.1 lacks a graph entry point";
    auto device = Device::open(0);
    ASSERT_TRUE(device.ok()) << device.status().to_string();
    device_ = std::move(device).value();
    // The caller's stream, in the primary context devbin shares.
    ASSERT_EQ(driver_.cuCtxSetCurrent(device_->native_context()), 0);
    ASSERT_EQ(driver_.cuStreamCreate(&stream_, 1), 0);
    auto wrapped = device_->wrap_queue(stream_);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().to_string();
    queue_ = std::move(wrapped).value();
    auto buffer = device_->allocate(kBytes);
    ASSERT_TRUE(buffer.ok());
    buffer_ = std::move(buffer).value();
    auto table = device_->allocate(4096);
    ASSERT_TRUE(table.ok());
    table_ = std::move(table).value();
    std::mt19937_64 rng(12345);
    source_.resize(kBytes / 2);
    for (auto& byte : source_) byte = static_cast<uint8_t>(rng());
    ASSERT_TRUE(device_->copy_to_device(base() + kBytes / 2, source_.data(), source_.size()).ok());
  }
  void TearDown() override {
    queue_.reset();
    if (stream_ != nullptr) driver_.cuStreamDestroy_v2(stream_);
  }

  DevicePtr base() const { return buffer_.address(); }

  // Every operation, on `queue`, into the buffer's first half: what
  // expected() says it holds after.
  void enqueue_every_operation(devbin::Queue& queue) {
    const DevicePtr src = base() + kBytes / 2;
    const uint8_t word[4] = {1, 2, 3, 4};
    ASSERT_TRUE(device_->fill(queue, base(), 65536, word).ok());
    ASSERT_TRUE(device_->copy(queue, base() + 65536 + 3, src + 1, 100001).ok());
    devbin_batch_op_t ops[2];
    const uint8_t seven = 7;
    ops[0] = make_batch_fill(base() + 200000, 5000, {&seven, 1}).value();
    ops[1] = make_batch_copy(base() + 210001, src + 7, 30000).value();
    const uint64_t chunks = batch_number(ops).value();
    // The table travels on the stream itself (an inline update), so it is
    // captured with the rest and no host synchronize is needed.
    ASSERT_TRUE(device_->update(queue, table_.address(), {reinterpret_cast<uint8_t*>(ops), sizeof(ops)}).ok());
    ASSERT_TRUE(device_->batch(queue, make_batch_args(table_.address(), 2, chunks).value()).ok());
    ASSERT_TRUE(device_->copy_rect(queue, {base() + 250000 + 1, 4101, 0}, {src + 3, 4099, 0}, {4097, 40, 1}).ok());
    const uint8_t half[2] = {0xab, 0xcd};
    ASSERT_TRUE(device_->fill_rect(queue, {base() + 420000, 4352, 0}, {4096, 20, 1}, half).ok());
    std::vector<uint8_t> update(5000);
    for (size_t i = 0; i < update.size(); ++i) update[i] = static_cast<uint8_t>(i * 31 + 1);
    ASSERT_TRUE(device_->update(queue, base() + 510001, update).ok());
    std::fill(update.begin(), update.end(), 0);  // the bytes were taken
    // What takes a vendor path on a stream that is not captured
    // (devbin/vendor_path.h): a memset of a 1-byte period, and aligned 4- and
    // 8-byte updates (the write values; their kernels while capturing).
    const uint8_t byte_period[4] = {0x5c, 0x5c, 0x5c, 0x5c};
    ASSERT_TRUE(device_->fill(queue, base() + 516000, 1000, byte_period).ok());
    uint8_t words[12] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0};
    ASSERT_TRUE(device_->update(queue, base() + 518000, {words, 4}).ok());
    ASSERT_TRUE(device_->update(queue, base() + 518008, {words + 4, 8}).ok());
    std::fill(std::begin(words), std::end(words), uint8_t{0});
  }

  std::vector<uint8_t> expected() const {
    std::vector<uint8_t> want(kBytes / 2, 0);
    for (size_t i = 0; i < 65536; ++i) want[i] = static_cast<uint8_t>(1 + i % 4);
    std::memcpy(&want[65536 + 3], &source_[1], 100001);
    std::memset(&want[200000], 7, 5000);
    std::memcpy(&want[210001], &source_[7], 30000);
    for (size_t row = 0; row < 40; ++row) std::memcpy(&want[250001 + row * 4101], &source_[3 + row * 4099], 4097);
    for (size_t row = 0; row < 20; ++row) {
      for (size_t i = 0; i < 4096; i += 2) {
        want[420000 + row * 4352 + i] = 0xab;
        want[420000 + row * 4352 + i + 1] = 0xcd;
      }
    }
    for (size_t i = 0; i < 5000; ++i) want[510001 + i] = static_cast<uint8_t>(i * 31 + 1);
    std::memset(&want[516000], 0x5c, 1000);
    for (size_t i = 0; i < 4; ++i) want[518000 + i] = static_cast<uint8_t>(0x10 * (i + 1));
    for (size_t i = 0; i < 8; ++i) want[518008 + i] = static_cast<uint8_t>(0x10 * (i + 5));
    return want;
  }

  // Zeroes the first half, runs `work` on the caller's stream, and compares.
  void check_after(const std::function<void()>& work, const std::string& what) {
    ASSERT_TRUE(device_->memset_d8(base(), 0, kBytes / 2).ok());
    work();
    ASSERT_EQ(driver_.cuStreamSynchronize(stream_), 0) << what;
    std::vector<uint8_t> got(kBytes / 2);
    ASSERT_TRUE(device_->copy_to_host(got.data(), base(), got.size()).ok());
    const std::vector<uint8_t> want = expected();
    const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin());
    ASSERT_TRUE(mismatch.first == got.end())
        << what << ": byte " << (mismatch.first - got.begin()) << " is " << int{*mismatch.first} << ", expected "
        << int{*mismatch.second};
  }

  CallerDriver driver_;
  std::unique_ptr<Device> device_;
  CUstream stream_ = nullptr;
  std::unique_ptr<devbin::Queue> queue_;
  Buffer buffer_;
  Buffer table_;
  std::vector<uint8_t> source_;
};

TEST_F(CallerStreamTest, EveryOperationRunsOnTheCallersStream) {
  check_after([&] { enqueue_every_operation(*queue_); }, "on the wrapped stream");
  // The wrapper goes; the caller's stream stays usable.
  queue_.reset();
  EXPECT_EQ(driver_.cuStreamSynchronize(stream_), 0);
}

TEST_F(CallerStreamTest, ACapturedGraphReplaysEveryOperation100Times) {
  ASSERT_EQ(driver_.cuStreamBeginCapture_v2(stream_, kCaptureModeGlobal), 0);
  EXPECT_TRUE(queue_->capturing());
  enqueue_every_operation(*queue_);
  // What would end the capture is refused instead.
  EXPECT_EQ(queue_->synchronize().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(device_->calibrate_clock(*queue_, 2).status().code(), StatusCode::kFailedPrecondition);
  CUgraph graph = nullptr;
  ASSERT_EQ(driver_.cuStreamEndCapture(stream_, &graph), 0) << "a devbin call ended or broke the capture";
  CUgraphExec exec = nullptr;
  ASSERT_EQ(driver_.cuGraphInstantiateWithFlags(&exec, graph, 0), 0);
  for (int replay = 0; replay < 100; ++replay) {
    check_after([&] { ASSERT_EQ(driver_.cuGraphLaunch(exec, stream_), 0); }, "replay " + std::to_string(replay));
    if (HasFatalFailure()) break;
  }
  driver_.cuGraphExecDestroy(exec);
  driver_.cuGraphDestroy(graph);
}

TEST_F(CallerStreamTest, RecordedLaunchesRunFromCuLaunchKernelAndGraphNodes) {
  std::vector<devbin_recorded_launch_t> records(32);
  std::vector<uint8_t> args(64 * 1024);
  auto recorder = device_->create_recorder(records, args);
  ASSERT_TRUE(recorder.ok());
  enqueue_every_operation(**recorder);
  const auto recorded = (*recorder)->recorded();
  ASSERT_GE(recorded.size(), 8u);
  check_after(
      [&] {
        for (const devbin_recorded_launch_t& launch : recorded) {
          void* params[] = {launch.args};
          ASSERT_EQ(driver_.cuLaunchKernel(launch.cuda.function, launch.cuda.grid[0], launch.cuda.grid[1],
                                           launch.cuda.grid[2], launch.cuda.block[0], launch.cuda.block[1],
                                           launch.cuda.block[2], 0, stream_, params, nullptr),
                    0);
        }
      },
      "recorded, launched by the caller");

  CUgraph graph = nullptr;
  ASSERT_EQ(driver_.cuGraphCreate(&graph, 0), 0);
  CUgraphNode previous = nullptr;
  for (const devbin_recorded_launch_t& launch : recorded) {
    void* params[] = {launch.args};
    KernelNodeParams node{launch.cuda.function, launch.cuda.grid[0], launch.cuda.grid[1], launch.cuda.grid[2],
                          launch.cuda.block[0], launch.cuda.block[1], launch.cuda.block[2], 0, params, nullptr,
                          nullptr, nullptr};
    CUgraphNode added = nullptr;
    ASSERT_EQ(driver_.cuGraphAddKernelNode_v2(&added, graph, previous != nullptr ? &previous : nullptr,
                                              previous != nullptr ? 1 : 0, &node),
              0);
    previous = added;
  }
  // The graph took the argument bytes: the recording's memory may change.
  std::fill(args.begin(), args.end(), 0);
  CUgraphExec exec = nullptr;
  ASSERT_EQ(driver_.cuGraphInstantiateWithFlags(&exec, graph, 0), 0);
  for (int replay = 0; replay < 3; ++replay) {
    check_after([&] { ASSERT_EQ(driver_.cuGraphLaunch(exec, stream_), 0); }, "graph of recorded nodes");
  }
  driver_.cuGraphExecDestroy(exec);
  driver_.cuGraphDestroy(graph);
}

}  // namespace
}  // namespace devbin::cuda
