// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A stream's page-locked staging memory for staged copies (the vendor path
// of an update, devbin/vendor_path.h): the caller's bytes are copied into it
// before the call returns, and cuMemcpyHtoDAsync copies them to the device
// when the stream gets there.
//
// The rule it relies on: a piece of staging memory is written again only
// after the GPU has passed every copy made from it. The memory is
// kSegments segments of kSegmentBytes; when a copy does not fit what is left
// of the current segment, an event is recorded on the stream after the
// segment's last copy and the next segment is taken, after waiting for its
// own event (which is only a wait when the GPU is kSegments - 1 whole
// segments behind). One event per segment, not per copy.
#ifndef DEVBIN_RUNTIME_SRC_CUDA_STAGING_RING_H_
#define DEVBIN_RUNTIME_SRC_CUDA_STAGING_RING_H_

#include <cstdint>
#include <memory>
#include <span>

#include "cuda/device_impl.h"
#include "devbin_internal/cuda_api.h"
#include "device/abi.h"

namespace devbin::cuda {

class StagingRing {
 public:
  static constexpr uint32_t kSegments = 4;
  // Four of the largest updates fit a segment, so a segment's event (one
  // cuEventRecord, as dear as the copy itself) is recorded at most once per
  // four copies.
  static constexpr uint64_t kSegmentBytes = 4 * uint64_t{DEVBIN_UPDATE_MAX_BYTES};
  // A segment's memory, with room to start a copy at the target's offset in
  // a 64-byte line.
  static constexpr uint64_t kSegmentStride = kSegmentBytes + 64;

  // The memory and events for copies on `stream`, in the device's context
  // (current when called).
  static Result<std::unique_ptr<StagingRing>> create(Device::Impl& impl, api::CUstream stream);
  // Waits for the copies still to be made from the memory, then frees it;
  // what fails is kept for Device::close() to report.
  ~StagingRing();
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  // Copies `data` (at most kSegmentBytes) into the memory and enqueues its
  // copy to `target` on the stream, in the device's context (current when
  // called). The caller serializes the calls for one ring.
  Status copy(uint64_t target, std::span<const uint8_t> data);

 private:
  StagingRing(Device::Impl& impl, api::CUstream stream) : impl_(impl), stream_(stream) {}
  Device::Impl& impl_;
  api::CUstream stream_;
  uint8_t* memory_ = nullptr;
  api::CUevent events_[kSegments] = {};
  bool pending_[kSegments] = {};  // events_[i] recorded and not yet waited for
  uint32_t segment_ = 0;
  uint64_t used_ = 0;  // bytes of the current segment taken
};

}  // namespace devbin::cuda

#endif  // DEVBIN_RUNTIME_SRC_CUDA_STAGING_RING_H_
