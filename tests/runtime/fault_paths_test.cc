// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The ways loading the device library fails, through both backends, for real:
// the driver library absent, a library present without the driver's entry
// points (libc), an override (DEVBIN_TARGET_OVERRIDE) naming nothing, and a
// TOC entry whose bytes fail validation. Each must come back as a Status that
// names what failed and why, with the DeviceReport saying the same, and never
// reach the driver's loader with bad bytes.
//
// The device-present cases need a device this machine lacks: the stand-ins
// the backends' own tests build (tests/cuda/stand_in_driver.c for libcuda.so.1,
// tests/hsa/stand_in_runtime.cc for libhsa-runtime64.so.1) play it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devbin/cuda.h"
#include "devbin/device.h"
#include "devbin/hsa.h"
#include "devbin/select.h"
#include "devbin/toc.h"
#include "tests/cuda/test_env.h"
#include "tests/hsa/stand_in_runtime.h"
#include "tests/runtime/stand_ins.h"

namespace devbin {
namespace {

using ::devbin::testing::ScopedEnv;

::testing::AssertionResult contains(const char* text_expr, const char* needle_expr, const std::string& text,
                                  const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text_expr << " is\n  \"" << text << "\"\nwhich lacks " << needle_expr
                                     << " \"" << needle << "\"";
}

std::string stand_in_cuda_driver() {
  const std::string path = ::devbin::testing::stand_in_driver_path();
  if (path.empty()) return path;
  // Each test gets its own copy (per process, as tests may run in parallel):
  // the backend opens and initializes each path once per process.
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "devbin_fault_paths";
  std::filesystem::create_directories(dir);
  const std::filesystem::path copy =
      dir / ("libcuda-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
             std::to_string(getpid()) + ".so");
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
  return copy.string();
}
std::string stand_in_hsa_runtime() { return ::devbin::testing::stand_in_hsa_runtime_path(); }

// A copy of every embedded entry, each in its own 64-byte aligned buffer
// (as the embedded TOC keeps them), where a test may corrupt one.
class TocCopy {
 public:
  TocCopy() {
    const Toc& embedded = embedded_toc();
    for (const TocEntry& entry : embedded.entries) {
      entries_.push_back(entry);
      buffers_.emplace_back(static_cast<uint8_t*>(::operator new(std::max<size_t>(entry.size, 1), kAlign)));
      std::memcpy(buffers_.back().get(), entry.data, entry.size);
      entries_.back().data = buffers_.back().get();
    }
  }
  Toc toc() const { return Toc{entries_}; }
  // The bytes of the entry called `name`, or an empty span.
  std::span<uint8_t> bytes(std::string_view name) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].name == name) return {buffers_[i].get(), entries_[i].size};
    }
    return {};
  }
  void truncate(std::string_view name, size_t size) {
    for (TocEntry& entry : entries_) {
      if (entry.name == name) entry.size = std::min(entry.size, size);
    }
  }

 private:
  static constexpr std::align_val_t kAlign{64};
  struct Free {
    void operator()(uint8_t* p) const { ::operator delete(p, kAlign); }
  };
  std::vector<TocEntry> entries_;
  std::vector<std::unique_ptr<uint8_t, Free>> buffers_;
};

// ELF e_flags: for AMDGPU the low byte is EF_AMDGPU_MACH, for a cubin
// (e_flags >> 8) & 0xff is the SM.
constexpr size_t kElfFlagsOffset = 48;

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

TEST(CudaFaultPaths, DriverLibraryAbsent) {
  ScopedEnv path(cuda::kDriverPathEnv, "/nonexistent/devbin-fault-paths/libcuda.so.1");
  DeviceReport report;
  auto device = cuda::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kUnavailable);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message, "CUDA device 0: ");
  EXPECT_PRED_FORMAT2(contains, message, "CUDA driver /nonexistent/devbin-fault-paths/libcuda.so.1 not found");
  EXPECT_PRED_FORMAT2(contains, message, cuda::kDriverPathEnv);
  EXPECT_FALSE(report.selected);
  EXPECT_EQ(report.status.message(), message);
  EXPECT_EQ(cuda::device_count().status().code(), StatusCode::kUnavailable);
}

TEST(CudaFaultPaths, LibraryWithoutTheDriverEntryPoints) {
  // libc is there on every machine and exports none of them.
  ScopedEnv path(cuda::kDriverPathEnv, "libc.so.6");
  auto info = cuda::driver_info();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "CUDA driver libc.so.6 lacks ");
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "(it is not a CUDA driver library)");
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "cuInit");
  DeviceReport report;
  auto device = cuda::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_PRED_FORMAT2(contains, device.status().message(), info.status().message());
  EXPECT_FALSE(report.selected);
}

class CudaWithStandInDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = stand_in_cuda_driver();
    ASSERT_FALSE(driver_.empty()) << "the stand-in driver (target devbin_test_stand_in_driver, tests/cuda) is not built";
    path_.emplace(cuda::kDriverPathEnv, driver_);
    mode_.emplace("DEVBIN_STAND_IN_CUDA_MODE", "ok");  // one sm_90 device
    override_.emplace(kTargetOverrideEnv, std::nullopt);
  }
  std::string driver_;
  std::optional<ScopedEnv> path_, mode_, override_;
};

TEST_F(CudaWithStandInDriver, OverrideNamingNothing) {
  ScopedEnv forced(kTargetOverrideEnv, "nvptx64-nvidia-cuda--sm_999.cubin");
  DeviceReport report;
  auto device = cuda::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kNotFound);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message,
                      "DEVBIN_TARGET_OVERRIDE='nvptx64-nvidia-cuda--sm_999.cubin' names no TOC entry");
  EXPECT_PRED_FORMAT2(contains, message, "TOC entries present: ");
  EXPECT_PRED_FORMAT2(contains, message, "nvptx64-nvidia-cuda--sm_90.cubin");
  EXPECT_EQ(report.target, "sm_90");
  EXPECT_FALSE(report.selected);
  EXPECT_EQ(report.status.message(), message);
}

TEST_F(CudaWithStandInDriver, OverrideOfTheOtherVendor) {
  cuda::OpenOptions options;
  options.override_entry = "amdgcn-amd-amdhsa--gfx11-generic.so";
  auto device = cuda::Device::open(0, options);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(contains, device.status().message(),
                      "'amdgcn-amd-amdhsa--gfx11-generic.so' is amdgcn-amd-amdhsa code but the device is "
                      "nvptx64-nvidia-cuda--sm_90");
}

TEST_F(CudaWithStandInDriver, TocEntryForAnotherSmIsRefusedBeforeLoading) {
  const std::string name = "nvptx64-nvidia-cuda--sm_90.cubin";
  TocCopy copy;
  std::span<uint8_t> bytes = copy.bytes(name);
  ASSERT_FALSE(bytes.empty()) << "the embedded TOC has no " << name;
  bytes[kElfFlagsOffset + 1] = 80;  // the SM field: sm_80 bytes under the sm_90 name
  const Toc toc = copy.toc();
  cuda::OpenOptions options;
  options.toc = &toc;
  DeviceReport report;
  auto device = cuda::Device::open(0, options, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message, "CUDA device 0: " + name + ": ");
  EXPECT_PRED_FORMAT2(contains, message, "the code object is built for sm_80");
  EXPECT_PRED_FORMAT2(contains, message, "the TOC entry says sm_90");
  // Selection happened; validation stopped the load.
  EXPECT_TRUE(report.selected);
  EXPECT_EQ(report.selection.entry, name);
  EXPECT_EQ(report.status.message(), message);
}

TEST_F(CudaWithStandInDriver, TruncatedTocEntryIsRefused) {
  const std::string name = "nvptx64-nvidia-cuda--sm_90.cubin";
  TocCopy copy;
  ASSERT_FALSE(copy.bytes(name).empty()) << "the embedded TOC has no " << name;
  copy.truncate(name, copy.bytes(name).size() / 2);
  const Toc toc = copy.toc();
  cuda::OpenOptions options;
  options.toc = &toc;
  auto device = cuda::Device::open(0, options);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kDataLoss);
  EXPECT_PRED_FORMAT2(contains, device.status().message(), "CUDA device 0: " + name + ": ");
}

//===----------------------------------------------------------------------===//
// HSA
//===----------------------------------------------------------------------===//

TEST(HsaFaultPaths, RuntimeLibraryAbsent) {
  ScopedEnv path(hsa::kRuntimePathEnv, "/nonexistent/devbin-fault-paths/libhsa-runtime64.so.1");
  DeviceReport report;
  auto device = hsa::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kUnavailable);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message, "HSA GPU agent 0: ");
  EXPECT_PRED_FORMAT2(contains, message,
                      "HSA runtime /nonexistent/devbin-fault-paths/libhsa-runtime64.so.1 not found");
  EXPECT_PRED_FORMAT2(contains, message, hsa::kRuntimePathEnv);
  EXPECT_FALSE(report.selected);
  EXPECT_EQ(report.status.message(), message);
  EXPECT_EQ(hsa::list_agents().status().code(), StatusCode::kUnavailable);
}

TEST(HsaFaultPaths, LibraryWithoutTheRuntimeEntryPoints) {
  ScopedEnv path(hsa::kRuntimePathEnv, "libc.so.6");
  auto info = hsa::runtime_info();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "HSA runtime libc.so.6 lacks ");
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "(it is not an HSA runtime library)");
  EXPECT_PRED_FORMAT2(contains, info.status().message(), "hsa_init");
  DeviceReport report;
  auto device = hsa::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_PRED_FORMAT2(contains, device.status().message(), info.status().message());
  EXPECT_FALSE(report.selected);
}

class HsaWithStandInRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = stand_in_hsa_runtime();
    ASSERT_FALSE(runtime_.empty()) << "the stand-in runtime (target devbin_hsa_stand_in_runtime, tests/hsa) is not built";
    path_.emplace(hsa::kRuntimePathEnv, runtime_);
    agents_.emplace(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100");
    override_.emplace(kTargetOverrideEnv, std::nullopt);
  }
  std::string runtime_;
  std::optional<ScopedEnv> path_, agents_, override_;
};

TEST_F(HsaWithStandInRuntime, OverrideNamingNothing) {
  ScopedEnv forced(kTargetOverrideEnv, "gfx9999");
  DeviceReport report;
  auto device = hsa::Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kNotFound);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message, "HSA GPU agent 0: ");
  EXPECT_PRED_FORMAT2(contains, message, "DEVBIN_TARGET_OVERRIDE='gfx9999' names no TOC entry");
  EXPECT_PRED_FORMAT2(contains, message, "amdgcn-amd-amdhsa--gfx11-generic.so");
  EXPECT_FALSE(report.selected);
  EXPECT_EQ(report.status.message(), message);
}

TEST_F(HsaWithStandInRuntime, OverrideThatCannotRunOnTheAgent) {
  hsa::OpenOptions options;
  options.override_entry = "gfx90a";
  auto device = hsa::Device::open(0, options);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(contains, device.status().message(),
                      "DEVBIN_TARGET_OVERRIDE='gfx90a' names amdgcn-amd-amdhsa--gfx90a.so, which cannot run on gfx1100");
}

TEST_F(HsaWithStandInRuntime, TocEntryForAnotherProcessorIsRefusedBeforeLoading) {
  const std::string name = "amdgcn-amd-amdhsa--gfx11-generic.so";
  TocCopy copy;
  std::span<uint8_t> bytes = copy.bytes(name);
  ASSERT_FALSE(bytes.empty()) << "the embedded TOC has no " << name;
  bytes[kElfFlagsOffset] = 0x59;  // EF_AMDGPU_MACH: gfx12-generic bytes under the gfx11-generic name
  const Toc toc = copy.toc();
  hsa::OpenOptions options;
  options.toc = &toc;
  DeviceReport report;
  auto device = hsa::Device::open(0, options, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = device.status().message();
  EXPECT_PRED_FORMAT2(contains, message, "HSA GPU agent 0: " + name + ": ");
  EXPECT_PRED_FORMAT2(contains, message, "the code object is built for gfx12-generic (EF_AMDGPU_MACH 0x59)");
  EXPECT_PRED_FORMAT2(contains, message, "the TOC entry says gfx11-generic");
  EXPECT_TRUE(report.selected);
  EXPECT_EQ(report.selection.entry, name);
  EXPECT_EQ(report.status.message(), message);
}

TEST_F(HsaWithStandInRuntime, CorruptMetadataIsRefused) {
  const std::string name = "amdgcn-amd-amdhsa--gfx11-generic.so";
  TocCopy copy;
  std::span<uint8_t> bytes = copy.bytes(name);
  ASSERT_FALSE(bytes.empty()) << "the embedded TOC has no " << name;
  // Rename the metadata's ".kernarg_segment_size" keys: every kernel then
  // lacks one.
  const std::string key = ".kernarg_segment_size";
  size_t renamed = 0;
  for (auto it = bytes.begin(); (it = std::search(it, bytes.end(), key.begin(), key.end())) != bytes.end(); ++it) {
    *(it + 1) = 'K';
    ++renamed;
  }
  ASSERT_GT(renamed, 0u);
  const Toc toc = copy.toc();
  hsa::OpenOptions options;
  options.toc = &toc;
  auto device = hsa::Device::open(0, options);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kDataLoss);
  EXPECT_PRED_FORMAT2(contains, device.status().message(), "HSA GPU agent 0: " + name + ": ");
  EXPECT_PRED_FORMAT2(contains, device.status().message(), "has no .kernarg_segment_size");
}

// A machine with an NVIDIA GPU (the stand-in driver's sm_90) and an AMD one (the
// HSA stand-in's gfx1100): both behind the neutral interface, each refusing
// the other's queue; and forcing an entry of one vendor leaves the other
// vendor's devices selecting, and working, as usual.
TEST(MixedMachine, BothBackendsBehindOneInterfaceAndOverridesPerVendor) {
  const std::string driver = stand_in_cuda_driver();
  const std::string runtime = stand_in_hsa_runtime();
  ASSERT_FALSE(driver.empty() || runtime.empty()) << "the CUDA and HSA stand-ins are not built";
  ScopedEnv cuda_path(cuda::kDriverPathEnv, driver);
  ScopedEnv cuda_mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  ScopedEnv hsa_path(hsa::kRuntimePathEnv, runtime);
  ScopedEnv agents(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100");
  {
    ScopedEnv forced(kTargetOverrideEnv, "nvptx64-nvidia-cuda--compute_75.ptx");
    DeviceReport nvidia;
    (void)cuda::Device::open(0, {}, &nvidia);
    ASSERT_TRUE(nvidia.selected) << nvidia.status.to_string();
    EXPECT_EQ(nvidia.selection.kind, SelectionKind::kOverride);
    EXPECT_EQ(nvidia.selection.entry, "nvptx64-nvidia-cuda--compute_75.ptx");
    DeviceReport amd;
    auto device = hsa::Device::open(0, {}, &amd);
    EXPECT_TRUE(device.ok()) << device.status().to_string();
    EXPECT_EQ(amd.selection.kind, SelectionKind::kGeneric);
    EXPECT_EQ(amd.selection.entry, "amdgcn-amd-amdhsa--gfx11-generic.so");
  }
  // Both backends through the neutral interface.
  const std::vector<BackendInfo> backends = list_backends();
  ASSERT_EQ(backends.size(), 2u);
  EXPECT_EQ(backends[0].backend, Backend::kCuda);
  EXPECT_TRUE(backends[0].status.ok()) << backends[0].status.to_string();
  EXPECT_EQ(backends[0].device_count, 1);
  EXPECT_EQ(backends[0].version, "12.4");
  EXPECT_EQ(backends[1].backend, Backend::kHsa);
  EXPECT_TRUE(backends[1].status.ok()) << backends[1].status.to_string();
  EXPECT_EQ(backends[1].device_count, 1);
  EXPECT_EQ(backends[1].version, "1.1");
  auto nvidia = Device::open({Backend::kCuda, 0});
  auto amd = Device::open({Backend::kHsa, 0});
  ASSERT_TRUE(nvidia.ok()) << nvidia.status().to_string();
  ASSERT_TRUE(amd.ok()) << amd.status().to_string();
  EXPECT_NE((*nvidia)->as_cuda(), nullptr);
  EXPECT_EQ((*nvidia)->summary(), "132 SMs, 80.0 GiB");
  auto amd_queue = (*amd)->create_queue();
  ASSERT_TRUE(amd_queue.ok());
  Status crossed = (*nvidia)->timestamp(**amd_queue, 0x1000);
  EXPECT_EQ(crossed.code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(contains, crossed.message(), "CUDA device 0: the queue belongs to another device");
  {
    ScopedEnv forced(kTargetOverrideEnv, "gfx11-generic");
    DeviceReport nvidia;
    (void)cuda::Device::open(0, {}, &nvidia);
    ASSERT_TRUE(nvidia.selected) << nvidia.status.to_string();
    EXPECT_EQ(nvidia.selection.kind, SelectionKind::kExact);
    EXPECT_EQ(nvidia.selection.entry, "nvptx64-nvidia-cuda--sm_90.cubin");
    DeviceReport amd;
    auto device = hsa::Device::open(0, {}, &amd);
    EXPECT_TRUE(device.ok()) << device.status().to_string();
    EXPECT_EQ(amd.selection.kind, SelectionKind::kOverride);
  }
}

//===----------------------------------------------------------------------===//
// Selection alone (what both backends call): the override's checks.
//===----------------------------------------------------------------------===//

TEST(SelectFaultPaths, OverrideNamingNothingListsTheToc) {
  SelectOptions options;
  options.override_entry = "sm_999";
  auto selection = select("sm_90", embedded_toc(), options);
  ASSERT_FALSE(selection.ok());
  EXPECT_EQ(selection.status().code(), StatusCode::kNotFound);
  EXPECT_PRED_FORMAT2(contains, selection.status().message(), "DEVBIN_TARGET_OVERRIDE='sm_999' names no TOC entry");
  for (const TocEntry& entry : embedded_toc().entries) {
    EXPECT_PRED_FORMAT2(contains, selection.status().message(), std::string(entry.name));
  }
}

}  // namespace
}  // namespace devbin
