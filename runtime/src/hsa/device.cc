// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's devices: opening one (select, validate, load, resolve
// the kernels) and the report of every GPU agent.
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "devbin/select.h"
#include "hsa/device_impl.h"
#include "open_report.h"
#include "open_sequence.h"

namespace devbin::hsa {

using api::check;
using api::hsa_status_t;

namespace {

uint64_t round_up(uint64_t value, uint64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

Device::Impl::~Impl() {
  if (has_executable) api->hsa_executable_destroy(executable);
  if (has_reader) api->hsa_code_object_reader_destroy(reader);
}

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Device::~Device() = default;

Result<std::unique_ptr<Device>> Device::open(int index, const OpenOptions& options, DeviceReport* report) {
  OpenReport opening(report, "hsa", index, "HSA GPU agent " + std::to_string(index));

  DEVBIN_ASSIGN_OR_RETURN(const api::Api* usable, opening.checked(usable_api()));
  const api::Api& runtime = *usable;
  DEVBIN_ASSIGN_OR_RETURN(const Agent agent, opening.checked(find_agent(runtime, index)));
  const AgentProperties& properties = agent.properties;
  DeviceReport& rep = opening.report();
  rep.name = properties.product_name.empty() ? properties.name : properties.product_name;
  auto target_or = properties.target();
  if (!target_or.ok()) return opening.fail(target_or.status());
  rep.target = target_or.value().to_string();

  api::hsa_agent_feature_t features{};
  if (Status s = check(runtime, runtime.hsa_agent_get_info(agent.handle, api::HSA_AGENT_INFO_FEATURE, &features),
                       "hsa_agent_get_info(FEATURE)");
      !s.ok()) {
    return opening.fail(s);
  }
  if ((features & api::HSA_AGENT_FEATURE_KERNEL_DISPATCH) == 0) {
    return opening.fail(failed_precondition(properties.name + " does not support kernel dispatch packets"));
  }

  if (options.wait_timeout <= std::chrono::milliseconds::zero()) {
    return opening.fail(invalid_argument("OpenOptions::wait_timeout is " + std::to_string(options.wait_timeout.count()) +
                                 " ms; expected a positive time"));
  }
  install_fault_handler(runtime);
  auto impl = std::make_unique<Impl>();
  impl->api = &runtime;
  impl->agent = agent.handle;
  impl->wait_timeout = options.wait_timeout;

  std::unique_ptr<Device> device(new Device(std::move(impl)));
  Impl& loaded = *device->impl_;
  // The agent's own ISAs in its order of preference; the first one the TOC
  // serves wins. The generic ISAs the runtime lists after them are not
  // targets to select for but what its loader accepts besides.
  const AgentIsas isas = split_isas(properties.isa_names);
  OpenSteps steps;
  steps.targets = isas.native.empty() ? properties.isa_names : isas.native;
  // Never a generic code object the runtime cannot load. Selection prefers
  // the exact code object, so a generic one here means no exact one fits the
  // agent: refuse, saying which ROCm loads the generic one.
  steps.check_selection = [&](const Selection& chosen) -> Status {
    const TocEntry& generic = *chosen.entry;
    if (!generic.target.ends_with("-generic") || runtime_lists_generic(isas, generic)) return Status::Ok();
    std::string isa_list;
    for (const std::string& isa : properties.isa_names) isa_list += (isa_list.empty() ? "" : ", ") + isa;
    return failed_precondition(
        std::string(generic.name) + " is a generic code object and this HSA runtime cannot load generic code objects "
        "for the agent: it lists no " + std::string(generic.target) + " ISA (its ISAs: " + isa_list +
        "); generic code objects need " + rocm_needed(6, true) + " or later; update ROCm, or add an exact " +
        properties.name + " code object (DEVBIN_DEVICE_BINARY_BUILD_MODE=source with DEVBIN_AMDGPU_TARGETS=" +
        properties.name + ")");
  };
  steps.check_code_object = [](const TocEntry& entry, const CodeObjectInfo& info) -> Status {
    if (info.format == CodeObjectFormat::kAmdgpuHsaco) return Status::Ok();
    return failed_precondition(std::string(entry.name) + " is " + std::string(code_object_format_name(info.format)) +
                               "; an HSA agent loads amdgpu-hsaco code objects only");
  };
  steps.load = [&](const TocEntry& entry, const CodeObjectInfo& info) -> Status {
    auto load_failed = [&](hsa_status_t status, std::string_view call) {
      Status s = check(runtime, status, std::string(call) + "(" + std::string(entry.name) + ")");
      if (std::string hint = load_refusal_hint(status, entry, info, steps.targets.front()); !hint.empty()) {
        s = Status(s.code(), s.message() + hint);
      }
      return s;
    };
    hsa_status_t status = runtime.hsa_code_object_reader_create_from_memory(entry.data, entry.size, &loaded.reader);
    if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_code_object_reader_create_from_memory");
    loaded.has_reader = true;
    // FULL, as HIP and ROCm's own tools create every executable: code objects
    // v3+ carry no profile, and ROCm's loader accepts FULL for dGPU agents too.
    status = runtime.hsa_executable_create_alt(api::HSA_PROFILE_FULL, api::HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT,
                                               nullptr, &loaded.executable);
    if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_create_alt");
    loaded.has_executable = true;
    status =
        runtime.hsa_executable_load_agent_code_object(loaded.executable, agent.handle, loaded.reader, nullptr, nullptr);
    if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_load_agent_code_object");
    status = runtime.hsa_executable_freeze(loaded.executable, nullptr);
    if (status != api::HSA_STATUS_SUCCESS) return load_failed(status, "hsa_executable_freeze");
    return Status::Ok();
  };
  steps.resolve = [&](Kernel which, const KernelInfo* metadata) -> Status {
    const std::string& entry_name = rep.selection.entry;
    const std::string name(kernel_name(which));
    if (metadata == nullptr) {
      return not_found(entry_name + " has no metadata for kernel " + name +
                       "; every kernel of DEVBIN_ABI_KERNELS must be present");
    }
    const std::string symbol_name = metadata->symbol.empty() ? name + ".kd" : metadata->symbol;
    api::hsa_executable_symbol_t symbol{};
    hsa_status_t status =
        runtime.hsa_executable_get_symbol_by_name(loaded.executable, symbol_name.c_str(), &agent.handle, &symbol);
    if (status != api::HSA_STATUS_SUCCESS) {
      return not_found(entry_name + " has no kernel symbol " + symbol_name + " after loading (" +
                       api::error_text(runtime, status) + "); every kernel of DEVBIN_ABI_KERNELS must be present");
    }
    LoadedKernel& kernel = device->kernels_[static_cast<size_t>(which)];
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
        return s;
      }
    }
    if (Status s = check_loaded_kernel(*metadata, kernel); !s.ok()) {
      s.annotate("loading " + entry_name);
      return s;
    }
    loaded.kernarg_slot_align = std::max(loaded.kernarg_slot_align, kernarg_alignment(*metadata, kernel));
    loaded.kernarg_slot_bytes = std::max(loaded.kernarg_slot_bytes, metadata->kernarg_segment_size);
    return Status::Ok();
  };
  DEVBIN_ASSIGN_OR_RETURN(CodeObjectInfo info, open_code_object(opening, options, steps));
  loaded.kernarg_slot_bytes =
      static_cast<uint32_t>(round_up(std::max<uint32_t>(loaded.kernarg_slot_bytes, 1), loaded.kernarg_slot_align));

  auto pools_or = find_pools(runtime, agent.handle, agent.cpus, properties.name);
  if (!pools_or.ok()) return opening.fail(pools_or.status());
  loaded.pools = pools_or.value();

  device->properties_ = properties;
  device->code_object_ = std::move(info);
  for (size_t i = 0; i < kKernelCount; ++i) {
    device->metadata_[i] = device->code_object_.find_kernel(kernel_name(static_cast<Kernel>(i)));
  }
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

Result<std::vector<DeviceReport>> report_devices(const OpenOptions& options) {
  DEVBIN_ASSIGN_OR_RETURN(const api::Api* runtime, usable_api());
  DEVBIN_ASSIGN_OR_RETURN(AgentCollection collection, collect_agents(*runtime));
  std::vector<DeviceReport> reports(collection.gpus.size());
  for (size_t i = 0; i < collection.gpus.size(); ++i) {
    // The report holds the outcome, failure included; the device itself goes.
    (void)Device::open(static_cast<int>(i), options, &reports[i]);
  }
  return reports;
}

}  // namespace devbin::hsa
