// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "scan.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "bytes.h"
#include "clang_bundle.h"
#include "code_object/elf.h"
#include "util/text.h"
#include "decompress.h"
#include "devbin/code_object.h"
#include "fatbin.h"
#include "offload_binary.h"

namespace devbin::offload {
namespace {

// LLVM bitcode: the raw magic "BC" c0 de, or the wrapper 0x0B17C0DE.
bool is_bitcode(std::span<const uint8_t> bytes) {
  if (bytes.size() < 4) return false;
  const uint32_t magic = elf::load_u32(bytes, 0);
  return magic == 0xdec04342 || magic == 0x0b17c0de;
}

bool has_elf_magic(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::equal(elf::kMagic, elf::kMagic + 4, bytes.begin());
}

class Scanner {
 public:
  explicit Scanner(const ScanOptions& options) : budget_(options.decompressed_limit) {}

  ScanReport take() { return std::move(report_); }

  // A whole file: an ELF (host or device), a container sequence, or a bare code object.
  void scan_file(std::span<const uint8_t> bytes) {
    if (has_elf_magic(bytes)) {
      Result<elf::File> file = elf::File::parse(bytes);
      if (!file.ok()) {
        report_.problems.push_back("unreadable ELF file: " + file.status().message());
        return;
      }
      const uint16_t machine = file->header().machine;
      if (machine == elf::kMachineAmdgpu || machine == elf::kMachineCuda) {
        report_.containers.push_back(std::string("a bare ") + (machine == elf::kMachineAmdgpu ? "AMDGPU" : "CUDA") +
                                     " code object");
        add_code_object("the file", machine == elf::kMachineAmdgpu ? Vendor::kAmdgpu : Vendor::kNvidia, "", bytes,
                        bytes.size(), "");
        return;
      }
      scan_host_elf(*file);
      return;
    }
    if (starts_with_bundle(bytes) || starts_with_compressed_bundle(bytes) || starts_with_fatbin(bytes) ||
        starts_with_offload_binary(bytes)) {
      scan_sequence(bytes, "the file", 0);
      return;
    }
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    if (info.ok() && info->format == CodeObjectFormat::kPtx) {
      report_.containers.push_back("a bare PTX file");
      add_code_object("the file", Vendor::kNvidia, "", bytes, bytes.size(), "");
      return;
    }
    report_.problems.push_back(
        "not a GPU binary: expected an ELF file, a CUDA fat binary (50 ed 55 ba), a clang offload bundle "
        "('__CLANG_OFFLOAD_BUNDLE__' or 'CCOB'), an LLVM offload binary (10 ff 10 ad) or PTX text; found " +
        elf::hex_bytes(bytes, 8));
  }

 private:
  void scan_host_elf(const elf::File& file) {
    bool any = false;
    for (const elf::Section& section : file.sections()) {
      // A relocatable object clang-offload-bundler wrote (-fgpu-rdc with
      // the old driver) keeps each entry in a section named after its ID.
      const bool bundle_section = section.name.starts_with(kBundleMagic);
      if (section.name != ".hip_fatbin" && section.name != ".nv_fatbin" && section.name != "__nv_relfatbin" &&
          section.name != ".llvm.offloading" && !bundle_section) {
        continue;
      }
      any = true;
      if (section.type == elf::kSectionNobits || section.data.empty()) {
        report_.problems.push_back(std::string(section.name) + " section is empty");
        continue;
      }
      if (bundle_section) {
        scan_bundle_section(section);
        continue;
      }
      scan_sequence(section.data, std::string(section.name), 0);
    }
    if (!any) {
      report_.problems.push_back("an ELF file (" + std::string(elf::machine_name(file.header().machine)) +
                                 ") without GPU code: no .hip_fatbin, .nv_fatbin, __nv_relfatbin, "
                                 ".llvm.offloading or __CLANG_OFFLOAD_BUNDLE__ section");
    }
  }

  void scan_bundle_section(const elf::Section& section) {
    const std::string_view id = section.name.substr(kBundleMagic.size());
    const std::string location = "section " + std::string(section.name);
    Result<BundleEntryId> parsed = parse_bundle_entry_id(id);
    if (!parsed.ok()) {
      report_.problems.push_back(location + ": " + parsed.status().message());
      return;
    }
    if (parsed->kind == "host") return;
    report_.containers.push_back(location + ": clang offload bundle entry in an object file");
    if (parsed->triple.starts_with("amdgcn-")) {
      add_code_object(location, Vendor::kAmdgpu, std::string(parsed->target_id), section.data, section.data.size(), "");
    } else if (parsed->triple.starts_with("nvptx")) {
      add_code_object(location, Vendor::kNvidia, std::string(parsed->target_id), section.data, section.data.size(), "");
    } else {
      report_.problems.push_back(location + ": triple " + util::quote(parsed->triple) +
                                 " is neither amdgcn nor nvptx (not listed)");
    }
  }

  // Containers one after another (a section may hold several, each padded
  // with zeros): each is parsed, then scanning goes on after it.
  void scan_sequence(std::span<const uint8_t> bytes, const std::string& where, int depth) {
    if (depth > kMaxNesting) {
      report_.problems.push_back(where + ": containers nested more than " + number(kMaxNesting) + " deep");
      return;
    }
    uint64_t position = 0;
    int index = 0;
    while (position < bytes.size()) {
      if (bytes[position] == 0) {  // padding between containers
        ++position;
        continue;
      }
      if (full_) return;
      if (report_.containers.size() >= kMaxCodeObjects) {
        report_.problems.push_back(where + ": more than " + std::to_string(kMaxCodeObjects) +
                                   " containers: the rest are not read");
        full_ = true;
        return;
      }
      const std::span<const uint8_t> rest = bytes.subspan(position);
      const std::string here = index == 0 && position == 0 ? where : where + " at offset " + elf::hex(position);
      ++index;
      uint64_t consumed = 0;
      if (starts_with_bundle(rest)) {
        consumed = scan_bundle(rest, here, "", depth);
      } else if (starts_with_compressed_bundle(rest)) {
        consumed = scan_compressed_bundle(rest, here, depth);
      } else if (starts_with_fatbin(rest)) {
        consumed = scan_fatbin(rest, here);
      } else if (starts_with_offload_binary(rest)) {
        consumed = scan_offload_binary(rest, here, depth);
      } else {
        report_.problems.push_back(here + ": " + number(rest.size()) +
                                   " bytes that are no container devbin knows (found " + elf::hex_bytes(rest, 8) +
                                   ")");
        return;
      }
      if (consumed == 0) return;  // the container was unreadable: its size is not known
      position += consumed;
    }
  }

  // The container `parsed` when it is readable; else nullptr, its error kept
  // as a problem found at `where`.
  template <class T>
  const T* readable(const Result<T>& parsed, const std::string& where) {
    if (parsed.ok()) return &parsed.value();
    report_.problems.push_back(where + ": " + parsed.status().message());
    return nullptr;
  }

  uint64_t scan_bundle(std::span<const uint8_t> bytes, const std::string& where, const std::string& compression,
                       int depth) {
    const Result<Bundle> parsed = parse_bundle(bytes);
    const Bundle* bundle = readable(parsed, where);
    if (bundle == nullptr) return 0;
    report_.containers.push_back(where + ": clang offload bundle, " + number(bundle->entries.size()) + " entries");
    for (const BundleEntry& entry : bundle->entries) {
      const std::string location = where + ": bundle entry " + std::string(entry.id);
      Result<BundleEntryId> id = parse_bundle_entry_id(entry.id);
      if (!id.ok()) {
        report_.problems.push_back(location + ": " + id.status().message());
        continue;
      }
      if (id->kind == "host") continue;  // the host side: no device code
      // clang's old driver bundles HIP-on-NVIDIA and CUDA device code as a fat binary per entry.
      if (starts_with_fatbin(entry.bytes) || starts_with_offload_binary(entry.bytes)) {
        scan_sequence(entry.bytes, location, depth + 1);
        continue;
      }
      Vendor vendor;
      if (id->triple.starts_with("amdgcn-")) {
        vendor = Vendor::kAmdgpu;
      } else if (id->triple.starts_with("nvptx")) {
        vendor = Vendor::kNvidia;
      } else {
        report_.problems.push_back(location + ": triple " + util::quote(id->triple) +
                                   " is neither amdgcn nor nvptx (not listed)");
        continue;
      }
      add_code_object(location, vendor, std::string(id->target_id), entry.bytes, entry.bytes.size(), compression);
    }
    return bundle->size;
  }

  uint64_t scan_compressed_bundle(std::span<const uint8_t> bytes, const std::string& where, int depth) {
    const Result<CompressedBundle> parsed = parse_compressed_bundle(bytes);
    const CompressedBundle* compressed = readable(parsed, where);
    if (compressed == nullptr) return 0;
    const std::string codec(compression_method_name(compressed->method));
    report_.containers.push_back(where + ": compressed clang offload bundle (CCOB version " +
                                 number(compressed->version) + ", " + codec + ", " +
                                 number(compressed->payload.size()) + " -> " +
                                 number(compressed->uncompressed_size) + " bytes)");
    Result<std::vector<uint8_t>> bundle =
        decompress_within_budget(compressed->method == CompressionMethod::kZlib ? Codec::kZlib : Codec::kZstd,
                                 compressed->payload, compressed->uncompressed_size);
    if (!bundle.ok()) {
      report_.problems.push_back(where + ": compressed clang offload bundle: " + bundle.status().message());
      return compressed->size;
    }
    if (!starts_with_bundle(*bundle)) {
      report_.problems.push_back(where + ": the decompressed bytes are no clang offload bundle (found " +
                                 elf::hex_bytes(*bundle, 8) + ")");
      return compressed->size;
    }
    scan_bundle(*bundle, where + " (decompressed)", codec, depth + 1);
    return compressed->size;
  }

  uint64_t scan_fatbin(std::span<const uint8_t> bytes, const std::string& where) {
    const Result<Fatbin> parsed = parse_fatbin(bytes);
    const Fatbin* fatbin = readable(parsed, where);
    if (fatbin == nullptr) return 0;
    report_.containers.push_back(where + ": CUDA fat binary, " + number(fatbin->entries.size()) + " entries");
    for (size_t i = 0; i < fatbin->entries.size() && room_for_code_object(); ++i) {
      const FatbinEntry& entry = fatbin->entries[i];
      const bool ptx = entry.kind == kFatbinKindPtx;
      const std::string target = (ptx ? "compute_" : "sm_") + number(entry.sm);
      const std::string location = where + ": fat binary entry " + number(i) + " (" + target + ")";
      if (entry.kind != kFatbinKindPtx && entry.kind != kFatbinKindCubin) {
        report_.problems.push_back(location + ": entry kind " + number(entry.kind) +
                                   " is neither PTX (1) nor a cubin (2); not listed");
        continue;
      }
      FoundCodeObject found;
      found.location = location;
      found.vendor = Vendor::kNvidia;
      found.target = target;
      found.format = ptx ? "ptx" : "cuda-cubin";
      if (ptx) found.ptx_version = number(entry.code_version_major) + "." + number(entry.code_version_minor);
      found.stored_size = entry.payload.size();
      found.size = entry.uncompressed_size;
      found.compression = entry.compression == FatbinCompression::kNone
                              ? ""
                              : std::string(fatbin_compression_name(entry.compression));
      if (entry.compression == FatbinCompression::kLz4) {
        found.note = "compressed with LZ4 (CUDA 11-12 fat binaries); devbin does not decompress LZ4, so the "
                     "kernels are not listed";
        report_.code_objects.push_back(std::move(found));
        continue;
      }
      std::vector<uint8_t> decompressed;
      std::span<const uint8_t> payload = entry.payload;
      if (entry.compression == FatbinCompression::kZstd) {
        Result<std::vector<uint8_t>> out =
            decompress_within_budget(Codec::kZstd, entry.payload, entry.uncompressed_size);
        if (!out.ok()) {
          found.note = "compressed payload unreadable: " + out.status().message();
          found.loadable = false;
          report_.code_objects.push_back(std::move(found));
          continue;
        }
        decompressed = std::move(*out);
        payload = decompressed;
      }
      describe(found, payload);
      report_.code_objects.push_back(std::move(found));
    }
    return fatbin->size;
  }

  uint64_t scan_offload_binary(std::span<const uint8_t> bytes, const std::string& where, int depth) {
    const Result<OffloadBinary> parsed = parse_offload_binary(bytes);
    const OffloadBinary* binary = readable(parsed, where);
    if (binary == nullptr) return 0;
    const std::string_view triple = binary->string("triple");
    const std::string_view arch = binary->string("arch");
    report_.containers.push_back(where + ": LLVM offload binary (" +
                                 std::string(offload_kind_name(binary->offload_kind)) + ", " +
                                 std::string(image_kind_name(binary->image_kind)) + ", " + std::string(triple) + " " +
                                 std::string(arch) + ")");
    const std::string location = where + ": offload binary " + std::string(triple) + " " + std::string(arch);
    if (binary->image_kind == static_cast<uint16_t>(ImageKind::kFatbinary)) {
      scan_sequence(binary->image, location, depth + 1);
      return binary->size;
    }
    Vendor vendor;
    if (triple.starts_with("amdgcn-")) {
      vendor = Vendor::kAmdgpu;
    } else if (triple.starts_with("nvptx")) {
      vendor = Vendor::kNvidia;
    } else {
      report_.problems.push_back(location + ": triple " + util::quote(triple) +
                                 " is neither amdgcn nor nvptx (not listed)");
      return binary->size;
    }
    add_code_object(location, vendor, std::string(arch), binary->image, binary->image.size(), "");
    return binary->size;
  }

  // Decodes a code object's bytes into `found`: format, size, kernels, and the
  // target its own header gives (checked against the container's).
  void describe(FoundCodeObject& found, std::span<const uint8_t> bytes) {
    found.size = bytes.size();
    if (is_bitcode(bytes)) {
      found.format = "llvm-bitcode";
      found.loadable = false;
      found.needs_link = true;
      found.note = "LLVM bitcode (-fgpu-rdc): the device link step compiles and links it into a code object when "
                   "the program is linked; no runtime loads it as it is";
      return;
    }
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    if (!info.ok()) {
      found.format = "unknown";
      found.loadable = false;
      found.note = "unreadable: " + info.status().message();
      return;
    }
    found.format = std::string(code_object_format_name(info->format));
    found.kernels_known = true;
    if (info->format != CodeObjectFormat::kPtx && info->e_type == elf::kTypeRel) {
      found.loadable = false;
      found.needs_link = true;
      found.note = info->format == CodeObjectFormat::kCudaCubin
                       ? "relocatable device code (nvcc -rdc): nvlink links it into a cubin when the program is "
                         "linked; no driver loads it as it is"
                       : "a relocatable object (-fgpu-rdc): the device link makes it a loadable code object";
    }
    for (const KernelInfo& kernel : info->kernels) found.kernels.push_back(kernel.name);
    std::string own;
    switch (info->format) {
      case CodeObjectFormat::kAmdgpuHsaco: {
        if (info->processor.empty()) {
          found.note = "the code object's EF_AMDGPU_MACH " + elf::hex(info->mach) + " names no processor devbin knows";
          found.loadable = found.loadable && !found.target.empty();
          break;
        }
        AmdgpuTargetId id{info->processor, info->sramecc, info->xnack};
        // The ELF says "unsupported" where the target ID leaves a feature out.
        if (id.sramecc == FeatureSetting::kUnsupported) id.sramecc = FeatureSetting::kAny;
        if (id.xnack == FeatureSetting::kUnsupported) id.xnack = FeatureSetting::kAny;
        own = id.to_string();
        break;
      }
      case CodeObjectFormat::kCudaCubin:
        own = info->nvidia.to_string();
        break;
      case CodeObjectFormat::kPtx:
        own = info->nvidia.to_string();
        if (!info->ptx_version.empty()) {
          if (!found.ptx_version.empty() && found.ptx_version != info->ptx_version) {
            found.note = "the fat binary entry says PTX ISA " + found.ptx_version + ", the text .version " +
                         info->ptx_version;
          }
          found.ptx_version = info->ptx_version;
        }
        break;
    }
    if (found.target.empty()) {
      found.target = own;
    } else if (!own.empty() && own != found.target && !same_nvidia_sm(own, found.target)) {
      found.note = "the container names " + found.target + " but the code object's own header says " + own;
    }
  }

  // A cubin's header does not tell sm_90 from sm_90a (that lives in
  // .nv.compat): the container's name is kept when the SM agrees.
  static bool same_nvidia_sm(const std::string& own, const std::string& named) {
    Result<NvidiaTarget> a = parse_nvidia_target(own);
    Result<NvidiaTarget> b = parse_nvidia_target(named);
    return a.ok() && b.ok() && a->kind == b->kind && a->number() == b->number();
  }

  void add_code_object(const std::string& location, Vendor vendor, std::string target, std::span<const uint8_t> bytes,
                       uint64_t stored_size, const std::string& compression) {
    if (!room_for_code_object()) return;
    FoundCodeObject found;
    found.location = location;
    found.vendor = vendor;
    found.target = std::move(target);
    found.stored_size = stored_size;
    found.compression = compression;
    if (bytes.empty()) {
      found.format = "unknown";
      found.loadable = false;
      found.note = "empty";
    } else {
      describe(found, bytes);
    }
    if (found.target.empty()) found.loadable = false;
    report_.code_objects.push_back(std::move(found));
  }

  // Decompresses against what is left of the scan's budget, charged for
  // every attempt, failed or not: a file of many compressed payloads, valid
  // or corrupt, cannot make it allocate or decompress without bound.
  Result<std::vector<uint8_t>> decompress_within_budget(Codec codec, std::span<const uint8_t> payload,
                                                        uint64_t expected_size) {
    Result<std::vector<uint8_t>> out = decompress(codec, payload, expected_size, budget_);
    if (expected_size <= budget_) budget_ -= expected_size;
    return out;
  }

  // Whether another code object may be listed; the first refusal is a problem.
  bool room_for_code_object() {
    if (report_.code_objects.size() < kMaxCodeObjects) return true;
    if (!full_) {
      full_ = true;
      report_.problems.push_back("more than " + std::to_string(kMaxCodeObjects) +
                                 " code objects: the rest are not listed");
    }
    return false;
  }

  bool full_ = false;

  uint64_t budget_;
  ScanReport report_;
};

}  // namespace

ScanReport scan_gpu_binary(std::span<const uint8_t> bytes, const ScanOptions& options) {
  Scanner scanner(options);
  scanner.scan_file(bytes);
  ScanReport report = scanner.take();
  // Containers with host entries only (a bundle of the host's empty entry)
  // hold nothing either: a report always says what it found or why not.
  if (report.code_objects.empty() && report.problems.empty()) {
    report.problems.push_back("no GPU code object: the containers found hold host entries only");
  }
  return report;
}

}  // namespace devbin::offload
