// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A CUDA device: opening it (the open sequence's CUDA hooks: context,
// module, kernels), closing it, and its names.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "clock_sampling.h"
#include "devbin_internal/cuda_context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin/select.h"
#include "devbin_internal/cuda_api.h"
#include "devbin_internal/dynamic_library.h"
#include "devbin_internal/elf.h"
#include "neutral_device.h"
#include "open_report.h"
#include "open_sequence.h"

namespace devbin::cuda {

using api::check;
using api::CUcontext;
using api::CUdevice;
using api::CUevent;
using api::CUfunction;
using api::CUmodule;
using api::CUstream;

namespace {

// Why a driver refused an entry, in terms of what the user can change.
std::string load_failure_hint(api::CUresult result, const TocEntry& entry, const CodeObjectInfo& info,
                              const DriverInfo& driver_info) {
  const std::string driver_version = "CUDA " + driver_info.version_string();
  switch (result) {
    case api::CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
      return "the driver (" + driver_version + ") is older than the PTX ISA " +
             (info.ptx_version.empty() ? std::string("version") : info.ptx_version) + " that " +
             std::string(entry.name) +
             " uses; update the NVIDIA driver, or force another entry with " + kTargetOverrideEnv;
    case api::CUDA_ERROR_NO_BINARY_FOR_GPU:
    case api::CUDA_ERROR_INVALID_IMAGE:
      return "the driver (" + driver_version + ") cannot run " + std::string(entry.name) +
             " on this GPU: the cubin was built by a newer CUDA toolkit than the driver supports, or for "
             "another GPU; update the NVIDIA driver, or force the PTX entry with " + kTargetOverrideEnv;
    case api::CUDA_ERROR_JIT_COMPILER_NOT_FOUND:
      return "the driver has no PTX JIT compiler (libnvidia-ptxjitcompiler) for " + std::string(entry.name);
    default:
      return {};
  }
}

}  // namespace

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Device::~Device() = default;

Status Device::close() {
  Status status = impl_->release();
  if (!status.ok()) status.annotate("closing CUDA device " + std::to_string(properties_.ordinal));
  return status;
}

void* Device::native_context() const { return impl_->context; }
void* Device::native_function(Kernel kernel) const { return impl_->functions[static_cast<size_t>(kernel)]; }

Result<std::unique_ptr<Device>> Device::open(int ordinal, const OpenOptions& options, DeviceReport* report) {
  OpenReport opening(report, "cuda", ordinal, "CUDA device " + std::to_string(ordinal));

  DEVBIN_ASSIGN_OR_RETURN(const api::Api* api, opening.checked(usable_api()));
  DEVBIN_ASSIGN_OR_RETURN(const DeviceProperties properties, opening.checked(query_device(ordinal)));
  DeviceReport& rep = opening.report();
  rep.name = properties.name;
  rep.target = properties.target().to_string();

  auto impl = std::make_unique<Impl>();
  impl->api = api;
  if (Status s = check(*api, api->cuDeviceGet(&impl->device, ordinal), "cuDeviceGet"); !s.ok()) return opening.fail(s);
  if (Status s = check(*api, api->cuDevicePrimaryCtxRetain(&impl->context, impl->device), "cuDevicePrimaryCtxRetain");
      !s.ok()) {
    return opening.fail(s);
  }
  impl->context_retained = true;
  auto scope = ContextScope::enter(*api, impl->context);
  if (!scope.ok()) return opening.fail(scope.status());

  const DriverInfo driver_information{api->path, api->version};
  OpenSteps steps;
  steps.targets = {properties.target().to_string()};
  steps.load = [&](const TocEntry& entry, const CodeObjectInfo& info) -> Status {
    const bool ptx = info.format == CodeObjectFormat::kPtx;
    rep.selection.jit = rep.selection.jit || ptx;
    // The driver reads PTX as a NUL-terminated string; the TOC holds the
    // bytes only. Cubins load in place (the TOC keeps them 64-byte aligned).
    std::string ptx_text;
    const void* image = entry.data;
    if (ptx) {
      ptx_text.assign(reinterpret_cast<const char*>(entry.data), entry.size);
      image = ptx_text.c_str();
    }
    char error_log[4096] = {};
    int jit_options[] = {api::CU_JIT_ERROR_LOG_BUFFER, api::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void* jit_values[] = {error_log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof(error_log) - 1))};
    const api::CUresult loaded = api->cuModuleLoadDataEx(&impl->module, image, 2, jit_options, jit_values);
    if (loaded == api::CUDA_SUCCESS) return Status::Ok();
    impl->module = nullptr;
    Status status = check(*api, loaded, "cuModuleLoadDataEx(" + std::string(entry.name) + ")");
    std::string message = status.message();
    if (std::string hint = load_failure_hint(loaded, entry, info, driver_information); !hint.empty()) {
      message += "; " + hint;
    }
    if (error_log[0] != '\0') message += "; JIT log: " + std::string(error_log);
    return Status(status.code(), message);
  };
  steps.resolve = [&](Kernel kernel, const KernelInfo*) -> Status {
    const std::string name(kernel_name(kernel));
    const api::CUresult found =
        api->cuModuleGetFunction(&impl->functions[static_cast<size_t>(kernel)], impl->module, name.c_str());
    if (found == api::CUDA_SUCCESS) return Status::Ok();
    return not_found(rep.selection.entry + " has no kernel " + name + " after loading (" +
                     api::error_text(*api, found) + "); every kernel of DEVBIN_ABI_KERNELS must be present");
  };
  DEVBIN_ASSIGN_OR_RETURN(CodeObjectInfo info, open_code_object(opening, options, steps));

  std::unique_ptr<Device> device(new Device(std::move(impl)));
  device->properties_ = properties;
  device->code_object_ = std::move(info);
  device->driver_info_ = driver_information;
  for (size_t i = 0; i < kKernelCount; ++i) {
    if (Status s = device->set_launch_shape(static_cast<Kernel>(i), 0); !s.ok()) return opening.fail(s);
  }
  rep.status = Status::Ok();
  device->report_ = rep;
  return device;
}

std::string Device::name() const { return "CUDA device " + std::to_string(properties_.ordinal); }

std::string Device::summary() const {
  return std::to_string(properties_.multiprocessor_count) + " SMs, " + byte_size_text(properties_.total_memory_bytes);
}

// %globaltimer counts nanoseconds.
Result<uint64_t> Device::timestamp_frequency_hz() const { return uint64_t{1000000000}; }

Status Device::synchronize() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuCtxSynchronize(), "cuCtxSynchronize");
}

}  // namespace devbin::cuda
