// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The operations layer: every builtin operation of devbin/device.h, once for
// every backend and every kind of queue. Each is checked by its make_*_args
// (devbin/kernel_args.h), sized by the backend's grid policy
// (Device::grid) and handed to the queue as launch descriptions; the queue
// (devbin's own, a wrapped native one, or a Recorder) only launches them.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "clock_sampling.h"
#include "devbin/device.h"
#include "devbin/kernel_args.h"

namespace devbin {

Status Device::check_owner(const Queue& queue) const {
  if (queue.owner() != this) return invalid_argument(name() + ": the queue belongs to another device");
  return Status::Ok();
}

Status Device::submit(Queue& queue, std::span<const Launch> launches) const {
  DEVBIN_RETURN_IF_ERROR(check_owner(queue));
  return queue.submit(launches);
}

Status Device::fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_args_t args, make_fill_args(target, length, pattern));
  if (length == 0) return Status::Ok();
  DEVBIN_RETURN_IF_ERROR(check_owner(queue));
  // The pattern's period divides its width, so the target and length that
  // make_fill_args accepted are multiples of it too.
  const uint32_t period = pattern_period(pattern);
  if (vendor_path(queue, VendorPathOperation::kFill, period, target, length) != nullptr) {
    VendorOp op;
    op.kind = VendorOpKind::kMemset;
    op.target = target;
    op.length = length;
    op.width = period;
    std::memcpy(&op.value, pattern.data(), period);  // little-endian, as the kernel stores the pattern's bytes
    return queue.submit_vendor(op);
  }
  // One item per DEVBIN_FILL_WORDS_PER_ITEM 16-byte stores, plus one for a
  // head and tail that straddle words.
  const uint64_t items = length / (16 * DEVBIN_FILL_WORDS_PER_ITEM) + 2;
  const Launch launch = Launch::of(Kernel::devbin_fill, grid(Kernel::devbin_fill, GridKind::kStride, items), args);
  return submit(queue, {&launch, 1});
}

Status Device::copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_args_t args, make_copy_args(target, source, length));
  if (length == 0) return Status::Ok();
  const uint64_t items = length / (16 * DEVBIN_COPY_WORDS_PER_ITEM) + 2;
  const Launch launch = Launch::of(Kernel::devbin_copy, grid(Kernel::devbin_copy, GridKind::kStride, items), args);
  return submit(queue, {&launch, 1});
}

Status Device::batch(Queue& queue, const devbin_batch_args_t& args) const {
  // chunk_bytes 0 is the default chunk, as batch_number numbers with it.
  devbin_batch_args_t requested = args;
  if (requested.chunk_bytes == 0) requested.chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES;
  DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t checked, make_batch_args(requested));
  if (checked.chunk_count == 0) return Status::Ok();
  // A workgroup per chunk, up to the grid's limit.
  const Launch launch = Launch::of(
      Kernel::devbin_batch, grid(Kernel::devbin_batch, GridKind::kChunked, checked.chunk_count), checked);
  return submit(queue, {&launch, 1});
}

// The rect kernels: workgroups of about kRect*GroupBytes of rows each
// (rect_workgroup_count).
Status Device::copy_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_region_t& source,
                         const devbin_rect_extent_t& extent, DevicePtr status) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_rect_args_t args,
                          make_copy_rect_args(target, source, extent, DEVBIN_BATCH_CHUNK_BYTES, status));
  const uint64_t groups = rect_workgroup_count(args, kRectCopyGroupBytes);
  if (groups == 0) return Status::Ok();
  const Launch launch =
      Launch::of(Kernel::devbin_copy_rect, grid(Kernel::devbin_copy_rect, GridKind::kChunked, groups), args);
  return submit(queue, {&launch, 1});
}

Status Device::fill_rect(Queue& queue, const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                         std::span<const uint8_t> pattern, DevicePtr status) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_rect_args_t args,
                          make_fill_rect_args(target, extent, pattern, DEVBIN_BATCH_CHUNK_BYTES, status));
  const uint64_t groups = rect_workgroup_count(args, kRectFillGroupBytes);
  if (groups == 0) return Status::Ok();
  const Launch launch =
      Launch::of(Kernel::devbin_fill_rect, grid(Kernel::devbin_fill_rect, GridKind::kChunked, groups), args);
  return submit(queue, {&launch, 1});
}

Status Device::timestamp(Queue& queue, DevicePtr record) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_timestamp_args_t args, make_timestamp_args(record));
  const Launch launch =
      Launch::of(Kernel::devbin_timestamp, grid(Kernel::devbin_timestamp, GridKind::kSingle, 1), args);
  return submit(queue, {&launch, 1});
}

Status Device::dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const {
  DEVBIN_RETURN_IF_ERROR(check_dispatch_args(args));
  const Launch launch =
      Launch::of(Kernel::devbin_dispatch_patch, grid(Kernel::devbin_dispatch_patch, GridKind::kSingle, 1), args);
  return submit(queue, {&launch, 1});
}

Status Device::update(Queue& queue, DevicePtr target, std::span<const uint8_t> data) const {
  DEVBIN_RETURN_IF_ERROR(check_update(target, data));
  DEVBIN_RETURN_IF_ERROR(check_owner(queue));
  if (const VendorPathRule* rule =
          vendor_path(queue, VendorPathOperation::kUpdate, static_cast<uint32_t>(data.size()), target, data.size())) {
    VendorOp op;
    op.kind = rule->path;
    op.target = target;
    op.length = data.size();
    op.width = static_cast<uint32_t>(data.size());
    if (rule->path == VendorOpKind::kWriteValue) {
      std::memcpy(&op.value, data.data(), std::min<size_t>(data.size(), sizeof(op.value)));
    } else {
      op.data = data;
    }
    return queue.submit_vendor(op);
  }
  // Every launch is built (and its bytes copied) before the first is
  // submitted, so a refused update enqueues nothing.
  std::vector<Launch> launches((data.size() + DEVBIN_UPDATE_BYTES - 1) / DEVBIN_UPDATE_BYTES);
  for (size_t i = 0; i < launches.size(); ++i) {
    const size_t done = i * DEVBIN_UPDATE_BYTES;
    const size_t bytes = std::min<size_t>(data.size() - done, DEVBIN_UPDATE_BYTES);
    DEVBIN_ASSIGN_OR_RETURN(devbin_update_args_t args, make_update_args(target + done, data.subspan(done, bytes)));
    // A work-item per target word.
    const uint64_t words = (args.shift + bytes + 3) / 4;
    launches[i] = Launch::of(Kernel::devbin_update, grid(Kernel::devbin_update, GridKind::kCover, words), args);
  }
  return submit(queue, launches);
}

Result<ClockCalibration> Device::calibrate_clock(Queue& queue, uint32_t samples) const {
  DEVBIN_RETURN_IF_ERROR(check_owner(queue));
  if (queue.native_handle() == nullptr) {
    return failed_precondition("calibrate_clock: a Recorder runs nothing; calibrate on a queue that runs the kernel");
  }
  if (queue.capturing()) {
    return failed_precondition("calibrate_clock: the stream is being captured into a CUDA graph, and calibrating "
                               "waits for the GPU; calibrate before or after the capture");
  }
  DEVBIN_ASSIGN_OR_RETURN(const uint64_t frequency, timestamp_frequency_hz());
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> record, allocate(sizeof(devbin_timestamp_record_t)));
  return sample_clock(
      samples, frequency,
      [&] {
        DEVBIN_RETURN_IF_ERROR(timestamp(queue, record->address()));
        return queue.synchronize();
      },
      [&]() -> Result<uint64_t> {
        devbin_timestamp_record_t value{};
        DEVBIN_RETURN_IF_ERROR(copy_to_host(&value, record->address(), sizeof(value)));
        return value.steady;
      });
}

Result<std::unique_ptr<Recorder>> Device::create_recorder(std::span<devbin_recorded_launch_t> launches,
                                                          std::span<uint8_t> args) const {
  if (launches.data() == nullptr && !launches.empty()) return invalid_argument("create_recorder: null launch records");
  if (args.data() == nullptr && !args.empty()) return invalid_argument("create_recorder: null argument memory");
  return std::make_unique<Recorder>(this, launches, args);
}

namespace {

constexpr uint64_t kRecordedArgsAlign = 64;

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

}  // namespace

Status Recorder::synchronize() {
  return failed_precondition("a Recorder runs nothing, so there is nothing to wait for: the caller submits what it "
                             "recorded (Recorder::recorded) and waits for that");
}

Status Recorder::submit(std::span<const Launch> launches) {
  // Where each launch's arguments go, all decided before anything is written.
  const uintptr_t base = reinterpret_cast<uintptr_t>(args_.data());
  std::vector<uint64_t> offsets(launches.size());
  uint64_t end = args_used_;
  for (size_t i = 0; i < launches.size(); ++i) {
    offsets[i] = align_up(base + end, kRecordedArgsAlign) - base;
    end = offsets[i] + device_->recorded_args_size(launches[i].kernel);
  }
  if (launches.size() > launches_.size() - count_ || end > args_.size()) {
    return failed_precondition("recording: the operation takes " + std::to_string(launches.size()) +
                               " launch record(s) and argument memory up to byte " + std::to_string(end) +
                               "; the recorder has " + std::to_string(launches_.size() - count_) + " of " +
                               std::to_string(launches_.size()) + " records and " + std::to_string(args_.size()) +
                               " bytes of argument memory (" + std::to_string(args_used_) +
                               " used); nothing was recorded");
  }
  for (size_t i = 0; i < launches.size(); ++i) {
    devbin_recorded_launch_t record{};
    const uint32_t size = device_->recorded_args_size(launches[i].kernel);
    DEVBIN_RETURN_IF_ERROR(device_->record(launches[i], record, args_.subspan(offsets[i], size)));
    launches_[count_ + i] = record;
  }
  count_ += launches.size();
  args_used_ = end;
  return Status::Ok();
}

}  // namespace devbin
