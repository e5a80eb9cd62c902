// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA driver's own calls that devbin's operations are measured and
// tested against: memset, device-to-device copy, batched copy, 2D copy, 2D
// memset and the host-to-device copy from page-locked memory. They are the
// bench's, not the runtime's: a runtime user calls the driver for these.
//
// Each call goes to the driver devbin loaded (the same libcuda.so.1, through
// devbin_internal/cuda_api.h), in the device's context, made current for the
// call and the caller's put back, on a devbin Stream's CUstream. Entry points
// only the bench calls are looked up here; a driver that lacks one makes that
// call kUnavailable, naming it.
#ifndef DEVBIN_BENCH_CUDA_DRIVER_CALLS_H_
#define DEVBIN_BENCH_CUDA_DRIVER_CALLS_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "devbin/cuda.h"
#include "devbin/status.h"

namespace devbin::cuda {
class ContextScope;  // devbin_internal/cuda_context_scope.h
namespace api {
struct Api;  // devbin_internal/cuda_api.h
}  // namespace api
}  // namespace devbin::cuda

namespace devbin::bench {

class DriverCalls {
 public:
  // The driver `device` was opened on, with the entry points below.
  static Result<DriverCalls> open(const cuda::Device& device);

  // cuMemsetD32Async of `count` 32-bit words.
  Status memset_d32(cuda::Stream& stream, DevicePtr target, uint32_t value, uint64_t count) const;
  // cuMemcpyDtoDAsync.
  Status copy(cuda::Stream& stream, DevicePtr target, DevicePtr source, uint64_t length) const;
  // cuMemcpyBatchAsync of device-to-device copies (CUDA 12.8 and later),
  // stream-ordered; one target, source and length per copy.
  Status copy_batch(cuda::Stream& stream, std::span<const DevicePtr> targets, std::span<const DevicePtr> sources,
                    std::span<const uint64_t> lengths) const;
  // cuMemcpy2DAsync device to device: `height` rows of `width` bytes at
  // pitches `target_pitch` and `source_pitch`.
  Status copy_2d(cuda::Stream& stream, DevicePtr target, uint64_t target_pitch, DevicePtr source,
                 uint64_t source_pitch, uint64_t width, uint64_t height) const;
  // cuMemsetD2D8/16/32Async by the pattern's width (1, 2 or 4 bytes: the
  // driver has no wider one): `height` rows of `width` bytes (a multiple of
  // the pattern width) at `pitch`.
  Status memset_2d(cuda::Stream& stream, DevicePtr target, uint64_t pitch, std::span<const uint8_t> pattern,
                   uint64_t width, uint64_t height) const;
  // cuMemcpyHtoDAsync: `source` (page-locked for an asynchronous copy, see
  // cuda::Device::allocate_host) must stay unchanged until the stream passes the copy.
  Status copy_to_device_async(cuda::Stream& stream, DevicePtr target, const void* source, uint64_t length) const;

 private:
  struct Entries;
  DriverCalls(const cuda::api::Api* api, const Entries* entries, void* context, std::string version)
      : api_(api), entries_(entries), context_(context), version_(std::move(version)) {}
  // The device's context current for one call, the caller's put back after.
  Result<cuda::ContextScope> enter() const;
  // kUnavailable: the driver lacks `call` (`since`: the CUDA version that added it).
  Status lacks(const char* call, const char* since = nullptr) const;
  const cuda::api::Api* api_;  // the driver the runtime loaded
  const Entries* entries_;     // the bench's own entry points, resolved once per driver
  void* context_;              // the device's CUcontext
  std::string version_;        // "13.0", for the messages
};

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_DRIVER_CALLS_H_
