// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor FILE... [--gpu ISA...] [--cuda-driver X.Y] [--json]: the GPU
// code inside the files people ship (tools/offload reads them) and, for each
// GPU present or named, which code object its runtime would load, or why
// none would and what rebuild fixes it (tools/offload/doctor.h's rules).
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "devbin/cuda.h"
#include "devbin/device.h"
#include "devbin/hsa.h"
#include "doctor.h"
#include "input_file.h"
#include "json.h"
#include "scan.h"

namespace devbin::cli {
namespace {

using offload::Diagnosis;
using offload::FoundCodeObject;
using offload::GpuQuery;
using offload::ScanReport;

// The GPUs this machine shows, through the backends; `notes` says why a
// backend shows none.
std::vector<GpuQuery> machine_gpus(std::vector<std::string>* notes) {
  std::vector<GpuQuery> gpus;
  for (const BackendInfo& backend : list_backends()) {
    if (!backend.status.ok()) {
      notes->push_back(std::string(backend_name(backend.backend)) + ": " + backend.status.message());
      continue;
    }
    if (backend.backend == Backend::kCuda) {
      Result<cuda::DriverInfo> driver = cuda::driver_info();
      for (int i = 0; i < backend.device_count; ++i) {
        Result<cuda::DeviceProperties> properties = cuda::query_device(i);
        if (!properties.ok()) {
          notes->push_back("CUDA device " + std::to_string(i) + ": " + properties.status().message());
          continue;
        }
        GpuQuery gpu;
        gpu.target.vendor = Vendor::kNvidia;
        gpu.target.nvidia = NvidiaTarget{NvidiaCodeKind::kSass, properties->compute_capability_major,
                                         properties->compute_capability_minor, NvidiaArchSuffix::kNone};
        gpu.label = "CUDA device " + std::to_string(i) + " (" + properties->name + ", " +
                    gpu.target.nvidia.to_string() + ")";
        if (driver.ok()) gpu.cuda_driver_version = driver->version;
        gpus.push_back(std::move(gpu));
      }
    } else {
      Result<std::vector<hsa::AgentProperties>> agents = hsa::list_agents();
      if (!agents.ok()) {
        notes->push_back("hsa: " + agents.status().message());
        continue;
      }
      for (const hsa::AgentProperties& agent : *agents) {
        Result<AmdgpuTargetId> target = agent.target();
        if (!target.ok()) {
          notes->push_back("HSA agent " + std::to_string(agent.index) + ": " + target.status().message());
          continue;
        }
        GpuQuery gpu;
        gpu.target.vendor = Vendor::kAmdgpu;
        gpu.target.amdgpu = *target;
        gpu.label = "HSA agent " + std::to_string(agent.index) + " (" +
                    (agent.product_name.empty() ? agent.name : agent.product_name) + ", " + target->to_string() +
                    ")";
        gpus.push_back(std::move(gpu));
      }
    }
  }
  return gpus;
}

std::string vendor_name(Vendor vendor) { return vendor == Vendor::kAmdgpu ? "AMDGPU" : "NVIDIA"; }

std::string size_text(const FoundCodeObject& code) {
  std::string out = std::to_string(code.size) + " bytes";
  if (!code.compression.empty()) {
    out += " (" + code.compression + "-compressed";
    if (code.stored_size != code.size) out += ", " + std::to_string(code.stored_size) + " stored";
    out += ")";
  }
  return out;
}

std::string kernels_text(const FoundCodeObject& code) {
  if (!code.kernels_known) return "kernels not read";
  if (code.kernels.empty()) return "no kernels";
  std::string out = "kernels: ";
  for (size_t i = 0; i < code.kernels.size(); ++i) out += (i == 0 ? "" : ", ") + code.kernels[i];
  return out;
}

std::string code_json(const FoundCodeObject& code, size_t index) {
  std::string out = "{\"index\": " + std::to_string(index) + ", \"vendor\": " + json_string(vendor_name(code.vendor)) +
                    ", \"target\": " + json_string(code.target) + ", \"format\": " + json_string(code.format) +
                    ", \"size\": " + std::to_string(code.size) + ", \"stored_size\": " +
                    std::to_string(code.stored_size) + ", \"compression\": " + json_string(code.compression) +
                    ", \"location\": " + json_string(code.location);
  if (!code.ptx_version.empty()) out += ", \"ptx_version\": " + json_string(code.ptx_version);
  out += ", \"loadable\": " + std::string(code.loadable ? "true" : "false");
  out += ", \"kernels\": ";
  if (code.kernels_known) {
    out += "[";
    for (size_t i = 0; i < code.kernels.size(); ++i) out += (i == 0 ? "" : ", ") + json_string(code.kernels[i]);
    out += "]";
  } else {
    out += "null";
  }
  if (!code.note.empty()) out += ", \"note\": " + json_string(code.note);
  return out + "}";
}

std::string diagnosis_json(const GpuQuery& gpu, const Diagnosis& diagnosis) {
  std::string out = "{\"gpu\": " + json_string(gpu.label) + ", \"target\": " + json_string(gpu.target.to_string()) +
                    ", \"loads\": " + (diagnosis.chosen ? "true" : "false");
  if (diagnosis.chosen) {
    out += ", \"code_object\": " + std::to_string(*diagnosis.chosen) +
           ", \"kind\": " + json_string(selection_kind_name(diagnosis.kind));
  }
  out += ", \"reason\": " + json_string(diagnosis.reason) + ", \"verdicts\": [";
  for (size_t i = 0; i < diagnosis.verdicts.size(); ++i) {
    const offload::CodeObjectVerdict& verdict = diagnosis.verdicts[i];
    out += std::string(i == 0 ? "" : ", ") + "{\"code_object\": " + std::to_string(verdict.index) +
           ", \"loads\": " + (verdict.loads ? "true" : "false") + ", \"reason\": " + json_string(verdict.reason) + "}";
  }
  out += "], \"fixes\": [";
  for (size_t i = 0; i < diagnosis.fixes.size(); ++i) out += (i == 0 ? "" : ", ") + json_string(diagnosis.fixes[i]);
  return out + "]}";
}

void print_text(std::ostream& out, const std::string& path, const ScanReport& scan, const std::vector<GpuQuery>& gpus,
                const std::vector<Diagnosis>& diagnoses) {
  out << path << "\n";
  for (const std::string& container : scan.containers) out << "  " << container << "\n";
  out << "  " << scan.code_objects.size() << " code object" << (scan.code_objects.size() == 1 ? "" : "s") << ":\n";
  for (size_t i = 0; i < scan.code_objects.size(); ++i) {
    const FoundCodeObject& code = scan.code_objects[i];
    out << "    [" << i << "] " << vendor_name(code.vendor) << " " << code.target << "  " << code.format;
    if (!code.ptx_version.empty()) out << " " << code.ptx_version;
    out << "  " << size_text(code) << "  " << kernels_text(code) << "\n";
    out << "        in " << code.location << "\n";
    if (!code.note.empty()) out << "        note: " << code.note << "\n";
  }
  for (const std::string& problem : scan.problems) out << "  problem: " << problem << "\n";
  for (size_t g = 0; g < gpus.size(); ++g) {
    const Diagnosis& diagnosis = diagnoses[g];
    out << "  " << gpus[g].label << ": ";
    if (diagnosis.chosen) {
      const FoundCodeObject& code = scan.code_objects[*diagnosis.chosen];
      out << "loads [" << *diagnosis.chosen << "] " << code.target << ": " << diagnosis.reason << "\n";
    } else {
      out << "NOTHING LOADS: " << diagnosis.reason << "\n";
    }
    for (const offload::CodeObjectVerdict& verdict : diagnosis.verdicts) {
      out << "      [" << verdict.index << "] " << scan.code_objects[verdict.index].target << ": "
          << (verdict.loads ? "would load: " : "no: ") << verdict.reason << "\n";
    }
    for (const std::string& fix : diagnosis.fixes) out << "    fix: " << fix << "\n";
  }
}

}  // namespace

int run_doctor(std::ostream& out, const std::vector<std::string>& files, const std::vector<std::string>& gpu_isas,
               const std::string& cuda_driver, bool json) {
  int exit_code = kExitOk;
  std::optional<int> driver_version;
  if (!cuda_driver.empty()) {
    Result<offload::PtxIsaVersion> version = offload::parse_ptx_isa_version(cuda_driver);
    if (!version.ok() || version->minor > 9) {
      std::cerr << "devbin doctor: --cuda-driver " << cuda_driver << ": expected a CUDA version like 12.4\n";
      return kExitUsage;
    }
    driver_version = static_cast<int>(version->major * 1000 + version->minor * 10);
  }
  std::vector<GpuQuery> gpus;
  std::vector<std::string> notes;
  if (gpu_isas.empty()) {
    gpus = machine_gpus(&notes);
  } else {
    for (const std::string& isa : gpu_isas) {
      Result<Target> target = parse_target(isa);
      if (!target.ok()) {
        std::cerr << "devbin doctor: --gpu " << isa << ": " << target.status().message() << "\n";
        return kExitFailure;
      }
      GpuQuery gpu;
      gpu.target = *target;
      gpu.label = "--gpu " + isa;
      if (target->vendor == Vendor::kNvidia) {
        gpu.target.nvidia.kind = NvidiaCodeKind::kSass;
        gpu.cuda_driver_version = driver_version;
      }
      gpus.push_back(std::move(gpu));
    }
  }
  if (json) {
    out << "{\"gpus\": [";
    for (size_t g = 0; g < gpus.size(); ++g) out << (g == 0 ? "" : ", ") << json_string(gpus[g].label);
    out << "], \"notes\": [";
    for (size_t n = 0; n < notes.size(); ++n) out << (n == 0 ? "" : ", ") << json_string(notes[n]);
    out << "], \"files\": [";
  } else if (gpus.empty()) {
    out << "no GPU found; name targets with --gpu (gfx90a:xnack-, gfx1100, sm_90, ...) to ask about them\n";
    for (const std::string& note : notes) out << "  " << note << "\n";
  }
  bool first = true;
  for (const std::string& path : files) {
    if (json) out << (first ? "" : ",") << "\n  ";
    if (!json && !first) out << "\n";
    first = false;
    Result<std::vector<uint8_t>> bytes = read_input_file(path);
    if (!bytes.ok()) {
      exit_code = kExitFailure;
      if (json) {
        out << "{\"file\": " << json_string(path) << ", \"error\": " << json_string(bytes.status().message()) << "}";
      } else {
        std::cerr << "devbin doctor: " << bytes.status().message() << "\n";
      }
      continue;
    }
    const ScanReport scan = offload::scan_gpu_binary(*bytes);
    if (scan.code_objects.empty()) exit_code = kExitFailure;
    std::vector<Diagnosis> diagnoses;
    for (const GpuQuery& gpu : gpus) {
      diagnoses.push_back(offload::diagnose(gpu, scan.code_objects));
      if (!diagnoses.back().chosen) exit_code = kExitFailure;
    }
    if (!json) {
      print_text(out, path, scan, gpus, diagnoses);
      continue;
    }
    out << "{\"file\": " << json_string(path) << ", \"containers\": [";
    for (size_t i = 0; i < scan.containers.size(); ++i) out << (i == 0 ? "" : ", ") << json_string(scan.containers[i]);
    out << "], \"code_objects\": [";
    for (size_t i = 0; i < scan.code_objects.size(); ++i) {
      out << (i == 0 ? "" : ", ") << code_json(scan.code_objects[i], i);
    }
    out << "], \"problems\": [";
    for (size_t i = 0; i < scan.problems.size(); ++i) out << (i == 0 ? "" : ", ") << json_string(scan.problems[i]);
    out << "], \"diagnoses\": [";
    for (size_t g = 0; g < gpus.size(); ++g) out << (g == 0 ? "" : ", ") << diagnosis_json(gpus[g], diagnoses[g]);
    out << "]}";
  }
  if (json) out << "\n]}\n";
  return exit_code;
}

}  // namespace devbin::cli
