// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's driver access, on any machine: a missing library, a
// library without the driver's entry points, a driver too old, and the
// driver answers (no device, load refused, kernel missing) a stand-in driver
// gives where no real one can here.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "devbin/cuda.h"
#include "devbin/toc.h"
#include "test_env.h"

namespace devbin {
namespace {

using ::devbin::testing::ScopedEnv;
using ::devbin::testing::stand_in_driver_copy;

bool toc_has(std::string_view name) { return embedded_toc().find(name) != nullptr; }

TEST(CudaDriverTest, MissingLibraryIsNamed) {
  ScopedEnv path(cuda::kDriverPathEnv, "/nonexistent/libcuda.so.1");
  auto info = cuda::driver_info();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(info.status().message().find("/nonexistent/libcuda.so.1 not found"), std::string::npos)
      << info.status().message();
  EXPECT_NE(info.status().message().find("DEVBIN_CUDA_DRIVER_PATH"), std::string::npos);

  auto count = cuda::device_count();
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().message(), info.status().message());

  DeviceReport report;
  auto device = cuda::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(report.backend, "cuda");
  EXPECT_EQ(report.index, 0);
  EXPECT_FALSE(report.selected);
  EXPECT_FALSE(report.status.ok());
  EXPECT_NE(report.status.message().find("CUDA device 0"), std::string::npos) << report.status.message();
}

TEST(CudaDriverTest, DefaultLibraryAbsentOnThisMachine) {
  ScopedEnv path(cuda::kDriverPathEnv, std::nullopt);
  if (void* handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(handle);
    GTEST_SKIP() << "libcuda.so.1 is installed here; the not-found path is covered by MissingLibraryIsNamed";
  }
  auto info = cuda::driver_info();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(info.status().message().find("libcuda.so.1 not found"), std::string::npos) << info.status().message();
}

TEST(CudaDriverTest, LibraryWithoutDriverEntryPoints) {
  ScopedEnv path(cuda::kDriverPathEnv, DEVBIN_TEST_EMPTY_LIBRARY);
  auto info = cuda::driver_info();
  ASSERT_FALSE(info.ok());
  const std::string& message = info.status().message();
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(message.find("it is not a CUDA driver library"), std::string::npos) << message;
  EXPECT_NE(message.find("cuInit"), std::string::npos) << message;
  EXPECT_NE(message.find("cuMemFree_v2"), std::string::npos) << message;
  EXPECT_NE(message.find(DEVBIN_TEST_EMPTY_LIBRARY), std::string::npos) << message;
}

TEST(CudaDriverTest, DriverTooOld) {
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_OLD_DRIVER, "old"));
  auto info = cuda::driver_info();
  ASSERT_FALSE(info.ok());
  const std::string& message = info.status().message();
  EXPECT_NE(message.find("lacks 1 of the"), std::string::npos) << message;
  EXPECT_NE(message.find("cuDevicePrimaryCtxRelease_v2"), std::string::npos) << message;
  EXPECT_NE(message.find("too old"), std::string::npos) << message;
}

TEST(CudaDriverTest, NoDevice) {
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "no-device"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "no-device");
  auto count = cuda::device_count();
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), StatusCode::kUnavailable);
  const std::string& message = count.status().message();
  EXPECT_NE(message.find("cuInit failed: CUDA_ERROR_NO_DEVICE (100)"), std::string::npos) << message;
  EXPECT_NE(message.find("no NVIDIA GPU is visible"), std::string::npos) << message;
}

TEST(CudaDriverTest, ZeroDevices) {
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "zero"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "zero-devices");
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", "7");
  auto info = cuda::driver_info();
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->version_string(), "12.4");
  auto count = cuda::device_count();
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("shows no devices (CUDA_VISIBLE_DEVICES=7)"), std::string::npos)
      << count.status().message();
}

TEST(CudaDriverTest, PropertiesAndMissingOrdinal) {
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "properties"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  auto properties = cuda::query_device(0);
  ASSERT_TRUE(properties.ok()) << properties.status().to_string();
  EXPECT_EQ(properties->name, "Stand-in GPU");
  EXPECT_EQ(properties->target().to_string(), "sm_90");
  EXPECT_EQ(properties->multiprocessor_count, 132u);
  EXPECT_EQ(properties->max_threads_per_block, 1024u);

  auto missing = cuda::query_device(3);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("CUDA device 3 does not exist; the driver shows 1 device(s)"),
            std::string::npos)
      << missing.status().message();
}

TEST(CudaDriverTest, OldDriverRefusesThePtx) {
  if (!toc_has("nvptx64-nvidia-cuda--compute_75.ptx")) GTEST_SKIP() << "the embedded TOC has no compute_75 PTX";
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "ptx"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "unsupported-ptx");
  cuda::OpenOptions options;
  options.override_entry = "nvptx64-nvidia-cuda--compute_75.ptx";
  DeviceReport report;
  auto device = cuda::Device::open(0, options, &report);
  ASSERT_FALSE(device.ok());
  const std::string& message = device.status().message();
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(message.find("CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"), std::string::npos) << message;
  EXPECT_NE(message.find("the driver (CUDA 12.4) is older than the PTX ISA"), std::string::npos) << message;
  EXPECT_NE(message.find("JIT log: ptxas fatal   : Unsupported .version"), std::string::npos) << message;
  EXPECT_TRUE(report.selected);
  EXPECT_EQ(report.selection.entry, "nvptx64-nvidia-cuda--compute_75.ptx");
  EXPECT_TRUE(report.selection.jit);
  EXPECT_EQ(report.selection.kind, SelectionKind::kOverride);
  EXPECT_EQ(report.status.message(), message);
}

TEST(CudaDriverTest, DriverWithoutSassForTheGpu) {
  if (!toc_has("nvptx64-nvidia-cuda--sm_90.cubin")) GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "no-binary"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "no-binary");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  auto device = cuda::Device::open(0);
  ASSERT_FALSE(device.ok());
  const std::string& message = device.status().message();
  EXPECT_NE(message.find("cuModuleLoadDataEx(nvptx64-nvidia-cuda--sm_90.cubin) failed: "
                         "CUDA_ERROR_NO_BINARY_FOR_GPU (209)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("force the PTX entry with DEVBIN_TARGET_OVERRIDE"), std::string::npos) << message;
}

TEST(CudaDriverTest, MissingKernelIsALoadError) {
  if (!toc_has("nvptx64-nvidia-cuda--sm_90.cubin")) GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "missing-kernel"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "missing-kernel");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  auto device = cuda::Device::open(0);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kNotFound);
  EXPECT_NE(device.status().message().find("has no kernel devbin_timestamp after loading (CUDA_ERROR_NOT_FOUND"),
            std::string::npos)
      << device.status().message();
}

TEST(CudaDriverTest, OpenReportsSelectionLoadTimeAndLaunchLimits) {
  if (!toc_has("nvptx64-nvidia-cuda--sm_90.cubin")) GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "open"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  auto device = cuda::Device::open(0);
  ASSERT_TRUE(device.ok()) << device.status().to_string();
  const DeviceReport& report = (*device)->report();
  EXPECT_TRUE(report.status.ok());
  EXPECT_EQ(report.name, "Stand-in GPU");
  EXPECT_EQ(report.target, "sm_90");
  EXPECT_EQ(report.selection.entry, "nvptx64-nvidia-cuda--sm_90.cubin");
  EXPECT_EQ(report.selection.kind, SelectionKind::kExact);
  EXPECT_FALSE(report.selection.jit);
  EXPECT_GT(report.load_time.count(), 0);
  // Shapes follow the device and the kernel: timestamp takes the block size
  // the occupancy calculator suggests (the stand-in says 512) and as many blocks
  // as are resident; copy and fill 256-thread blocks in a grid covering the work.
  const cuda::LaunchLimits& timestamp = (*device)->launch_limits(cuda::Kernel::devbin_timestamp);
  EXPECT_EQ(timestamp.multiprocessors, 132u);
  EXPECT_EQ(timestamp.threads_per_block, 512u);
  EXPECT_EQ(timestamp.resident_blocks_per_multiprocessor, 4u);
  EXPECT_EQ(timestamp.blocks_per_multiprocessor, 4u);
  for (cuda::Kernel blit : {cuda::Kernel::devbin_copy, cuda::Kernel::devbin_fill, cuda::Kernel::devbin_copy_rect,
                            cuda::Kernel::devbin_fill_rect}) {
    const cuda::LaunchLimits& limits = (*device)->launch_limits(blit);
    EXPECT_EQ(limits.threads_per_block, 256u) << kernel_name(blit);
    EXPECT_EQ(limits.blocks_per_multiprocessor, cuda::kCoveringGrid) << kernel_name(blit);
  }
  ASSERT_TRUE((*device)->set_launch_shape(cuda::Kernel::devbin_copy, 512, std::nullopt).ok());
  EXPECT_EQ((*device)->launch_limits(cuda::Kernel::devbin_copy).threads_per_block, 512u);
  EXPECT_EQ((*device)->launch_limits(cuda::Kernel::devbin_copy).blocks_per_multiprocessor, cuda::kCoveringGrid);
  ASSERT_TRUE((*device)->set_launch_shape(cuda::Kernel::devbin_timestamp, 256).ok());
  EXPECT_EQ((*device)->launch_limits(cuda::Kernel::devbin_timestamp).blocks_per_multiprocessor, 8u);  // stand-in: 2048 / 256
  ASSERT_TRUE((*device)->set_launch_shape(cuda::Kernel::devbin_copy, 256, 20).ok());
  EXPECT_EQ((*device)->launch_limits(cuda::Kernel::devbin_copy).blocks_per_multiprocessor, 20u);
  EXPECT_EQ((*device)->launch_limits(cuda::Kernel::devbin_copy).resident_blocks_per_multiprocessor, 8u);
  EXPECT_EQ((*device)->set_launch_shape(cuda::Kernel::devbin_copy, 100).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*device)->set_launch_shape(cuda::Kernel::devbin_copy, 2048).code(), StatusCode::kInvalidArgument);

  // Argument errors come back before anything is enqueued.
  auto stream = (*device)->create_stream();
  ASSERT_TRUE(stream.ok());
  const uint8_t pattern[3] = {1, 2, 3};
  EXPECT_EQ((*device)->fill(**stream, 0x1000, 9, pattern).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*device)->copy(**stream, 0x1000, 0x1008, 16).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*device)->timestamp(**stream, 0x1004).code(), StatusCode::kInvalidArgument);
  devbin_dispatch_args_t args{};
  args.packet = 0x1020;
  args.workgroup_counts = 0x2000;
  EXPECT_EQ((*device)->dispatch_patch(**stream, args).code(), StatusCode::kInvalidArgument);
  devbin_batch_args_t batch{};
  batch.ops = 0x1004;
  batch.op_count = 1;
  batch.chunk_count = 1;
  batch.chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES;
  EXPECT_EQ((*device)->batch(**stream, batch).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*device)->copy_rect(**stream, {0x1000, 64, 0}, {0x1010, 64, 0}, {32, 4, 1}).code(),
            StatusCode::kInvalidArgument);  // overlapping bounding ranges
  EXPECT_EQ((*device)->fill_rect(**stream, {0x1000, 67, 0}, {32, 4, 1}, {pattern, 2}).code(),
            StatusCode::kInvalidArgument);  // a pitch off the pattern width

  // The stand-in's page-locked memory is host memory the neutral interface hands out too.
  auto pinned = (*device)->allocate_host(64);
  ASSERT_TRUE(pinned.ok()) << pinned.status().message();
  EXPECT_NE(pinned->data(), nullptr);
  auto neutral_pinned = static_cast<devbin::Device&>(**device).allocate_host(64);
  ASSERT_TRUE(neutral_pinned.ok()) << neutral_pinned.status().message();
  EXPECT_EQ((*neutral_pinned)->address(), reinterpret_cast<uintptr_t>((*neutral_pinned)->host_pointer()));
  EXPECT_EQ((*device)->allocate_host(0).status().code(), StatusCode::kInvalidArgument);
}

// A runtime sharing the thread with its own CUDA code finds its context
// where it left it after every devbin call, failed ones included.
TEST(CudaDriverTest, EveryCallLeavesTheCallersContextCurrent) {
  if (!toc_has("nvptx64-nvidia-cuda--sm_90.cubin")) GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  const std::string driver = stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "context");
  ScopedEnv path(cuda::kDriverPathEnv, driver);
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  void* library = dlopen(driver.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto get_current = reinterpret_cast<int (*)(void**)>(dlsym(library, "cuCtxGetCurrent"));
  auto set_current = reinterpret_cast<int (*)(void*)>(dlsym(library, "cuCtxSetCurrent"));
  ASSERT_TRUE(get_current != nullptr && set_current != nullptr);
  void* const mine = reinterpret_cast<void*>(0xca11e5);
  ASSERT_EQ(set_current(mine), 0);
  auto current = [&] {
    void* context = nullptr;
    get_current(&context);
    return context;
  };

  {
    auto device = cuda::Device::open(0);
    ASSERT_TRUE(device.ok()) << device.status().to_string();
    EXPECT_EQ(current(), mine) << "after open";
    ASSERT_TRUE((*device)->set_launch_shape(cuda::Kernel::devbin_fill, 256).ok());
    EXPECT_EQ(current(), mine) << "after set_launch_shape";
    auto buffer = (*device)->allocate(4096);
    ASSERT_TRUE(buffer.ok());
    EXPECT_EQ(current(), mine) << "after allocate";
    auto stream = (*device)->create_stream();
    ASSERT_TRUE(stream.ok());
    const uint8_t pattern[4] = {1, 2, 3, 4};
    ASSERT_TRUE((*device)->fill(**stream, buffer->address(), 4096, pattern).ok());
    ASSERT_TRUE((*device)->copy(**stream, buffer->address(), buffer->address() + 2048, 1024).ok());
    EXPECT_EQ(current(), mine) << "after fill and copy";
    uint8_t bytes[16] = {};
    ASSERT_TRUE((*device)->copy_to_device(buffer->address(), bytes, sizeof(bytes)).ok());
    ASSERT_TRUE((*device)->copy_to_host(bytes, buffer->address(), sizeof(bytes)).ok());
    ASSERT_TRUE((*device)->synchronize().ok());
    EXPECT_EQ(current(), mine) << "after copies and synchronize";
    EXPECT_FALSE((*device)->fill(**stream, buffer->address(), 9, {pattern, 3}).ok());
    EXPECT_EQ(current(), mine) << "after a refused fill";
  }
  EXPECT_EQ(current(), mine) << "after teardown";

  // A failed open too.
  ScopedEnv missing("DEVBIN_STAND_IN_CUDA_MODE", "missing-kernel");
  EXPECT_FALSE(cuda::Device::open(0).ok());
  EXPECT_EQ(current(), mine) << "after a failed open";
  set_current(nullptr);
  dlclose(library);
}

TEST(CudaDriverTest, CloseSaysWhatItCouldNotFree) {
  if (!toc_has("nvptx64-nvidia-cuda--sm_90.cubin")) GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "close"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  auto device = cuda::Device::open(0);
  ASSERT_TRUE(device.ok()) << device.status().to_string();
  {
    ScopedEnv refuse("DEVBIN_STAND_IN_CUDA_MODE", "free-fails");
    auto buffer = (*device)->allocate(1000);
    ASSERT_TRUE(buffer.ok());
  }  // the stand-in refuses to free it
  Status closed = (*device)->close();
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.message().find("closing CUDA device 0: could not free 1 resource(s): a buffer of 1000 bytes at "),
            std::string::npos)
      << closed.message();
  EXPECT_NE(closed.message().find("cuMemFree failed: CUDA_ERROR_INVALID_VALUE"), std::string::npos)
      << closed.message();
  // Closed: no more work, and closing again has nothing left to say.
  EXPECT_EQ((*device)->allocate(64).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*device)->close().ok());

  auto clean = cuda::Device::open(0);
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE((*clean)->close().ok());
}

}  // namespace
}  // namespace devbin
