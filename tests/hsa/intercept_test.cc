// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Indirect dispatch under an interception layer, against the stand-in's model
// of ROCr's InterceptQueue (DEVBIN_STAND_IN_HSA_INTERCEPT, stand_in_runtime.h): with
// rocprofiler or another HSA tool loaded, packets reach the GPU only at a
// doorbell, up to the first INVALID header. The target packet of an indirect
// dispatch becomes valid only when the patcher kernel runs, after the last
// doorbell, so devbin rings the doorbell again once the patcher completed
// (hsa_amd_signal_async_handler). Without that the target is never forwarded:
// the wait times out and says so.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <span>
#include <vector>

#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

class HsaIntercept : public HsaDevice {
 protected:
  // An indirect fill of `target` (kBytes) with counts {2,1,1} of 64 work-items.
  static constexpr uint64_t kBytes = 2048;
  Status dispatch_fill(Device& device, Queue& queue, const Buffer& target, const Buffer& control) {
    uint8_t* host = static_cast<uint8_t*>(control.host_pointer());
    const uint32_t counts[3] = {2, 1, 1};
    std::memcpy(host, counts, sizeof(counts));
    const KernelInfo* fill = device.code_object().find_kernel("devbin_fill");
    if (fill == nullptr) return internal_error("no devbin_fill");
    const uint8_t pattern[1] = {0x5a};
    auto args = make_fill_args(target.address(), kBytes, pattern);
    DEVBIN_RETURN_IF_ERROR(args.status());
    DEVBIN_RETURN_IF_ERROR(write_kernargs({host + 256, fill->kernarg_segment_size}, *fill,
                                          {reinterpret_cast<const uint8_t*>(&args.value()), sizeof(devbin_fill_args_t)},
                                          linear_geometry(2, 64)));
    IndirectDispatch request;
    request.kernel = device.kernel(Kernel::devbin_fill);
    request.kernarg_address = control.address() + 256;
    request.workgroup_size[0] = 64;
    request.workgroup_counts = control.address();
    return device.dispatch_indirect(queue, request);
  }
};

TEST_F(HsaIntercept, TheDoorbellRingsAgainAfterThePatcher) {
  setenv(DEVBIN_STAND_IN_HSA_INTERCEPT_ENV, "1", 1);
  OpenOptions options;
  options.wait_timeout = std::chrono::seconds(20);
  auto device = open_device(0, options);
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  auto target = device->allocate(kBytes);
  auto control = device->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(queue.ok() && target.ok() && control.ok());
  // Plain packets are whole at the doorbell: the layer forwards them at once.
  const uint8_t zero = 0;
  ASSERT_TRUE(device->fill(**queue, target->address(), kBytes, {&zero, 1}).ok());
  ASSERT_TRUE((*queue)->synchronize().ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(dispatch_fill(*device, **queue, *target, *control).ok());
    Status synced = (*queue)->synchronize();
    ASSERT_TRUE(synced.ok()) << synced.to_string();
  }
  std::vector<uint8_t> result(kBytes);
  ASSERT_TRUE(device->copy_to_host(result.data(), target->address(), kBytes).ok());
  for (size_t i = 0; i < kBytes; ++i) ASSERT_EQ(result[i], 0x5a) << "byte " << i;
}

// The same dispatch where the doorbell cannot be rung again (the runtime
// refuses the async handler): the target is never forwarded, and the wait
// ends at its deadline with a message naming the packet and the cause.
TEST_F(HsaIntercept, WithoutTheSecondDoorbellTheTargetIsNeverForwarded) {
  setenv(DEVBIN_STAND_IN_HSA_INTERCEPT_ENV, "1", 1);
  setenv(DEVBIN_STAND_IN_HSA_NO_ASYNC_HANDLER_ENV, "1", 1);
  OpenOptions options;
  options.wait_timeout = std::chrono::milliseconds(300);
  auto device = open_device(0, options);
  ASSERT_NE(device, nullptr);
  const uint64_t before_queue = stand_in_.live_bytes();
  auto queue = device->create_queue(64);
  // The target never runs, so the queue is abandoned at the end: its kernarg ring stays.
  live_bytes_before_ += stand_in_.live_bytes() - before_queue;
  auto target = device->allocate(kBytes);
  auto control = device->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(queue.ok() && target.ok() && control.ok());
  ASSERT_TRUE(dispatch_fill(*device, **queue, *target, *control).ok());
  const auto start = std::chrono::steady_clock::now();
  Status synced = (*queue)->synchronize();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_FALSE(synced.ok());
  EXPECT_EQ(synced.code(), StatusCode::kUnavailable);
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(),
                      "Queue::synchronize: HSA GPU agent 0 completed 2 of the 3 packets waited for");
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(),
                      "packet 2 (dispatch_indirect's target, whose header the patcher publishes) has not completed");
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(), "an interception layer");
  EXPECT_PRED_FORMAT2(assert_contains, synced.message(),
                      "hsa_amd_signal_async_handler: HSA_STATUS_ERROR_OUT_OF_RESOURCES");
}

}  // namespace
}  // namespace devbin::hsa
