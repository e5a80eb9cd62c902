// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's operations: the builtin kernels as AQL packets (launch,
// fill, copy, batch, copy_rect, fill_rect, timestamp, dispatch_patch,
// dispatch_indirect) and the
// synchronous host <-> device copies.
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

Status Device::launch(Queue& queue, Kernel kernel, std::span<const uint8_t> args,
                      const DispatchGeometry& geometry) const {
  DEVBIN_RETURN_IF_ERROR(check_geometry(geometry));
  const std::string name(kernel_name(kernel));
  const KernelInfo* metadata = code_object_.find_kernel(name);
  if (metadata == nullptr) return internal_error("no metadata for kernel " + name);
  const LoadedKernel& loaded = kernels_[static_cast<size_t>(kernel)];
  Queue::Impl& q = *queue.impl_;
  std::lock_guard<std::mutex> lock(q.mutex);
  DEVBIN_ASSIGN_OR_RETURN(const uint64_t index, q.reserve_slots(1, name));
  uint8_t* kernargs = q.kernarg_slot(index);
  HiddenArgumentValues hidden;
  hidden.queue = reinterpret_cast<uintptr_t>(q.queue);
  // The kernel's own segment, not the whole slot: the slot fits the largest
  // kernel (devbin_update's 4 KiB), which a fill need not zero.
  const size_t segment = std::min<size_t>(q.kernarg_slot_bytes, metadata->kernarg_segment_size);
  Status written = write_kernargs({kernargs, segment}, *metadata, args, geometry, hidden);
  void* slot = q.slot(index);
  if (!written.ok()) {
    q.publish_no_ops({slot});
    q.ring_doorbell(index);
    return written;
  }
  const devbin_aql_kernel_dispatch_packet_t packet =
      make_dispatch_packet(loaded, geometry, reinterpret_cast<uintptr_t>(kernargs), q.progress.handle);
  write_packet_body(slot, &packet);
  q.label(index, static_cast<uint16_t>(kernel));
  publish_packet(slot, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
  q.ring_doorbell(index);
  return Status::Ok();
}

Status Device::fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_args_t args, make_fill_args(target, length, pattern));
  if (length == 0) return Status::Ok();
  // Work-items as device/abi.h counts them, plus one for a head and tail that
  // straddle words. The grid stays one resident wave (workgroup_count): the
  // covering grid the CUDA backend takes for copy and fill has no AMD figures yet
  // (bench/RESULTS.md covers NVIDIA only).
  const uint32_t groups = workgroup_count(limits_, length / (16 * DEVBIN_FILL_WORDS_PER_ITEM) + 2);
  return launch(queue, Kernel::devbin_fill, bytes_of(args), linear_geometry(groups, limits_.workgroup_size));
}

Status Device::copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_args_t args, make_copy_args(target, source, length));
  if (length == 0) return Status::Ok();
  const uint32_t groups = workgroup_count(limits_, length / (16 * DEVBIN_COPY_WORDS_PER_ITEM) + 2);
  return launch(queue, Kernel::devbin_copy, bytes_of(args), linear_geometry(groups, limits_.workgroup_size));
}

Status Device::batch(Queue& queue, const devbin_batch_args_t& args) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t checked,
                          make_batch_args(args.ops, args.op_count, args.chunk_count, args.chunk_bytes));
  // A workgroup per chunk.
  return launch_chunked(queue, Kernel::devbin_batch, bytes_of(checked), checked.chunk_count);
}

Status Device::launch_chunked(Queue& queue, Kernel kernel, std::span<const uint8_t> args, uint64_t groups) const {
  if (groups == 0) return Status::Ok();
  // At most one resident wave: workgroups then take several chunks each.
  const uint64_t wanted = std::min<uint64_t>(groups, UINT32_MAX);
  const uint32_t launched = workgroup_count(limits_, wanted * limits_.workgroup_size);
  return launch(queue, kernel, args, linear_geometry(launched, limits_.workgroup_size));
}

// The rect kernels: workgroups of about kRect*GroupBytes of rows each
// (rect_workgroup_count).
Status Device::copy_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_region_t& source,
                         const devbin_rect_extent_t& extent) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_rect_args_t args, make_copy_rect_args(target, source, extent));
  return launch_chunked(queue, Kernel::devbin_copy_rect, bytes_of(args), rect_workgroup_count(args, kRectCopyGroupBytes));
}

Status Device::fill_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                         std::span<const uint8_t> pattern) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_rect_args_t args, make_fill_rect_args(target, extent, pattern));
  return launch_chunked(queue, Kernel::devbin_fill_rect, bytes_of(args), rect_workgroup_count(args, kRectFillGroupBytes));
}

Status Device::timestamp(Queue& queue, DevicePtr record) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_timestamp_args_t args, make_timestamp_args(record));
  return launch(queue, Kernel::devbin_timestamp, bytes_of(args), linear_geometry(1, 1));
}

Status Device::dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const {
  DEVBIN_RETURN_IF_ERROR(check_dispatch_args(args));
  return launch(queue, Kernel::devbin_dispatch_patch, bytes_of(args), linear_geometry(1, 1));
}

Status Device::update(Queue& queue, DevicePtr target, std::span<const uint8_t> data) const {
  DEVBIN_RETURN_IF_ERROR(check_update(target, data));
  // launch() copies the argument into the packet's kernarg slot.
  for (size_t done = 0; done < data.size(); done += DEVBIN_UPDATE_BYTES) {
    const size_t bytes = std::min<size_t>(data.size() - done, DEVBIN_UPDATE_BYTES);
    DEVBIN_ASSIGN_OR_RETURN(devbin_update_args_t args, make_update_args(target + done, data.subspan(done, bytes)));
    // A work-item per target word, in as many workgroups as that takes.
    const uint64_t words = (args.shift + bytes + 3) / 4;
    const uint32_t size = limits_.workgroup_size;
    const uint32_t groups = static_cast<uint32_t>((words + size - 1) / size);
    DEVBIN_RETURN_IF_ERROR(launch(queue, Kernel::devbin_update, bytes_of(args), linear_geometry(groups, size)));
  }
  return Status::Ok();
}

Status Device::dispatch_indirect(Queue& queue, const IndirectDispatch& request) const {
  const std::string name(kernel_name(Kernel::devbin_dispatch_patch));
  const KernelInfo* metadata = code_object_.find_kernel(name);
  if (metadata == nullptr) return internal_error("no metadata for kernel " + name);
  const LoadedKernel& patcher = kernels_[static_cast<size_t>(Kernel::devbin_dispatch_patch)];
  Queue::Impl& q = *queue.impl_;
  std::lock_guard<std::mutex> lock(q.mutex);
  // Argument errors before a slot is taken: a dry run with stand-in addresses.
  DEVBIN_RETURN_IF_ERROR(make_indirect_dispatch(patcher, 64, request, 64, 0).status());

  DEVBIN_ASSIGN_OR_RETURN(const uint64_t index, q.reserve_slots(3, "dispatch_indirect"));
  void* patcher_slot = q.slot(index);
  void* barrier_slot = q.slot(index + 1);
  void* target_slot = q.slot(index + 2);
  uint8_t* kernargs = q.kernarg_slot(index);
  auto packets_or = make_indirect_dispatch(patcher, reinterpret_cast<uintptr_t>(kernargs), request,
                                           reinterpret_cast<uintptr_t>(target_slot), q.progress.handle);
  Status written = packets_or.status();
  if (written.ok()) {
    HiddenArgumentValues hidden;
    hidden.queue = reinterpret_cast<uintptr_t>(q.queue);
    written = write_kernargs({kernargs, q.kernarg_slot_bytes}, *metadata, bytes_of(packets_or->patch_args),
                             linear_geometry(1, 1), hidden);
  }
  if (!written.ok()) {
    q.publish_no_ops({target_slot, barrier_slot, patcher_slot});
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
  q.ring_doorbell(index + 2);
  // The target's header is valid only once the patcher ran: ring again then.
  q.ring_again_after(index);
  return Status::Ok();
}

Status Device::copy_to_device(DevicePtr target, const void* source, uint64_t length) const {
  if (length == 0) return Status::Ok();
  if (target == 0 || source == nullptr) return invalid_argument("copy_to_device: null target or source");
  return check(*impl_->api,
               impl_->api->hsa_memory_copy(reinterpret_cast<void*>(static_cast<uintptr_t>(target)), source, length),
               "hsa_memory_copy(host to device)");
}

Status Device::copy_to_host(void* target, DevicePtr source, uint64_t length) const {
  if (length == 0) return Status::Ok();
  if (target == nullptr || source == 0) return invalid_argument("copy_to_host: null target or source");
  return check(
      *impl_->api,
      impl_->api->hsa_memory_copy(target, reinterpret_cast<const void*>(static_cast<uintptr_t>(source)), length),
      "hsa_memory_copy(device to host)");
}

}  // namespace devbin::hsa
