// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's launch primitive and grid policy: launch descriptions
// as AQL kernel-dispatch packets on a queue, or as recorded packets in the
// caller's memory; dispatch_indirect (three packets); and the synchronous
// host <-> device copies.
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

#include "devbin/kernel_args.h"
#include "hsa/device_impl.h"

namespace devbin::hsa {

using api::check;

namespace {

template <typename T>
std::span<const uint8_t> bytes_of(const T& value) {
  return {reinterpret_cast<const uint8_t*>(&value), sizeof(T)};
}

}  // namespace

LaunchGrid Device::grid(Kernel, GridKind kind, uint64_t count) const {
  const uint32_t size = limits_.workgroup_size;
  switch (kind) {
    case GridKind::kStride:
      // One resident wave at most (workgroup_count): the covering grid the
      // CUDA backend takes for copy and fill has not been measured on AMD.
      return {workgroup_count(limits_, count), size};
    case GridKind::kChunked:
      return {workgroup_count(limits_, std::min<uint64_t>(count, UINT32_MAX) * size), size};
    case GridKind::kCover:
      return {static_cast<uint32_t>(std::min<uint64_t>((count + size - 1) / size, UINT32_MAX)), size};
    case GridKind::kSingle:
      return {1, 1};
  }
  return {};
}

Status Device::launch(Queue& queue, std::span<const Launch> launches) const {
  Queue::Impl& q = *queue.impl_;
  HiddenArgumentValues hidden;
  hidden.queue = reinterpret_cast<uintptr_t>(q.queue);
  std::lock_guard<std::mutex> lock(q.mutex);
  for (const Launch& launch : launches) {
    if (launch.grid.workgroups == 0) continue;
    const DispatchGeometry geometry = linear_geometry(launch.grid.workgroups, launch.grid.workgroup_size);
    DEVBIN_RETURN_IF_ERROR(check_geometry(geometry));
    const std::string_view name = kernel_name(launch.kernel);
    const KernelInfo& kernel = metadata(launch.kernel);
    DEVBIN_ASSIGN_OR_RETURN(const Reservation reserved, q.reserve_slots(1, name));
    uint8_t* kernargs = q.kernarg_slot(reserved.sequence);
    // The kernel's own segment, not the whole slot: the slot fits the largest
    // kernel (devbin_update's 4 KiB), which a fill need not zero.
    const size_t segment = std::min<size_t>(q.kernarg_slot_bytes, kernel.kernarg_segment_size);
    Status written = write_kernargs({kernargs, segment}, kernel, launch.arguments(), geometry, hidden);
    void* slot = q.slot(reserved.index);
    if (!written.ok()) {
      q.publish_no_ops({slot});
      q.published(1);
      q.ring_doorbell(reserved.index);
      return written;
    }
    const devbin_aql_kernel_dispatch_packet_t packet = make_dispatch_packet(
        kernels_[static_cast<size_t>(launch.kernel)], geometry, reinterpret_cast<uintptr_t>(kernargs),
        q.progress.handle);
    write_packet_body(slot, &packet);
    q.label(reserved.index, static_cast<uint16_t>(launch.kernel));
    publish_packet(slot, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
    q.published(1);
    q.ring_doorbell(reserved.index);
  }
  return Status::Ok();
}

uint32_t Device::recorded_args_size(Kernel kernel) const { return metadata(kernel).kernarg_segment_size; }

Status Device::record(const Launch& launch, devbin_recorded_launch_t& out, std::span<uint8_t> args) const {
  const DispatchGeometry geometry = linear_geometry(launch.grid.workgroups, launch.grid.workgroup_size);
  DEVBIN_RETURN_IF_ERROR(check_geometry(geometry));
  const KernelInfo& kernel = metadata(launch.kernel);
  // hidden_queue_ptr stays 0: the queue is the caller's choice, and no
  // builtin kernel reads it.
  DEVBIN_RETURN_IF_ERROR(write_kernargs(args, kernel, launch.arguments(), geometry, {}));
  out.kernel = static_cast<uint32_t>(launch.kernel);
  out.args_size = static_cast<uint32_t>(args.size());
  out.args = args.data();
  out.hsa.packet = make_dispatch_packet(kernels_[static_cast<size_t>(launch.kernel)], geometry,
                                        reinterpret_cast<uintptr_t>(args.data()), 0);
  out.hsa.header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
  out.hsa.setup = out.hsa.packet.setup;
  out.hsa.packet.header = 0;
  out.hsa.packet.setup = 0;
  return Status::Ok();
}

std::string Device::name() const { return "HSA GPU agent " + std::to_string(properties_.ordinal); }

std::string Device::summary() const {
  return std::to_string(properties_.compute_unit_count) + " CUs, wave" + std::to_string(properties_.wavefront_size);
}

Result<uint64_t> Device::timestamp_frequency_hz() const {
  if (properties_.timestamp_frequency_hz == 0) {
    return failed_precondition(name() + " (" + properties_.name +
                               ") reports no HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY (ROCm 6 and later do), so its "
                               "timestamps cannot be turned into host time");
  }
  return properties_.timestamp_frequency_hz;
}

namespace {

// An hsa::Buffer as the neutral interface's Buffer.
class NeutralBuffer final : public devbin::Buffer {
 public:
  explicit NeutralBuffer(hsa::Buffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }
  void* host_pointer() const override { return buffer_.host_pointer(); }

 private:
  hsa::Buffer buffer_;
};

}  // namespace

Result<std::unique_ptr<devbin::Buffer>> Device::allocate_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(hsa::Buffer buffer, allocate(bytes));
  return std::unique_ptr<devbin::Buffer>(new NeutralBuffer(std::move(buffer)));
}

// The kernarg pool: recorded packets' kernarg segments must be there, and
// it is host memory the GPU reads like any other.
Result<std::unique_ptr<devbin::Buffer>> Device::allocate_host_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(hsa::Buffer buffer, allocate(bytes, MemoryKind::kKernarg));
  return std::unique_ptr<devbin::Buffer>(new NeutralBuffer(std::move(buffer)));
}

Status Device::dispatch_indirect(Queue& queue, const IndirectDispatch& request) const {
  const KernelInfo& metadata = this->metadata(Kernel::devbin_dispatch_patch);
  const LoadedKernel& patcher = kernels_[static_cast<size_t>(Kernel::devbin_dispatch_patch)];
  Queue::Impl& q = *queue.impl_;
  std::lock_guard<std::mutex> lock(q.mutex);
  // Argument errors before a slot is taken: a dry run with stand-in addresses.
  DEVBIN_RETURN_IF_ERROR(make_indirect_dispatch(patcher, 64, request, 64, 0).status());

  DEVBIN_ASSIGN_OR_RETURN(const Reservation reserved, q.reserve_slots(3, "dispatch_indirect"));
  const uint64_t index = reserved.index;
  void* patcher_slot = q.slot(index);
  void* barrier_slot = q.slot(index + 1);
  void* target_slot = q.slot(index + 2);
  uint8_t* kernargs = q.kernarg_slot(reserved.sequence);
  auto packets_or = make_indirect_dispatch(patcher, reinterpret_cast<uintptr_t>(kernargs), request,
                                           reinterpret_cast<uintptr_t>(target_slot), q.progress.handle);
  Status written = packets_or.status();
  if (written.ok()) {
    HiddenArgumentValues hidden;
    hidden.queue = reinterpret_cast<uintptr_t>(q.queue);
    written = write_kernargs({kernargs, q.kernarg_slot_bytes}, metadata, bytes_of(packets_or->patch_args),
                             linear_geometry(1, 1), hidden);
  }
  if (!written.ok()) {
    q.publish_no_ops({target_slot, barrier_slot, patcher_slot});
    q.published(3);
    q.ring_doorbell(index + 2);
    return written;
  }
  const IndirectPackets& packets = packets_or.value();
  // Bodies first; then the barrier's header and, last, the patcher's, which
  // lets the packet processor start. The target's header is the patcher's to write.
  write_packet_body(target_slot, &packets.target);
  write_packet_body(barrier_slot, &packets.barrier);
  write_packet_body(patcher_slot, &packets.patcher);
  q.label(index, static_cast<uint16_t>(Kernel::devbin_dispatch_patch));
  q.label(index + 1, kLabelIndirectBarrier);
  q.label(index + 2, kLabelIndirectTarget);
  publish_packet(barrier_slot, packets.barrier_header, 0);
  publish_packet(patcher_slot, packets.patcher_header, packets.patcher_setup);
  q.published(3);
  q.ring_doorbell(index + 2);
  // The target's header is valid only once the patcher ran: ring again then.
  q.ring_again_after(index);
  return Status::Ok();
}

Status Device::copy_to_device(DevicePtr target, const void* source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_device", target, source, length));
  if (length == 0) return Status::Ok();
  return check(*impl_->api,
               impl_->api->hsa_memory_copy(reinterpret_cast<void*>(static_cast<uintptr_t>(target)), source, length),
               "hsa_memory_copy(host to device)");
}

Status Device::copy_to_host(void* target, DevicePtr source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_host", source, target, length));
  if (length == 0) return Status::Ok();
  return check(
      *impl_->api,
      impl_->api->hsa_memory_copy(target, reinterpret_cast<const void*>(static_cast<uintptr_t>(source)), length),
      "hsa_memory_copy(device to host)");
}

}  // namespace devbin::hsa
