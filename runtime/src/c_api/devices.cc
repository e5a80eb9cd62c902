// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The C API's devices, buffers and queues: devbin's own queues, the caller's
// native ones (wrapped), and recorders.
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "c_api/handles.h"

using devbin::StatusCode;
using namespace devbin::c_api;

extern "C" {

uint32_t devbin_api_version(void) { return (DEVBIN_API_VERSION_MAJOR << 16) | DEVBIN_API_VERSION_MINOR; }

const char* devbin_kernel_name(uint32_t kernel) {
  if (kernel >= devbin::kKernelCount) return "";
  return devbin::kernel_name(static_cast<devbin::Kernel>(kernel)).data();
}

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


devbin_status_t devbin_device_open_with_options(devbin_backend_t backend, int index,
                                                const devbin_open_options_t* options, devbin_device_t** out_device) {
  return guarded("devbin_device_open", [&]() -> devbin_status_t {
    if (out_device == nullptr) return null_argument("devbin_device_open", "out_device");
    *out_device = nullptr;
    if (backend != DEVBIN_BACKEND_CUDA && backend != DEVBIN_BACKEND_HSA) {
      return fail(StatusCode::kInvalidArgument, "devbin_device_open: backend " +
                                                    std::to_string(static_cast<int>(backend)) +
                                                    "; expected DEVBIN_BACKEND_CUDA or DEVBIN_BACKEND_HSA");
    }
    devbin::OpenOptions open_options;
    if (options != nullptr && options->wait_timeout_ms != 0) {
      open_options.wait_timeout = std::chrono::milliseconds(options->wait_timeout_ms);
    }
    const devbin::Backend which = backend == DEVBIN_BACKEND_CUDA ? devbin::Backend::kCuda : devbin::Backend::kHsa;
    auto device = devbin::Device::open({which, index}, open_options);
    if (!device.ok()) return to_c(device.status());
    auto handle = std::make_unique<devbin_device_s>();
    handle->device = std::move(device).value();
    const devbin::TocEntry* entry = devbin::embedded_toc().find(handle->device->report().selection.entry);
    handle->entry_index = entry != nullptr ? toc_index_of(entry) : 0;
    *out_device = publish(std::move(handle));
    return nullptr;
  });
}

devbin_status_t devbin_device_open(devbin_backend_t backend, int index, devbin_device_t** out_device) {
  return devbin_device_open_with_options(backend, index, nullptr, out_device);
}

void devbin_device_free(devbin_device_t* device) { release(device); }

size_t devbin_device_entry_index(const devbin_device_t* device) {
  return is_live(device) ? device->entry_index : 0;
}

const char* devbin_device_target(const devbin_device_t* device) {
  return is_live(device) ? device->device->report().target.c_str() : "";
}

namespace {

devbin_status_t allocate_buffer(const char* function, devbin_device_t* device, uint64_t size, bool host,
                                devbin_buffer_t** out_buffer) {
  return guarded(function, [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live(function, "device", device)) return error;
    if (out_buffer == nullptr) return null_argument(function, "out_buffer");
    *out_buffer = nullptr;
    auto buffer = host ? device->device->allocate_host(size) : device->device->allocate(size);
    if (!buffer.ok()) return to_c(buffer.status());
    auto handle = std::make_unique<devbin_buffer_s>();
    handle->device = device->device;
    handle->buffer = std::move(buffer).value();
    *out_buffer = publish(std::move(handle));
    return nullptr;
  });
}

}  // namespace

devbin_status_t devbin_buffer_allocate(devbin_device_t* device, uint64_t size, devbin_buffer_t** out_buffer) {
  return allocate_buffer("devbin_buffer_allocate", device, size, false, out_buffer);
}

devbin_status_t devbin_buffer_allocate_host(devbin_device_t* device, uint64_t size, devbin_buffer_t** out_buffer) {
  return allocate_buffer("devbin_buffer_allocate_host", device, size, true, out_buffer);
}

void* devbin_buffer_host_pointer(const devbin_buffer_t* buffer) {
  return is_live(buffer) ? buffer->buffer->host_pointer() : nullptr;
}

uint64_t devbin_buffer_address(const devbin_buffer_t* buffer) {
  return is_live(buffer) ? buffer->buffer->address() : 0;
}

void devbin_buffer_free(devbin_buffer_t* buffer) { release(buffer); }

namespace {

// A new queue handle for `queue` of `device`.
devbin_status_t publish_queue(devbin_device_t* device, devbin::Result<std::unique_ptr<devbin::Queue>> queue,
                              devbin::Recorder* recorder, devbin_queue_t** out_queue) {
  if (!queue.ok()) return to_c(queue.status());
  auto handle = std::make_unique<devbin_queue_s>();
  handle->device = device->device;
  handle->queue = std::move(queue).value();
  handle->recorder = recorder;
  *out_queue = publish(std::move(handle));
  return nullptr;
}

}  // namespace

devbin_status_t devbin_queue_create(devbin_device_t* device, devbin_queue_t** out_queue) {
  return guarded("devbin_queue_create", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_queue_create", "device", device)) return error;
    if (out_queue == nullptr) return null_argument("devbin_queue_create", "out_queue");
    *out_queue = nullptr;
    return publish_queue(device, device->device->create_queue(), nullptr, out_queue);
  });
}

devbin_status_t devbin_queue_wrap(devbin_device_t* device, void* native_queue, devbin_queue_t** out_queue) {
  return guarded("devbin_queue_wrap", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_queue_wrap", "device", device)) return error;
    if (out_queue == nullptr) return null_argument("devbin_queue_wrap", "out_queue");
    *out_queue = nullptr;
    return publish_queue(device, device->device->wrap_queue(native_queue), nullptr, out_queue);
  });
}

devbin_status_t devbin_recorder_create(devbin_device_t* device, devbin_recorded_launch_t* launches,
                                       size_t launch_capacity, void* args, size_t args_capacity,
                                       devbin_queue_t** out_queue) {
  return guarded("devbin_recorder_create", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_recorder_create", "device", device)) return error;
    if (out_queue == nullptr) return null_argument("devbin_recorder_create", "out_queue");
    *out_queue = nullptr;
    if (launches == nullptr && launch_capacity != 0) return null_argument("devbin_recorder_create", "launches");
    if (args == nullptr && args_capacity != 0) return null_argument("devbin_recorder_create", "args");
    auto recorder = device->device->create_recorder({launches, launch_capacity},
                                                    {static_cast<uint8_t*>(args), args_capacity});
    if (!recorder.ok()) return to_c(recorder.status());
    devbin::Recorder* raw = recorder->get();
    return publish_queue(device, std::unique_ptr<devbin::Queue>(std::move(recorder).value()), raw, out_queue);
  });
}

devbin_status_t devbin_recorder_count(const devbin_queue_t* queue, size_t* out_launches, size_t* out_args_bytes) {
  return guarded("devbin_recorder_count", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_recorder_count", "queue", queue)) return error;
    if (queue->recorder == nullptr) {
      return fail(StatusCode::kInvalidArgument, "devbin_recorder_count: the queue is not a recorder");
    }
    if (out_launches != nullptr) *out_launches = queue->recorder->recorded().size();
    if (out_args_bytes != nullptr) *out_args_bytes = queue->recorder->args_used();
    return nullptr;
  });
}

devbin_status_t devbin_recorder_reset(devbin_queue_t* queue) {
  return guarded("devbin_recorder_reset", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_recorder_reset", "queue", queue)) return error;
    if (queue->recorder == nullptr) {
      return fail(StatusCode::kInvalidArgument, "devbin_recorder_reset: the queue is not a recorder");
    }
    queue->recorder->reset();
    return nullptr;
  });
}

void* devbin_queue_native(const devbin_queue_t* queue) {
  return is_live(queue) ? queue->queue->native_handle() : nullptr;
}

devbin_status_t devbin_queue_synchronize(devbin_queue_t* queue) {
  return guarded("devbin_queue_synchronize", [&]() -> devbin_status_t {
    if (devbin_status_t error = check_live("devbin_queue_synchronize", "queue", queue)) return error;
    return to_c(queue->queue->synchronize());
  });
}

void devbin_queue_free(devbin_queue_t* queue) { release(queue); }

}  // extern "C"
