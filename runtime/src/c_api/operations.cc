// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The C API's operations: the builtin kernels on any devbin_queue_t (own,
// wrapped or recorder), batch tables, clock calibration, host copies.
#include <string>

#include "c_api/handles.h"
#include "devbin/kernel_args.h"

using devbin::StatusCode;
using namespace devbin::c_api;

extern "C" {

devbin_status_t devbin_queue_fill(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, uint64_t length,
                            const void* pattern, size_t pattern_size) {
  return guarded("devbin_queue_fill", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_fill", device, queue)) return error;
    if (pattern == nullptr) return null_argument("devbin_queue_fill", "pattern");
    return to_c(device->device->fill(*queue->queue, target, length,
                                     {static_cast<const uint8_t*>(pattern), pattern_size}));
  });
}

devbin_status_t devbin_queue_copy(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, uint64_t source,
                            uint64_t length) {
  return guarded("devbin_queue_copy", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_copy", device, queue)) return error;
    return to_c(device->device->copy(*queue->queue, target, source, length));
  });
}

devbin_status_t devbin_queue_copy_rect(devbin_device_t* device, devbin_queue_t* queue,
                                       const devbin_rect_region_t* target, const devbin_rect_region_t* source,
                                       const devbin_rect_extent_t* extent) {
  return guarded("devbin_queue_copy_rect", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_copy_rect", device, queue)) return error;
    if (target == nullptr) return null_argument("devbin_queue_copy_rect", "target");
    if (source == nullptr) return null_argument("devbin_queue_copy_rect", "source");
    if (extent == nullptr) return null_argument("devbin_queue_copy_rect", "extent");
    return to_c(device->device->copy_rect(*queue->queue, *target, *source, *extent));
  });
}

devbin_status_t devbin_queue_fill_rect(devbin_device_t* device, devbin_queue_t* queue,
                                       const devbin_rect_region_t* target, const devbin_rect_extent_t* extent,
                                       const void* pattern, size_t pattern_size) {
  return guarded("devbin_queue_fill_rect", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_fill_rect", device, queue)) return error;
    if (target == nullptr) return null_argument("devbin_queue_fill_rect", "target");
    if (extent == nullptr) return null_argument("devbin_queue_fill_rect", "extent");
    if (pattern == nullptr) return null_argument("devbin_queue_fill_rect", "pattern");
    return to_c(device->device->fill_rect(*queue->queue, *target, *extent,
                                          {static_cast<const uint8_t*>(pattern), pattern_size}));
  });
}

devbin_status_t devbin_batch_fill_op(uint64_t target, uint64_t length, const void* pattern, size_t pattern_size,
                                     devbin_batch_op_t* out_op) {
  return guarded("devbin_batch_fill_op", [&]() -> devbin_status_t {
    if (pattern == nullptr) return null_argument("devbin_batch_fill_op", "pattern");
    if (out_op == nullptr) return null_argument("devbin_batch_fill_op", "out_op");
    auto op = devbin::make_batch_fill(target, length, {static_cast<const uint8_t*>(pattern), pattern_size});
    if (!op.ok()) return to_c(op.status());
    *out_op = *op;
    return nullptr;
  });
}

devbin_status_t devbin_batch_copy_op(uint64_t target, uint64_t source, uint64_t length, devbin_batch_op_t* out_op) {
  return guarded("devbin_batch_copy_op", [&]() -> devbin_status_t {
    if (out_op == nullptr) return null_argument("devbin_batch_copy_op", "out_op");
    auto op = devbin::make_batch_copy(target, source, length);
    if (!op.ok()) return to_c(op.status());
    *out_op = *op;
    return nullptr;
  });
}

devbin_status_t devbin_batch_copy_table(const uint64_t* targets, const uint64_t* sources, const uint64_t* lengths,
                                        size_t count, uint32_t chunk_bytes, devbin_batch_op_t* out_ops,
                                        uint64_t* out_chunk_count) {
  return guarded("devbin_batch_copy_table", [&]() -> devbin_status_t {
    if (out_chunk_count == nullptr) return null_argument("devbin_batch_copy_table", "out_chunk_count");
    if (count != 0 && (targets == nullptr || sources == nullptr || lengths == nullptr || out_ops == nullptr)) {
      return null_argument("devbin_batch_copy_table", "targets, sources, lengths or out_ops");
    }
    for (size_t i = 0; i < count; ++i) {
      auto op = devbin::make_batch_copy(targets[i], sources[i], lengths[i]);
      if (!op.ok()) {
        devbin::Status status = op.status();
        return to_c(status.annotate("devbin_batch_copy_table: copy " + std::to_string(i)));
      }
      out_ops[i] = *op;
    }
    return devbin_batch_number(out_ops, count, chunk_bytes, out_chunk_count);
  });
}

devbin_status_t devbin_batch_number(devbin_batch_op_t* ops, size_t op_count, uint32_t chunk_bytes,
                                    uint64_t* out_chunk_count) {
  return guarded("devbin_batch_number", [&]() -> devbin_status_t {
    if (ops == nullptr && op_count != 0) return null_argument("devbin_batch_number", "ops");
    if (out_chunk_count == nullptr) return null_argument("devbin_batch_number", "out_chunk_count");
    auto chunks = devbin::batch_number({ops, op_count}, chunk_bytes == 0 ? DEVBIN_BATCH_CHUNK_BYTES : chunk_bytes);
    if (!chunks.ok()) return to_c(chunks.status());
    *out_chunk_count = *chunks;
    return nullptr;
  });
}

devbin_status_t devbin_queue_batch(devbin_device_t* device, devbin_queue_t* queue, const devbin_batch_args_t* args) {
  return guarded("devbin_queue_batch", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_batch", device, queue)) return error;
    if (args == nullptr) return null_argument("devbin_queue_batch", "args");
    return to_c(device->device->batch(*queue->queue, *args));
  });
}

devbin_status_t devbin_queue_timestamp(devbin_device_t* device, devbin_queue_t* queue, uint64_t record) {
  return guarded("devbin_queue_timestamp", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_timestamp", device, queue)) return error;
    return to_c(device->device->timestamp(*queue->queue, record));
  });
}

devbin_status_t devbin_queue_dispatch_patch(devbin_device_t* device, devbin_queue_t* queue,
                                      const devbin_dispatch_args_t* args) {
  return guarded("devbin_queue_dispatch_patch", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_dispatch_patch", device, queue)) return error;
    if (args == nullptr) return null_argument("devbin_queue_dispatch_patch", "args");
    return to_c(device->device->dispatch_patch(*queue->queue, *args));
  });
}

devbin_status_t devbin_queue_update(devbin_device_t* device, devbin_queue_t* queue, uint64_t target, const void* data,
                                    size_t length) {
  return guarded("devbin_queue_update", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_queue_update", device, queue)) return error;
    if (data == nullptr) return null_argument("devbin_queue_update", "data");
    return to_c(device->device->update(*queue->queue, target, {static_cast<const uint8_t*>(data), length}));
  });
}

devbin_status_t devbin_calibrate_clock(devbin_device_t* device, devbin_queue_t* queue, uint32_t samples,
                                       devbin_clock_calibration_t* out_calibration) {
  return guarded("devbin_calibrate_clock", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_device_and_queue("devbin_calibrate_clock", device, queue)) return error;
    if (out_calibration == nullptr) return null_argument("devbin_calibrate_clock", "out_calibration");
    auto calibration = device->device->calibrate_clock(*queue->queue, samples);
    if (!calibration.ok()) return to_c(calibration.status());
    *out_calibration = {calibration->host_ns_at, calibration->ticks_at, calibration->frequency_hz,
                        calibration->uncertainty_ns, calibration->samples};
    return nullptr;
  });
}

uint64_t devbin_clock_to_host_ns(const devbin_clock_calibration_t* calibration, uint64_t ticks) {
  if (calibration == nullptr || calibration->frequency_hz == 0) return 0;
  devbin::ClockCalibration cpp;
  cpp.host_ns_at = calibration->host_ns_at;
  cpp.ticks_at = calibration->ticks_at;
  cpp.frequency_hz = calibration->frequency_hz;
  return cpp.to_host_ns(ticks);
}

devbin_status_t devbin_copy_to_device(devbin_device_t* device, uint64_t target, const void* source, uint64_t length) {
  return guarded("devbin_copy_to_device", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_copy_to_device", "device", device)) return error;
    return to_c(device->device->copy_to_device(target, source, length));
  });
}

devbin_status_t devbin_copy_to_host(devbin_device_t* device, void* target, uint64_t source, uint64_t length) {
  return guarded("devbin_copy_to_host", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_copy_to_host", "device", device)) return error;
    return to_c(device->device->copy_to_host(target, source, length));
  });
}

}  // extern "C"
