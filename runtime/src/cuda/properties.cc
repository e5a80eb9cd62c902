// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA driver and its devices: loading the driver, its version, the
// device count and each device's properties.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cuda/device_impl.h"
#include "devbin/cuda.h"
#include "devbin_internal/cuda_api.h"
#include "devbin_internal/dynamic_library.h"

namespace devbin::cuda {

using api::check;
using api::CUdevice;

Result<const api::Api*> usable_api() { return util::initialized(api::load(), "CUDA driver"); }

namespace {

std::string visible_devices_note() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return visible == nullptr ? std::string() : std::string(" (CUDA_VISIBLE_DEVICES=") + visible + ")";
}


}  // namespace

std::string DriverInfo::version_string() const { return api::version_string(version); }

Result<DriverInfo> driver_info() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* api, usable_api());
  return DriverInfo{api->path, api->version};
}

Result<int> device_count() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* api, usable_api());
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
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* api, usable_api());
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
  if (api->cuDeviceGetPCIBusId(text, sizeof(text) - 1, device) == api::CUDA_SUCCESS) properties.pci_bus_id = text;

  struct AttributeField {
    int attribute;
    uint32_t* field;
    const char* name;
  };
  const AttributeField fields[] = {
      {api::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &properties.compute_capability_major,
       "compute capability major"},
      {api::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &properties.compute_capability_minor,
       "compute capability minor"},
      {api::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &properties.multiprocessor_count, "multiprocessor count"},
      {api::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &properties.max_threads_per_block, "max threads per block"},
      {api::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, &properties.max_threads_per_multiprocessor,
       "max threads per multiprocessor"},
      {api::CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, &properties.max_grid_dim_x, "max grid dim x"},
      {api::CU_DEVICE_ATTRIBUTE_WARP_SIZE, &properties.warp_size, "warp size"},
      {api::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, &properties.l2_cache_bytes, "L2 cache size"},
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

}  // namespace devbin::cuda
