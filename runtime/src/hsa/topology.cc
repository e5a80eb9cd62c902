// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's topology: the runtime, agent discovery, agent properties
// and ISA names.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "devbin_internal/dynamic_library.h"
#include "hsa/device_impl.h"

namespace devbin::hsa {

using api::check;
using api::hsa_agent_t;
using api::hsa_status_t;

// The runtime, loaded and initialized; any failure on the way as a Status.
Result<const api::Api*> usable_api() { return util::initialized(api::load(), "HSA runtime"); }

namespace {

std::string visible_devices_note() {
  const char* visible = std::getenv("ROCR_VISIBLE_DEVICES");
  return visible == nullptr ? std::string() : std::string(" (ROCR_VISIBLE_DEVICES=") + visible + ")";
}

// Fixed-size strings the runtime fills (char[64]); never trusted to be terminated.
std::string fixed_string(const char (&text)[65]) { return std::string(text, strnlen(text, sizeof(text) - 1)); }

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

}  // namespace

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

namespace {

// Reads agent `index`'s properties into `properties`, as far as the first
// query that fails.
Status query_agent(const api::Api& runtime, hsa_agent_t agent, int index, const std::vector<hsa_agent_t>& cpus,
                   AgentProperties& properties) {
  properties.ordinal = index;
  hsa_agent_t nearest{};
  if (runtime.hsa_agent_get_info(agent, api::HSA_AMD_AGENT_INFO_NEAREST_CPU, &nearest) == api::HSA_STATUS_SUCCESS) {
    for (size_t i = 0; i < cpus.size(); ++i) {
      if (cpus[i].handle == nearest.handle) properties.nearest_cpu = static_cast<int>(i);
    }
  }
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
  return Status::Ok();
}

}  // namespace

Result<Agent> find_agent(const api::Api& runtime, int index) {
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(runtime));
  if (index < 0 || static_cast<size_t>(index) >= collection.gpus.size()) {
    return not_found("HSA GPU agent " + std::to_string(index) + " does not exist; the runtime shows " +
                     std::to_string(collection.gpus.size()) + " GPU agent(s)" + visible_devices_note());
  }
  Agent agent;
  agent.handle = collection.gpus[static_cast<size_t>(index)];
  agent.cpus = collection.cpus;
  DEVBIN_RETURN_IF_ERROR(query_agent(runtime, agent.handle, index, collection.cpus, agent.properties));
  // The GPU's NUMA node first: system and kernarg memory come from the first
  // CPU agent with the pools devbin needs, so on a two-socket machine they sit
  // on the GPU's socket, not node 0's. Runtimes without the attribute (before
  // ROCm 6) keep the runtime's order.
  if (const int nearest = agent.properties.nearest_cpu; nearest > 0) {
    std::rotate(agent.cpus.begin(), agent.cpus.begin() + nearest, agent.cpus.begin() + nearest + 1);
  }
  return agent;
}

std::string RuntimeInfo::version_string() const {
  return std::to_string(version_major) + "." + std::to_string(version_minor);
}

Result<RuntimeInfo> runtime_info() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_api());
  return RuntimeInfo{runtime->path, runtime->version_major, runtime->version_minor};
}

Result<AmdgpuTargetId> AgentProperties::target() const {
  if (!status.ok()) return status;
  if (isa_names.empty()) return not_found("HSA GPU agent " + name + " reports no ISA");
  return parse_amdgpu_target_id(isa_names.front());
}

Result<std::vector<AgentProperties>> list_agents() {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_api());
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(*runtime));
  std::vector<AgentProperties> agents;
  for (size_t i = 0; i < collection.gpus.size(); ++i) {
    AgentProperties properties;
    properties.status = query_agent(*runtime, collection.gpus[i], static_cast<int>(i), collection.cpus, properties);
    agents.push_back(std::move(properties));
  }
  return agents;
}

}  // namespace devbin::hsa
