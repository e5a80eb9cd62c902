// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's devices: context, library loading, kernel launches.
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
#include "cuda/context_scope.h"
#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin/select.h"
#include "devbin_internal/cuda_driver.h"
#include "devbin_internal/dynamic_library.h"
#include "devbin_internal/elf.h"
#include "neutral_device.h"
#include "open_report.h"
#include "open_sequence.h"

namespace devbin::cuda {

using driver::check;
using driver::CUcontext;
using driver::CUdevice;
using driver::CUevent;
using driver::CUfunction;
using driver::CUmodule;
using driver::CUstream;

namespace {

// The driver, loaded and initialized; any failure on the way as a Status.
Result<const driver::Api*> usable_driver() { return util::initialized(driver::load(), "CUDA driver"); }

CUstream stream_handle(Stream& stream) { return static_cast<CUstream>(stream.native_handle()); }

std::string visible_devices_note() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return visible == nullptr ? std::string() : std::string(" (CUDA_VISIBLE_DEVICES=") + visible + ")";
}

// Why a driver refused an entry, in terms of what the user can change.
std::string load_failure_hint(driver::CUresult result, const TocEntry& entry, const CodeObjectInfo& info,
                              const DriverInfo& driver_info) {
  const std::string driver_version = "CUDA " + driver_info.version_string();
  switch (result) {
    case driver::CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
      return "the driver (" + driver_version + ") is older than the PTX ISA " +
             (info.ptx_version.empty() ? std::string("version") : info.ptx_version) + " that " +
             std::string(entry.name) +
             " uses; update the NVIDIA driver, or force another entry with " + kTargetOverrideEnv;
    case driver::CUDA_ERROR_NO_BINARY_FOR_GPU:
    case driver::CUDA_ERROR_INVALID_IMAGE:
      return "the driver (" + driver_version + ") cannot run " + std::string(entry.name) +
             " on this GPU: the cubin was built by a newer CUDA toolkit than the driver supports, or for "
             "another GPU; update the NVIDIA driver, or force the PTX entry with " + kTargetOverrideEnv;
    case driver::CUDA_ERROR_JIT_COMPILER_NOT_FOUND:
      return "the driver has no PTX JIT compiler (libnvidia-ptxjitcompiler) for " + std::string(entry.name);
    default:
      return {};
  }
}

}  // namespace

std::string DriverInfo::version_string() const { return driver::version_string(version); }

Result<DriverInfo> driver_info() {
  DEVBIN_ASSIGN_OR_RETURN(const driver::Api* api, usable_driver());
  return DriverInfo{api->path, api->version};
}

Result<int> device_count() {
  DEVBIN_ASSIGN_OR_RETURN(const driver::Api* api, usable_driver());
  int count = 0;
  DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceGetCount(&count), "cuDeviceGetCount"));
  if (count <= 0) return unavailable("the CUDA driver shows no devices" + visible_devices_note());
  return count;
}

NvidiaTarget DeviceProperties::target() const {
  NvidiaTarget target;
  target.kind = NvidiaCodeKind::kSass;
  target.major = compute_capability_major;
  target.minor = compute_capability_minor;
  return target;
}

Result<DeviceProperties> query_device(int ordinal) {
  DEVBIN_ASSIGN_OR_RETURN(const driver::Api* api, usable_driver());
  int count = 0;
  DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceGetCount(&count), "cuDeviceGetCount"));
  if (ordinal < 0 || ordinal >= count) {
    return not_found("CUDA device " + std::to_string(ordinal) + " does not exist; the driver shows " +
                     std::to_string(count) + " device(s)" + visible_devices_note());
  }
  CUdevice device = 0;
  DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceGet(&device, ordinal), "cuDeviceGet"));

  DeviceProperties properties;
  properties.ordinal = ordinal;
  char text[256] = {};
  DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceGetName(text, sizeof(text) - 1, device), "cuDeviceGetName"));
  properties.name = text;
  std::memset(text, 0, sizeof(text));
  if (api->cuDeviceGetPCIBusId(text, sizeof(text) - 1, device) == driver::CUDA_SUCCESS) properties.pci_bus_id = text;

  struct AttributeField {
    int attribute;
    uint32_t* field;
    const char* name;
  };
  const AttributeField fields[] = {
      {driver::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &properties.compute_capability_major,
       "compute capability major"},
      {driver::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &properties.compute_capability_minor,
       "compute capability minor"},
      {driver::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &properties.multiprocessor_count, "multiprocessor count"},
      {driver::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &properties.max_threads_per_block, "max threads per block"},
      {driver::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, &properties.max_threads_per_multiprocessor,
       "max threads per multiprocessor"},
      {driver::CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, &properties.max_grid_dim_x, "max grid dim x"},
      {driver::CU_DEVICE_ATTRIBUTE_WARP_SIZE, &properties.warp_size, "warp size"},
      {driver::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, &properties.l2_cache_bytes, "L2 cache size"},
  };
  for (const AttributeField& field : fields) {
    int value = 0;
    DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceGetAttribute(&value, field.attribute, device),
                                 std::string("cuDeviceGetAttribute(") + field.name + ")"));
    if (value < 0) {
      return internal_error("CUDA device " + std::to_string(ordinal) + " reports a negative " + field.name + " (" +
                            std::to_string(value) + ")");
    }
    *field.field = static_cast<uint32_t>(value);
  }
  if (properties.multiprocessor_count == 0 || properties.max_threads_per_block == 0 || properties.warp_size == 0 ||
      properties.max_grid_dim_x == 0) {
    return internal_error("CUDA device " + std::to_string(ordinal) +
                          " reports zero multiprocessors, threads per block, warp size or grid size");
  }
  size_t memory = 0;
  DEVBIN_RETURN_IF_ERROR(check(*api, api->cuDeviceTotalMem_v2(&memory, device), "cuDeviceTotalMem"));
  properties.total_memory_bytes = memory;
  return properties;
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//


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

  DEVBIN_ASSIGN_OR_RETURN(const driver::Api* api, opening.checked(usable_driver()));
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
    int jit_options[] = {driver::CU_JIT_ERROR_LOG_BUFFER, driver::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void* jit_values[] = {error_log, reinterpret_cast<void*>(static_cast<uintptr_t>(sizeof(error_log) - 1))};
    const driver::CUresult loaded = api->cuModuleLoadDataEx(&impl->module, image, 2, jit_options, jit_values);
    if (loaded == driver::CUDA_SUCCESS) return Status::Ok();
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
    const driver::CUresult found =
        api->cuModuleGetFunction(&impl->functions[static_cast<size_t>(kernel)], impl->module, name.c_str());
    if (found == driver::CUDA_SUCCESS) return Status::Ok();
    return not_found(rep.selection.entry + " has no kernel " + name + " after loading (" +
                     driver::error_text(*api, found) + "); every kernel of DEVBIN_ABI_KERNELS must be present");
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

namespace {

// copy, fill, batch and the rect kernels: 256-thread blocks, enough of them
// for one step per work-item (a covering grid; a fill block then writes one
// 16 KiB chunk, a batch or rect block moves one chunk).
// Both are bandwidth-bound: a persistent grid or larger blocks leave them
// short of the driver's own copy and memset; the shapes compared and their
// figures are in bench/RESULTS.md.
constexpr uint32_t kBlitThreadsPerBlock = 256;

bool takes_covering_grid(Kernel kernel) {
  return kernel == Kernel::devbin_copy || kernel == Kernel::devbin_fill || kernel == Kernel::devbin_batch ||
         kernel == Kernel::devbin_copy_rect || kernel == Kernel::devbin_fill_rect;
}

}  // namespace

Status Device::set_launch_shape(Kernel kernel, uint32_t threads, std::optional<uint32_t> blocks_per_multiprocessor) {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const driver::Api& api = *impl_->api;
  CUfunction function = impl_->functions[static_cast<size_t>(kernel)];
  const std::string name(kernel_name(kernel));
  int kernel_max = 0;
  DEVBIN_RETURN_IF_ERROR(
      check(api, api.cuFuncGetAttribute(&kernel_max, driver::CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function),
            "cuFuncGetAttribute(" + name + ", max threads per block)"));
  const uint32_t warp = properties_.warp_size;
  const uint32_t largest =
      std::min<uint32_t>(static_cast<uint32_t>(std::max(kernel_max, 0)), properties_.max_threads_per_block) / warp *
      warp;
  if (largest == 0) {
    return internal_error("kernel " + name + " allows " + std::to_string(kernel_max) +
                          " threads per block, less than one warp of " + std::to_string(warp));
  }
  if (threads == 0 && takes_covering_grid(kernel)) {
    threads = std::max(std::min(kBlitThreadsPerBlock / warp * warp, largest), warp);
  } else if (threads == 0) {
    // The register and shared-memory use of the kernel decide: a block size
    // that leaves no multiprocessor capacity unused.
    int min_grid = 0;
    int suggested = 0;
    DEVBIN_RETURN_IF_ERROR(check(
        api,
        api.cuOccupancyMaxPotentialBlockSize(&min_grid, &suggested, function, nullptr, 0, static_cast<int>(largest)),
        "cuOccupancyMaxPotentialBlockSize(" + name + ")"));
    threads = std::clamp<uint32_t>(static_cast<uint32_t>(std::max(suggested, 0)) / warp * warp, warp, largest);
  } else if (threads % warp != 0 || threads > largest) {
    return invalid_argument("threads per block for " + name + ": " + std::to_string(threads) +
                            "; expected a multiple of " + std::to_string(warp) + " up to " + std::to_string(largest));
  }
  int resident = 0;
  DEVBIN_RETURN_IF_ERROR(
      check(api, api.cuOccupancyMaxActiveBlocksPerMultiprocessor(&resident, function, static_cast<int>(threads), 0),
            "cuOccupancyMaxActiveBlocksPerMultiprocessor(" + name + ")"));
  LaunchLimits& limits = limits_[static_cast<size_t>(kernel)];
  limits.multiprocessors = properties_.multiprocessor_count;
  limits.warp_size = warp;
  limits.threads_per_block = threads;
  limits.resident_blocks_per_multiprocessor = static_cast<uint32_t>(std::max(resident, 1));
  if (blocks_per_multiprocessor.has_value()) {
    limits.blocks_per_multiprocessor = *blocks_per_multiprocessor;
  } else {
    limits.blocks_per_multiprocessor =
        takes_covering_grid(kernel) ? kCoveringGrid : limits.resident_blocks_per_multiprocessor;
  }
  limits.max_grid_dim_x = properties_.max_grid_dim_x;
  return Status::Ok();
}

LaunchGrid Device::grid(Kernel kernel, GridKind kind, uint64_t count) const {
  const LaunchLimits& limits = limits_[static_cast<size_t>(kernel)];
  uint64_t work_items = count;
  // Chunked kernels: `count` blocks wanted, at most the grid's limit (blocks
  // then take several chunks each).
  if (kind == GridKind::kChunked) {
    work_items = std::min<uint64_t>(count, limits.max_grid_dim_x) * limits.threads_per_block;
  }
  const LaunchShape shape = launch_shape(limits, work_items);
  return {shape.blocks, shape.threads_per_block};
}

Status Device::launch(void* stream, std::span<const Launch> launches) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  for (const Launch& launch : launches) {
    if (launch.grid.workgroups == 0) continue;
    // cuLaunchKernel copies the argument bytes before it returns (into the
    // launch, or into the graph node of a stream being captured).
    void* params[] = {const_cast<uint8_t*>(launch.args)};
    const driver::CUresult result = impl_->api->cuLaunchKernel(
        impl_->functions[static_cast<size_t>(launch.kernel)], launch.grid.workgroups, 1, 1,
        launch.grid.workgroup_size, 1, 1, 0, static_cast<CUstream>(stream), params, nullptr);
    if (result != driver::CUDA_SUCCESS) {
      return check(*impl_->api, result, "cuLaunchKernel(" + std::string(kernel_name(launch.kernel)) + ")");
    }
  }
  return Status::Ok();
}

uint32_t Device::recorded_args_size(Kernel kernel) const {
  switch (kernel) {
#define DEVBIN_KERNEL_ARGS_SIZE_(name, args) \
  case Kernel::name:                         \
    return sizeof(args);
    DEVBIN_ABI_KERNELS(DEVBIN_KERNEL_ARGS_SIZE_)
#undef DEVBIN_KERNEL_ARGS_SIZE_
  }
  return 0;
}

Status Device::record(const Launch& launch, devbin_recorded_launch_t& out, std::span<uint8_t> args) const {
  if (args.size() < launch.args_size) return internal_error("recording: argument memory smaller than the launch's");
  std::memcpy(args.data(), launch.args, launch.args_size);
  out.kernel = static_cast<uint32_t>(launch.kernel);
  out.args_size = launch.args_size;
  out.args = args.data();
  out.cuda.function = impl_->functions[static_cast<size_t>(launch.kernel)];
  out.cuda.grid[0] = launch.grid.workgroups;
  out.cuda.grid[1] = out.cuda.grid[2] = 1;
  out.cuda.block[0] = launch.grid.workgroup_size;
  out.cuda.block[1] = out.cuda.block[2] = 1;
  return Status::Ok();
}

std::string Device::name() const { return "CUDA device " + std::to_string(properties_.ordinal); }

std::string Device::summary() const {
  return std::to_string(properties_.multiprocessor_count) + " SMs, " + byte_size_text(properties_.total_memory_bytes);
}

// %globaltimer counts nanoseconds.
Result<uint64_t> Device::timestamp_frequency_hz() const { return uint64_t{1000000000}; }

namespace {

// A cuda::Buffer as the neutral interface's Buffer.
class NeutralBuffer final : public devbin::Buffer {
 public:
  explicit NeutralBuffer(cuda::Buffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return buffer_.address(); }
  uint64_t size() const override { return buffer_.size(); }

 private:
  cuda::Buffer buffer_;
};

// A cuda::HostBuffer as the neutral interface's Buffer: page-locked host
// memory, which the GPU reaches at the host's address (unified addressing).
class NeutralHostBuffer final : public devbin::Buffer {
 public:
  explicit NeutralHostBuffer(cuda::HostBuffer buffer) : buffer_(std::move(buffer)) {}
  DevicePtr address() const override { return reinterpret_cast<uintptr_t>(buffer_.data()); }
  uint64_t size() const override { return buffer_.size(); }
  void* host_pointer() const override { return buffer_.data(); }

 private:
  cuda::HostBuffer buffer_;
};

// The stream handles that name a default stream rather than a created one
// (cuda.h's CU_STREAM_LEGACY and CU_STREAM_PER_THREAD).
constexpr uintptr_t kStreamLegacy = 0x1;
constexpr uintptr_t kStreamPerThread = 0x2;

}  // namespace

Result<std::unique_ptr<devbin::Buffer>> Device::allocate_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer buffer, allocate(bytes));
  return std::unique_ptr<devbin::Buffer>(new NeutralBuffer(std::move(buffer)));
}

Result<std::unique_ptr<devbin::Buffer>> Device::allocate_host_buffer(uint64_t bytes) const {
  DEVBIN_ASSIGN_OR_RETURN(cuda::HostBuffer buffer, allocate_host(bytes));
  return std::unique_ptr<devbin::Buffer>(new NeutralHostBuffer(std::move(buffer)));
}

Result<std::unique_ptr<devbin::Queue>> Device::create_own_queue() const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, create_stream());
  return std::unique_ptr<devbin::Queue>(std::move(stream));
}

Result<std::unique_ptr<devbin::Queue>> Device::wrap_queue(void* native_queue) const {
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, wrap_stream(native_queue));
  return std::unique_ptr<devbin::Queue>(std::move(stream));
}

Result<std::unique_ptr<Stream>> Device::wrap_stream(void* cu_stream) const {
  if (cu_stream == nullptr) {
    return invalid_argument(name() + ": wrap_queue: a null CUstream; a stream devbin does not own must be named: "
                            "a created stream, or CU_STREAM_LEGACY (0x1) / CU_STREAM_PER_THREAD (0x2) for a "
                            "default stream");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const uintptr_t handle = reinterpret_cast<uintptr_t>(cu_stream);
  // A default stream belongs to whichever context is current when work is
  // enqueued on it: devbin makes its own current for every call.
  if (handle != kStreamLegacy && handle != kStreamPerThread) {
    CUcontext context = nullptr;
    const driver::CUresult found = impl_->api->cuStreamGetCtx(static_cast<CUstream>(cu_stream), &context);
    if (found != driver::CUDA_SUCCESS) {
      return invalid_argument(name() + ": wrap_queue: the driver does not know CUstream " + elf::hex(handle) +
                              " (cuStreamGetCtx: " + driver::error_text(*impl_->api, found) +
                              "): a destroyed stream, or not a stream");
    }
    if (context != impl_->context) {
      return invalid_argument(name() + ": wrap_queue: CUstream " + elf::hex(handle) + " belongs to CUDA context " +
                              elf::hex(reinterpret_cast<uintptr_t>(context)) + "; expected a stream of this "
                              "device's primary context " + elf::hex(reinterpret_cast<uintptr_t>(impl_->context)) +
                              " (another device, or a context the caller created)");
    }
  }
  return std::unique_ptr<Stream>(new Stream(this, cu_stream, false));
}

Status Device::driver_memset_d32(Stream& stream, DevicePtr target, uint32_t value, uint64_t count) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemsetD32Async(target, value, count, stream_handle(stream)),
               "cuMemsetD32Async");
}

Status Device::driver_copy(Stream& stream, DevicePtr target, DevicePtr source, uint64_t length) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyDtoDAsync_v2(target, source, length, stream_handle(stream)),
               "cuMemcpyDtoDAsync");
}

Status Device::driver_copy_batch(Stream& stream, std::span<const DevicePtr> targets, std::span<const DevicePtr> sources,
                                 std::span<const uint64_t> lengths) const {
  if (targets.size() != sources.size() || targets.size() != lengths.size()) {
    return invalid_argument("driver_copy_batch: " + std::to_string(targets.size()) + " targets, " +
                            std::to_string(sources.size()) + " sources and " + std::to_string(lengths.size()) +
                            " lengths; expected one of each per copy");
  }
  if (targets.empty()) return Status::Ok();
  const driver::Api& api = *impl_->api;
  if (api.cuMemcpyBatchAsync == nullptr) {
    return unavailable("cuMemcpyBatchAsync: the CUDA driver (" + driver_info_.version_string() +
                       ") lacks it; it came with CUDA 12.8");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  std::vector<driver::CUdeviceptr> to(targets.begin(), targets.end());
  std::vector<driver::CUdeviceptr> from(sources.begin(), sources.end());
  std::vector<size_t> sizes(lengths.begin(), lengths.end());
  driver::CUmemcpyAttributes attributes{};
  attributes.src_access_order = driver::CU_MEMCPY_SRC_ACCESS_ORDER_STREAM;
  size_t first_copy = 0;  // the one attribute applies from copy 0 on
  size_t failed_copy = SIZE_MAX;
  Status status = check(api,
                        api.cuMemcpyBatchAsync(to.data(), from.data(), sizes.data(), sizes.size(), &attributes,
                                               &first_copy, 1, &failed_copy, stream_handle(stream)),
                        "cuMemcpyBatchAsync");
  if (!status.ok() && failed_copy != SIZE_MAX) status.annotate("copy " + std::to_string(failed_copy));
  return status;
}

Status Device::driver_copy_2d(Stream& stream, DevicePtr target, uint64_t target_pitch, DevicePtr source,
                              uint64_t source_pitch, uint64_t width, uint64_t height) const {
  const driver::Api& api = *impl_->api;
  if (api.cuMemcpy2DAsync_v2 == nullptr) {
    return unavailable("cuMemcpy2DAsync: the CUDA driver (" + driver_info_.version_string() + ") lacks it");
  }
  driver::CUDA_MEMCPY2D copy{};
  copy.srcMemoryType = driver::CU_MEMORYTYPE_DEVICE;
  copy.srcDevice = source;
  copy.srcPitch = source_pitch;
  copy.dstMemoryType = driver::CU_MEMORYTYPE_DEVICE;
  copy.dstDevice = target;
  copy.dstPitch = target_pitch;
  copy.WidthInBytes = width;
  copy.Height = height;
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(api, api.cuMemcpy2DAsync_v2(&copy, stream_handle(stream)), "cuMemcpy2DAsync");
}

Status Device::driver_memset_2d(Stream& stream, DevicePtr target, uint64_t pitch, std::span<const uint8_t> pattern,
                                uint64_t width, uint64_t height) const {
  const driver::Api& api = *impl_->api;
  const size_t bytes = pattern.size();
  if ((bytes != 1 && bytes != 2 && bytes != 4) || width % bytes != 0) {
    return invalid_argument("driver_memset_2d: a " + std::to_string(bytes) + "-byte pattern over rows of " +
                            std::to_string(width) + " bytes; the driver's 2D memsets take 1, 2 or 4-byte patterns "
                            "and whole elements");
  }
  const char* name = bytes == 1 ? "cuMemsetD2D8Async" : bytes == 2 ? "cuMemsetD2D16Async" : "cuMemsetD2D32Async";
  if ((bytes == 1 && api.cuMemsetD2D8Async == nullptr) || (bytes == 2 && api.cuMemsetD2D16Async == nullptr) ||
      (bytes == 4 && api.cuMemsetD2D32Async == nullptr)) {
    return unavailable(std::string(name) + ": the CUDA driver (" + driver_info_.version_string() + ") lacks it");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  const CUstream handle = stream_handle(stream);
  const uint64_t elements = width / bytes;
  driver::CUresult result;
  if (bytes == 1) {
    result = api.cuMemsetD2D8Async(target, pitch, pattern[0], elements, height, handle);
  } else if (bytes == 2) {
    uint16_t value;
    std::memcpy(&value, pattern.data(), 2);
    result = api.cuMemsetD2D16Async(target, pitch, value, elements, height, handle);
  } else {
    uint32_t value;
    std::memcpy(&value, pattern.data(), 4);
    result = api.cuMemsetD2D32Async(target, pitch, value, elements, height, handle);
  }
  return check(api, result, name);
}

Result<HostBuffer> Device::allocate_host(uint64_t bytes) const {
  if (bytes == 0) return invalid_argument("allocate_host: expected a non-zero size");
  const driver::Api& api = *impl_->api;
  if (api.cuMemAllocHost_v2 == nullptr || api.cuMemFreeHost == nullptr) {
    return unavailable("cuMemAllocHost: the CUDA driver lacks cuMemAllocHost_v2 or cuMemFreeHost");
  }
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  void* data = nullptr;
  Status status = check(api, api.cuMemAllocHost_v2(&data, bytes), "cuMemAllocHost");
  if (!status.ok()) return status.annotate("allocating " + std::to_string(bytes) + " bytes of host memory");
  return HostBuffer(this, data, bytes);
}

Status Device::copy_to_device_async(Stream& stream, DevicePtr target, const void* source, uint64_t length) const {
  if (length == 0) return Status::Ok();
  const driver::Api& api = *impl_->api;
  if (api.cuMemcpyHtoDAsync_v2 == nullptr) return unavailable("the CUDA driver lacks cuMemcpyHtoDAsync_v2");
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(api, api.cuMemcpyHtoDAsync_v2(target, source, length, stream_handle(stream)), "cuMemcpyHtoDAsync");
}

Status Device::copy_to_device(DevicePtr target, const void* source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_device", target, source, length));
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyHtoD_v2(target, source, length), "cuMemcpyHtoD");
}

Status Device::copy_to_host(void* target, DevicePtr source, uint64_t length) const {
  DEVBIN_RETURN_IF_ERROR(check_host_transfer("copy_to_host", source, target, length));
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemcpyDtoH_v2(target, source, length), "cuMemcpyDtoH");
}

Status Device::memset_d8(DevicePtr target, uint8_t value, uint64_t length) const {
  if (length == 0) return Status::Ok();
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuMemsetD8_v2(target, value, length), "cuMemsetD8");
}

Status Device::synchronize() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  return check(*impl_->api, impl_->api->cuCtxSynchronize(), "cuCtxSynchronize");
}

Result<Buffer> Device::allocate(uint64_t bytes) const {
  if (bytes == 0) return invalid_argument("allocate: expected a non-zero size");
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  driver::CUdeviceptr address = 0;
  Status status = check(*impl_->api, impl_->api->cuMemAlloc_v2(&address, bytes), "cuMemAlloc");
  if (!status.ok()) return status.annotate("allocating " + std::to_string(bytes) + " bytes");
  return Buffer(this, address, bytes);
}

Result<std::unique_ptr<Stream>> Device::create_stream() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  CUstream handle = nullptr;
  // A blocking stream (flags 0): the synchronous copies on the legacy default
  // stream then wait for work enqueued here, as callers expect.
  DEVBIN_RETURN_IF_ERROR(check(*impl_->api, impl_->api->cuStreamCreate(&handle, 0), "cuStreamCreate"));
  return std::unique_ptr<Stream>(new Stream(this, handle, true));
}

Result<std::unique_ptr<Event>> Device::create_event() const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, impl_->enter());
  CUevent handle = nullptr;
  DEVBIN_RETURN_IF_ERROR(
      check(*impl_->api, impl_->api->cuEventCreate(&handle, driver::CU_EVENT_DEFAULT), "cuEventCreate"));
  return std::unique_ptr<Event>(new Event(this, handle));
}

//===----------------------------------------------------------------------===//
// Buffer, Stream, Event
//===----------------------------------------------------------------------===//

// Teardown: what cannot be freed is told to the device, which close() reports.
template <>
void Memory<DevicePtr>::reset() {
  if (device_ != nullptr && address_ != 0) {
    Device::Impl& impl = *device_->impl_;
    impl.free_resource("a buffer of " + std::to_string(size_) + " bytes at " + elf::hex(address_), "cuMemFree",
                       [&] { return impl.api->cuMemFree_v2(address_); });
  }
  device_ = nullptr;
  address_ = 0;
  size_ = 0;
}

template <>
void Memory<void*>::reset() {
  if (device_ != nullptr && address_ != nullptr) {
    Device::Impl& impl = *device_->impl_;
    impl.free_resource("a host buffer of " + std::to_string(size_) + " bytes", "cuMemFreeHost",
                       [&] { return impl.api->cuMemFreeHost(address_); });
  }
  device_ = nullptr;
  address_ = nullptr;
  size_ = 0;
}

Event::~Event() {
  Device::Impl& impl = *device_->impl_;
  impl.free_resource("an event", "cuEventDestroy", [&] { return impl.api->cuEventDestroy_v2(static_cast<CUevent>(handle_)); });
}

Status Event::record(Stream& stream) {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api,
               device_->impl_->api->cuEventRecord(static_cast<CUevent>(handle_), stream_handle(stream)),
               "cuEventRecord");
}

Status Event::synchronize() {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  return check(*device_->impl_->api, device_->impl_->api->cuEventSynchronize(static_cast<CUevent>(handle_)),
               "cuEventSynchronize");
}

Result<float> Event::elapsed_ms_since(const Event& start) const {
  DEVBIN_ASSIGN_OR_RETURN(ContextScope scope, device_->impl_->enter());
  float ms = 0;
  DEVBIN_RETURN_IF_ERROR(check(
      *device_->impl_->api,
      device_->impl_->api->cuEventElapsedTime(&ms, static_cast<CUevent>(start.handle_), static_cast<CUevent>(handle_)),
      "cuEventElapsedTime"));
  return ms;
}

}  // namespace devbin::cuda
