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

namespace devbin::offload {

inline constexpr int kMaxNesting = 4;

struct ScanOptions {
  // The most bytes all compressed payloads of one file may decompress to
  // together (the CLI reads files up to 256 MiB and allows as much again).
  uint64_t decompressed_limit = uint64_t{256} << 20;
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
  std::vector<std::string> kernels;
  // A runtime can load it as it stands (LLVM bitcode is linked first; a
  // payload whose target cannot be read is not counted).
  bool loadable = true;
  // Not loadable until the program is linked: LLVM bitcode, or relocatable
  // device code (nvcc -rdc, clang -fgpu-rdc).
  bool needs_link = false;
  std::string note;  // what could not be read, or a disagreement, in one line; "" when none
};

struct ScanReport {
  std::vector<std::string> containers;  // what was found, outermost first: ".hip_fatbin section: clang offload bundle, 3 entries"
  std::vector<FoundCodeObject> code_objects;
  std::vector<std::string> problems;  // what could not be read and why
};

ScanReport scan_gpu_binary(std::span<const uint8_t> bytes, const ScanOptions& options = {});

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_SCAN_H_
