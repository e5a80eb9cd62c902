// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The C API (devbin/devbin.h) over the C++ runtime. Every entry point
// catches what could escape (std::bad_alloc from a container), so no
// exception crosses into C.
#include "devbin/devbin.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "devbin/code_object.h"
#include "devbin/device.h"
#include "devbin/kernel_args.h"
#include "devbin/select.h"
#include "devbin/toc.h"

struct devbin_status_s {
  devbin_status_code_t code;
  std::string message;
};

struct devbin_code_object_s {
  devbin::CodeObjectInfo info;
  std::string target;
};

struct devbin_device_s {
  std::unique_ptr<devbin::Device> device;
  size_t entry_index = 0;
};

struct devbin_queue_s {
  devbin_device_t* device = nullptr;
  std::unique_ptr<devbin::Queue> queue;
};

struct devbin_buffer_s {
  std::unique_ptr<devbin::Buffer> buffer;
};

static_assert(static_cast<int>(devbin::SelectionKind::kExact) == DEVBIN_SELECTION_EXACT &&
                  static_cast<int>(devbin::SelectionKind::kGeneric) == DEVBIN_SELECTION_GENERIC &&
                  static_cast<int>(devbin::SelectionKind::kCompatibleSass) == DEVBIN_SELECTION_COMPATIBLE_SASS &&
                  static_cast<int>(devbin::SelectionKind::kPtxJit) == DEVBIN_SELECTION_PTX_JIT &&
                  static_cast<int>(devbin::SelectionKind::kOverride) == DEVBIN_SELECTION_OVERRIDE,
              "devbin_selection_kind_t follows devbin::SelectionKind");
static_assert(static_cast<int>(devbin::CodeObjectFormat::kAmdgpuHsaco) == DEVBIN_CODE_OBJECT_AMDGPU_HSACO &&
                  static_cast<int>(devbin::CodeObjectFormat::kCudaCubin) == DEVBIN_CODE_OBJECT_CUDA_CUBIN &&
                  static_cast<int>(devbin::CodeObjectFormat::kPtx) == DEVBIN_CODE_OBJECT_PTX,
              "devbin_code_object_format_t follows devbin::CodeObjectFormat");

namespace {

using devbin::Status;
using devbin::StatusCode;

devbin_status_code_t c_code(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return DEVBIN_STATUS_OK;
    case StatusCode::kInvalidArgument: return DEVBIN_STATUS_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return DEVBIN_STATUS_NOT_FOUND;
    case StatusCode::kFailedPrecondition: return DEVBIN_STATUS_FAILED_PRECONDITION;
    case StatusCode::kDataLoss: return DEVBIN_STATUS_DATA_LOSS;
    case StatusCode::kUnavailable: return DEVBIN_STATUS_UNAVAILABLE;
    case StatusCode::kInternal: return DEVBIN_STATUS_INTERNAL;
  }
  return DEVBIN_STATUS_INTERNAL;
}

// Out of memory for a status itself: a static one, never a NULL that would
// read as success; devbin_status_free leaves it alone.
devbin_status_s g_out_of_memory{DEVBIN_STATUS_INTERNAL, "devbin: out of memory for an error message"};

// A C status for a C++ one: NULL for OK.
devbin_status_t to_c(const Status& status) {
  if (status.ok()) return nullptr;
  try {
    return new devbin_status_s{c_code(status.code()), status.message()};
  } catch (...) {
    return &g_out_of_memory;
  }
}

devbin_status_t fail(StatusCode code, const std::string& message) { return to_c(Status(code, message)); }

devbin_status_t null_argument(const char* function, const char* what) {
  return fail(StatusCode::kInvalidArgument, std::string(function) + ": " + what + " is null");
}

// Runs `body`, turning any exception into a status.
template <typename Body>
devbin_status_t guarded(const char* function, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(StatusCode::kInternal, std::string(function) + ": out of memory");
  } catch (...) {
    return fail(StatusCode::kInternal, std::string(function) + ": an unexpected C++ exception");
  }
}

// The TOC as C structs, its strings NUL-terminated; built once, never freed.
struct CToc {
  std::vector<std::string> strings;  // name, triple, target, features, sha256 per entry
  std::vector<devbin_toc_entry_t> entries;
};

const CToc& c_toc() {
  static const CToc* toc = [] {
    auto* built = new CToc();
    const devbin::Toc& embedded = devbin::embedded_toc();
    built->strings.reserve(embedded.entries.size() * 5);
    for (const devbin::TocEntry& entry : embedded.entries) {
      for (std::string_view text : {entry.name, entry.triple, entry.target, entry.features, entry.sha256}) {
        built->strings.emplace_back(text);
      }
    }
    for (size_t i = 0; i < embedded.entries.size(); ++i) {
      const std::string* s = &built->strings[i * 5];
      built->entries.push_back({s[0].c_str(), s[1].c_str(), s[2].c_str(), s[3].c_str(), embedded.entries[i].data,
                                embedded.entries[i].size, s[4].c_str()});
    }
    return built;
  }();
  return *toc;
}

size_t toc_index_of(const devbin::TocEntry* entry) {
  return static_cast<size_t>(entry - devbin::embedded_toc().entries.data());
}

void copy_text(const std::string& text, char* out, size_t capacity) {
  if (out == nullptr || capacity == 0) return;
  const size_t n = std::min(text.size(), capacity - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

devbin_status_t check_device_and_queue(const char* function, devbin_device_t* device, devbin_queue_t* queue) {
  if (device == nullptr) return null_argument(function, "device");
  if (queue == nullptr) return null_argument(function, "queue");
  return nullptr;
}

}  // namespace

extern "C" {

devbin_status_code_t devbin_status_code(devbin_status_t status) {
  return status == nullptr ? DEVBIN_STATUS_OK : status->code;
}

const char* devbin_status_message(devbin_status_t status) { return status == nullptr ? "" : status->message.c_str(); }

void devbin_status_free(devbin_status_t status) {
  if (status != &g_out_of_memory) delete status;
}

size_t devbin_toc_count(void) { return devbin::embedded_toc().entries.size(); }

devbin_status_t devbin_toc_entry(size_t index, devbin_toc_entry_t* out_entry) {
  return guarded("devbin_toc_entry", [&]() -> devbin_status_t {
    if (out_entry == nullptr) return null_argument("devbin_toc_entry", "out_entry");
    const CToc& toc = c_toc();
    if (index >= toc.entries.size()) {
      return fail(StatusCode::kNotFound, "devbin_toc_entry: index " + std::to_string(index) + "; the TOC holds " +
                                             std::to_string(toc.entries.size()) + " entries");
    }
    *out_entry = toc.entries[index];
    return nullptr;
  });
}

devbin_status_t devbin_select(const char* isa, devbin_selection_t* out_selection, char* reason,
                              size_t reason_capacity) {
  return guarded("devbin_select", [&]() -> devbin_status_t {
    if (isa == nullptr) return null_argument("devbin_select", "isa");
    if (out_selection == nullptr) return null_argument("devbin_select", "out_selection");
    devbin::SelectOptions options;
    options.vendor_overrides = devbin::target_override_from_env();
    auto selection = devbin::select(std::string_view(isa), devbin::embedded_toc(), options);
    if (!selection.ok()) return to_c(selection.status());
    out_selection->entry_index = toc_index_of(selection->entry);
    out_selection->kind = static_cast<devbin_selection_kind_t>(selection->kind);
    out_selection->jit = selection->jit ? 1 : 0;
    copy_text(selection->reason, reason, reason_capacity);
    return nullptr;
  });
}

devbin_status_t devbin_code_object_inspect(const void* bytes, size_t size, devbin_code_object_t** out_code_object) {
  return guarded("devbin_code_object_inspect", [&]() -> devbin_status_t {
    if (out_code_object == nullptr) return null_argument("devbin_code_object_inspect", "out_code_object");
    *out_code_object = nullptr;
    if (bytes == nullptr && size != 0) return null_argument("devbin_code_object_inspect", "bytes");
    auto info = devbin::inspect_code_object({static_cast<const uint8_t*>(bytes), size});
    if (!info.ok()) return to_c(info.status());
    auto object = std::make_unique<devbin_code_object_s>();
    object->info = std::move(info).value();
    object->target = object->info.target_name();
    *out_code_object = object.release();
    return nullptr;
  });
}

devbin_status_t devbin_code_object_validate(const devbin_code_object_t* code_object, size_t toc_index) {
  return guarded("devbin_code_object_validate", [&]() -> devbin_status_t {
    if (code_object == nullptr) return null_argument("devbin_code_object_validate", "code_object");
    const devbin::Toc& toc = devbin::embedded_toc();
    if (toc_index >= toc.entries.size()) {
      return fail(StatusCode::kNotFound, "devbin_code_object_validate: TOC index " + std::to_string(toc_index) +
                                             "; the TOC holds " + std::to_string(toc.entries.size()) + " entries");
    }
    return to_c(devbin::validate_code_object(toc.entries[toc_index], code_object->info));
  });
}

devbin_code_object_format_t devbin_code_object_format(const devbin_code_object_t* code_object) {
  if (code_object == nullptr) return DEVBIN_CODE_OBJECT_NONE;
  return static_cast<devbin_code_object_format_t>(code_object->info.format);
}

const char* devbin_code_object_target(const devbin_code_object_t* code_object) {
  return code_object == nullptr ? "" : code_object->target.c_str();
}

size_t devbin_code_object_kernel_count(const devbin_code_object_t* code_object) {
  return code_object == nullptr ? 0 : code_object->info.kernels.size();
}

devbin_status_t devbin_code_object_kernel(const devbin_code_object_t* code_object, size_t index,
                                          devbin_kernel_info_t* out_kernel) {
  return guarded("devbin_code_object_kernel", [&]() -> devbin_status_t {
    if (code_object == nullptr) return null_argument("devbin_code_object_kernel", "code_object");
    if (out_kernel == nullptr) return null_argument("devbin_code_object_kernel", "out_kernel");
    const auto& kernels = code_object->info.kernels;
    if (index >= kernels.size()) {
      return fail(StatusCode::kNotFound, "devbin_code_object_kernel: index " + std::to_string(index) +
                                             "; the code object has " + std::to_string(kernels.size()) + " kernels");
    }
    const devbin::KernelInfo& kernel = kernels[index];
    *out_kernel = {kernel.name.c_str(),           kernel.explicit_args_size,       kernel.kernarg_segment_size,
                   kernel.kernarg_segment_align,  kernel.group_segment_fixed_size, kernel.private_segment_fixed_size};
    return nullptr;
  });
}

void devbin_code_object_free(devbin_code_object_t* code_object) { delete code_object; }

devbin_status_t devbin_device_count(devbin_backend_t backend, int* out_count) {
  return guarded("devbin_device_count", [&]() -> devbin_status_t {
    if (out_count == nullptr) return null_argument("devbin_device_count", "out_count");
    *out_count = 0;
    for (const devbin::BackendInfo& info : devbin::list_backends()) {
      if (static_cast<int>(info.backend) != static_cast<int>(backend)) continue;
      if (!info.status.ok()) return to_c(info.status);
      *out_count = info.device_count;
      return nullptr;
    }
    return fail(StatusCode::kInvalidArgument,
                "devbin_device_count: backend " + std::to_string(static_cast<int>(backend)) +
                    "; expected DEVBIN_BACKEND_CUDA or DEVBIN_BACKEND_HSA");
  });
}

devbin_status_t devbin_device_open(devbin_backend_t backend, int index, devbin_device_t** out_device) {
  return guarded("devbin_device_open", [&]() -> devbin_status_t {
    if (out_device == nullptr) return null_argument("devbin_device_open", "out_device");
    *out_device = nullptr;
    if (backend != DEVBIN_BACKEND_CUDA && backend != DEVBIN_BACKEND_HSA) {
      return fail(StatusCode::kInvalidArgument, "devbin_device_open: backend " +
                                                    std::to_string(static_cast<int>(backend)) +
                                                    "; expected DEVBIN_BACKEND_CUDA or DEVBIN_BACKEND_HSA");
    }
    const devbin::Backend which = backend == DEVBIN_BACKEND_CUDA ? devbin::Backend::kCuda : devbin::Backend::kHsa;
    auto device = devbin::Device::open({which, index});
    if (!device.ok()) return to_c(device.status());
    auto handle = std::make_unique<devbin_device_s>();
    handle->device = std::move(device).value();
    const devbin::TocEntry* entry = devbin::embedded_toc().find(handle->device->report().selection.entry);
    handle->entry_index = entry != nullptr ? toc_index_of(entry) : 0;
    *out_device = handle.release();
    return nullptr;
  });
}

void devbin_device_free(devbin_device_t* device) { delete device; }

size_t devbin_device_entry_index(const devbin_device_t* device) { return device == nullptr ? 0 : device->entry_index; }

const char* devbin_device_target(const devbin_device_t* device) {
  return device == nullptr ? "" : device->device->report().target.c_str();
}

devbin_status_t devbin_buffer_allocate(devbin_device_t* device, uint64_t size, devbin_buffer_t** out_buffer) {
  return guarded("devbin_buffer_allocate", [&]() -> devbin_status_t {
    if (device == nullptr) return null_argument("devbin_buffer_allocate", "device");
    if (out_buffer == nullptr) return null_argument("devbin_buffer_allocate", "out_buffer");
    *out_buffer = nullptr;
    auto buffer = device->device->allocate(size);
    if (!buffer.ok()) return to_c(buffer.status());
    auto handle = std::make_unique<devbin_buffer_s>();
    handle->buffer = std::move(buffer).value();
    *out_buffer = handle.release();
    return nullptr;
  });
}

uint64_t devbin_buffer_address(const devbin_buffer_t* buffer) {
  return buffer == nullptr ? 0 : buffer->buffer->address();
}

void devbin_buffer_free(devbin_buffer_t* buffer) { delete buffer; }

devbin_status_t devbin_queue_create(devbin_device_t* device, devbin_queue_t** out_queue) {
  return guarded("devbin_queue_create", [&]() -> devbin_status_t {
    if (device == nullptr) return null_argument("devbin_queue_create", "device");
    if (out_queue == nullptr) return null_argument("devbin_queue_create", "out_queue");
    *out_queue = nullptr;
    auto queue = device->device->create_queue();
    if (!queue.ok()) return to_c(queue.status());
    auto handle = std::make_unique<devbin_queue_s>();
    handle->device = device;
    handle->queue = std::move(queue).value();
    *out_queue = handle.release();
    return nullptr;
  });
}

devbin_status_t devbin_queue_synchronize(devbin_queue_t* queue) {
  return guarded("devbin_queue_synchronize", [&]() -> devbin_status_t {
    if (queue == nullptr) return null_argument("devbin_queue_synchronize", "queue");
    return to_c(queue->queue->synchronize());
  });
}

void devbin_queue_free(devbin_queue_t* queue) { delete queue; }

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

devbin_status_t devbin_batch_number(devbin_batch_op_t* ops, size_t op_count, uint32_t chunk_bytes,
                                    uint64_t* out_chunk_count) {
  return guarded("devbin_batch_number", [&]() -> devbin_status_t {
    if (ops == nullptr && op_count != 0) return null_argument("devbin_batch_number", "ops");
    if (out_chunk_count == nullptr) return null_argument("devbin_batch_number", "out_chunk_count");
    auto chunks = devbin::number_batch_table({ops, op_count}, chunk_bytes == 0 ? DEVBIN_BATCH_CHUNK_BYTES : chunk_bytes);
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
    if (device == nullptr) return null_argument("devbin_copy_to_device", "device");
    return to_c(device->device->copy_to_device(target, source, length));
  });
}

devbin_status_t devbin_copy_to_host(devbin_device_t* device, void* target, uint64_t source, uint64_t length) {
  return guarded("devbin_copy_to_host", [&]() -> devbin_status_t {
    if (device == nullptr) return null_argument("devbin_copy_to_host", "device");
    return to_c(device->device->copy_to_host(target, source, length));
  });
}

}  // extern "C"
