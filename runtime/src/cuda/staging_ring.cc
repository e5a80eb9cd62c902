// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "cuda/staging_ring.h"

#include <cstring>
#include <string>

namespace devbin::cuda {

using api::check;

Result<std::unique_ptr<StagingRing>> StagingRing::create(Device::Impl& impl, api::CUstream stream) {
  const api::Api& api = *impl.api;
  if (api.cuMemAllocHost_v2 == nullptr || api.cuMemFreeHost == nullptr || api.cuMemcpyHtoDAsync_v2 == nullptr) {
    return unavailable("staged copy: the CUDA driver lacks cuMemAllocHost_v2, cuMemFreeHost or cuMemcpyHtoDAsync_v2");
  }
  std::unique_ptr<StagingRing> ring(new StagingRing(impl, stream));
  void* memory = nullptr;
  DEVBIN_RETURN_IF_ERROR(check(api, api.cuMemAllocHost_v2(&memory, kSegments * kSegmentStride), "cuMemAllocHost")
                             .annotate("staging memory for staged copies"));
  ring->memory_ = static_cast<uint8_t*>(memory);
  for (api::CUevent& event : ring->events_) {
    DEVBIN_RETURN_IF_ERROR(check(api, api.cuEventCreate(&event, api::CU_EVENT_DISABLE_TIMING), "cuEventCreate")
                               .annotate("staging memory for staged copies"));
  }
  return ring;
}

StagingRing::~StagingRing() {
  const api::Api& api = *impl_.api;
  auto scope = impl_.enter();
  if (!scope.ok()) {
    impl_.teardown_failed("a stream's staging memory", scope.status());
    return;
  }
  // The current segment's copies are the stream's last devbin work: an
  // event after them covers them as the other segments' events cover theirs.
  if (used_ != 0 && events_[segment_] != nullptr) {
    Status recorded = check(api, api.cuEventRecord(events_[segment_], stream_), "cuEventRecord");
    if (recorded.ok()) {
      pending_[segment_] = true;
    } else {
      impl_.teardown_failed("a stream's staging memory (marking its last copies)", recorded);
      Status waited = check(api, api.cuStreamSynchronize(stream_), "cuStreamSynchronize");
      if (!waited.ok()) impl_.teardown_failed("a stream's staging memory (waiting for its copies)", waited);
    }
  }
  for (uint32_t i = 0; i < kSegments; ++i) {
    if (events_[i] == nullptr) continue;
    if (pending_[i]) {
      Status waited = check(api, api.cuEventSynchronize(events_[i]), "cuEventSynchronize");
      if (!waited.ok()) impl_.teardown_failed("a stream's staging memory (waiting for its copies)", waited);
    }
    Status destroyed = check(api, api.cuEventDestroy_v2(events_[i]), "cuEventDestroy");
    if (!destroyed.ok()) impl_.teardown_failed("a staging event", destroyed);
  }
  if (memory_ != nullptr) {
    Status freed = check(api, api.cuMemFreeHost(memory_), "cuMemFreeHost");
    if (!freed.ok()) impl_.teardown_failed("a stream's staging memory", freed);
  }
}

Status StagingRing::copy(uint64_t target, std::span<const uint8_t> data) {
  if (data.size() > kSegmentBytes) {
    return invalid_argument("staged copy of " + std::to_string(data.size()) + " bytes; expected at most " +
                            std::to_string(kSegmentBytes));
  }
  const api::Api& api = *impl_.api;
  // The copy starts at the target's offset in a 64-byte line, so the copy
  // engine reads and writes at the same alignment.
  const uint64_t line = target % 64;
  uint64_t start = (used_ + 63) / 64 * 64 + line;
  if (start + data.size() > kSegmentStride) {
    const uint32_t next = (segment_ + 1) % kSegments;
    DEVBIN_RETURN_IF_ERROR(check(api, api.cuEventRecord(events_[segment_], stream_), "cuEventRecord"));
    pending_[segment_] = true;
    if (pending_[next]) {
      DEVBIN_RETURN_IF_ERROR(check(api, api.cuEventSynchronize(events_[next]), "cuEventSynchronize"));
      pending_[next] = false;
    }
    segment_ = next;
    used_ = 0;
    start = line;
  }
  uint8_t* slot = memory_ + segment_ * kSegmentStride + start;
  std::memcpy(slot, data.data(), data.size());
  DEVBIN_RETURN_IF_ERROR(
      check(api, api.cuMemcpyHtoDAsync_v2(target, slot, data.size(), stream_), "cuMemcpyHtoDAsync"));
  used_ = start + data.size();
  return Status::Ok();
}

}  // namespace devbin::cuda
