// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Finds every GPU code object in a file people ship: a standalone CUDA fat
// binary, clang offload bundle (compressed or not) or LLVM offload binary; a
// host ELF (object, executable, shared library) with .nv_fatbin, .hip_fatbin
// or .llvm.offloading sections; or a bare HSACO, cubin or PTX file. Each code
// object is decoded with the runtime's inspect_code_object (target, features,
// kernels). Containers nest (a compressed bundle holds a bundle, an offload
// binary may hold a fat binary) at most kMaxNesting deep.
#ifndef DEVBIN_TOOLS_OFFLOAD_SCAN_H_
#define DEVBIN_TOOLS_OFFLOAD_SCAN_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devbin/target_id.h"
#include "source.h"

namespace devbin::offload {

inline constexpr int kMaxNesting = 4;
// Code objects (and containers) listed per file at most (libraries that
// ship thousands, such as cuBLAS, stay well below); past it the scan stops
// and says so.
inline constexpr size_t kMaxCodeObjects = 65536;

// What bounds a scan, whatever the file's size: it holds one code object (or
// one container that must be read whole: a compressed bundle, an offload
// binary) at a time, as stored and decompressed, so its memory stays under
// twice `object_limit` plus the report; and it decompresses at most
// `decompressed_limit` bytes in all, which bounds its time.
struct ScanOptions {
  // The most bytes of one code object or container read or decompressed;
  // a larger one is listed from its container's header, its kernels unread.
  uint64_t object_limit = uint64_t{48} << 20;
  // The most bytes all compressed payloads of one file may decompress to
  // together.
  uint64_t decompressed_limit = uint64_t{4} << 30;
  // The most bytes of kernel names the report keeps (the rest are counted).
  uint64_t kernel_name_limit = uint64_t{8} << 20;

  // Which CUDA fat binary cubins are read whole (decompressed, their kernels
  // listed): every one, or, with read_every_entry false, those a verdict
  // for a GPU of one of `nvidia_majors` (9 for sm_90) could choose, every
  // PTX entry, and the first whole_entries_per_sm cubins of each SM (their
  // kernel names, for a summary). Of the rest only the ELF header is read
  // (FoundCodeObject::kernels_known false): format, e_type (relocatable or
  // not) and the SM, and the entry's arch-specific flag (fatbin.h) for the
  // suffix. Where a cubin read whole has a suffix other than its flag and
  // header predict, the file is scanned again, every entry whole.
  bool read_every_entry = true;
  std::vector<uint32_t> nvidia_majors;
  size_t whole_entries_per_sm = 2;
  // Threads that read fat binary entries: 0 for the CPUs this process may
  // run on (at most 16), 1 for none beside the scanning one. The report is
  // the same whatever the number.
  unsigned threads = 0;
  // The most bytes their payloads and buffers hold at once (entry_reader.h).
  uint64_t memory_budget = uint64_t{64} << 20;
};

struct FoundCodeObject {
  // Where it sits: ".hip_fatbin: bundle entry hipv4-amdgcn-amd-amdhsa--gfx90a".
  std::string location;
  Vendor vendor = Vendor::kAmdgpu;
  // What the container names (LLVM target-ID syntax for AMDGPU: "gfx90a:xnack+";
  // NVIDIA: "sm_90", "compute_90"). When the code object's own header
  // disagrees, `note` says so.
  std::string target;
  std::string format;        // "amdgpu-hsaco", "cuda-cubin", "ptx", "llvm-bitcode", or "unknown"
  uint64_t size = 0;         // bytes of the code object itself
  uint64_t stored_size = 0;  // bytes as stored (smaller where compressed)
  std::string compression;   // "" or the codec of the payload or the container holding it: "zstd", "zlib", "lz4"
  std::string ptx_version;   // PTX: the PTX ISA version ("9.0"), from the container or the text
  bool kernels_known = false;
  std::vector<std::string> kernels;  // the first kernel_count names, fewer once the report's name budget is spent
  uint64_t kernel_count = 0;
  // A runtime can load it as it stands (LLVM bitcode is linked first; a
  // payload whose target cannot be read is not counted).
  bool loadable = true;
  // Not loadable until the program is linked: LLVM bitcode, or relocatable
  // device code (nvcc -rdc, clang -fgpu-rdc).
  bool needs_link = false;
  std::string note;  // what could not be read, or a disagreement, in one line; "" when none
  uint64_t fatbin_flags = 0;  // a CUDA fat binary entry's flags (fatbin.h); 0 elsewhere
};

struct ScanReport {
  std::vector<std::string> containers;  // what was found, outermost first: ".hip_fatbin section: clang offload bundle, 3 entries"
  std::vector<FoundCodeObject> code_objects;
  std::vector<std::string> problems;  // what could not be read and why
  // Code objects of which only the ELF header was read (ScanOptions::read_every_entry).
  size_t header_only = 0;
  // A fat binary entry's arch-specific flag disagreed with its cubin's own
  // target, so every entry was read whole.
  bool read_again = false;
};

ScanReport scan_gpu_binary(std::span<const uint8_t> bytes, const ScanOptions& options = {});
// The same over a source of any size (a FileSource): only headers and device
// code are read.
ScanReport scan_gpu_source(ByteSource& source, const ScanOptions& options = {});

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_SCAN_H_
