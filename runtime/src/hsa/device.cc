// The HSA backend's devices: agent discovery, code-object loading, memory,
// queues and the builtin operations as AQL packets.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "devbin/kernel_args.h"
#include "devbin/hsa.h"
#include "devbin/select.h"
#include "hsa/api.h"

namespace devbin::hsa {

using api::check;
using api::hsa_agent_t;
using api::hsa_amd_memory_pool_t;
using api::hsa_status_t;

namespace {

// The runtime, loaded and initialized; any failure on the way as a Status.
Result<const api::Api*> usable_runtime() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, api::load());
  if (!runtime->init_status.ok()) {
    Status status = runtime->init_status;
    status.annotate("HSA runtime " + runtime->path);
    return status;
  }
  return runtime;
}

std::string visible_devices_note() {
  const char* visible = std::getenv("ROCR_VISIBLE_DEVICES");
  return visible == nullptr ? std::string() : std::string(" (ROCR_VISIBLE_DEVICES=") + visible + ")";
}

// Fixed-size strings the runtime fills (char[64]); never trusted to be terminated.
std::string fixed_string(const char (&text)[65]) { return std::string(text, strnlen(text, sizeof(text) - 1)); }

struct Agent {
  hsa_agent_t handle{};
  AgentProperties properties;
  std::vector<hsa_agent_t> cpus;  // where system and kernarg memory come from
};

struct AgentCollection {
  const api::Api* api = nullptr;
  std::vector<hsa_agent_t> gpus;
  std::vector<hsa_agent_t> cpus;
  Status error;
};

hsa_status_t collect_agent(hsa_agent_t agent, void* data) {
  auto* collection = static_cast<AgentCollection*>(data);
  api::hsa_device_type_t type = api::HSA_DEVICE_TYPE_CPU;
  const hsa_status_t status = collection->api->hsa_agent_get_info(agent, api::HSA_AGENT_INFO_DEVICE, &type);
  if (status != api::HSA_STATUS_SUCCESS) {
    collection->error = check(*collection->api, status, "hsa_agent_get_info(DEVICE)");
    return status;
  }
  if (type == api::HSA_DEVICE_TYPE_GPU) collection->gpus.push_back(agent);
  if (type == api::HSA_DEVICE_TYPE_CPU) collection->cpus.push_back(agent);
  return api::HSA_STATUS_SUCCESS;
}

struct IsaCollection {
  const api::Api* api = nullptr;
  std::vector<std::string> names;
  Status error;
};

hsa_status_t collect_isa(api::hsa_isa_t isa, void* data) {
  auto* collection = static_cast<IsaCollection*>(data);
  uint32_t length = 0;
  hsa_status_t status = collection->api->hsa_isa_get_info_alt(isa, api::HSA_ISA_INFO_NAME_LENGTH, &length);
  if (status != api::HSA_STATUS_SUCCESS) {
    collection->error = check(*collection->api, status, "hsa_isa_get_info_alt(NAME_LENGTH)");
    return status;
  }
  if (length == 0 || length > 4096) {
    collection->error =
        internal_error("the runtime reports an ISA name of " + std::to_string(length) + " bytes; expected 1..4096");
    return api::HSA_STATUS_ERROR;
  }
  std::string name(length + 1, '\0');
  status = collection->api->hsa_isa_get_info_alt(isa, api::HSA_ISA_INFO_NAME, name.data());
  if (status != api::HSA_STATUS_SUCCESS) {
    collection->error = check(*collection->api, status, "hsa_isa_get_info_alt(NAME)");
    return status;
  }
  name.resize(strnlen(name.c_str(), name.size()));
  collection->names.push_back(std::move(name));
  return api::HSA_STATUS_SUCCESS;
}

Result<AgentCollection> collect_agents(const api::Api& runtime) {
  AgentCollection collection;
  collection.api = &runtime;
  const hsa_status_t status = runtime.hsa_iterate_agents(collect_agent, &collection);
  if (!collection.error.ok()) return collection.error;
  DEVBIN_RETURN_IF_ERROR(check(runtime, status, "hsa_iterate_agents"));
  if (collection.gpus.empty()) {
    return unavailable("the HSA runtime " + runtime.path + " shows no GPU agent" + visible_devices_note() + " (" +
                       std::to_string(collection.cpus.size()) + " CPU agent(s))");
  }
  return collection;
}

Result<AgentProperties> query_agent(const api::Api& runtime, hsa_agent_t agent, int index) {
  AgentProperties properties;
  properties.index = index;
  char text[65] = {};
  DEVBIN_RETURN_IF_ERROR(
      check(runtime, runtime.hsa_agent_get_info(agent, api::HSA_AGENT_INFO_NAME, text), "hsa_agent_get_info(NAME)"));
  properties.name = fixed_string(text);
  std::memset(text, 0, sizeof(text));
  if (runtime.hsa_agent_get_info(agent, api::HSA_AMD_AGENT_INFO_PRODUCT_NAME, text) == api::HSA_STATUS_SUCCESS) {
    properties.product_name = fixed_string(text);
  }
  uint32_t bdfid = 0;
  uint32_t domain = 0;
  if (runtime.hsa_agent_get_info(agent, api::HSA_AMD_AGENT_INFO_BDFID, &bdfid) == api::HSA_STATUS_SUCCESS) {
    if (runtime.hsa_agent_get_info(agent, api::HSA_AMD_AGENT_INFO_DOMAIN, &domain) != api::HSA_STATUS_SUCCESS) {
      domain = 0;
    }
    char bus_id[32];
    std::snprintf(bus_id, sizeof(bus_id), "%04x:%02x:%02x.%x", domain & 0xffff, (bdfid >> 8) & 0xff,
                  (bdfid >> 3) & 0x1f, bdfid & 7);
    properties.pci_bus_id = bus_id;
  }

  struct InfoField {
    api::hsa_agent_info_t attribute;
    uint32_t* field;
    const char* name;
    bool required;
  };
  const InfoField fields[] = {
      {api::HSA_AGENT_INFO_WAVEFRONT_SIZE, &properties.wavefront_size, "WAVEFRONT_SIZE", true},
      {api::HSA_AGENT_INFO_WORKGROUP_MAX_SIZE, &properties.workgroup_max_size, "WORKGROUP_MAX_SIZE", true},
      {api::HSA_AGENT_INFO_GRID_MAX_SIZE, &properties.grid_max_size, "GRID_MAX_SIZE", true},
      {api::HSA_AGENT_INFO_QUEUE_MIN_SIZE, &properties.queue_min_size, "QUEUE_MIN_SIZE", true},
      {api::HSA_AGENT_INFO_QUEUE_MAX_SIZE, &properties.queue_max_size, "QUEUE_MAX_SIZE", true},
      {api::HSA_AMD_AGENT_INFO_COMPUTE_UNIT_COUNT, &properties.compute_unit_count, "COMPUTE_UNIT_COUNT", true},
      {api::HSA_AMD_AGENT_INFO_MAX_WAVES_PER_CU, &properties.max_waves_per_cu, "MAX_WAVES_PER_CU", false},
      {api::HSA_AMD_AGENT_INFO_CHIP_ID, &properties.chip_id, "CHIP_ID", false},
  };
  for (const InfoField& field : fields) {
    const hsa_status_t status = runtime.hsa_agent_get_info(agent, field.attribute, field.field);
    if (status != api::HSA_STATUS_SUCCESS && field.required) {
      return check(runtime, status, std::string("hsa_agent_get_info(") + field.name + ")");
    }
  }
  if (runtime.hsa_agent_get_info(agent, api::HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY,
                                 &properties.timestamp_frequency_hz) != api::HSA_STATUS_SUCCESS) {
    properties.timestamp_frequency_hz = 0;  // a runtime before ROCm 6
  }
  if (properties.wavefront_size == 0 || properties.workgroup_max_size == 0 || properties.compute_unit_count == 0 ||
      properties.queue_max_size == 0) {
    return internal_error("HSA GPU agent " + std::to_string(index) + " (" + properties.name +
                          ") reports zero wavefront size, workgroup size, compute units or queue size");
  }

  IsaCollection isas;
  isas.api = &runtime;
  const hsa_status_t status = runtime.hsa_agent_iterate_isas(agent, collect_isa, &isas);
  if (!isas.error.ok()) return isas.error;
  DEVBIN_RETURN_IF_ERROR(check(runtime, status, "hsa_agent_iterate_isas"));
  if (isas.names.empty()) {
    return failed_precondition("HSA GPU agent " + std::to_string(index) + " (" + properties.name + ") reports no ISA");
  }
  properties.isa_names = std::move(isas.names);
  return properties;
}

Result<Agent> find_agent(const api::Api& runtime, int index) {
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(runtime));
  if (index < 0 || static_cast<size_t>(index) >= collection.gpus.size()) {
    return not_found("HSA GPU agent " + std::to_string(index) + " does not exist; the runtime shows " +
                     std::to_string(collection.gpus.size()) + " GPU agent(s)" + visible_devices_note());
  }
  Agent agent;
  agent.handle = collection.gpus[static_cast<size_t>(index)];
  agent.cpus = collection.cpus;
  DEVBIN_ASSIGN_OR_RETURN(agent.properties, query_agent(runtime, agent.handle, index));
  return agent;
}

// The memory pools a device uses.
struct Pools {
  hsa_amd_memory_pool_t device{};   // GPU, global, coarse-grained
  hsa_amd_memory_pool_t host{};     // CPU, global, fine-grained
  hsa_amd_memory_pool_t kernarg{};  // CPU, global, kernarg-capable
  bool has_device = false;
  bool has_host = false;
  bool has_kernarg = false;
};

struct PoolSearch {
  const api::Api* api = nullptr;
  bool gpu = false;
  Pools* pools = nullptr;
};

hsa_status_t inspect_pool(hsa_amd_memory_pool_t pool, void* data) {
  auto* search = static_cast<PoolSearch*>(data);
  const api::Api& runtime = *search->api;
  api::hsa_amd_segment_t segment = api::HSA_AMD_SEGMENT_PRIVATE;
  uint32_t flags = 0;
  bool allowed = false;
  if (runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &segment) !=
          api::HSA_STATUS_SUCCESS ||
      segment != api::HSA_AMD_SEGMENT_GLOBAL) {
    return api::HSA_STATUS_SUCCESS;
  }
  if (runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS, &flags) !=
          api::HSA_STATUS_SUCCESS ||
      runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED, &allowed) !=
          api::HSA_STATUS_SUCCESS ||
      !allowed) {
    return api::HSA_STATUS_SUCCESS;
  }
  Pools& pools = *search->pools;
  if (search->gpu) {
    if (!pools.has_device && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED) != 0) {
      pools.device = pool;
      pools.has_device = true;
    }
    return api::HSA_STATUS_SUCCESS;
  }
  if (!pools.has_kernarg && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT) != 0) {
    pools.kernarg = pool;
    pools.has_kernarg = true;
  }
  if (!pools.has_host && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED) != 0) {
    pools.host = pool;
    pools.has_host = true;
  }
  return api::HSA_STATUS_SUCCESS;
}

Result<Pools> find_pools(const api::Api& runtime, hsa_agent_t gpu, const std::vector<hsa_agent_t>& cpus,
                         const std::string& agent_name) {
  Pools pools;
  PoolSearch search{&runtime, true, &pools};
  DEVBIN_RETURN_IF_ERROR(check(runtime, runtime.hsa_amd_agent_iterate_memory_pools(gpu, inspect_pool, &search),
                               "hsa_amd_agent_iterate_memory_pools(GPU)"));
  search.gpu = false;
  for (hsa_agent_t cpu : cpus) {
    if (pools.has_host && pools.has_kernarg) break;
    DEVBIN_RETURN_IF_ERROR(check(runtime, runtime.hsa_amd_agent_iterate_memory_pools(cpu, inspect_pool, &search),
                                 "hsa_amd_agent_iterate_memory_pools(CPU)"));
  }
  if (!pools.has_device || !pools.has_kernarg || !pools.has_host) {
    return failed_precondition("HSA GPU agent " + agent_name + ": the runtime offers no " +
                               (!pools.has_device    ? "coarse-grained device memory pool"
                                : !pools.has_kernarg ? "kernarg memory pool on a CPU agent"
                                                     : "fine-grained system memory pool on a CPU agent"));
  }
  return pools;
}

uint64_t round_up(uint64_t value, uint64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

std::string RuntimeInfo::version_string() const {
  return std::to_string(version_major) + "." + std::to_string(version_minor);
}

Result<RuntimeInfo> runtime_info() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_runtime());
  return RuntimeInfo{runtime->path, runtime->version_major, runtime->version_minor};
}

Result<AmdgpuTargetId> AgentProperties::target() const {
  if (isa_names.empty()) return not_found("HSA GPU agent " + name + " reports no ISA");
  return parse_amdgpu_target_id(isa_names.front());
}

Result<std::vector<AgentProperties>> list_agents() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_runtime());
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(*runtime));
  std::vector<AgentProperties> agents;
  for (size_t i = 0; i < collection.gpus.size(); ++i) {
    DEVBIN_ASSIGN_OR_RETURN(AgentProperties properties, query_agent(*runtime, collection.gpus[i], static_cast<int>(i)));
    agents.push_back(std::move(properties));
  }
  return agents;
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

struct Device::Impl {
  const api::Api* api = nullptr;
  hsa_agent_t agent{};
  Pools pools;
  api::hsa_code_object_reader_t reader{};
  api::hsa_executable_t executable{};
  bool has_reader = false;
  bool has_executable = false;
  uint32_t kernarg_slot_bytes = 0;  // one kernarg segment of any ABI kernel
  uint32_t kernarg_slot_align = 16;

  ~Impl() {
    if (has_executable) api->hsa_executable_destroy(executable);
    if (has_reader) api->hsa_code_object_reader_destroy(reader);
  }

  // Memory from `pool` the GPU may access.
  Result<void*> allocate(hsa_amd_memory_pool_t pool, uint64_t bytes, bool system) const {
    void* pointer = nullptr;
    DEVBIN_RETURN_IF_ERROR(
        check(*api, api->hsa_amd_memory_pool_allocate(pool, bytes, 0, &pointer), "hsa_amd_memory_pool_allocate"));
    if (system) {
      if (Status s =
              check(*api, api->hsa_amd_agents_allow_access(1, &agent, nullptr, pointer), "hsa_amd_agents_allow_access");
          !s.ok()) {
        api->hsa_amd_memory_pool_free(pointer);
        return s;
      }
    }
    return pointer;
  }
};

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Device::~Device() = default;

Result<std::unique_ptr<Device>> Device::open(int index, const OpenOptions& options, DeviceReport* report) {
  DeviceReport local_report;
  DeviceReport& rep = report != nullptr ? *report : local_report;
  rep = DeviceReport{};
  rep.backend = "hsa";
  rep.index = index;
  auto fail = [&rep, index](Status status) -> Status {
    status.annotate("HSA GPU agent " + std::to_string(index));
    rep.status = status;
    return status;
  };

  auto runtime_or = usable_runtime();
  if (!runtime_or.ok()) return fail(runtime_or.status());
  const api::Api& runtime = *runtime_or.value();
  auto agent_or = find_agent(runtime, index);
  if (!agent_or.ok()) return fail(agent_or.status());
  const Agent& agent = agent_or.value();
  const AgentProperties& properties = agent.properties;
  rep.name = properties.product_name.empty() ? properties.name : properties.product_name;
  auto target_or = properties.target();
  if (!target_or.ok()) return fail(target_or.status());
  rep.target = target_or.value().to_string();

  api::hsa_agent_feature_t features{};
  if (Status s = check(runtime, runtime.hsa_agent_get_info(agent.handle, api::HSA_AGENT_INFO_FEATURE, &features),
                       "hsa_agent_get_info(FEATURE)");
      !s.ok()) {
    return fail(s);
  }
  if ((features & api::HSA_AGENT_FEATURE_KERNEL_DISPATCH) == 0) {
    return fail(failed_precondition(properties.name + " does not support kernel dispatch packets"));
  }

  auto impl = std::make_unique<Impl>();
  impl->api = &runtime;
  impl->agent = agent.handle;

  const Toc& toc = options.toc != nullptr ? *options.toc : embedded_toc();
  SelectOptions select_options;
  if (options.override_entry.has_value()) {
    select_options.override_entry = *options.override_entry;
  } else if (options.read_environment) {
    select_options.vendor_overrides = target_override_from_env();
  }

  const auto start = std::chrono::steady_clock::now();
  // The agent's ISAs in its order of preference; the first one the TOC serves wins.
  std::optional<Selection> chosen;
  Status first_failure;
  for (const std::string& isa : properties.isa_names) {
    auto selection_or = select(std::string_view(isa), toc, select_options);
    if (selection_or.ok()) {
      chosen = std::move(selection_or).value();
      break;
    }
    if (first_failure.ok()) first_failure = selection_or.status();
  }
  if (!chosen.has_value()) return fail(first_failure);
  const TocEntry& entry = *chosen->entry;
  rep.selected = true;
  rep.selection.entry = std::string(entry.name);
  rep.selection.kind = chosen->kind;
  rep.selection.reason = chosen->reason;
  rep.selection.jit = false;

  auto info_or = inspect_and_validate(entry);
  if (!info_or.ok()) return fail(info_or.status());
  CodeObjectInfo info = std::move(info_or).value();
  if (info.format != CodeObjectFormat::kAmdgpuHsaco) {
    return fail(failed_precondition(std::string(entry.name) + " is " +
                                    std::string(code_object_format_name(info.format)) +
                                    "; an HSA agent loads amdgpu-hsaco code objects only"));
  }

  const std::string entry_name(entry.name);
  auto load_failed = [&](hsa_status_t status, std::string_view call) {
    Status s = check(runtime, status, std::string(call) + "(" + entry_name + ")");
    if (status == api::HSA_STATUS_ERROR_INVALID_ISA || status == api::HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS ||
        status == api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT) {
      const bool generic = entry.target.ends_with("-generic");
      s = Status(s.code(), s.message() + "; the runtime does not accept " + entry_name + " for " +
                               properties.isa_names.front() +
                               (generic ? " (ROCm releases older than generic-target support refuse generic code "
                                          "objects: update ROCm)"
                                        : "") +
                               "; force another entry with " + kTargetOverrideEnv);
    }
    return fail(s);
  };
  hsa_status_t status = runtime.hsa_code_object_reader_create_from_memory(entry.data, entry.size, &impl->reader);
  if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_code_object_reader_create_from_memory");
  impl->has_reader = true;
  // FULL, as HIP and ROCm's own tools create every executable: code objects
  // v3+ carry no profile, and ROCm's loader accepts FULL for dGPU agents too.
  status = runtime.hsa_executable_create_alt(api::HSA_PROFILE_FULL, api::HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT,
                                             nullptr, &impl->executable);
  if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_create_alt");
  impl->has_executable = true;
  status =
      runtime.hsa_executable_load_agent_code_object(impl->executable, agent.handle, impl->reader, nullptr, nullptr);
  if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_load_agent_code_object");
  status = runtime.hsa_executable_freeze(impl->executable, nullptr);
  if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_freeze");

  std::unique_ptr<Device> device(new Device(std::move(impl)));
  Impl& loaded = *device->impl_;
  for (size_t i = 0; i < kKernelCount; ++i) {
    const std::string name(kernel_name(static_cast<Kernel>(i)));
    const KernelInfo* metadata = info.find_kernel(name);
    if (metadata == nullptr) {
      return fail(not_found(entry_name + " has no metadata for kernel " + name +
                            "; every kernel of DEVBIN_ABI_KERNELS must be present"));
    }
    const std::string symbol_name = metadata->symbol.empty() ? name + ".kd" : metadata->symbol;
    api::hsa_executable_symbol_t symbol{};
    status = runtime.hsa_executable_get_symbol_by_name(loaded.executable, symbol_name.c_str(), &agent.handle, &symbol);
    if (status != api::HSA_STATUS_SUCCESS) {
      return fail(not_found(entry_name + " has no kernel symbol " + symbol_name + " after loading (" +
                            api::error_text(runtime, status) +
                            "); every kernel of DEVBIN_ABI_KERNELS must be present"));
    }
    LoadedKernel& kernel = device->kernels_[i];
    struct SymbolField {
      api::hsa_executable_symbol_info_t attribute;
      void* value;
      const char* what;
    };
    const SymbolField fields[] = {
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT, &kernel.kernel_object, "KERNEL_OBJECT"},
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE, &kernel.kernarg_segment_size,
         "KERNEL_KERNARG_SEGMENT_SIZE"},
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_ALIGNMENT, &kernel.kernarg_segment_align,
         "KERNEL_KERNARG_SEGMENT_ALIGNMENT"},
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_GROUP_SEGMENT_SIZE, &kernel.group_segment_size,
         "KERNEL_GROUP_SEGMENT_SIZE"},
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE, &kernel.private_segment_size,
         "KERNEL_PRIVATE_SEGMENT_SIZE"},
        {api::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_DYNAMIC_CALLSTACK, &kernel.dynamic_callstack,
         "KERNEL_DYNAMIC_CALLSTACK"},
    };
    for (const SymbolField& field : fields) {
      if (Status s = check(runtime, runtime.hsa_executable_symbol_get_info(symbol, field.attribute, field.value),
                           "hsa_executable_symbol_get_info(" + symbol_name + ", " + field.what + ")");
          !s.ok()) {
        return fail(s);
      }
    }
    if (Status s = check_loaded_kernel(*metadata, kernel); !s.ok()) {
      s.annotate("loading " + entry_name);
      return fail(s);
    }
    loaded.kernarg_slot_align = std::max(loaded.kernarg_slot_align, kernarg_alignment(*metadata, kernel));
    loaded.kernarg_slot_bytes = std::max(loaded.kernarg_slot_bytes, metadata->kernarg_segment_size);
  }
  rep.load_time = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  loaded.kernarg_slot_bytes =
      static_cast<uint32_t>(round_up(std::max<uint32_t>(loaded.kernarg_slot_bytes, 1), loaded.kernarg_slot_align));

  auto pools_or = find_pools(runtime, agent.handle, agent.cpus, properties.name);
  if (!pools_or.ok()) return fail(pools_or.status());
  loaded.pools = pools_or.value();

  device->properties_ = properties;
  device->code_object_ = std::move(info);
  device->runtime_info_ = RuntimeInfo{runtime.path, runtime.version_major, runtime.version_minor};
  LaunchLimits& limits = device->limits_;
  limits.compute_units = properties.compute_unit_count;
  limits.workgroup_size = std::min<uint32_t>(256, properties.workgroup_max_size);
  const uint32_t waves_per_group = (limits.workgroup_size + properties.wavefront_size - 1) / properties.wavefront_size;
  limits.workgroups_per_compute_unit = std::max<uint32_t>(1, properties.max_waves_per_cu / waves_per_group);
  rep.status = Status::Ok();
  device->report_ = rep;
  return device;
}

//===----------------------------------------------------------------------===//
// Buffer
//===----------------------------------------------------------------------===//

Buffer::Buffer(Buffer&& other) noexcept
    : device_(std::exchange(other.device_, nullptr)),
      pointer_(std::exchange(other.pointer_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      kind_(other.kind_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, nullptr);
    pointer_ = std::exchange(other.pointer_, nullptr);
    size_ = std::exchange(other.size_, 0);
    kind_ = other.kind_;
  }
  return *this;
}

Buffer::~Buffer() { reset(); }

void Buffer::reset() {
  if (pointer_ != nullptr && device_ != nullptr) device_->impl_->api->hsa_amd_memory_pool_free(pointer_);
  pointer_ = nullptr;
  size_ = 0;
}

Result<Buffer> Device::allocate(uint64_t bytes, MemoryKind kind) const {
  if (bytes == 0) return invalid_argument("allocate: 0 bytes; expected at least 1");
  const bool host = kind == MemoryKind::kHost;
  DEVBIN_ASSIGN_OR_RETURN(void* pointer, impl_->allocate(host ? impl_->pools.host : impl_->pools.device, bytes, host));
  Buffer buffer;
  buffer.device_ = this;
  buffer.pointer_ = pointer;
  buffer.size_ = bytes;
  buffer.kind_ = kind;
  return buffer;
}

//===----------------------------------------------------------------------===//
// Queue
//===----------------------------------------------------------------------===//

struct Queue::Impl {
  const api::Api* api = nullptr;
  api::hsa_queue_t* queue = nullptr;
  // Every packet devbin enqueues decrements it once on completion, and the
  // barrier bit keeps completions in order: -value is the number of packets
  // completed, which frees their ring and kernarg slots.
  api::hsa_signal_t progress{};
  bool has_progress = false;
  uint8_t* kernargs = nullptr;  // `size` slots of kernarg_slot_bytes
  uint32_t kernarg_slot_bytes = 0;
  // Held for the whole of an enqueue: taking ring slots (and waiting for them
  // to be free), writing their kernargs and packets, ringing the doorbell.
  // One enqueue's packets are therefore contiguous in the ring, and doorbell
  // values only grow, whichever threads enqueue.
  std::mutex mutex;
  uint64_t submitted = 0;  // packets enqueued (the doorbell's last value + 1); guarded by `mutex`
  std::atomic<int> error{api::HSA_STATUS_SUCCESS};

  static void on_error(hsa_status_t status, api::hsa_queue_t*, void* data) {
    static_cast<Impl*>(data)->error.store(status, std::memory_order_release);
  }

  Status queue_error() const {
    const auto status = static_cast<hsa_status_t>(error.load(std::memory_order_acquire));
    if (status == api::HSA_STATUS_SUCCESS) return Status::Ok();
    return internal_error("the HSA queue failed: " + api::error_text(*api, status) +
                          " (the runtime reported an error on the queue, such as a kernel's memory fault or a "
                          "packet it refused; the queue accepts no more work)");
  }

  // Waits until `count` packets have completed.
  Status wait_completed(uint64_t count) const {
    // A bounded wait, so a queue error (which never completes the packet) is noticed.
    constexpr uint64_t kTimeoutHint = 1000000;
    const auto target = static_cast<api::hsa_signal_value_t>(count);
    while (true) {
      const api::hsa_signal_value_t value = api->hsa_signal_wait_scacquire(
          progress, api::HSA_SIGNAL_CONDITION_LT, 1 - target, kTimeoutHint, api::HSA_WAIT_STATE_BLOCKED);
      if (-value >= target) return Status::Ok();
      DEVBIN_RETURN_IF_ERROR(queue_error());
    }
  }

  // `count` packet slots at the write index (INVALID headers), once the
  // packets that used them before have completed. Called with `mutex` held.
  Result<uint64_t> reserve_slots(uint64_t count) {
    DEVBIN_RETURN_IF_ERROR(queue_error());
    const uint64_t index = api->hsa_queue_add_write_index_scacq_screl(queue, count);
    const uint64_t end = index + count;
    if (end > queue->size) DEVBIN_RETURN_IF_ERROR(wait_completed(end - queue->size));
    for (uint64_t i = index; i < end; ++i) reserve_packet(slot(i));
    return index;
  }

  void* slot(uint64_t index) const { return packet_slot(queue->base_address, queue->size, index); }

  uint8_t* kernarg_slot(uint64_t index) const {
    return kernargs + (index & (uint64_t{queue->size} - 1)) * kernarg_slot_bytes;
  }

  // Tells the packet processor packets up to `last_index` are there.
  void ring_doorbell(uint64_t last_index) {
    api->hsa_signal_store_screlease(queue->doorbell_signal, static_cast<api::hsa_signal_value_t>(last_index));
    submitted = last_index + 1;
  }

  // Fills reserved slots whose packet could not be built with no-ops, so the
  // packet processor moves on.
  void publish_no_ops(std::initializer_list<void*> slots) {
    AqlBarrierAndPacket nop;
    nop.completion_signal = progress.handle;
    for (void* at : slots) {
      write_packet_body(at, &nop);
      publish_packet(at, ordered_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND), 0);
    }
  }

  ~Impl() {
    if (queue != nullptr) {
      if (has_progress && queue_error().ok()) (void)wait_completed(submitted);
      api->hsa_queue_destroy(queue);
    }
    if (has_progress) api->hsa_signal_destroy(progress);
    if (kernargs != nullptr) api->hsa_amd_memory_pool_free(kernargs);
  }
};

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
  return impl_->wait_completed(submitted);
}

void* Queue::native_handle() const { return impl_->queue; }
uint32_t Queue::size() const { return impl_->queue->size; }

Result<std::unique_ptr<Queue>> Device::create_queue(uint32_t packets) const {
  const uint32_t min_size = std::max<uint32_t>(properties_.queue_min_size, 4);
  const uint32_t max_size = properties_.queue_max_size;
  if (packets == 0) packets = std::clamp<uint32_t>(1024, min_size, std::max(min_size, max_size));
  if (!is_power_of_two(packets) || packets < min_size || packets > max_size) {
    return invalid_argument("create_queue: " + std::to_string(packets) + " packets; expected a power of two from " +
                            std::to_string(min_size) + " to " + std::to_string(max_size));
  }
  const api::Api& runtime = *impl_->api;
  auto impl = std::make_unique<Queue::Impl>();
  impl->api = &runtime;
  impl->kernarg_slot_bytes = impl_->kernarg_slot_bytes;
  DEVBIN_RETURN_IF_ERROR(
      check(runtime,
            runtime.hsa_queue_create(impl_->agent, packets, api::HSA_QUEUE_TYPE_MULTI, &Queue::Impl::on_error,
                                     impl.get(), UINT32_MAX, UINT32_MAX, &impl->queue),
            "hsa_queue_create"));
  DEVBIN_RETURN_IF_ERROR(
      check(runtime, runtime.hsa_signal_create(0, 0, nullptr, &impl->progress), "hsa_signal_create"));
  impl->has_progress = true;
  DEVBIN_ASSIGN_OR_RETURN(
      void* kernargs,
      impl_->allocate(impl_->pools.kernarg, uint64_t{impl->queue->size} * impl->kernarg_slot_bytes, true));
  impl->kernargs = static_cast<uint8_t*>(kernargs);
  return std::unique_ptr<Queue>(new Queue(std::move(impl)));
}

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

Status Device::launch(Queue& queue, Kernel kernel, std::span<const uint8_t> args,
                      const DispatchGeometry& geometry) const {
  DEVBIN_RETURN_IF_ERROR(check_geometry(geometry));
  const std::string name(kernel_name(kernel));
  const KernelInfo* metadata = code_object_.find_kernel(name);
  if (metadata == nullptr) return internal_error("no metadata for kernel " + name);
  const LoadedKernel& loaded = kernels_[static_cast<size_t>(kernel)];
  Queue::Impl& q = *queue.impl_;
  std::lock_guard<std::mutex> lock(q.mutex);
  DEVBIN_ASSIGN_OR_RETURN(const uint64_t index, q.reserve_slots(1));
  uint8_t* kernargs = q.kernarg_slot(index);
  HiddenArgumentValues hidden;
  hidden.queue = reinterpret_cast<uintptr_t>(q.queue);
  Status written = write_kernargs({kernargs, q.kernarg_slot_bytes}, *metadata, args, geometry, hidden);
  void* slot = q.slot(index);
  if (!written.ok()) {
    q.publish_no_ops({slot});
    q.ring_doorbell(index);
    return written;
  }
  const devbin_aql_kernel_dispatch_packet_t packet =
      make_dispatch_packet(loaded, geometry, reinterpret_cast<uintptr_t>(kernargs), q.progress.handle);
  write_packet_body(slot, &packet);
  publish_packet(slot, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH), packet.setup);
  q.ring_doorbell(index);
  return Status::Ok();
}

namespace {
template <typename T>
std::span<const uint8_t> bytes_of(const T& value) {
  return {reinterpret_cast<const uint8_t*>(&value), sizeof(T)};
}
}  // namespace

Status Device::fill(Queue& queue, DevicePtr target, uint64_t length, std::span<const uint8_t> pattern) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_fill_args_t args, make_fill_args(target, length, pattern));
  if (length == 0) return Status::Ok();
  // Work-items as device/abi.h counts them, plus one for a head and tail that
  // straddle words. The grid stays one resident wave (workgroup_count): the
  // covering grid the CUDA backend takes for copy is unmeasured on AMD.
  const uint32_t groups = workgroup_count(limits_, length / (16 * DEVBIN_FILL_WORDS_PER_ITEM) + 2);
  return launch(queue, Kernel::devbin_fill, bytes_of(args), linear_geometry(groups, limits_.workgroup_size));
}

Status Device::copy(Queue& queue, DevicePtr target, DevicePtr source, uint64_t length) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_copy_args_t args, make_copy_args(target, source, length));
  if (length == 0) return Status::Ok();
  const uint32_t groups = workgroup_count(limits_, length / (16 * DEVBIN_COPY_WORDS_PER_ITEM) + 2);
  return launch(queue, Kernel::devbin_copy, bytes_of(args), linear_geometry(groups, limits_.workgroup_size));
}

Status Device::timestamp(Queue& queue, DevicePtr record) const {
  DEVBIN_ASSIGN_OR_RETURN(devbin_timestamp_args_t args, make_timestamp_args(record));
  return launch(queue, Kernel::devbin_timestamp, bytes_of(args), linear_geometry(1, 1));
}

Status Device::dispatch_patch(Queue& queue, const devbin_dispatch_args_t& args) const {
  DEVBIN_RETURN_IF_ERROR(check_dispatch_args(args));
  return launch(queue, Kernel::devbin_dispatch_patch, bytes_of(args), linear_geometry(1, 1));
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

  DEVBIN_ASSIGN_OR_RETURN(const uint64_t index, q.reserve_slots(3));
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
  publish_packet(barrier_slot, packets.barrier_header, 0);
  publish_packet(patcher_slot, packets.patcher_header, packets.patcher_setup);
  q.ring_doorbell(index + 2);
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

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

Result<std::vector<DeviceReport>> report_devices(const OpenOptions& options) {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_runtime());
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(*runtime));
  std::vector<DeviceReport> reports(collection.gpus.size());
  for (size_t i = 0; i < collection.gpus.size(); ++i) {
    // The report holds the outcome, failure included; the device itself goes.
    (void)Device::open(static_cast<int>(i), options, &reports[i]);
  }
  return reports;
}

}  // namespace devbin::hsa
