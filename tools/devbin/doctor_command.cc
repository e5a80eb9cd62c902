// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor FILE... [--gpu ISA...] [--cuda-driver X.Y] [--json]
// [--verbose]: the GPU code inside the files people ship (tools/offload reads
// them, any size) and, for each GPU present or named, which code object its
// runtime would load, or why none would and what rebuild fixes it
// (tools/offload/doctor.h's rules). Text output lists each code object of a
// file that has few; a file of many (a framework, a vendor library) is
// summarised by target unless --verbose; --json always gives every one.
// --json and --verbose read every code object whole; a summary reads whole
// only those a verdict for the GPUs asked about could choose (scan.h).
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "commands.h"
#include "devbin/cuda.h"
#include "devbin/device.h"
#include "devbin/hsa.h"
#include "doctor.h"
#include "source.h"
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
          notes->push_back("HSA agent " + std::to_string(agent.ordinal) + ": " + target.status().message());
          continue;
        }
        GpuQuery gpu;
        gpu.target.vendor = Vendor::kAmdgpu;
        gpu.target.amdgpu = *target;
        gpu.label = "HSA agent " + std::to_string(agent.ordinal) + " (" +
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
  if (code.kernel_count == 0) return "no kernels";
  std::string out = "kernels: ";
  for (size_t i = 0; i < code.kernels.size(); ++i) out += (i == 0 ? "" : ", ") + code.kernels[i];
  if (code.kernels.size() < code.kernel_count) {
    out += (code.kernels.empty() ? "" : ", ...") + std::string(" (") + std::to_string(code.kernel_count) +
           " in all; the report keeps a bounded number of names)";
  }
  return out;
}

// Text output lists every code object of a file of at most this many, and
// of more only with --verbose; and as many containers and problems.
constexpr size_t kListedCodeObjects = 16;
constexpr size_t kListedContainers = 8;
constexpr size_t kListedProblems = 20;
constexpr size_t kSummaryKernelNames = 3;

// Code objects of one vendor, target and format, in the order first seen.
struct TargetSummary {
  const FoundCodeObject* first = nullptr;
  size_t count = 0;
  uint64_t size = 0;
  uint64_t stored_size = 0;
  uint64_t kernel_count = 0;
  std::vector<std::string> kernels;  // the first few distinct names
  size_t with_note = 0;
  size_t kernels_read = 0;  // code objects whose kernels were read (kernels_known)
  std::vector<std::string> compressions;
};

std::vector<TargetSummary> summarise(const ScanReport& scan) {
  std::vector<TargetSummary> out;
  // Relocatable code (needs_link) is a group of its own: it never loads.
  std::map<std::tuple<Vendor, std::string, std::string, bool>, size_t> index;
  for (const FoundCodeObject& code : scan.code_objects) {
    const auto [at, added] = index.try_emplace({code.vendor, code.target, code.format, code.needs_link}, out.size());
    if (added) out.emplace_back().first = &code;
    TargetSummary& summary = out[at->second];
    ++summary.count;
    summary.size += code.size;
    summary.stored_size += code.stored_size;
    summary.kernel_count += code.kernel_count;
    summary.with_note += code.note.empty() ? 0 : 1;
    summary.kernels_read += code.kernels_known ? 1 : 0;
    for (const std::string& name : code.kernels) {
      if (summary.kernels.size() >= kSummaryKernelNames) break;
      if (std::find(summary.kernels.begin(), summary.kernels.end(), name) == summary.kernels.end()) {
        summary.kernels.push_back(name);
      }
    }
    if (std::find(summary.compressions.begin(), summary.compressions.end(), code.compression) ==
        summary.compressions.end()) {
      summary.compressions.push_back(code.compression);
    }
  }
  return out;
}

void print_summary(std::ostream& out, const ScanReport& scan) {
  const size_t relocatable = static_cast<size_t>(std::count_if(
      scan.code_objects.begin(), scan.code_objects.end(), [](const FoundCodeObject& code) { return code.needs_link; }));
  out << "  " << scan.code_objects.size() << " code objects";
  if (relocatable != 0) out << " (" << relocatable << " relocatable, not loadable until linked)";
  out << ", by target (--verbose lists each one";
  if (scan.header_only != 0) {
    out << "; " << scan.header_only << " of them, of SMs no GPU asked about, read only as far as their ELF header";
  }
  out << "):\n";
  for (const TargetSummary& summary : summarise(scan)) {
    const FoundCodeObject& code = *summary.first;
    out << "    " << vendor_name(code.vendor) << " " << code.target << "  " << code.format
        << (code.needs_link ? " (relocatable)" : "") << "  " << summary.count
        << " code object" << (summary.count == 1 ? "" : "s") << ", " << summary.size << " bytes";
    std::string codecs;
    for (const std::string& codec : summary.compressions) {
      if (!codec.empty()) codecs += (codecs.empty() ? "" : "/") + codec;
    }
    if (!codecs.empty()) out << " (" << summary.stored_size << " stored, " << codecs << ")";
    out << "  ";
    if (summary.kernel_count == 0) {
      out << (summary.kernels_read == summary.count ? "no kernels listed" : "kernels not read");
    } else {
      out << "kernels: ";
      for (size_t i = 0; i < summary.kernels.size(); ++i) out << (i == 0 ? "" : ", ") << summary.kernels[i];
      if (summary.kernels_read == summary.count) {
        out << ", ... (" << summary.kernel_count << " in all)";
      } else {
        out << ", ... (" << summary.kernel_count << " in the " << summary.kernels_read << " code object"
            << (summary.kernels_read == 1 ? "" : "s") << " read; --verbose reads every one)";
      }
    }
    out << "\n";
    if (summary.with_note != 0) {
      out << "        note (" << summary.with_note << " of them): " << code.note << "\n";
    }
  }
}

// One line per (target, verdict, reason): a file of many code objects gives
// the same verdict for each of a target's.
void print_grouped_verdicts(std::ostream& out, const ScanReport& scan, const Diagnosis& diagnosis) {
  std::vector<std::tuple<std::string, bool, std::string, size_t>> groups;
  std::map<std::tuple<std::string, bool, std::string>, size_t> index;
  for (const offload::CodeObjectVerdict& verdict : diagnosis.verdicts) {
    const std::string& target = scan.code_objects[verdict.index].target;
    const auto [at, added] = index.try_emplace({target, verdict.loads, verdict.reason}, groups.size());
    if (added) groups.emplace_back(target, verdict.loads, verdict.reason, 0);
    ++std::get<3>(groups[at->second]);
  }
  for (const auto& [target, loads, reason, count] : groups) {
    out << "      " << target << " (" << count << " code object" << (count == 1 ? "" : "s")
        << "): " << (loads ? "would load: " : "no: ") << reason << "\n";
  }
}

std::string code_json(const FoundCodeObject& code, size_t index) {
  std::string out = "{\"index\": " + std::to_string(index) + ", \"vendor\": " + json_string(vendor_name(code.vendor)) +
                    ", \"target\": " + json_string(code.target) + ", \"format\": " + json_string(code.format) +
                    ", \"size\": " + std::to_string(code.size) + ", \"stored_size\": " +
                    std::to_string(code.stored_size) + ", \"compression\": " + json_string(code.compression) +
                    ", \"location\": " + json_string(code.location);
  if (!code.ptx_version.empty()) out += ", \"ptx_version\": " + json_string(code.ptx_version);
  out += ", \"loadable\": " + std::string(code.loadable ? "true" : "false");
  out += ", \"needs_link\": " + std::string(code.needs_link ? "true" : "false");
  out += ", \"kernel_count\": " + std::to_string(code.kernel_count);
  out += ", \"kernels\": ";
  if (code.kernels_known) {
    out += "[";
    for (size_t i = 0; i < code.kernels.size(); ++i) out += (i == 0 ? "" : ", ") + json_string(code.kernels[i]);
    out += "]";
  } else {
    out += "null";
  }
  if (code.fatbin_flags != 0) out += ", \"fatbin_flags\": " + std::to_string(code.fatbin_flags);
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
                const std::vector<Diagnosis>& diagnoses, bool verbose) {
  out << path << "\n";
  const bool all = verbose || scan.code_objects.size() <= kListedCodeObjects;
  const size_t containers = verbose ? scan.containers.size() : std::min(scan.containers.size(), kListedContainers);
  for (size_t i = 0; i < containers; ++i) out << "  " << scan.containers[i] << "\n";
  if (containers < scan.containers.size()) {
    out << "  ... and " << scan.containers.size() - containers << " more containers (--verbose lists them)\n";
  }
  if (all) {
    out << "  " << scan.code_objects.size() << " code object" << (scan.code_objects.size() == 1 ? "" : "s") << ":\n";
    for (size_t i = 0; i < scan.code_objects.size(); ++i) {
      const FoundCodeObject& code = scan.code_objects[i];
      out << "    [" << i << "] " << vendor_name(code.vendor) << " " << code.target << "  " << code.format
          << (code.needs_link ? " (relocatable)" : "");
      if (!code.ptx_version.empty()) out << " " << code.ptx_version;
      out << "  " << size_text(code) << "  " << kernels_text(code) << "\n";
      out << "        in " << code.location << "\n";
      if (!code.note.empty()) out << "        note: " << code.note << "\n";
    }
  } else {
    print_summary(out, scan);
  }
  const size_t problems = verbose ? scan.problems.size() : std::min(scan.problems.size(), kListedProblems);
  for (size_t i = 0; i < problems; ++i) out << "  problem: " << scan.problems[i] << "\n";
  if (problems < scan.problems.size()) {
    out << "  ... and " << scan.problems.size() - problems << " more problems (--verbose lists them)\n";
  }
  for (size_t g = 0; g < gpus.size(); ++g) {
    const Diagnosis& diagnosis = diagnoses[g];
    out << "  " << gpus[g].label << ": ";
    if (diagnosis.chosen) {
      const FoundCodeObject& code = scan.code_objects[*diagnosis.chosen];
      out << "loads [" << *diagnosis.chosen << "] " << code.target << ": " << diagnosis.reason << "\n";
    } else {
      out << "NOTHING LOADS: " << diagnosis.reason << "\n";
    }
    if (all) {
      for (const offload::CodeObjectVerdict& verdict : diagnosis.verdicts) {
        out << "      [" << verdict.index << "] " << scan.code_objects[verdict.index].target << ": "
            << (verdict.loads ? "would load: " : "no: ") << verdict.reason << "\n";
      }
    } else {
      print_grouped_verdicts(out, scan, diagnosis);
    }
    for (const std::string& fix : diagnosis.fixes) out << "    fix: " << fix << "\n";
  }
}

// DEVBIN_DOCTOR_THREADS=N: the threads that read fat binary entries (1 to
// 64; unset: the CPUs this process may use, at most 16). Nothing else
// changes with it: the report is the same for any N.
std::optional<unsigned> doctor_threads() {
  const char* text = std::getenv("DEVBIN_DOCTOR_THREADS");
  if (text == nullptr || *text == '\0') return 0u;
  const std::string_view value(text);
  unsigned threads = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), threads);
  if (error != std::errc() || end != value.data() + value.size() || threads < 1 || threads > 64) {
    return std::nullopt;
  }
  return threads;
}

}  // namespace

int run_doctor(std::ostream& out, const std::vector<std::string>& files, const std::vector<std::string>& gpu_isas,
               const std::string& cuda_driver, bool json, bool verbose) {
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
  const std::optional<unsigned> threads = doctor_threads();
  if (!threads) {
    std::cerr << "devbin doctor: DEVBIN_DOCTOR_THREADS=" << std::getenv("DEVBIN_DOCTOR_THREADS")
              << ": expected a number of threads from 1 to 64\n";
    return kExitUsage;
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
    // Read in pieces (headers, then one code object at a time): a file of
    // any size, in memory bounded by offload::ScanOptions.
    Result<std::unique_ptr<offload::FileSource>> source = offload::FileSource::open(path);
    if (!source.ok()) {
      exit_code = kExitFailure;
      if (json) {
        out << "{\"file\": " << json_string(path) << ", \"error\": " << json_string(source.status().message()) << "}";
      } else {
        std::cerr << "devbin doctor: " << source.status().message() << "\n";
      }
      continue;
    }
    // A summary (text, not --verbose) needs the kernels of only the cubins a
    // verdict for these GPUs could choose: of the others only the ELF header
    // is read (scan.h). A file of few code objects lists each one: read whole.
    offload::ScanOptions options;
    options.threads = *threads;
    if (!json && !verbose) {
      options.read_every_entry = false;
      for (const GpuQuery& gpu : gpus) {
        if (gpu.target.vendor == Vendor::kNvidia) options.nvidia_majors.push_back(gpu.target.nvidia.major);
      }
    }
    ScanReport scan = offload::scan_gpu_source(**source, options);
    if (scan.header_only != 0 && scan.code_objects.size() <= kListedCodeObjects) {
      options.read_every_entry = true;
      scan = offload::scan_gpu_source(**source, options);
    }
    if (scan.code_objects.empty()) exit_code = kExitFailure;
    std::vector<Diagnosis> diagnoses;
    for (const GpuQuery& gpu : gpus) {
      diagnoses.push_back(offload::diagnose(gpu, scan.code_objects));
      if (!diagnoses.back().chosen) exit_code = kExitFailure;
    }
    if (!json) {
      print_text(out, path, scan, gpus, diagnoses, verbose);
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
