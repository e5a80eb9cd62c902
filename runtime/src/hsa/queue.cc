// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's queue: the AQL ring and its kernarg ring, packet slots,
// the doorbell and completion waiting.
#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "hsa/device_impl.h"

namespace devbin::hsa {

using api::check;
using api::hsa_status_t;

namespace {

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

void Queue::Impl::on_error(hsa_status_t status, api::hsa_queue_t*, void* data) {
  static_cast<Impl*>(data)->error.store(status, std::memory_order_release);
}

Status Queue::Impl::queue_error() const {
  const auto status = static_cast<hsa_status_t>(error.load(std::memory_order_acquire));
  if (status == api::HSA_STATUS_SUCCESS) return Status::Ok();
  return internal_error("the HSA queue failed: " + api::error_text(*api, status) +
                        " (the runtime reported an error on the queue, such as a kernel's memory fault or a "
                        "packet it refused; the queue accepts no more work)");
}

Status Queue::Impl::wait_completed(uint64_t count) const {
  // A bounded wait, so a queue error (which never completes the packet) is noticed.
  constexpr uint64_t kTimeoutHint = 1000000;
  const auto target = static_cast<api::hsa_signal_value_t>(count);
  while (true) {
    const api::hsa_signal_value_t value = api->hsa_signal_wait_scacquire(
        progress, api::HSA_SIGNAL_CONDITION_LT, 1 - target, kTimeoutHint, api::HSA_WAIT_STATE_BLOCKED);
    if (-value >= target) return Status::Ok();
    DEVBIN_RETURN_IF_ERROR(queue_error());
  }
}

Result<uint64_t> Queue::Impl::reserve_slots(uint64_t count) {
  DEVBIN_RETURN_IF_ERROR(queue_error());
  const uint64_t index = api->hsa_queue_add_write_index_scacq_screl(queue, count);
  const uint64_t end = index + count;
  if (end > queue->size) DEVBIN_RETURN_IF_ERROR(wait_completed(end - queue->size));
  for (uint64_t i = index; i < end; ++i) reserve_packet(slot(i));
  return index;
}

void* Queue::Impl::slot(uint64_t index) const { return packet_slot(queue->base_address, queue->size, index); }

uint8_t* Queue::Impl::kernarg_slot(uint64_t index) const {
  return kernargs + (index & (uint64_t{queue->size} - 1)) * kernarg_slot_bytes;
}

void Queue::Impl::ring_doorbell(uint64_t last_index) {
  api->hsa_signal_store_screlease(queue->doorbell_signal, static_cast<api::hsa_signal_value_t>(last_index));
  submitted = last_index + 1;
}

void Queue::Impl::publish_no_ops(std::initializer_list<void*> slots) {
  AqlBarrierAndPacket nop;
  nop.completion_signal = progress.handle;
  for (void* at : slots) {
    write_packet_body(at, &nop);
    publish_packet(at, ordered_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND), 0);
  }
}

Queue::Impl::~Impl() {
  if (queue != nullptr) {
    if (has_progress && queue_error().ok()) (void)wait_completed(submitted);
    api->hsa_queue_destroy(queue);
  }
  if (has_progress) api->hsa_signal_destroy(progress);
  if (kernargs != nullptr) api->hsa_amd_memory_pool_free(kernargs);
}

Queue::Queue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Queue::~Queue() = default;

Status Queue::synchronize() {
  // The packets enqueued before this call, by any thread; the wait itself
  // holds no lock, so other threads go on enqueueing meanwhile.
  uint64_t submitted = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    submitted = impl_->submitted;
  }
  DEVBIN_RETURN_IF_ERROR(impl_->queue_error());
  return impl_->wait_completed(submitted);
}

void* Queue::native_handle() const { return impl_->queue; }
uint32_t Queue::size() const { return impl_->queue->size; }

Result<std::unique_ptr<Queue>> Device::create_queue(uint32_t packets) const {
  const uint32_t min_size = std::max<uint32_t>(properties_.queue_min_size, 4);
  const uint32_t max_size = properties_.queue_max_size;
  if (packets == 0) packets = std::clamp<uint32_t>(1024, min_size, std::max(min_size, max_size));
  if (!is_power_of_two(packets) || packets < min_size || packets > max_size) {
    return invalid_argument("create_queue: " + std::to_string(packets) + " packets; expected a power of two from " +
                            std::to_string(min_size) + " to " + std::to_string(max_size));
  }
  const api::Api& runtime = *impl_->api;
  auto impl = std::make_unique<Queue::Impl>();
  impl->api = &runtime;
  impl->kernarg_slot_bytes = impl_->kernarg_slot_bytes;
  DEVBIN_RETURN_IF_ERROR(
      check(runtime,
            runtime.hsa_queue_create(impl_->agent, packets, api::HSA_QUEUE_TYPE_MULTI, &Queue::Impl::on_error,
                                     impl.get(), UINT32_MAX, UINT32_MAX, &impl->queue),
            "hsa_queue_create"));
  DEVBIN_RETURN_IF_ERROR(
      check(runtime, runtime.hsa_signal_create(0, 0, nullptr, &impl->progress), "hsa_signal_create"));
  impl->has_progress = true;
  DEVBIN_ASSIGN_OR_RETURN(
      void* kernargs,
      impl_->allocate(impl_->pools.kernarg, uint64_t{impl->queue->size} * impl->kernarg_slot_bytes, true));
  impl->kernargs = static_cast<uint8_t*>(kernargs);
  return std::unique_ptr<Queue>(new Queue(std::move(impl)));
}

}  // namespace devbin::hsa
