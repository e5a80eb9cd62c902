// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's queue: the AQL ring and its kernarg ring, packet slots,
// the doorbell, completion waiting with a deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "hsa/device_impl.h"

namespace devbin::hsa {

using api::check;
using api::hsa_status_t;

namespace {

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// The smallest queue devbin takes: an indirect dispatch writes 3 packets at once.
constexpr uint32_t kMinQueuePackets = 4;

}  // namespace

void Doorbell::ring(int64_t value) {
  std::lock_guard<std::mutex> lock(mutex);
  last = std::max(last, value);
  api->hsa_signal_store_screlease(signal, last);
}

void Doorbell::ring_again() {
  std::lock_guard<std::mutex> lock(mutex);
  if (open && last >= 0) api->hsa_signal_store_screlease(signal, last);
}

namespace {

// How long one blocking wait lasts before the waiter looks at the queue's
// errors and its deadline. ROCr spins about 200 us at the start of each wait
// before it sleeps, so short slices would burn CPU; a fault or queue error
// that completes no packet is noticed within one slice.
constexpr std::chrono::milliseconds kWaitSlice{50};

// Runs on the runtime's async-handler thread once the patcher completed.
bool ring_again_handler(api::hsa_signal_value_t, void* arg) {
  auto* shared = static_cast<std::shared_ptr<Doorbell>*>(arg);
  Doorbell& doorbell = **shared;
  doorbell.ring_again();
  {
    std::lock_guard<std::mutex> lock(doorbell.mutex);
    --doorbell.pending;
  }
  doorbell.idle.notify_all();
  delete shared;
  return false;  // once
}

std::string label_text(uint16_t label) {
  if (label < kKernelCount) return std::string(kernel_name(static_cast<Kernel>(label)));
  switch (label) {
    case kLabelIndirectBarrier:
      return "dispatch_indirect's barrier-AND";
    case kLabelIndirectTarget:
      return "dispatch_indirect's target, whose header the patcher publishes";
    case kLabelNoOp:
      return "a no-op";
    default:
      return "an unknown packet";
  }
}

}  // namespace

void Queue::Impl::on_error(hsa_status_t status, api::hsa_queue_t*, void* data) {
  static_cast<Impl*>(data)->error.store(status, std::memory_order_release);
}

Status Queue::Impl::queue_error() {
  const auto status = static_cast<hsa_status_t>(error.load(std::memory_order_acquire));
  if (faults.faulted.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(faults.mutex);
    return internal_error("the HSA queue failed: " + describe_fault(*faults.fault) + " on HSA GPU agent " +
                          std::to_string(agent_index) +
                          (status == api::HSA_STATUS_SUCCESS ? std::string()
                                                             : "; the queue reported " + api::error_text(*api, status)) +
                          " (hsa_amd_register_system_event_handler delivered it; the kernel driver stops the "
                          "process's queues on that GPU, so the queue accepts no more work)");
  }
  if (status == api::HSA_STATUS_SUCCESS) return Status::Ok();
  return internal_error("the HSA queue failed: " + api::error_text(*api, status) +
                        " (the runtime reported an error on the queue, such as a kernel's memory fault or a "
                        "packet it refused; the queue accepts no more work)");
}

Status Queue::Impl::wait_completed(uint64_t count, std::string_view operation) {
  const auto target = static_cast<api::hsa_signal_value_t>(count);
  // timeout_hint counts the system timestamp (HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY).
  const uint64_t slice_ticks = api->timestamp_frequency_hz / 1000 * static_cast<uint64_t>(kWaitSlice.count());
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const api::hsa_signal_value_t value = api->hsa_signal_wait_scacquire(
        progress, api::HSA_SIGNAL_CONDITION_LT, 1 - target, slice_ticks, api::HSA_WAIT_STATE_BLOCKED);
    if (-value >= target) return Status::Ok();
    DEVBIN_RETURN_IF_ERROR(queue_error());
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited < wait_timeout) continue;
    const uint64_t completed = value <= 0 ? static_cast<uint64_t>(-value) : 0;
    const uint16_t stuck = labels[completed & (uint64_t{queue->size} - 1)].load(std::memory_order_relaxed);
    std::string message = std::string(operation) + ": HSA GPU agent " + std::to_string(agent_index) +
                          " completed " + std::to_string(completed) + " of the " + std::to_string(count) +
                          " packets waited for in " +
                          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
                          " ms (OpenOptions::wait_timeout); packet " + std::to_string(completed) + " (" +
                          label_text(stuck) + ") has not completed: the GPU is hung or the packet waits forever";
    if (stuck == kLabelIndirectTarget) {
      message += "; an interception layer (rocprofiler or another HSA tool) forwards a packet only at a doorbell "
                 "after its header is valid";
      const auto rering = static_cast<hsa_status_t>(rering_failure.load(std::memory_order_relaxed));
      if (rering != api::HSA_STATUS_SUCCESS) {
        message += ", and the doorbell could not be rung again after the patcher (hsa_amd_signal_async_handler: " +
                   api::error_text(*api, rering) + ")";
      }
    }
    return unavailable(std::move(message));
  }
}

Result<Reservation> Queue::Impl::reserve_slots(uint64_t count, std::string_view operation) {
  DEVBIN_RETURN_IF_ERROR(queue_error());
  if (count > queue->size || count > kernarg_slots) {
    return invalid_argument(std::string(operation) + ": takes " + std::to_string(count) +
                            " packets at once; the queue holds " + std::to_string(queue->size));
  }
  const uint64_t index = api->hsa_queue_add_write_index_scacq_screl(queue, count);
  const uint64_t end = index + count;
  const Reservation reservation{index, submitted};
  if (owned) {
    // Only devbin writes this queue: a slot is free once the packet that
    // used it before completed.
    if (end > queue->size) {
      DEVBIN_RETURN_IF_ERROR(wait_completed(end - queue->size, std::string(operation) + " (waiting for ring space)"));
    }
  } else {
    // Other producers share the ring: its slots are free once the packet
    // processor consumed them; devbin's kernarg slots once devbin's own
    // packets that used them completed.
    if (end > queue->size) {
      DEVBIN_RETURN_IF_ERROR(wait_consumed(end - queue->size, std::string(operation) + " (waiting for ring space)"));
    }
    if (submitted + count > kernarg_slots) {
      DEVBIN_RETURN_IF_ERROR(wait_completed(submitted + count - kernarg_slots,
                                            std::string(operation) + " (waiting for a kernarg slot)"));
    }
  }
  for (uint64_t i = index; i < end; ++i) {
    reserve_packet(slot(i));
    label(i, kLabelNoOp);
  }
  return reservation;
}

Status Queue::Impl::wait_consumed(uint64_t index, std::string_view operation) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const uint64_t read = api->hsa_queue_load_read_index_scacquire(queue);
    if (read >= index) return Status::Ok();
    DEVBIN_RETURN_IF_ERROR(queue_error());
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited >= wait_timeout) {
      return unavailable(std::string(operation) + ": HSA GPU agent " + std::to_string(agent_index) +
                         " consumed the queue's packets up to " + std::to_string(read) + " of the " +
                         std::to_string(index) + " waited for in " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
                         " ms (OpenOptions::wait_timeout): the GPU is hung, or another producer's packet waits "
                         "forever");
    }
    // No signal tells the read index: poll, yielding the core.
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void Queue::Impl::label(uint64_t index, uint16_t what) {
  labels[index & (uint64_t{queue->size} - 1)].store(what, std::memory_order_relaxed);
}

void* Queue::Impl::slot(uint64_t index) const { return packet_slot(queue->base_address, queue->size, index); }

uint8_t* Queue::Impl::kernarg_slot(uint64_t sequence) const {
  return kernargs + (sequence % kernarg_slots) * kernarg_slot_bytes;
}

void Queue::Impl::ring_doorbell(uint64_t last_index) {
  doorbell->ring(static_cast<api::hsa_signal_value_t>(last_index));
}

void Queue::Impl::ring_again_after(uint64_t index) {
  if (api->hsa_amd_signal_async_handler == nullptr) {
    rering_failure.store(api::HSA_STATUS_ERROR_NOT_SUPPORTED, std::memory_order_relaxed);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(doorbell->mutex);
    ++doorbell->pending;
  }
  // Packet `index` has completed once -progress > index.
  auto* shared = new std::shared_ptr<Doorbell>(doorbell);
  const hsa_status_t status = api->hsa_amd_signal_async_handler(
      progress, api::HSA_SIGNAL_CONDITION_LT, -static_cast<api::hsa_signal_value_t>(index), ring_again_handler, shared);
  if (status != api::HSA_STATUS_SUCCESS) {
    delete shared;
    std::lock_guard<std::mutex> lock(doorbell->mutex);
    --doorbell->pending;
    rering_failure.store(status, std::memory_order_relaxed);
  }
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
  unwatch_faults(&faults);
  bool handlers_done = true;
  // A queue whose packets did not complete within wait_timeout is
  // abandoned: the GPU may still run them and read their kernargs, ring and
  // completion signal, so none of those is destroyed or freed (leaked, never
  // a use after free), and destroying the queue cannot block on a hung GPU.
  bool drained = true;
  if (queue != nullptr) {
    if (has_progress && queue_error().ok()) drained = wait_completed(submitted, "destroying the queue").ok();
    if (!drained) return;
    if (doorbell != nullptr) {
      // Every async handler must have run before the doorbell and the
      // progress signal go; one whose patcher never completed (a failed
      // queue) keeps the signal, leaked, rather than risk a use after free.
      std::unique_lock<std::mutex> lock(doorbell->mutex);
      handlers_done = doorbell->idle.wait_for(lock, wait_timeout, [&] { return doorbell->pending == 0; });
      doorbell->open = false;
    }
    if (owned) api->hsa_queue_destroy(queue);
  }
  if (has_progress && handlers_done) api->hsa_signal_destroy(progress);
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
  return impl_->wait_completed(submitted, "Queue::synchronize");
}

void* Queue::native_handle() const { return impl_->queue; }
uint32_t Queue::size() const { return impl_->queue->size; }
bool Queue::owned() const { return impl_->owned; }
const devbin::Device* Queue::owner() const { return impl_->device; }
Status Queue::submit(std::span<const Launch> launches) { return impl_->device->launch(*this, launches); }

Result<std::unique_ptr<Queue>> Device::create_queue(uint32_t packets) const {
  const uint32_t min_size = std::max<uint32_t>(properties_.queue_min_size, kMinQueuePackets);
  const uint32_t max_size = properties_.queue_max_size;
  if (packets == 0) packets = std::clamp<uint32_t>(1024, min_size, std::max(min_size, max_size));
  if (!is_power_of_two(packets) || packets < min_size || packets > max_size) {
    return invalid_argument("create_queue: " + std::to_string(packets) + " packets; expected a power of two from " +
                            std::to_string(min_size) + " to " + std::to_string(max_size));
  }
  const api::Api& runtime = *impl_->api;
  auto impl = std::make_unique<Queue::Impl>();
  api::hsa_queue_t* queue = nullptr;
  DEVBIN_RETURN_IF_ERROR(check(runtime,
                               runtime.hsa_queue_create(impl_->agent, packets, api::HSA_QUEUE_TYPE_MULTI,
                                                        &Queue::Impl::on_error, impl.get(), UINT32_MAX, UINT32_MAX,
                                                        &queue),
                               "hsa_queue_create"));
  impl->queue = queue;
  return attach_queue(std::move(impl), true);
}

Result<std::unique_ptr<devbin::Queue>> Device::create_own_queue() const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Queue> queue, create_queue());
  return std::unique_ptr<devbin::Queue>(std::move(queue));
}

Result<std::unique_ptr<devbin::Queue>> Device::wrap_queue(void* native_queue) const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Queue> queue, wrap_hsa_queue(native_queue));
  return std::unique_ptr<devbin::Queue>(std::move(queue));
}

Result<std::unique_ptr<Queue>> Device::wrap_hsa_queue(void* hsa_queue) const {
  const std::string what = name() + ": wrap_queue: ";
  if (hsa_queue == nullptr) return invalid_argument(what + "a null hsa_queue_t*");
  auto* queue = static_cast<api::hsa_queue_t*>(hsa_queue);
  if (queue->type != api::HSA_QUEUE_TYPE_MULTI && queue->type != api::HSA_QUEUE_TYPE_SINGLE) {
    return invalid_argument(what + "the queue's type is " + std::to_string(queue->type) +
                            "; expected HSA_QUEUE_TYPE_MULTI (0) or HSA_QUEUE_TYPE_SINGLE (1)");
  }
  if (!is_power_of_two(queue->size) || queue->size < kMinQueuePackets) {
    return invalid_argument(what + "the queue holds " + std::to_string(queue->size) +
                            " packets; expected a power of two of at least " + std::to_string(kMinQueuePackets) +
                            " (an indirect dispatch takes 3 at once)");
  }
  if (queue->base_address == nullptr || queue->doorbell_signal.handle == 0) {
    return invalid_argument(what + "the queue has no ring (base_address) or no doorbell signal: not a queue the "
                            "HSA runtime created");
  }
  auto impl = std::make_unique<Queue::Impl>();
  impl->queue = queue;
  return attach_queue(std::move(impl), false);
}

// What every devbin Queue has beside the hsa_queue_t: the doorbell's guard,
// slot labels, fault watching, the completion signal and the kernarg ring.
Result<std::unique_ptr<Queue>> Device::attach_queue(std::unique_ptr<Queue::Impl> impl, bool owned) const {
  const api::Api& runtime = *impl_->api;
  impl->api = &runtime;
  impl->device = this;
  impl->owned = owned;
  impl->faults.agent = impl_->agent;
  impl->agent_index = properties_.ordinal;
  impl->wait_timeout = impl_->wait_timeout;
  impl->kernarg_slot_bytes = impl_->kernarg_slot_bytes;
  impl->kernarg_slots = impl->queue->size;
  impl->doorbell = std::make_shared<Doorbell>();
  impl->doorbell->api = &runtime;
  impl->doorbell->signal = impl->queue->doorbell_signal;
  impl->labels = std::make_unique<std::atomic<uint16_t>[]>(impl->queue->size);
  watch_faults(&impl->faults);
  DEVBIN_RETURN_IF_ERROR(
      check(runtime, runtime.hsa_signal_create(0, 0, nullptr, &impl->progress), "hsa_signal_create"));
  impl->has_progress = true;
  DEVBIN_ASSIGN_OR_RETURN(
      void* kernargs,
      impl_->allocate(impl_->pools.kernarg, uint64_t{impl->kernarg_slots} * impl->kernarg_slot_bytes, true));
  impl->kernargs = static_cast<uint8_t*>(kernargs);
  return std::unique_ptr<Queue>(new Queue(std::move(impl)));
}

}  // namespace devbin::hsa
