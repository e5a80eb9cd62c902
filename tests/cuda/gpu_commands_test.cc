// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CLI's GPU verbs (tools/devbin/gpu_commands.cc) where no GPU can answer:
// no driver, and the stand-in driver whose memory operations do nothing, so
// the self-test must see wrong results and say so.
#include "gpu_commands.h"

#include <gtest/gtest.h>

#include <sstream>

#include "commands.h"
#include "devbin/cuda.h"
#include "devbin/hsa.h"
#include "devbin/toc.h"
#include "test_env.h"

namespace devbin::cli {
namespace {

using ::devbin::testing::ScopedEnv;
using ::devbin::testing::stand_in_driver_copy;

TEST(GpuCommandsTest, NoDriverIsOneLineAndNotAFailure) {
  ScopedEnv path(cuda::kDriverPathEnv, "/nonexistent/libcuda.so.1");
  std::ostringstream text;
  EXPECT_EQ(run_devices_report(text, false, {Backend::kCuda, std::nullopt}), kExitOk);
  EXPECT_EQ(text.str(),
            "CUDA: no usable GPU: CUDA driver /nonexistent/libcuda.so.1 not found (stat: No such file or "
            "directory); install the NVIDIA driver, or set "
            "DEVBIN_CUDA_DRIVER_PATH to its libcuda.so.1\n");
  std::ostringstream json;
  EXPECT_EQ(run_devices_report(json, true, {Backend::kCuda, std::nullopt}), kExitOk);
  EXPECT_EQ(json.str().rfind("[{\"backend\":\"cuda\",\"available\":false,\"driver\":null,\"reason\":\"CUDA driver ", 0),
            0u)
      << json.str();
  EXPECT_NE(json.str().find("\"devices\":[]}]"), std::string::npos) << json.str();
}

TEST(GpuCommandsTest, SelftestAndBenchWithoutDriverExitThree) {
  ScopedEnv path(cuda::kDriverPathEnv, "/nonexistent/libcuda.so.1");
  ScopedEnv hsa_path(hsa::kRuntimePathEnv, "/nonexistent/libhsa-runtime64.so.1");
  std::ostringstream out;
  EXPECT_EQ(run_selftest(out, false), kExitNoDevice);
  // One line, why for each backend.
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("selftest: no usable GPU: CUDA: CUDA driver /nonexistent/libcuda.so.1 not found", 0), 0u)
      << text;
  EXPECT_NE(text.find("; HSA: "), std::string::npos) << text;
  EXPECT_NE(text.find("/nonexistent/libhsa-runtime64.so.1"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  std::ostringstream json;
  EXPECT_EQ(run_selftest(json, true), kExitNoDevice);
  EXPECT_EQ(json.str().rfind("{\"backends\":[{\"backend\":\"cuda\",\"available\":false,\"driver\":null,", 0), 0u)
      << json.str();
  EXPECT_NE(json.str().find("{\"backend\":\"hsa\",\"available\":false,\"driver\":null,\"reason\":\"HSA runtime "),
            std::string::npos)
      << json.str();
  std::ostringstream bench;
  EXPECT_EQ(run_bench(bench, uint64_t{1} << 30), kExitNoDevice);
  EXPECT_NE(bench.str().find("bench: no usable GPU"), std::string::npos);
  std::ostringstream small;
  EXPECT_EQ(run_bench(small, 100), kExitUsage);
}

TEST(GpuCommandsTest, ReportShowsTheChoiceAndAFailingSelfTest) {
  if (embedded_toc().find("nvptx64-nvidia-cuda--sm_90.cubin") == nullptr) {
    GTEST_SKIP() << "the embedded TOC has no sm_90 cubin";
  }
  ScopedEnv path(cuda::kDriverPathEnv, stand_in_driver_copy(DEVBIN_TEST_STAND_IN_DRIVER, "report"));
  ScopedEnv mode("DEVBIN_STAND_IN_CUDA_MODE", "ok");
  ScopedEnv override_entry(kTargetOverrideEnv, std::nullopt);
  std::ostringstream text;
  EXPECT_EQ(run_devices_report(text, false, {Backend::kCuda, std::nullopt}), kExitFailure);
  const std::string out = text.str();
  EXPECT_NE(out.find("GPU 0 (cuda): Stand-in GPU, sm_90, 132 SMs, 80.0 GiB\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  entry:     nvptx64-nvidia-cuda--sm_90.cubin (exact): "), std::string::npos) << out;
  EXPECT_NE(out.find(" ms (select + validate + load)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  self-test: FAILED "), std::string::npos) << out;

  std::ostringstream json;
  EXPECT_EQ(run_devices_report(json, true, {Backend::kCuda, std::nullopt}), kExitFailure);
  EXPECT_NE(json.str().find("\"selection\":{\"entry\":\"nvptx64-nvidia-cuda--sm_90.cubin\",\"kind\":\"exact\""),
            std::string::npos)
      << json.str();
  EXPECT_NE(json.str().find("\"driver\":\"12.4\""), std::string::npos) << json.str();

  std::ostringstream selftest;
  EXPECT_EQ(run_selftest(selftest, false), kExitFailure);
  EXPECT_NE(selftest.str().find("FAILED fill 1-byte pattern"), std::string::npos) << selftest.str();
  EXPECT_NE(selftest.str().find("selftest: FAILED\n"), std::string::npos) << selftest.str();
}

TEST(GpuCommandsTest, DeviceReportJson) {
  DeviceReport report;
  report.backend = "cuda";
  report.index = 1;
  report.name = "GPU \"x\"";
  report.target = "sm_90";
  report.selected = true;
  report.selection.entry = "nvptx64-nvidia-cuda--compute_75.ptx";
  report.selection.kind = SelectionKind::kPtxJit;
  report.selection.reason = "no cubin";
  report.selection.jit = true;
  report.load_time = std::chrono::microseconds(13300);
  EXPECT_EQ(device_report_json(report),
            "{\"backend\":\"cuda\",\"index\":1,\"name\":\"GPU \\\"x\\\"\",\"target\":\"sm_90\",\"selection\":{"
            "\"entry\":\"nvptx64-nvidia-cuda--compute_75.ptx\",\"kind\":\"ptx-jit\",\"reason\":\"no cubin\","
            "\"jit\":true},\"load_time_ms\":13.3000,\"ok\":true,\"error\":null}");
}

}  // namespace
}  // namespace devbin::cli
