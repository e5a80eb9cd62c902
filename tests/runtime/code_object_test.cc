// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Code-object inspection and validation against real code objects: the test
// builds small kernels with the installed toolchains (clang-22 + ld.lld-22 for
// AMDGPU, clang-22 + ptxas for NVIDIA) and checks every field it decodes
// against llvm-readelf-22 / readelf, then feeds it corrupt and foreign bytes.
// The checked-in prebuilt set (device/binaries/prebuilt/) is checked the same
// way once it exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "devbin/code_object.h"
#include "devbin/toc.h"
#include "devbin_internal/elf.h"
#include "device/abi.h"

namespace devbin {
namespace {

namespace fs = std::filesystem;

constexpr const char kClang[] = "clang-22";
constexpr const char kLld[] = "ld.lld-22";
constexpr const char kLlvmReadelf[] = "llvm-readelf-22";
constexpr const char kReadelf[] = "readelf";
constexpr const char kPtxas[] = "/usr/local/cuda/bin/ptxas";

// The ABI kernels, written against device/abi.h itself so the argument
// structs are the host's. WRONG_FILL_ARGS gives devbin_fill a 32-byte struct,
// OMIT_COPY drops devbin_copy: the two ways a blob can break the ABI.
constexpr const char kKernelSource[] = R"(
#include "device/abi.h"
#ifdef __AMDGPU__
#define KERNEL __attribute__((amdgpu_kernel, visibility("default")))
#else
#define KERNEL __attribute__((nvptx_kernel))
#endif
#ifdef WRONG_FILL_ARGS
typedef struct { devbin_device_ptr_t target; uint64_t length; uint32_t pattern[4]; } fill_args;
#else
typedef devbin_fill_args_t fill_args;
#endif
#define STORE(type, address, value) (*(volatile type*)(uintptr_t)(address) = (value))
KERNEL void devbin_fill(fill_args a) { STORE(uint32_t, a.target, a.pattern[3] + (uint32_t)a.length); }
#ifndef OMIT_COPY
KERNEL void devbin_copy(devbin_copy_args_t a) {
  STORE(uint8_t, a.target, *(volatile uint8_t*)(uintptr_t)a.source + (uint8_t)a.length);
}
#endif
KERNEL void devbin_batch(devbin_batch_args_t a) { STORE(uint32_t, a.ops, a.op_count + a.chunk_bytes); }
KERNEL void devbin_copy_rect(devbin_copy_rect_args_t a) { STORE(uint32_t, a.target.base, a.chunk_bytes); }
KERNEL void devbin_fill_rect(devbin_fill_rect_args_t a) { STORE(uint32_t, a.target.base, a.pattern[2]); }
KERNEL void devbin_dispatch_patch(devbin_dispatch_args_t a) {
  STORE(uint32_t, a.status, a.header + a.workgroup_size[2]);
}
KERNEL void devbin_timestamp(devbin_timestamp_args_t a) { STORE(uint64_t, a.target, __builtin_readsteadycounter()); }
KERNEL void devbin_update(devbin_update_args_t a) { STORE(uint32_t, a.target, a.payload[a.length % 4]); }
#if defined(WITH_HIDDEN) && defined(__AMDGPU__)
KERNEL void uses_hidden(devbin_copy_args_t a) { STORE(uint32_t, a.target, __builtin_amdgcn_workgroup_size_x()); }
#endif
)";

bool have_tool(const std::string& tool) {
  return std::system(("command -v " + tool + " > /dev/null 2>&1").c_str()) == 0;
}

// Runs `command`; its stdout, or nothing when it fails.
std::optional<std::string> run(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream stream(path, std::ios::binary);
  stream << text;
}

// What `llvm-readelf-22 -h --notes` says about an AMDGPU code object.
struct ReadelfAmdgpu {
  std::string flags_hex;             // "0x1000054"
  std::vector<std::string> flag_words;  // "gfx11-generic", "xnack+", "generic_v1", …
  int abi_version = -1;
  std::string target;  // amdhsa.target
  struct Kernel {
    std::string name;
    std::string symbol;
    uint32_t kernarg_segment_size = 0;
    uint32_t kernarg_segment_align = 0;
  };
  std::vector<Kernel> kernels;
};

std::string trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t'");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t'");
  return std::string(text.substr(begin, end - begin + 1));
}

ReadelfAmdgpu parse_llvm_readelf_amdgpu(const std::string& text) {
  ReadelfAmdgpu out;
  std::istringstream lines(text);
  std::string line;
  bool in_kernels = false;
  while (std::getline(lines, line)) {
    if (line.find("Flags:") != std::string::npos) {
      std::stringstream fields(line.substr(line.find(':') + 1));
      std::string field;
      bool first = true;
      while (std::getline(fields, field, ',')) {
        if (first) {
          out.flags_hex = trim(field);
        } else {
          out.flag_words.push_back(trim(field));
        }
        first = false;
      }
    } else if (line.find("ABI Version:") != std::string::npos) {
      out.abi_version = std::stoi(trim(line.substr(line.find(':') + 1)));
    } else if (line.starts_with("amdhsa.kernels:")) {
      in_kernels = true;
    } else if (line.starts_with("amdhsa.target:")) {
      out.target = trim(line.substr(line.find(':') + 1));
      in_kernels = false;
    } else if (in_kernels && !line.empty() && line[0] != ' ') {
      in_kernels = false;
    } else if (in_kernels) {
      // A kernel is a "  - " item; its keys sit at 4 spaces (the first on the
      // item line itself); deeper lines belong to .args.
      std::string_view rest = line;
      if (rest.starts_with("  - ")) {
        out.kernels.emplace_back();
        rest.remove_prefix(4);
      } else if (rest.starts_with("    .")) {
        rest.remove_prefix(4);
      } else {
        continue;
      }
      if (out.kernels.empty()) continue;
      const size_t colon = rest.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string key(rest.substr(0, colon));
      const std::string value = trim(rest.substr(colon + 1));
      ReadelfAmdgpu::Kernel& kernel = out.kernels.back();
      if (key == ".name") kernel.name = value;
      if (key == ".symbol") kernel.symbol = value;
      if (key == ".kernarg_segment_size") kernel.kernarg_segment_size = static_cast<uint32_t>(std::stoul(value));
      if (key == ".kernarg_segment_align") kernel.kernarg_segment_align = static_cast<uint32_t>(std::stoul(value));
    }
  }
  return out;
}

// The readelf view of a feature: "xnack+" on, "xnack-" off, "xnack" any,
// absent unsupported.
FeatureSetting readelf_feature(const std::vector<std::string>& words, const std::string& name) {
  for (const std::string& word : words) {
    if (word == name + "+") return FeatureSetting::kOn;
    if (word == name + "-") return FeatureSetting::kOff;
    if (word == name) return FeatureSetting::kAny;
  }
  return FeatureSetting::kUnsupported;
}

// Checks our decoding of an AMDGPU code object against llvm-readelf-22.
void expect_matches_llvm_readelf(const fs::path& path, const CodeObjectInfo& info) {
  SCOPED_TRACE(path.string());
  const std::optional<std::string> text = run(std::string(kLlvmReadelf) + " -h --notes '" + path.string() + "'");
  ASSERT_TRUE(text.has_value()) << kLlvmReadelf << " failed on " << path;
  const ReadelfAmdgpu readelf = parse_llvm_readelf_amdgpu(*text);
  EXPECT_EQ(elf::hex(info.e_flags), readelf.flags_hex);
  EXPECT_EQ(info.abi_version, readelf.abi_version);
  ASSERT_FALSE(readelf.flag_words.empty());
  EXPECT_EQ(info.processor, readelf.flag_words[0]);
  EXPECT_EQ(info.xnack, readelf_feature(readelf.flag_words, "xnack"));
  EXPECT_EQ(info.sramecc, readelf_feature(readelf.flag_words, "sramecc"));
  const bool generic_word =
      std::find(readelf.flag_words.begin(), readelf.flag_words.end(),
                "generic_v" + std::to_string(info.generic_version)) != readelf.flag_words.end();
  EXPECT_EQ(generic_word, info.generic_version != 0) << "generic version " << info.generic_version;
  EXPECT_EQ(info.metadata_target, readelf.target);
  ASSERT_EQ(info.kernels.size(), readelf.kernels.size());
  for (size_t i = 0; i < info.kernels.size(); ++i) {
    EXPECT_EQ(info.kernels[i].name, readelf.kernels[i].name);
    EXPECT_EQ(info.kernels[i].symbol, readelf.kernels[i].symbol);
    EXPECT_EQ(info.kernels[i].kernarg_segment_size, readelf.kernels[i].kernarg_segment_size);
    EXPECT_EQ(info.kernels[i].kernarg_segment_align, readelf.kernels[i].kernarg_segment_align);
  }
}

// Checks our decoding of a cubin against readelf (e_flags, ABI version, the
// kernel symbols) and llvm-readelf-22 (the SM it names).
void expect_matches_readelf_cubin(const fs::path& path, const CodeObjectInfo& info) {
  SCOPED_TRACE(path.string());
  const std::optional<std::string> header = run(std::string(kReadelf) + " -h '" + path.string() + "'");
  ASSERT_TRUE(header.has_value()) << kReadelf << " failed on " << path;
  EXPECT_NE(header->find("Flags:                             " + elf::hex(info.e_flags) + "\n"), std::string::npos)
      << *header;
  EXPECT_NE(header->find("ABI Version:                       " + std::to_string(info.abi_version) + "\n"),
            std::string::npos)
      << *header;
  if (have_tool(kLlvmReadelf)) {
    const std::optional<std::string> llvm = run(std::string(kLlvmReadelf) + " -h '" + path.string() + "'");
    ASSERT_TRUE(llvm.has_value());
    // llvm-readelf names the SM without the arch-specific suffix.
    EXPECT_NE(llvm->find(", sm_" + std::to_string(info.nvidia.number()) + "\n"), std::string::npos) << *llvm;
  }
  // Kernels: FUNC symbols with st_other STO_CUDA_ENTRY, shown as "[<other>: 10]".
  const std::optional<std::string> symbols = run(std::string(kReadelf) + " -sW '" + path.string() + "'");
  ASSERT_TRUE(symbols.has_value());
  std::vector<std::string> expected;
  std::istringstream lines(*symbols);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(" FUNC ") == std::string::npos || line.find("[<other>: 10]") == std::string::npos) continue;
    expected.push_back(line.substr(line.find_last_of(' ') + 1));
  }
  std::vector<std::string> decoded;
  for (const KernelInfo& kernel : info.kernels) decoded.push_back(kernel.name);
  std::sort(expected.begin(), expected.end());
  std::sort(decoded.begin(), decoded.end());
  EXPECT_EQ(decoded, expected);
}

// The ABI sizes, by kernel name.
std::map<std::string, std::pair<size_t, size_t>> abi_kernels() {
  std::map<std::string, std::pair<size_t, size_t>> kernels;
#define DEVBIN_TEST_KERNEL_(name, type) kernels[#name] = {sizeof(type), alignof(type)};
  DEVBIN_ABI_KERNELS(DEVBIN_TEST_KERNEL_)
#undef DEVBIN_TEST_KERNEL_
  return kernels;
}

// A TOC entry over `bytes`, named like a checked-in file.
TocEntry make_entry(std::string_view name, const std::vector<uint8_t>& bytes) {
  TocEntry entry;
  EXPECT_TRUE(parse_toc_entry_name(name, &entry).ok()) << name;
  entry.data = bytes.data();
  entry.size = bytes.size();
  return entry;
}

class CodeObjectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("devbin_code_object_test_" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    write_file(*dir_ / "kernels.c", kKernelSource);
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
    dir_ = nullptr;
  }

  static std::string defines_suffix(const std::string& defines) {
    std::string suffix;
    for (char c : defines) suffix += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return suffix;
  }

  // Builds kernels.c for an AMDGPU target id (e.g. "gfx90a:xnack+") and code
  // object version; the path of the linked .so, or nothing (test skipped)
  // when the tools are missing.
  static std::optional<fs::path> build_amdgpu(const std::string& target_id, int version,
                                              const std::string& defines = "") {
    for (const char* tool : {kClang, kLld}) {
      if (!have_tool(tool)) return std::nullopt;
    }
    std::string stem = target_id + "_v" + std::to_string(version) + defines_suffix(defines);
    std::replace(stem.begin(), stem.end(), ':', '_');
    const fs::path object = *dir_ / (stem + ".o");
    const fs::path shared = *dir_ / (stem + ".so");
    if (fs::exists(shared)) return shared;
    const std::string compile = std::string(kClang) +
                                " -x c -std=c23 -target amdgcn-amd-amdhsa -mcpu=" + target_id +
                                " -nogpulib -ffreestanding -O3 -mcode-object-version=" + std::to_string(version) +
                                " -I" DEVBIN_SOURCE_DIR " " + defines + " -c '" + (*dir_ / "kernels.c").string() +
                                "' -o '" + object.string() + "' && " + kLld + " -shared '" + object.string() +
                                "' -o '" + shared.string() + "'";
    EXPECT_EQ(std::system(compile.c_str()), 0) << compile;
    return shared;
  }

  // PTX for `march` (sm_XX[a]) from kernels.c.
  static std::optional<fs::path> build_ptx(const std::string& march, const std::string& defines = "") {
    if (!have_tool(kClang)) return std::nullopt;
    const fs::path ptx = *dir_ / (march + defines_suffix(defines) + ".ptx");
    if (fs::exists(ptx)) return ptx;
    const std::string compile = std::string(kClang) + " -x c -std=c23 -target nvptx64-nvidia-cuda -march=" + march +
                                " -ffreestanding -O3 -Xclang -target-feature -Xclang +ptx70 -I" DEVBIN_SOURCE_DIR
                                " " + defines + " -S '" + (*dir_ / "kernels.c").string() + "' -o '" + ptx.string() +
                                "'";
    EXPECT_EQ(std::system(compile.c_str()), 0) << compile;
    return ptx;
  }

  static std::optional<fs::path> build_cubin(const std::string& arch, const std::string& defines = "") {
    if (!have_tool(kPtxas)) return std::nullopt;
    const std::optional<fs::path> ptx = build_ptx(arch, defines);
    if (!ptx) return std::nullopt;
    const fs::path cubin = *dir_ / (arch + defines_suffix(defines) + ".cubin");
    if (fs::exists(cubin)) return cubin;
    const std::string assemble =
        std::string(kPtxas) + " -arch=" + arch + " '" + ptx->string() + "' -o '" + cubin.string() + "'";
    EXPECT_EQ(std::system(assemble.c_str()), 0) << assemble;
    return cubin;
  }

  static fs::path* dir_;
};

fs::path* CodeObjectTest::dir_ = nullptr;

#define SKIP_WITHOUT(tools)                                                   \
  do {                                                                        \
    for (const char* tool_ : tools) {                                         \
      if (!have_tool(tool_)) {                                                \
        GTEST_SKIP() << tool_ << " is not installed";                         \
      }                                                                       \
    }                                                                         \
  } while (0)

TEST(CodeObjectFormatTest, Names) {
  EXPECT_EQ(code_object_format_name(CodeObjectFormat::kAmdgpuHsaco), "amdgpu-hsaco");
  EXPECT_EQ(code_object_format_name(CodeObjectFormat::kCudaCubin), "cuda-cubin");
  EXPECT_EQ(code_object_format_name(CodeObjectFormat::kPtx), "ptx");
}

TEST_F(CodeObjectTest, AmdgpuCodeObjectsMatchLlvmReadelf) {
  SKIP_WITHOUT((std::array{kClang, kLld, kLlvmReadelf}));
  struct Case {
    std::string target_id;
    int version;
    std::string processor;
    uint32_t mach;
    FeatureSetting xnack;
    FeatureSetting sramecc;
    uint32_t generic_version;
  };
  const Case cases[] = {
      {"gfx11-generic", 6, "gfx11-generic", 0x54, FeatureSetting::kUnsupported, FeatureSetting::kUnsupported, 1},
      {"gfx9-4-generic:xnack+", 6, "gfx9-4-generic", 0x5f, FeatureSetting::kOn, FeatureSetting::kAny, 1},
      {"gfx90a:xnack+", 6, "gfx90a", 0x3f, FeatureSetting::kOn, FeatureSetting::kAny, 0},
      {"gfx90a", 4, "gfx90a", 0x3f, FeatureSetting::kAny, FeatureSetting::kAny, 0},
      {"gfx942:sramecc+:xnack-", 5, "gfx942", 0x4c, FeatureSetting::kOff, FeatureSetting::kOn, 0},
      {"gfx1100", 5, "gfx1100", 0x41, FeatureSetting::kUnsupported, FeatureSetting::kUnsupported, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target_id + " v" + std::to_string(c.version));
    const std::optional<fs::path> path = build_amdgpu(c.target_id, c.version);
    ASSERT_TRUE(path.has_value());
    const std::vector<uint8_t> bytes = read_file(*path);
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->format, CodeObjectFormat::kAmdgpuHsaco);
    EXPECT_EQ(info->e_machine, elf::kMachineAmdgpu);
    EXPECT_EQ(info->e_type, elf::kTypeDyn);
    EXPECT_EQ(info->os_abi, 64);
    EXPECT_EQ(info->code_object_version, static_cast<uint32_t>(c.version));
    EXPECT_EQ(info->abi_version, c.version - 2);
    EXPECT_EQ(info->mach, c.mach);
    EXPECT_EQ(info->processor, c.processor);
    EXPECT_EQ(info->xnack, c.xnack);
    EXPECT_EQ(info->sramecc, c.sramecc);
    EXPECT_EQ(info->generic_version, c.generic_version);
    EXPECT_EQ(info->target_name(), "amdgcn-amd-amdhsa--" + c.target_id);
    expect_matches_llvm_readelf(*path, *info);

    // Each ABI kernel's explicit arguments are exactly its struct; code object
    // v5+ adds hidden arguments after them.
    for (const auto& [name, size_align] : abi_kernels()) {
      const KernelInfo* kernel = info->find_kernel(name);
      ASSERT_NE(kernel, nullptr) << name;
      EXPECT_EQ(kernel->symbol, name + ".kd");
      EXPECT_EQ(kernel->explicit_args_size, size_align.first) << name;
      EXPECT_GE(kernel->kernarg_segment_size, kernel->explicit_args_size) << name;
      EXPECT_GE(kernel->kernarg_segment_align, size_align.second) << name;
      ASSERT_FALSE(kernel->args.empty());
      EXPECT_EQ(kernel->args[0].value_kind, "by_value");
      EXPECT_EQ(kernel->args[0].offset, 0u);
      EXPECT_EQ(kernel->args[0].size, size_align.first);
    }
    const std::string file_name = "amdgcn-amd-amdhsa--" + c.target_id + ".so";
    Status status = validate_code_object(make_entry(file_name, bytes), *info);
    EXPECT_TRUE(status.ok()) << status.to_string();
  }
}

TEST_F(CodeObjectTest, HiddenArgumentsAreNotExplicit) {
  SKIP_WITHOUT((std::array{kClang, kLld}));
  // __builtin_amdgcn_workgroup_size_x reads a hidden argument (code object
  // v5+), so uses_hidden's kernarg segment is larger than its 24-byte struct.
  for (int version : {5, 6}) {
    SCOPED_TRACE("v" + std::to_string(version));
    const std::optional<fs::path> path = build_amdgpu("gfx1100", version, "-DWITH_HIDDEN");
    ASSERT_TRUE(path.has_value());
    Result<CodeObjectInfo> info = inspect_code_object(read_file(*path));
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    const KernelInfo* kernel = info->find_kernel("uses_hidden");
    ASSERT_NE(kernel, nullptr);
    EXPECT_EQ(kernel->explicit_args_size, sizeof(devbin_copy_args_t));
    EXPECT_GT(kernel->kernarg_segment_size, kernel->explicit_args_size + 200);
    size_t hidden = 0;
    for (const KernelArg& arg : kernel->args) {
      if (!arg.value_kind.starts_with("hidden_")) continue;
      ++hidden;
      EXPECT_GE(arg.offset, kernel->explicit_args_size) << arg.value_kind;
    }
    EXPECT_GT(hidden, 0u);
  }
}

TEST_F(CodeObjectTest, CubinsMatchReadelf) {
  SKIP_WITHOUT((std::array{kClang, kPtxas, kReadelf}));
  struct Case {
    std::string arch;
    uint32_t flags;
    NvidiaArchSuffix suffix;
  };
  // e_flags measured with ptxas 13.0 (ELF ABI version 8: SM in bits 8-15).
  const Case cases[] = {
      {"sm_75", 0x6004b04, NvidiaArchSuffix::kNone},
      {"sm_90", 0x6005a04, NvidiaArchSuffix::kNone},
      {"sm_90a", 0x6005a04, NvidiaArchSuffix::kArchSpecific},
      {"sm_120", 0x6007802, NvidiaArchSuffix::kNone},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.arch);
    const std::optional<fs::path> path = build_cubin(c.arch);
    ASSERT_TRUE(path.has_value());
    const std::vector<uint8_t> bytes = read_file(*path);
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->format, CodeObjectFormat::kCudaCubin);
    EXPECT_EQ(info->e_machine, elf::kMachineCuda);
    EXPECT_EQ(info->e_type, elf::kTypeExec);
    EXPECT_EQ(info->abi_version, 8);
    EXPECT_EQ(info->e_flags, c.flags);
    EXPECT_EQ(info->nvidia.kind, NvidiaCodeKind::kSass);
    EXPECT_EQ(info->nvidia.suffix, c.suffix);
    EXPECT_EQ(info->nvidia.to_string(), c.arch);
    EXPECT_EQ(info->target_name(), "nvptx64-nvidia-cuda--" + c.arch);
    expect_matches_readelf_cubin(*path, *info);
    for (const auto& [name, size_align] : abi_kernels()) {
      const KernelInfo* kernel = info->find_kernel(name);
      ASSERT_NE(kernel, nullptr) << name;
      EXPECT_EQ(kernel->symbol, name);
      EXPECT_EQ(kernel->explicit_args_size, size_align.first) << name;
      EXPECT_EQ(kernel->kernarg_segment_size, size_align.first) << name;
      EXPECT_GE(kernel->kernarg_segment_align, size_align.second) << name;
    }
    Status status = validate_code_object(make_entry("nvptx64-nvidia-cuda--" + c.arch + ".cubin", bytes), *info);
    EXPECT_TRUE(status.ok()) << status.to_string();
  }
}

TEST_F(CodeObjectTest, CubinElfAbiVersions) {
  SKIP_WITHOUT((std::array{kClang, kPtxas}));
  const std::optional<fs::path> path = build_cubin("sm_90");
  ASSERT_TRUE(path.has_value());
  const std::vector<uint8_t> original = read_file(*path);
  auto with_header = [&original](uint8_t abi_version, uint32_t flags) {
    std::vector<uint8_t> bytes = original;
    bytes[8] = abi_version;
    for (int i = 0; i < 4; ++i) bytes[48 + i] = static_cast<uint8_t>(flags >> (8 * i));
    return inspect_code_object(bytes);
  };
  // CUDA before 12.8 (EI_ABIVERSION 7): SM in bits 0-7, EF_CUDA_64BIT_ADDRESS
  // 0x400, the virtual SM in bits 16-23, EF_CUDA_ACCELERATORS_V1 0x800.
  Result<CodeObjectInfo> old_abi = with_header(7, 0x5a055a);
  ASSERT_TRUE(old_abi.ok()) << old_abi.status().to_string();
  EXPECT_EQ(old_abi->nvidia.to_string(), "sm_90");
  Result<CodeObjectInfo> old_abi_a = with_header(7, 0x5a0d5a);
  ASSERT_TRUE(old_abi_a.ok()) << old_abi_a.status().to_string();
  EXPECT_EQ(old_abi_a->nvidia.to_string(), "sm_90a");
  // CUDA 12.8+ (EI_ABIVERSION 8): SM in bits 8-15, EF_CUDA_ACCELERATORS 0x8.
  Result<CodeObjectInfo> new_abi_a = with_header(8, 0x6005a0c);
  ASSERT_TRUE(new_abi_a.ok()) << new_abi_a.status().to_string();
  EXPECT_EQ(new_abi_a->nvidia.to_string(), "sm_90a");
  Result<CodeObjectInfo> unknown = with_header(9, 0x6005a04);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("cubin EI_ABIVERSION 9: expected 7"), std::string::npos)
      << unknown.status().to_string();
  Result<CodeObjectInfo> no_sm = with_header(8, 0x6000004);
  ASSERT_FALSE(no_sm.ok());
  EXPECT_NE(no_sm.status().message().find("give SM 0"), std::string::npos) << no_sm.status().to_string();
}

TEST_F(CodeObjectTest, CubinParameterLayoutOfMixedParameters) {
  SKIP_WITHOUT((std::array{kPtxas}));
  // Five parameters of different sizes; ptxas places them at natural
  // alignment: char@0, short@2, double@8, pointer@16, int@24 = 28 bytes.
  const fs::path ptx = *dir_ / "mixed.ptx";
  write_file(ptx, R"(.version 8.0
.target sm_80
.address_size 64
.visible .entry mixed(
  .param .u8 mixed_param_0,
  .param .u16 mixed_param_1,
  .param .f64 mixed_param_2,
  .param .u64 .ptr .global .align 4 mixed_param_3,
  .param .u32 mixed_param_4
)
{
  .reg .b64 %rd<2>;
  .reg .b32 %r<2>;
  ld.param.u64 %rd1, [mixed_param_3];
  ld.param.u32 %r1, [mixed_param_4];
  st.global.u32 [%rd1], %r1;
  ret;
}
.visible .entry empty()
{
  ret;
}
)");
  const fs::path cubin = *dir_ / "mixed.cubin";
  const std::string assemble = std::string(kPtxas) + " -arch=sm_80 '" + ptx.string() + "' -o '" + cubin.string() + "'";
  ASSERT_EQ(std::system(assemble.c_str()), 0) << assemble;
  for (const fs::path& path : {ptx, cubin}) {
    SCOPED_TRACE(path.string());
    Result<CodeObjectInfo> info = inspect_code_object(read_file(path));
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->nvidia.number(), 80u);
    const KernelInfo* mixed = info->find_kernel("mixed");
    ASSERT_NE(mixed, nullptr);
    EXPECT_EQ(mixed->kernarg_segment_size, 28u);
    EXPECT_EQ(mixed->explicit_args_size, 28u);
    const KernelInfo* empty = info->find_kernel("empty");
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(empty->kernarg_segment_size, 0u);
  }
}

TEST_F(CodeObjectTest, PtxFromClang) {
  SKIP_WITHOUT((std::array{kClang}));
  for (const std::string march : {"sm_75", "sm_90a"}) {
    SCOPED_TRACE(march);
    const std::optional<fs::path> path = build_ptx(march);
    ASSERT_TRUE(path.has_value());
    const std::vector<uint8_t> bytes = read_file(*path);
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->format, CodeObjectFormat::kPtx);
    EXPECT_EQ(info->nvidia.kind, NvidiaCodeKind::kPtx);
    const std::string compute = "compute_" + march.substr(3);
    EXPECT_EQ(info->nvidia.to_string(), compute);
    EXPECT_EQ(info->target_name(), "nvptx64-nvidia-cuda--" + compute);
    EXPECT_FALSE(info->ptx_version.empty());
    // The text itself says what the decoder must find.
    const std::string text(bytes.begin(), bytes.end());
    EXPECT_NE(text.find(".version " + info->ptx_version + "\n"), std::string::npos);
    ASSERT_EQ(info->kernels.size(), abi_kernels().size());
    for (const auto& [name, size_align] : abi_kernels()) {
      const KernelInfo* kernel = info->find_kernel(name);
      ASSERT_NE(kernel, nullptr) << name;
      EXPECT_EQ(kernel->explicit_args_size, size_align.first) << name;
      EXPECT_EQ(kernel->kernarg_segment_align, size_align.second) << name;
      EXPECT_NE(text.find(".param .align " + std::to_string(size_align.second) + " .b8 " + name + "_param_0[" +
                          std::to_string(size_align.first) + "]"),
                std::string::npos)
          << name;
    }
    Status status = validate_code_object(make_entry("nvptx64-nvidia-cuda--" + compute + ".ptx", bytes), *info);
    EXPECT_TRUE(status.ok()) << status.to_string();
  }
}

TEST(PtxTest, HandWrittenText) {
  const std::string text =
      "// a comment before anything\n/* and a block\n comment */\n"
      ".version 7.8\n.target sm_86, texmode_independent\n.address_size 64\n"
      ".func (.param .b32 r) helper(.param .b64 p) { ret; }\n"
      ".entry k1(.param .align 16 .b8 k1_param_0[24], .param .u32 k1_param_1) { ld.param.u32 %r1, [k1_param_1]; }\n"
      ".visible .entry k2 { ret; }\n"
      ".weak .entry k3(\n) .maxntid 64, 1, 1 { }\n";
  std::vector<uint8_t> bytes(text.begin(), text.end());
  bytes.push_back(0);  // drivers want PTX NUL-terminated; files may carry the NUL
  Result<CodeObjectInfo> info = inspect_code_object(bytes);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->ptx_version, "7.8");
  EXPECT_EQ(info->nvidia.to_string(), "compute_86");
  ASSERT_EQ(info->kernels.size(), 3u);
  EXPECT_EQ(info->kernels[0].name, "k1");
  EXPECT_EQ(info->kernels[0].kernarg_segment_size, 28u);  // 24 bytes, then a u32 at 24
  EXPECT_EQ(info->kernels[0].kernarg_segment_align, 16u);
  EXPECT_EQ(info->kernels[1].name, "k2");
  EXPECT_EQ(info->kernels[1].kernarg_segment_size, 0u);
  EXPECT_EQ(info->kernels[2].name, "k3");
}

TEST(PtxTest, MalformedTextIsRefused) {
  const std::pair<std::string, std::string> cases[] = {
      {".version 7.0\n", "no .target"},
      {".version seven\n.target sm_80\n", "PTX ISA version"},
      {".version 7.0\n.target gfx90a\n", "architecture like sm_90"},
      {".version 7.0\n.target sm_80\n.entry k(.param .align 3 .b8 p[4]) {}\n", "power-of-two alignment"},
      {".version 7.0\n.target sm_80\n.entry k(.param .b8 p[99999999999]) {}\n", "array size"},
      {".version 7.0\n.target sm_80\n.entry k(.param .b8 p[4] {}\n", "parameter type, name or attribute"},
      {".version 7.0\n.target sm_80\n.entry k(.param .b8 p[4]", "')' closing the parameter list"},
      {".version 7.0\n.target sm_80\n.entry k() {\n", "'}' closing every '{'"},
      {".version 7.0\n.target sm_80\n/* unterminated", "not closed"},
      {".version 7.0\n.target sm_80\n.file 1 \"unterminated\n", "not closed on its line"},
      {std::string(".version 7.0\n\0.target sm_80\n", 28), "NUL byte at offset 13"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    const std::vector<uint8_t> bytes(text.begin(), text.end());
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    ASSERT_FALSE(info.ok());
    EXPECT_NE(info.status().message().find(expected), std::string::npos) << info.status().to_string();
  }
}

TEST(InspectTest, ForeignBytesAreRefusedByName) {
  const std::vector<uint8_t> zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
  Result<CodeObjectInfo> info = inspect_code_object(zip);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(info.status().message(),
            "not a code object: expected an ELF file (7f 45 4c 46) or PTX text, found 50 4b 03 04");

  info = inspect_code_object(std::span<const uint8_t>());
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("found nothing (0 bytes)"), std::string::npos) << info.status().to_string();

  const std::vector<uint8_t> three = {0x7f, 'E', 'L'};
  info = inspect_code_object(three);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("found 7f 45 4c"), std::string::npos) << info.status().to_string();

  const std::string text = "// just a comment\n.target sm_80\n";
  info = inspect_code_object(std::vector<uint8_t>(text.begin(), text.end()));
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("found 2f 2f 20 6a"), std::string::npos) << info.status().to_string();
}

TEST(InspectTest, HostElfIsRefusedByMachine) {
  const fs::path host_binary = "/bin/true";
  if (!fs::exists(host_binary)) GTEST_SKIP() << host_binary << " is not there";
  Result<CodeObjectInfo> info = inspect_code_object(read_file(host_binary));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find("not a GPU code object: ELF e_machine "), std::string::npos)
      << info.status().to_string();
  EXPECT_NE(info.status().message().find("expected 224 (EM_AMDGPU) or 190 (EM_CUDA)"), std::string::npos)
      << info.status().to_string();
}

// Offsets of fields in the ELF64 header.
constexpr size_t kShoff = 40;
constexpr size_t kShnum = 60;

void store_u64(std::vector<uint8_t>& bytes, size_t offset, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}
void store_u16(std::vector<uint8_t>& bytes, size_t offset, uint16_t value) {
  bytes[offset] = static_cast<uint8_t>(value);
  bytes[offset + 1] = static_cast<uint8_t>(value >> 8);
}

TEST_F(CodeObjectTest, CorruptAmdgpuCodeObjectsGiveCleanErrors) {
  SKIP_WITHOUT((std::array{kClang, kLld}));
  const std::optional<fs::path> path = build_amdgpu("gfx11-generic", 6);
  ASSERT_TRUE(path.has_value());
  const std::vector<uint8_t> good = read_file(*path);
  ASSERT_TRUE(inspect_code_object(good).ok());
  const uint64_t shoff = elf::load_u64(good, kShoff);
  const size_t metadata_section = [&] {
    Result<elf::File> file = elf::File::parse(good);
    EXPECT_TRUE(file.ok());
    const elf::Section* note = file->find_section(".note");
    EXPECT_NE(note, nullptr);
    return static_cast<size_t>(note->offset);
  }();
  // The msgpack document starts after the note header (12 bytes) and the
  // padded "AMDGPU\0" owner (8 bytes).
  const size_t msgpack_start = metadata_section + 20;
  ASSERT_EQ(good[msgpack_start] & 0xf0, 0x80) << "expected a fixmap at the start of the metadata";

  struct Case {
    std::string what;
    std::vector<uint8_t> bytes;
    std::string expected;
  };
  std::vector<Case> cases;
  cases.push_back({"truncated header", std::vector<uint8_t>(good.begin(), good.begin() + 40),
                   "truncated ELF header: expected 64 bytes, found 40"});
  {
    std::vector<uint8_t> bytes = good;
    store_u64(bytes, kShoff, bytes.size() - 64);
    cases.push_back({"section table past the end", bytes, "ELF section header table"});
  }
  {
    std::vector<uint8_t> bytes = good;
    store_u64(bytes, kShoff, UINT64_MAX - 63);
    cases.push_back({"section table offset overflows", bytes, "ends past the end of the file"});
  }
  {
    std::vector<uint8_t> bytes = good;
    store_u16(bytes, kShnum, 0xfff0);
    cases.push_back({"huge section count", bytes, "ELF section header table"});
  }
  {
    // Section 1's sh_offset near 2^64: offset + size wraps around.
    std::vector<uint8_t> bytes = good;
    store_u64(bytes, static_cast<size_t>(shoff) + 64 + 24, UINT64_MAX - 8);
    cases.push_back({"section offset overflows", bytes, "ELF section 1 (offset 0xfffffffffffffff7"});
  }
  {
    std::vector<uint8_t> bytes = good;
    bytes[7] = 0;  // ELFOSABI_NONE
    cases.push_back({"not HSA", bytes, "EI_OSABI 0: expected 64"});
  }
  {
    std::vector<uint8_t> bytes = good;
    bytes[8] = 1;  // code object v3
    cases.push_back({"code object v3", bytes, "EI_ABIVERSION 1 (code object v3): expected 2, 3 or 4"});
  }
  {
    // A map32 claiming 4 billion entries in a ~800-byte note.
    std::vector<uint8_t> bytes = good;
    const uint8_t huge_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    std::copy(std::begin(huge_map), std::end(huge_map), bytes.begin() + static_cast<std::ptrdiff_t>(msgpack_start));
    cases.push_back({"msgpack huge map", bytes, "map claims 4294967295 entries"});
  }
  {
    // A str32 claiming 4 GiB as the first key.
    std::vector<uint8_t> bytes = good;
    const uint8_t huge_string[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xf0};
    std::copy(std::begin(huge_string), std::end(huge_string),
              bytes.begin() + static_cast<std::ptrdiff_t>(msgpack_start));
    cases.push_back({"msgpack huge string", bytes, "string claims 4294967280 bytes"});
  }
  {
    // Arrays nested 100 deep.
    std::vector<uint8_t> bytes = good;
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(msgpack_start), 100, uint8_t{0x91});
    cases.push_back({"msgpack deep nesting", bytes, "nesting deeper than 32 levels"});
  }
  {
    std::vector<uint8_t> bytes = good;
    bytes[msgpack_start] = 0xc1;
    cases.push_back({"msgpack never-used byte", bytes, "0xc1 is never used"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Result<CodeObjectInfo> info = inspect_code_object(c.bytes);
    ASSERT_FALSE(info.ok());
    EXPECT_NE(info.status().message().find(c.expected), std::string::npos) << info.status().to_string();
  }
}

TEST_F(CodeObjectTest, EveryTruncationIsAnError) {
  SKIP_WITHOUT((std::array{kClang, kLld, kPtxas}));
  // lld and ptxas put a header table at the end of the file, so no proper
  // prefix is a complete code object.
  for (const std::optional<fs::path>& path : {build_amdgpu("gfx11-generic", 6), build_cubin("sm_90")}) {
    ASSERT_TRUE(path.has_value());
    const std::vector<uint8_t> bytes = read_file(*path);
    for (size_t size = 0; size < bytes.size(); ++size) {
      Result<CodeObjectInfo> info = inspect_code_object(std::span<const uint8_t>(bytes.data(), size));
      ASSERT_FALSE(info.ok()) << path->string() << " truncated to " << size << " bytes";
    }
  }
}

TEST_F(CodeObjectTest, ByteFlipsNeverCrash) {
  SKIP_WITHOUT((std::array{kClang, kLld, kPtxas}));
  // Any result is fine; what matters is no crash, hang or sanitizer report
  // (the ASan/UBSan build runs this too).
  std::vector<std::vector<uint8_t>> inputs;
  for (const std::optional<fs::path>& path :
       {build_amdgpu("gfx11-generic", 6), build_cubin("sm_90"), build_ptx("sm_90")}) {
    ASSERT_TRUE(path.has_value());
    inputs.push_back(read_file(*path));
  }
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  size_t decoded = 0;
  for (const std::vector<uint8_t>& original : inputs) {
    for (int round = 0; round < 3000; ++round) {
      std::vector<uint8_t> bytes = original;
      const int flips = 1 + static_cast<int>(next() % 4);
      for (int i = 0; i < flips; ++i) bytes[next() % bytes.size()] ^= static_cast<uint8_t>(1u << (next() % 8));
      Result<CodeObjectInfo> info = inspect_code_object(bytes);
      if (info.ok()) {
        ++decoded;
        EXPECT_FALSE(info->target_name().empty());
      } else {
        EXPECT_FALSE(info.status().message().empty());
      }
    }
  }
  // Most flips land in code bytes that decoding never reads.
  EXPECT_GT(decoded, 0u);
}

TEST_F(CodeObjectTest, ValidateRefusesMismatchedEntries) {
  SKIP_WITHOUT((std::array{kClang, kLld, kPtxas}));
  const std::optional<fs::path> generic = build_amdgpu("gfx11-generic", 6);
  const std::optional<fs::path> xnack_on = build_amdgpu("gfx90a:xnack+", 6);
  const std::optional<fs::path> gfx90a_any = build_amdgpu("gfx90a", 6);
  const std::optional<fs::path> generic_v5 = build_amdgpu("gfx1100", 5);
  const std::optional<fs::path> sm90 = build_cubin("sm_90");
  const std::optional<fs::path> sm90a = build_cubin("sm_90a");
  const std::optional<fs::path> ptx90 = build_ptx("sm_90");
  for (const auto* path : {&generic, &xnack_on, &gfx90a_any, &generic_v5, &sm90, &sm90a, &ptx90}) {
    ASSERT_TRUE(path->has_value());
  }
  struct Case {
    fs::path file;
    std::string entry_name;
    std::string expected;  // "" when the entry fits
  };
  const Case cases[] = {
      {*generic, "amdgcn-amd-amdhsa--gfx11-generic.so", ""},
      {*generic, "amdgcn-amd-amdhsa--gfx1100.so",
       "amdgcn-amd-amdhsa--gfx1100.so: the code object is built for gfx11-generic (EF_AMDGPU_MACH 0x54); the TOC "
       "entry says gfx1100"},
      {*generic, "amdgcn-amd-amdhsa--gfx12-generic.so", "built for gfx11-generic"},
      {*generic_v5, "amdgcn-amd-amdhsa--gfx1100.so", ""},
      {*xnack_on, "amdgcn-amd-amdhsa--gfx90a:xnack+.so", ""},
      {*xnack_on, "amdgcn-amd-amdhsa--gfx90a.so",
       "amdgcn-amd-amdhsa--gfx90a.so: the code object's xnack setting is on (e_flags 0x73f); the TOC entry "
       "(features '') expects any (built without xnack+/-)"},
      {*xnack_on, "amdgcn-amd-amdhsa--gfx90a:xnack-.so", "xnack setting is on (e_flags 0x73f); the TOC entry "
                                                         "(features 'xnack-') expects off"},
      {*xnack_on, "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack+.so", "sramecc setting is any"},
      {*gfx90a_any, "amdgcn-amd-amdhsa--gfx90a:xnack+.so", "xnack setting is any"},
      {*generic, "nvptx64-nvidia-cuda--sm_90.cubin", "the TOC entry is cuda-cubin but the bytes are amdgpu-hsaco"},
      {*sm90, "nvptx64-nvidia-cuda--sm_90.cubin", ""},
      {*sm90, "nvptx64-nvidia-cuda--sm_90f.cubin", ""},
      {*sm90, "nvptx64-nvidia-cuda--sm_80.cubin",
       "nvptx64-nvidia-cuda--sm_80.cubin: the code object is built for sm_90 (e_flags 0x6005a04); the TOC entry "
       "says sm_80"},
      {*sm90, "nvptx64-nvidia-cuda--sm_90a.cubin", "built for sm_90 (e_flags 0x6005a04); the TOC entry says sm_90a"},
      {*sm90a, "nvptx64-nvidia-cuda--sm_90a.cubin", ""},
      {*sm90a, "nvptx64-nvidia-cuda--sm_90.cubin", "built for sm_90a"},
      {*sm90, "nvptx64-nvidia-cuda--compute_90.ptx", "the TOC entry is ptx but the bytes are cuda-cubin"},
      {*ptx90, "nvptx64-nvidia-cuda--compute_90.ptx", ""},
      {*ptx90, "nvptx64-nvidia-cuda--compute_80.ptx",
       "the code object is built for .target sm_90; the TOC entry says compute_80"},
      {*ptx90, "amdgcn-amd-amdhsa--gfx90a.so", "the TOC entry is amdgpu-hsaco but the bytes are ptx"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file.filename().string() + " as " + c.entry_name);
    const std::vector<uint8_t> bytes = read_file(c.file);
    const TocEntry entry = make_entry(c.entry_name, bytes);
    Result<CodeObjectInfo> info = inspect_and_validate(entry);
    if (c.expected.empty()) {
      EXPECT_TRUE(info.ok()) << info.status().to_string();
    } else {
      ASSERT_FALSE(info.ok());
      EXPECT_EQ(info.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_NE(info.status().message().find(c.expected), std::string::npos) << info.status().to_string();
      EXPECT_TRUE(info.status().message().starts_with(c.entry_name + ": ")) << info.status().to_string();
    }
  }
}

TEST_F(CodeObjectTest, ValidateRefusesKernelsThatBreakTheAbi) {
  SKIP_WITHOUT((std::array{kClang, kLld, kPtxas}));
  struct Case {
    std::optional<fs::path> file;
    std::string entry_name;
    std::string expected;
  };
  const Case cases[] = {
      {build_amdgpu("gfx11-generic", 6, "-DWRONG_FILL_ARGS"), "amdgcn-amd-amdhsa--gfx11-generic.so",
       "amdgcn-amd-amdhsa--gfx11-generic.so: kernel devbin_fill takes 32 argument bytes; the host ABI (device/abi.h "
       "devbin_fill_args_t) passes 40"},
      {build_amdgpu("gfx11-generic", 6, "-DOMIT_COPY"), "amdgcn-amd-amdhsa--gfx11-generic.so",
       "kernel devbin_copy is missing; the code object has kernels devbin_fill, devbin_batch, devbin_copy_rect, "
       "devbin_fill_rect, devbin_dispatch_patch, devbin_timestamp, devbin_update"},
      {build_cubin("sm_90", "-DWRONG_FILL_ARGS"), "nvptx64-nvidia-cuda--sm_90.cubin",
       "kernel devbin_fill takes 32 argument bytes; the host ABI (device/abi.h devbin_fill_args_t) passes 40"},
      {build_cubin("sm_90", "-DOMIT_COPY"), "nvptx64-nvidia-cuda--sm_90.cubin", "kernel devbin_copy is missing"},
      {build_ptx("sm_80", "-DWRONG_FILL_ARGS"), "nvptx64-nvidia-cuda--compute_80.ptx",
       "kernel devbin_fill takes 32 argument bytes"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(c.file.has_value());
    SCOPED_TRACE(c.file->filename().string());
    const std::vector<uint8_t> bytes = read_file(*c.file);
    Result<CodeObjectInfo> info = inspect_and_validate(make_entry(c.entry_name, bytes));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(info.status().message().find(c.expected), std::string::npos) << info.status().to_string();
  }
}

TEST(ValidateTest, RefusesUnderAlignedArguments) {
  CodeObjectInfo info;
  info.format = CodeObjectFormat::kPtx;
  info.nvidia = {NvidiaCodeKind::kPtx, 8, 0, NvidiaArchSuffix::kNone};
#define DEVBIN_TEST_KERNEL_(kernel, type)                                     \
  info.kernels.push_back(KernelInfo{.name = #kernel,                          \
                                    .symbol = #kernel,                        \
                                    .explicit_args_size = sizeof(type),       \
                                    .kernarg_segment_size = sizeof(type),     \
                                    .kernarg_segment_align = alignof(type),  \
                                    .args = {},                              \
                                    .vgpr_count = 0,                         \
                                    .sgpr_count = 0,                         \
                                    .agpr_count = 0,                         \
                                    .wavefront_size = 0,                     \
                                    .descriptor = {}});
  DEVBIN_ABI_KERNELS(DEVBIN_TEST_KERNEL_)
#undef DEVBIN_TEST_KERNEL_
  TocEntry entry;
  ASSERT_TRUE(parse_toc_entry_name("nvptx64-nvidia-cuda--compute_80.ptx", &entry).ok());
  Status status = validate_code_object(entry, info);
  EXPECT_TRUE(status.ok()) << status.to_string();
  info.kernels[1].kernarg_segment_align = 4;
  status = validate_code_object(entry, info);
  EXPECT_EQ(status.message(),
            "nvptx64-nvidia-cuda--compute_80.ptx: kernel devbin_copy aligns its arguments to 4 bytes; the host ABI "
            "(device/abi.h devbin_copy_args_t) needs 8");
}

TEST(ValidateTest, InspectAndValidateNamesTheEntry) {
  const std::vector<uint8_t> junk = {1, 2, 3, 4, 5};
  TocEntry entry = make_entry("amdgcn-amd-amdhsa--gfx90a.so", junk);
  Result<CodeObjectInfo> info = inspect_and_validate(entry);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().message().starts_with("amdgcn-amd-amdhsa--gfx90a.so: not a code object"))
      << info.status().to_string();
  entry.data = nullptr;
  info = inspect_and_validate(entry);
  ASSERT_FALSE(info.ok());
}

// The checked-in prebuilt set: each file decodes, matches the external tools
// and passes validation against the entry its file name makes.
TEST(PrebuiltTest, EveryCheckedInCodeObjectValidates) {
  const fs::path dir = DEVBIN_PREBUILT_DIR;
  std::vector<fs::path> files;
  if (fs::exists(dir)) {
    for (const fs::directory_entry& file : fs::directory_iterator(dir)) {
      const std::string ext = file.path().extension().string();
      if (ext == ".so" || ext == ".cubin" || ext == ".ptx") files.push_back(file.path());
    }
  }
  if (files.empty()) GTEST_SKIP() << "no code objects in " << dir << " yet";
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.filename().string());
    const std::vector<uint8_t> bytes = read_file(path);
    const std::string name = path.filename().string();
    Result<CodeObjectInfo> info = inspect_and_validate(make_entry(name, bytes));
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    if (info->format == CodeObjectFormat::kAmdgpuHsaco && have_tool(kLlvmReadelf)) {
      expect_matches_llvm_readelf(path, *info);
    } else if (info->format == CodeObjectFormat::kCudaCubin && have_tool(kReadelf)) {
      expect_matches_readelf_cubin(path, *info);
    }
  }
}

// Where `symbol` (a kernel descriptor) lies in the file: its address mapped
// through the PT_LOAD segments; SIZE_MAX when it is not there.
size_t descriptor_file_offset(const std::vector<uint8_t>& bytes, std::string_view symbol) {
  auto file = elf::File::parse(bytes);
  if (!file.ok()) return SIZE_MAX;
  auto symbols = file->symbols(*file->find_section(".dynsym"));
  if (!symbols.ok()) return SIZE_MAX;
  for (const elf::Symbol& s : *symbols) {
    if (s.name != symbol) continue;
    for (const elf::Segment& segment : file->segments()) {
      if (segment.type == elf::kSegmentLoad && s.value >= segment.vaddr && s.value - segment.vaddr < segment.filesz) {
        return segment.offset + (s.value - segment.vaddr);
      }
    }
  }
  return SIZE_MAX;
}

std::vector<uint8_t> read_prebuilt(const std::string& name) {
  const fs::path path = fs::path(DEVBIN_PREBUILT_DIR) / name;
  return fs::exists(path) ? read_file(path) : std::vector<uint8_t>{};
}

// Each kernel descriptor field the validator holds to the metadata and the
// processor, corrupted in a shipped code object: the load is refused, naming
// the kernel, the field and both values. The intact object validates.
TEST(KernelDescriptorTest, CorruptedDescriptorsAreRefused) {
  struct Case {
    const char* object;
    const char* symbol;
    size_t offset;    // in the descriptor
    uint32_t mask;    // the bits replaced
    uint32_t value;   // their new value (already shifted)
    const char* expected;
  };
  const Case cases[] = {
      // The issue's corruption: devbin_copy's VGPR granule 4 -> 0 on gfx11-generic.
      {"amdgcn-amd-amdhsa--gfx11-generic.so", "devbin_copy.kd", 48, 0x3f, 0,
       "kernel devbin_copy is granted 8 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd (granulated "
       "count 0, blocks of 8); its metadata needs 40 (.vgpr_count 40): expected a granulated count of at least 4"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", "devbin_copy.kd", 48, 0x3f, 63,
       "kernel devbin_copy is granted 512 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd; "
       "gfx11-generic has 256"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", "devbin_fill.kd", 48, 0xf << 6, 2 << 6,
       "kernel devbin_fill has granulated SGPR count 2 in COMPUTE_PGM_RSRC1 in its descriptor devbin_fill.kd: "
       "expected 0 (GFX10-GFX12 allocates SGPRs itself)"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", "devbin_batch.kd", 56, 1u << 10, 0,
       "kernel devbin_batch runs as wave64 by kernel_code_properties bit 10 in its descriptor devbin_batch.kd; its "
       "metadata .wavefront_size is 32"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", "devbin_update.kd", 8, 0xffffffff, 4096,
       "kernel devbin_update has kernarg_size 4096 in its descriptor devbin_update.kd; its metadata says 4120"},
      {"amdgcn-amd-amdhsa--gfx12-generic.so", "devbin_fill.kd", 0, 0xffffffff, 1024,
       "kernel devbin_fill has group_segment_fixed_size (LDS bytes) 1024 in its descriptor devbin_fill.kd; its "
       "metadata says 0"},
      {"amdgcn-amd-amdhsa--gfx12-generic.so", "devbin_timestamp.kd", 4, 0xffffffff, 16,
       "kernel devbin_timestamp has private_segment_fixed_size (scratch bytes per work-item) 16 in its descriptor "
       "devbin_timestamp.kd; its metadata says 0"},
      {"amdgcn-amd-amdhsa--gfx90a.so", "devbin_copy.kd", 48, 0x3f, 5,
       "kernel devbin_copy is granted 48 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd (granulated "
       "count 5, blocks of 8); its metadata needs 52 (accum_offset 52 + .agpr_count 0)"},
      {"amdgcn-amd-amdhsa--gfx90a.so", "devbin_copy.kd", 44, 0x3f, 0,
       "kernel devbin_copy puts its AGPRs at accum_offset 4 (COMPUTE_PGM_RSRC3 in its descriptor devbin_copy.kd); "
       "expected 52 to 256 for .vgpr_count 52"},
      {"amdgcn-amd-amdhsa--gfx90a.so", "devbin_fill_rect.kd", 48, 0xf << 6, 7 << 6,
       "kernel devbin_fill_rect is granted 64 SGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_fill_rect.kd "
       "(granulated count 7, blocks of 8); expected 72 to 112 for .sgpr_count 70"},
      {"amdgcn-amd-amdhsa--gfx9-generic.so", "devbin_copy.kd", 56, 1u << 10, 1u << 10,
       "kernel devbin_copy is built for wave32 (kernel_code_properties bit 10 in its descriptor devbin_copy.kd); "
       "gfx9-generic (GFX9) runs wave64 only"},
      {"amdgcn-amd-amdhsa--gfx9-generic.so", "devbin_copy.kd", 48, 0x3f, 8,
       "kernel devbin_copy is granted 36 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd (granulated "
       "count 8, blocks of 4); its metadata needs 40"},
      {"amdgcn-amd-amdhsa--gfx10-3-generic.so", "devbin_batch.kd", 48, 0x3f, 5,
       "kernel devbin_batch is granted 48 VGPRs"},
      {"amdgcn-amd-amdhsa--gfx1250.so", "devbin_copy.kd", 48, 0x3f, 2,
       "kernel devbin_copy is granted 48 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd (granulated "
       "count 2, blocks of 16); its metadata needs 50"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.object) + " " + c.symbol + " +" + std::to_string(c.offset));
    std::vector<uint8_t> bytes = read_prebuilt(c.object);
    if (bytes.empty()) GTEST_SKIP() << c.object << " is not checked in yet";
    ASSERT_TRUE(inspect_and_validate(make_entry(c.object, bytes)).ok());
    const size_t at = descriptor_file_offset(bytes, c.symbol);
    ASSERT_NE(at, SIZE_MAX);
    uint32_t word = elf::load_u32(bytes, at + c.offset);
    const uint32_t before = word;
    word = (word & ~c.mask) | c.value;
    ASSERT_NE(word, before) << "the corruption changes nothing";
    for (int i = 0; i < 4; ++i) bytes[at + c.offset + i] = static_cast<uint8_t>(word >> (8 * i));
    Result<CodeObjectInfo> info = inspect_and_validate(make_entry(c.object, bytes));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(info.status().message().find(c.expected), std::string::npos) << info.status().to_string();
    EXPECT_TRUE(info.status().message().starts_with(std::string(c.object) + ": ")) << info.status().to_string();
  }
}

// A kernel whose descriptor symbol is gone (its name changed in .dynstr) is
// refused by validation; inspection alone still decodes the file.
TEST(KernelDescriptorTest, AMissingDescriptorIsRefused) {
  const char kObject[] = "amdgcn-amd-amdhsa--gfx11-generic.so";
  std::vector<uint8_t> bytes = read_prebuilt(kObject);
  if (bytes.empty()) GTEST_SKIP() << kObject << " is not checked in yet";
  const std::string name = "devbin_timestamp.kd";
  // The last occurrence is .dynstr's (the metadata note comes first).
  auto found = std::find_end(bytes.begin(), bytes.end(), name.begin(), name.end());
  ASSERT_NE(found, bytes.end());
  ASSERT_NE(descriptor_file_offset(bytes, name), SIZE_MAX);
  found[name.size() - 1] = 'x';  // devbin_timestamp.kx in .dynstr
  ASSERT_EQ(descriptor_file_offset(bytes, name), SIZE_MAX);
  EXPECT_TRUE(inspect_code_object(bytes).ok());
  Result<CodeObjectInfo> info = inspect_and_validate(make_entry(kObject, bytes));
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("kernel devbin_timestamp has no kernel descriptor: the code object defines "
                                         "no symbol devbin_timestamp.kd"),
            std::string::npos)
      << info.status().to_string();
}

// The processor's limits, from metadata that asks for more than a wave has.
TEST(KernelDescriptorTest, MetadataOverTheTargetsLimitsIsRefused) {
  struct Case {
    const char* object;
    void (*change)(KernelInfo&);
    const char* expected;
  };
  const Case cases[] = {
      {"amdgcn-amd-amdhsa--gfx11-generic.so", [](KernelInfo& k) { k.vgpr_count = 300; },
       "kernel devbin_fill needs 300 VGPRs (.vgpr_count 300); gfx11-generic has 256 per work-item"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", [](KernelInfo& k) { k.sgpr_count = 110; },
       "kernel devbin_fill needs 110 SGPRs (.sgpr_count); gfx11-generic gives a wave at most 108"},
      {"amdgcn-amd-amdhsa--gfx11-generic.so", [](KernelInfo& k) { k.agpr_count = 4; },
       "kernel devbin_fill counts 4 AGPRs; gfx11-generic has none"},
      {"amdgcn-amd-amdhsa--gfx908.so", [](KernelInfo& k) { k.agpr_count = 64; },
       "kernel devbin_fill is granted 36 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_fill.kd (granulated "
       "count 8, blocks of 4); its metadata needs 64 (.agpr_count 64)"},
      {"amdgcn-amd-amdhsa--gfx90a.so", [](KernelInfo& k) { k.agpr_count = 8; },
       "kernel devbin_fill is granted 40 VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_fill.kd (granulated "
       "count 4, blocks of 8); its metadata needs 44 (accum_offset 36 + .agpr_count 8)"},
      {"amdgcn-amd-amdhsa--gfx12-generic.so",
       [](KernelInfo& k) {
         k.group_segment_fixed_size = 128 * 1024;
         k.descriptor[0] = 0;
         k.descriptor[1] = 0;
         k.descriptor[2] = 2;  // 131072, in the descriptor as well
       },
       "kernel devbin_fill needs 131072 bytes of LDS; gfx12-generic has 65536 per workgroup"},
      {"amdgcn-amd-amdhsa--gfx12-generic.so", [](KernelInfo& k) { k.wavefront_size = 0; },
       "kernel devbin_fill runs as wave32 by kernel_code_properties bit 10 in its descriptor devbin_fill.kd; its "
       "metadata .wavefront_size is 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.object) + ": " + c.expected);
    const std::vector<uint8_t> bytes = read_prebuilt(c.object);
    if (bytes.empty()) GTEST_SKIP() << c.object << " is not checked in yet";
    const TocEntry entry = make_entry(c.object, bytes);
    Result<CodeObjectInfo> info = inspect_code_object(bytes);
    ASSERT_TRUE(info.ok());
    ASSERT_TRUE(validate_code_object(entry, *info).ok());
    KernelInfo* fill = nullptr;
    for (KernelInfo& k : info->kernels) {
      if (k.name == "devbin_fill") fill = &k;
    }
    ASSERT_NE(fill, nullptr);
    c.change(*fill);
    const Status status = validate_code_object(entry, *info);
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << status.to_string();
  }
}

}  // namespace
}  // namespace devbin
