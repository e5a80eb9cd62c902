// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "scan.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "bytes.h"
#include "clang_bundle.h"
#include "decompress.h"
#include "describe.h"
#include "devbin_internal/elf.h"
#include "devbin_internal/inspect.h"
#include "devbin_internal/text.h"
#include "entry_reader.h"
#include "fatbin.h"
#include "host_elf.h"
#include "offload_binary.h"
#include "scanner.h"

namespace devbin::offload {
namespace {

bool has_elf_magic(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::equal(elf::kMagic, elf::kMagic + 4, bytes.begin());
}

bool starts_with_container(std::span<const uint8_t> bytes) {
  return starts_with_bundle(bytes) || starts_with_compressed_bundle(bytes) || starts_with_fatbin(bytes) ||
         starts_with_offload_binary(bytes);
}

// Bytes looked at to tell one container from another, or to skip padding.
constexpr uint64_t kPeekSize = 32;
constexpr uint64_t kPaddingRead = 4096;

}  // namespace

void Scanner::scan_file(ByteSource& source) {
  const Region file = whole(source);
  Result<std::span<const uint8_t>> head = file.header_up_to(0, elf::kHeaderSize);
  if (!head.ok()) {
    report_.problems.push_back(head.status().message());
    return;
  }
  if (has_elf_magic(*head)) {
    Result<elf::Header> header = elf::parse_header(*head);
    if (!header.ok()) {
      report_.problems.push_back("unreadable ELF file: " + header.status().message());
      return;
    }
    const uint16_t machine = header->machine;
    if (machine == elf::kMachineAmdgpu || machine == elf::kMachineCuda) {
      report_.containers.push_back(std::string("a bare ") + (machine == elf::kMachineAmdgpu ? "AMDGPU" : "CUDA") +
                                   " code object");
      add_code_object(file, "the file", machine == elf::kMachineAmdgpu ? Vendor::kAmdgpu : Vendor::kNvidia, "", "");
      return;
    }
    scan_host_elf(source);
    return;
  }
  if (starts_with_container(*head)) {
    scan_sequence(file, "the file", 0);
    return;
  }
  const std::string found = elf::hex_bytes(*head, 8);
  Result<Bytes> bytes = read_limited(file, 0, file.size, "the file");
  if (bytes.ok()) {
    Result<CodeObjectInfo> info = inspect_code_object(bytes->span());
    if (info.ok() && info->format == CodeObjectFormat::kPtx) {
      report_.containers.push_back("a bare PTX file");
      add_code_object(file, "the file", Vendor::kNvidia, "", "");
      return;
    }
    // PTX text the parser cannot read keeps the parser's reason (a file
    // cut short is DATA_LOSS), not "not a GPU binary".
    if (!info.ok() && code_object::looks_like_ptx(bytes->span())) {
      report_.problems.push_back("unreadable PTX file (it starts with .version): " + info.status().message());
      return;
    }
  }
  report_.problems.push_back(
      "not a GPU binary: expected an ELF file, a CUDA fat binary (50 ed 55 ba), a clang offload bundle "
      "('__CLANG_OFFLOAD_BUNDLE__' or 'CCOB'), an LLVM offload binary (10 ff 10 ad) or PTX text; found " +
      found);
}

void Scanner::scan_host_elf(ByteSource& source) {
  Result<ElfSections> elf_file = read_elf_sections(source);
  if (!elf_file.ok()) {
    report_.problems.push_back("unreadable ELF file: " + elf_file.status().message());
    return;
  }
  for (std::string& problem : elf_file->problems) report_.problems.push_back(std::move(problem));
  bool any = false;
  for (const ElfSection& section : elf_file->sections) {
    if (!is_device_section(section.name)) continue;
    any = true;
    if (section.type == elf::kSectionNobits || section.size == 0) {
      report_.problems.push_back(section.name + " section is empty");
      continue;
    }
    if (!section.readable) continue;
    const Region region{&source, section.offset, section.size};
    // A relocatable object clang-offload-bundler wrote (-fgpu-rdc with
    // the old driver) keeps each entry in a section named after its ID.
    if (section.name.starts_with(kBundleMagic)) {
      scan_bundle_section(region, section.name);
      continue;
    }
    // __nv_relfatbin holds nvcc -rdc's device code for nvlink; the runtime
    // registers only .nv_fatbin's, so nothing in it is ever loaded.
    nvlink_input_ = section.name == "__nv_relfatbin";
    scan_sequence(region, section.name, 0);
    nvlink_input_ = false;
  }
  if (!any) {
    report_.problems.push_back("an ELF file (" + std::string(elf::machine_name(elf_file->header.machine)) +
                               ") without GPU code: no .hip_fatbin, .nv_fatbin, __nv_relfatbin, "
                               ".llvm.offloading or __CLANG_OFFLOAD_BUNDLE__ section");
  }
}

void Scanner::scan_bundle_section(const Region& region, const std::string& name) {
  const std::string_view id = std::string_view(name).substr(kBundleMagic.size());
  const std::string location = "section " + name;
  Result<BundleEntryId> parsed = parse_bundle_entry_id(id);
  if (!parsed.ok()) {
    report_.problems.push_back(location + ": " + parsed.status().message());
    return;
  }
  if (parsed->kind == "host") return;
  report_.containers.push_back(location + ": clang offload bundle entry in an object file");
  if (parsed->triple.starts_with("amdgcn-")) {
    add_code_object(region, location, Vendor::kAmdgpu, std::string(parsed->target_id), "");
  } else if (parsed->triple.starts_with("nvptx")) {
    add_code_object(region, location, Vendor::kNvidia, std::string(parsed->target_id), "");
  } else {
    report_.problems.push_back(location + ": triple " + util::quote(parsed->triple) +
                               " is neither amdgcn nor nvptx (not listed)");
  }
}

void Scanner::scan_sequence(const Region& bytes, const std::string& where, int depth) {
  if (depth > kMaxNesting) {
    report_.problems.push_back(where + ": containers nested more than " + number(kMaxNesting) + " deep");
    return;
  }
  uint64_t position = 0;
  int index = 0;
  // A page at a time, then 64 KiB once a page was all padding: a long run
  // of zeros costs few reads, a container's start one page.
  uint64_t padding_read = kPaddingRead;
  while (position < bytes.size) {
    Result<std::span<const uint8_t>> peek = bytes.header_up_to(position, padding_read);
    if (!peek.ok()) {
      report_.problems.push_back(where + ": " + peek.status().message());
      return;
    }
    const auto nonzero = std::find_if(peek->begin(), peek->end(), [](uint8_t b) { return b != 0; });
    position += static_cast<uint64_t>(nonzero - peek->begin());  // padding between containers
    if (nonzero == peek->end()) {
      padding_read = kMaxHeaderRead;
      // A hole of a sparse file reads as zeros: skip it unread.
      const uint64_t data = bytes.source->next_data(bytes.offset + position);
      if (data > bytes.offset + position) position = std::min(bytes.size, data - bytes.offset);
      continue;
    }
    padding_read = kPaddingRead;
    if (full_) return;
    if (report_.containers.size() >= kMaxCodeObjects) {
      report_.problems.push_back(where + ": more than " + std::to_string(kMaxCodeObjects) +
                                 " containers: the rest are not read");
      full_ = true;
      return;
    }
    const Region rest = bytes.from(position);
    const std::string here = index == 0 && position == 0 ? where : where + " at offset " + elf::hex(position);
    ++index;
    Result<std::span<const uint8_t>> head = rest.header_up_to(0, kPeekSize);
    if (!head.ok()) {
      report_.problems.push_back(here + ": " + head.status().message());
      return;
    }
    uint64_t consumed = 0;
    if (starts_with_bundle(*head)) {
      consumed = scan_bundle(rest, here, "", depth);
    } else if (starts_with_compressed_bundle(*head)) {
      consumed = scan_compressed_bundle(rest, here, depth);
    } else if (starts_with_fatbin(*head)) {
      consumed = scan_fatbin(rest, here);
    } else if (starts_with_offload_binary(*head)) {
      consumed = scan_offload_binary(rest, here, depth);
    } else {
      report_.problems.push_back(here + ": " + number(rest.size) +
                                 " bytes that are no container devbin knows (found " + elf::hex_bytes(*head, 8) +
                                 ")");
      return;
    }
    if (consumed == 0) return;  // the container was unreadable: its size is not known
    position += consumed;
  }
  if (index == 0 && bytes.size != 0) {
    report_.problems.push_back(where + ": " + number(bytes.size) + " bytes of zeros and no container");
  }
}

uint64_t Scanner::unreadable(const Status& status, const std::string& where) {
  report_.problems.push_back(where + ": " + status.message());
  return 0;
}

Result<Bytes> Scanner::read_limited(const Region& region, uint64_t at, uint64_t count, const std::string& what) {
  DEVBIN_RETURN_IF_ERROR(check_object_size(what, count, options_.object_limit));
  return region.read_bytes(at, count);
}

uint64_t Scanner::scan_bundle(const Region& bytes, const std::string& where, const std::string& compression, int depth) {
  const Result<Bundle> parsed = read_bundle(bytes);
  const Bundle* bundle = readable(parsed, where);
  if (bundle == nullptr) return 0;
  report_.containers.push_back(where + ": clang offload bundle, " + number(bundle->entries.size()) + " entries");
  for (const BundleEntry& entry : bundle->entries) {
    const std::string location = where + ": bundle entry " + entry.id;
    Result<BundleEntryId> id = parse_bundle_entry_id(entry.id);
    if (!id.ok()) {
      report_.problems.push_back(location + ": " + id.status().message());
      continue;
    }
    if (id->kind == "host") continue;  // the host side: no device code
    const Region code = bytes.sub(entry.offset, entry.size);
    // clang's old driver bundles HIP-on-NVIDIA and CUDA device code as a fat binary per entry.
    Result<std::span<const uint8_t>> head = code.header_up_to(0, kPeekSize);
    if (head.ok() && (starts_with_fatbin(*head) || starts_with_offload_binary(*head))) {
      scan_sequence(code, location, depth + 1);
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
    add_code_object(code, location, vendor, std::string(id->target_id), compression);
  }
  return bundle->size;
}

uint64_t Scanner::scan_compressed_bundle(const Region& rest, const std::string& where, int depth) {
  Result<std::span<const uint8_t>> head = rest.header_up_to(0, kPeekSize);
  if (!head.ok()) return unreadable(head.status(), where);
  const uint64_t extent = compressed_bundle_extent(*head, rest.size);
  Result<Bytes> stored = read_limited(rest, 0, extent, "compressed clang offload bundle");
  if (!stored.ok()) {
    report_.problems.push_back(where + ": " + stored.status().message());
    return extent;
  }
  const Result<CompressedBundle> parsed = parse_compressed_bundle(stored->span());
  const CompressedBundle* compressed = readable(parsed, where);
  if (compressed == nullptr) return 0;
  const std::string codec(compression_method_name(compressed->method));
  report_.containers.push_back(where + ": compressed clang offload bundle (CCOB version " +
                               number(compressed->version) + ", " + codec + ", " +
                               number(compressed->payload.size()) + " -> " +
                               number(compressed->uncompressed_size) + " bytes)");
  const uint64_t size = compressed->size;
  Result<std::vector<uint8_t>> bundle =
      decompress_within_budget(compressed->method == CompressionMethod::kZlib ? Codec::kZlib : Codec::kZstd,
                               compressed->payload, compressed->uncompressed_size);
  *stored = Bytes();  // the compressed bytes are done with: only one copy is held
  if (!bundle.ok()) {
    report_.problems.push_back(where + ": compressed clang offload bundle: " + bundle.status().message());
    return size;
  }
  if (!starts_with_bundle(*bundle)) {
    report_.problems.push_back(where + ": the decompressed bytes are no clang offload bundle (found " +
                               elf::hex_bytes(*bundle, 8) + ")");
    return size;
  }
  MemorySource decompressed(*bundle, "the decompressed bundle");
  scan_bundle(whole(decompressed), where + " (decompressed)", codec, depth + 1);
  flush();  // the entries read from `decompressed` are done before it goes
  return size;
}

uint64_t Scanner::scan_offload_binary(const Region& rest, const std::string& where, int depth) {
  Result<std::span<const uint8_t>> head = rest.header_up_to(0, kOffloadBinaryHeaderSize);
  if (!head.ok()) return unreadable(head.status(), where);
  // Its declared size, or what the parser needs to say why that is wrong.
  uint64_t extent = rest.size;
  if (head->size() >= 16) {
    extent = std::max(std::min(load_u64(*head, 8), rest.size), std::min(kOffloadBinaryHeaderSize, rest.size));
  }
  Result<Bytes> stored = read_limited(rest, 0, extent, "LLVM offload binary");
  if (!stored.ok()) {
    report_.problems.push_back(where + ": " + stored.status().message());
    return extent;
  }
  const Result<OffloadBinary> parsed = parse_offload_binary(stored->span());
  const OffloadBinary* binary = readable(parsed, where);
  if (binary == nullptr) return 0;
  const std::string_view triple = binary->string("triple");
  const std::string_view arch = binary->string("arch");
  report_.containers.push_back(where + ": LLVM offload binary (" +
                               std::string(offload_kind_name(binary->offload_kind)) + ", " +
                               std::string(image_kind_name(binary->image_kind)) + ", " + std::string(triple) + " " +
                               std::string(arch) + ")");
  const std::string location = where + ": offload binary " + std::string(triple) + " " + std::string(arch);
  MemorySource image(binary->image, "the offload binary's image");
  if (binary->image_kind == static_cast<uint16_t>(ImageKind::kFatbinary)) {
    scan_sequence(whole(image), location, depth + 1);
    flush();  // the entries read from `image` are done before it goes
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
  add_code_object(whole(image), location, vendor, std::string(arch), "");
  return binary->size;
}

void Scanner::add_code_object(const Region& region, const std::string& location, Vendor vendor, std::string target,
                              const std::string& compression) {
  flush();
  if (!room_for_code_object()) return;
  FoundCodeObject found;
  found.location = location;
  found.vendor = vendor;
  found.target = std::move(target);
  found.stored_size = region.size;
  found.size = region.size;
  found.compression = compression;
  if (region.size == 0) {
    found.format = "unknown";
    found.loadable = false;
    found.note = "empty";
  } else if (Result<Bytes> bytes = read_limited(region, 0, region.size, "the code object"); !bytes.ok()) {
    found.format = "unknown";
    found.note = bytes.status().message() + "; its kernels are not listed";
  } else {
    describer_.describe(found, bytes->span());
  }
  if (found.target.empty()) found.loadable = false;
  report_.code_objects.push_back(std::move(found));
}

Result<std::vector<uint8_t>> Scanner::decompress_within_budget(Codec codec, std::span<const uint8_t> payload,
                                                               uint64_t expected_size) {
  Result<std::vector<uint8_t>> out =
      decompress(codec, payload, expected_size, std::min(budget_, options_.object_limit));
  charge(expected_size);
  return out;
}

void Scanner::charge(uint64_t expected_size) {
  if (expected_size <= budget_) budget_ -= expected_size;
}

bool Scanner::room_for_code_object() {
  if (report_.code_objects.size() + pending_.size() < kMaxCodeObjects) return true;
  if (!full_) {
    full_ = true;
    report_.problems.push_back("more than " + std::to_string(kMaxCodeObjects) +
                               " code objects: the rest are not listed");
  }
  return false;
}

namespace {

ScanReport finish(Scanner& scanner) {
  ScanReport report = scanner.take();
  // Containers with host entries only (a bundle of the host's empty entry)
  // hold nothing either: a report always says what it found or why not.
  if (report.code_objects.empty() && report.problems.empty()) {
    report.problems.push_back("no GPU code object: the containers found hold host entries only");
  }
  return report;
}

}  // namespace

ScanReport scan_gpu_source(ByteSource& source, const ScanOptions& options) {
  {
    Scanner scanner(options);
    scanner.scan_file(source);
    ScanReport report = finish(scanner);
    if (!scanner.arch_flag_disagrees() || report.header_only == 0) return report;
  }
  // The flags do not say what the cubins do in this file: read every one.
  ScanOptions every = options;
  every.read_every_entry = true;
  Scanner scanner(every);
  scanner.scan_file(source);
  ScanReport report = finish(scanner);
  report.read_again = true;
  return report;
}

ScanReport scan_gpu_binary(std::span<const uint8_t> bytes, const ScanOptions& options) {
  MemorySource source(bytes, "the file");
  return scan_gpu_source(source, options);
}

}  // namespace devbin::offload
