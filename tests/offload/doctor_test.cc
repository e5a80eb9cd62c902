// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// devbin doctor on every checked-in file (tests/offload/data): the code
// objects found, and for GPUs of both vendors the one that loads or why none
// does and the fix. Also the scan's refusals and the rules on hand-made
// code-object lists.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "doctor.h"
#include "fatbin.h"
#include "offload_test_util.h"
#include "scan.h"

namespace devbin::offload {
namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::string targets(const ScanReport& report) {
  std::string out;
  for (const FoundCodeObject& code : report.code_objects) out += (out.empty() ? "" : " ") + code.target;
  return out;
}

GpuQuery gpu(const std::string& isa, std::optional<int> driver = std::nullopt) {
  GpuQuery query;
  query.label = isa;
  Result<Target> target = parse_target(isa);
  EXPECT_TRUE(target.ok()) << isa;
  if (target.ok()) query.target = *target;
  query.cuda_driver_version = driver;
  return query;
}

struct FileCase {
  std::string file;
  std::string targets;   // the code objects' targets, in order
  std::string formats;   // their formats, in order
  std::string compression;  // each code object's ("-" for none), in order
};

class DoctorFileTest : public testing::TestWithParam<FileCase> {};

TEST_P(DoctorFileTest, ListsEveryCodeObjectWithItsKernels) {
  const FileCase& c = GetParam();
  const std::vector<uint8_t> bytes = read_data_file(c.file);
  ASSERT_FALSE(bytes.empty()) << c.file;
  const ScanReport report = scan_gpu_binary(bytes);
  EXPECT_TRUE(report.problems.empty()) << c.file << ": " << report.problems.front();
  EXPECT_EQ(targets(report), c.targets) << c.file;
  std::string formats;
  std::string compression;
  for (const FoundCodeObject& code : report.code_objects) {
    formats += (formats.empty() ? "" : " ") + code.format;
    compression += (compression.empty() ? "" : " ") + (code.compression.empty() ? "-" : code.compression);
    EXPECT_GT(code.size, 0u) << c.file << " " << code.target;
    if (code.needs_link) {
      EXPECT_FALSE(code.loadable);
      EXPECT_FALSE(code.note.empty());
      continue;
    }
    EXPECT_TRUE(code.loadable) << c.file << " " << code.target << ": " << code.note;
    EXPECT_TRUE(code.note.empty()) << c.file << " " << code.target << ": " << code.note;
    ASSERT_TRUE(code.kernels_known) << c.file << " " << code.target;
    std::string kernels;
    for (const std::string& kernel : code.kernels) kernels += kernel + " ";
    EXPECT_TRUE(has(kernels, "scale ")) << c.file << " " << code.target << ": " << kernels;
    EXPECT_TRUE(has(kernels, "_Z7add_onePi ")) << c.file << " " << code.target << ": " << kernels;
  }
  EXPECT_EQ(formats, c.formats) << c.file;
  EXPECT_EQ(compression, c.compression) << c.file;
}

INSTANTIATE_TEST_SUITE_P(
    Data, DoctorFileTest,
    testing::Values(
        FileCase{"hip_gfx90a_gfx1100.hipfb", "gfx1100 gfx90a", "amdgpu-hsaco amdgpu-hsaco", "- -"},
        FileCase{"hip_ccob_v3_zstd.hipfb", "gfx11-generic gfx90a:xnack+ gfx942:sramecc+:xnack-",
                 "amdgpu-hsaco amdgpu-hsaco amdgpu-hsaco", "zstd zstd zstd"},
        FileCase{"hip_ccob_v3_zlib.hipfb", "gfx11-generic gfx90a:xnack+ gfx942:sramecc+:xnack-",
                 "amdgpu-hsaco amdgpu-hsaco amdgpu-hsaco", "zlib zlib zlib"},
        FileCase{"hip_ccob_v2_zlib.hipfb", "gfx11-generic gfx90a:xnack+ gfx942:sramecc+:xnack-",
                 "amdgpu-hsaco amdgpu-hsaco amdgpu-hsaco", "zlib zlib zlib"},
        FileCase{"hip_ccob_v2_zstd.hipfb", "gfx1030 gfx906", "amdgpu-hsaco amdgpu-hsaco", "zstd zstd"},
        FileCase{"hip_host.o", "gfx1100 gfx90a", "amdgpu-hsaco amdgpu-hsaco", "- -"},
        FileCase{"libhip_gfx1100_gfx1201.so", "gfx1100 gfx1201", "amdgpu-hsaco amdgpu-hsaco", "zstd zstd"},
        FileCase{"hip_rdc_new_driver.o", "gfx1100 gfx90a", "llvm-bitcode llvm-bitcode", "- -"},
        FileCase{"hip_images.offbin", "gfx90a:xnack- gfx1030", "amdgpu-hsaco amdgpu-hsaco", "- -"},
        FileCase{"hip_rdc_old_driver.o", "gfx90a", "llvm-bitcode", "-"},
        FileCase{"cuda_rdc_sm80.o", "sm_80", "cuda-cubin", "zstd"},
        FileCase{"libcuda_sm75_sm86_compute86.so", "sm_75 compute_86 sm_86", "cuda-cubin ptx cuda-cubin", "- zstd -"}),
    [](const testing::TestParamInfo<FileCase>& info) {
      std::string name = info.param.file;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(DoctorFatbinTest, EntriesKeepTheirCompression) {
  const ScanReport plain = scan_gpu_binary(read_data_file("cuda_sm80_sm90_compute90.fatbin"));
  ASSERT_EQ(targets(plain), "sm_80 compute_90 sm_90");
  EXPECT_EQ(plain.code_objects[0].compression, "");
  EXPECT_EQ(plain.code_objects[1].compression, "zstd") << "nvcc 13 compresses PTX by default";
  EXPECT_EQ(plain.code_objects[1].ptx_version, "9.0");
  EXPECT_EQ(plain.code_objects[1].size, 1004u);
  EXPECT_LT(plain.code_objects[1].stored_size, plain.code_objects[1].size);
  const ScanReport all = scan_gpu_binary(read_data_file("cuda_compressed_sm80_compute90.fatbin"));
  ASSERT_EQ(targets(all), "sm_80 compute_90");
  EXPECT_EQ(all.code_objects[0].compression, "zstd");
  EXPECT_EQ(all.code_objects[0].size, plain.code_objects[0].size) << "the same cubin, compressed";
  EXPECT_EQ(all.code_objects[0].kernels, plain.code_objects[0].kernels);
}

struct GpuCase {
  std::string file;
  std::string gpu;
  std::optional<int> driver;
  std::string loads;        // the target of the code object that loads; "" when none
  std::string reason_has;   // in the diagnosis's reason, or in some verdict's when nothing loads
  std::string fix_has;      // in the fixes ("" when something loads)
};

class DoctorGpuTest : public testing::TestWithParam<GpuCase> {};

TEST_P(DoctorGpuTest, SaysWhatLoadsOrWhyNotAndTheFix) {
  const GpuCase& c = GetParam();
  const ScanReport report = scan_gpu_binary(read_data_file(c.file));
  const Diagnosis diagnosis = diagnose(gpu(c.gpu, c.driver), report.code_objects);
  std::string verdicts;
  for (const CodeObjectVerdict& verdict : diagnosis.verdicts) verdicts += verdict.reason + " | ";
  std::string fixes;
  for (const std::string& fix : diagnosis.fixes) fixes += fix + " | ";
  const std::string context = c.file + " on " + c.gpu + ": " + diagnosis.reason + "\n  verdicts: " + verdicts +
                              "\n  fixes: " + fixes;
  if (c.loads.empty()) {
    EXPECT_FALSE(diagnosis.chosen.has_value()) << context;
    EXPECT_TRUE(has(diagnosis.reason + " " + verdicts, c.reason_has)) << context;
    EXPECT_TRUE(has(fixes, c.fix_has)) << context;
  } else {
    ASSERT_TRUE(diagnosis.chosen.has_value()) << context;
    EXPECT_EQ(report.code_objects[*diagnosis.chosen].target, c.loads) << context;
    EXPECT_TRUE(has(diagnosis.reason, c.reason_has)) << context;
    EXPECT_TRUE(diagnosis.fixes.empty()) << context;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, DoctorGpuTest,
    testing::Values(
        // AMDGPU: exact processor first.
        GpuCase{"hip_gfx90a_gfx1100.hipfb", "gfx90a:xnack-", {}, "gfx90a", "exact code object for gfx90a:xnack-", ""},
        GpuCase{"hip_gfx90a_gfx1100.hipfb", "gfx1100", {}, "gfx1100", "exact", ""},
        // The processor is missing: add it, or its generic target.
        GpuCase{"hip_gfx90a_gfx1100.hipfb", "gfx942:sramecc+:xnack-", {}, "", "built for gfx90a, not gfx942",
                "--offload-arch=gfx942 to the build (or --offload-arch=gfx9-4-generic"},
        GpuCase{"hip_gfx90a_gfx1100.hipfb", "gfx1101", {}, "", "built for gfx1100, not gfx1101",
                "--offload-arch=gfx11-generic, one generic code object for gfx1100, gfx1101"},
        // No generic covers gfx90a.
        GpuCase{"libhip_gfx1100_gfx1201.so", "gfx90a:xnack-", {}, "", "built for gfx1100, not gfx90a",
                "add --offload-arch=gfx90a to the build |"},
        GpuCase{"libhip_gfx1100_gfx1201.so", "gfx1201", {}, "gfx1201", "exact", ""},
        GpuCase{"libhip_gfx1100_gfx1201.so", "gfx1200", {}, "", "not gfx1200", "gfx12-generic"},
        // Generic code objects.
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx1100", {}, "gfx11-generic", "generic code object gfx11-generic", ""},
        GpuCase{"hip_ccob_v3_zlib.hipfb", "gfx1151", {}, "gfx11-generic", "covers gfx1151", ""},
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx1201", {}, "", "generic gfx11-generic does not cover gfx1201", "gfx1201"},
        GpuCase{"hip_ccob_v2_zstd.hipfb", "gfx900", {}, "", "built for gfx906, not gfx900", "gfx9-generic"},
        // Features: xnack+ against xnack-, an unknown setting, sramecc.
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx90a:xnack-", {}, "", "built for xnack+ but the GPU runs with xnack-",
                "rebuild with --offload-arch=gfx90a (no :xnack/:sramecc suffix"},
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx90a", {}, "", "this GPU's setting is not given (name it: --gpu gfx90a:xnack+)",
                "rebuild with --offload-arch=gfx90a"},
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx90a:xnack+", {}, "gfx90a:xnack+", "exact", ""},
        GpuCase{"hip_ccob_v2_zlib.hipfb", "gfx942:sramecc-:xnack-", {}, "",
                "built for sramecc+ but the GPU runs with sramecc-", "rebuild with --offload-arch=gfx942"},
        GpuCase{"hip_ccob_v3_zstd.hipfb", "gfx942:sramecc+:xnack-", {}, "gfx942:sramecc+:xnack-", "exact", ""},
        GpuCase{"hip_images.offbin", "gfx90a:xnack+", {}, "", "built for xnack- but the GPU runs with xnack+",
                "--offload-arch=gfx90a"},
        GpuCase{"hip_images.offbin", "gfx90a:xnack-", {}, "gfx90a:xnack-", "exact", ""},
        GpuCase{"hip_host.o", "gfx1100", {}, "gfx1100", "exact", ""},
        // Bitcode loads nowhere.
        GpuCase{"hip_rdc_new_driver.o", "gfx1100", {}, "", "LLVM bitcode", "it becomes loadable when the program is linked"},
        GpuCase{"hip_rdc_old_driver.o", "gfx90a:xnack-", {}, "", "LLVM bitcode", "not linked yet"},
        GpuCase{"cuda_rdc_sm80.o", "sm_80", 13000, "", "relocatable device code (nvcc -rdc)", "not linked yet"},
        // The other vendor's file.
        GpuCase{"hip_host.o", "sm_90", {}, "", "holds no NVIDIA code", "-gencode arch=compute_90,code=sm_90"},
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "gfx1100", {}, "", "holds no AMDGPU code", "--offload-arch=gfx1100"},
        // NVIDIA: exact cubin, then same major, then PTX JIT.
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "sm_90", 13000, "sm_90", "exact cubin for sm_90", ""},
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "sm_89", 13000, "sm_80", "same major, lower minor", ""},
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "sm_100", 13000, "compute_90", "JIT", ""},
        GpuCase{"cuda_compressed_sm80_compute90.fatbin", "sm_120", std::nullopt, "compute_90", "JIT", ""},
        // The SM major differs.
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "sm_75", 13000, "",
                "the SM major differs: a sm_80 cubin runs only on SM 8.x GPUs",
                "-gencode arch=compute_75,code=sm_75 (a cubin for this GPU) and -gencode arch=compute_75,code=compute_75"},
        // The minor is above the GPU's.
        GpuCase{"libcuda_sm75_sm86_compute86.so", "sm_80", 13000, "", "a sm_86 cubin needs SM 8.6 or a later 8.x",
                "-gencode arch=compute_80,code=sm_80"},
        GpuCase{"libcuda_sm75_sm86_compute86.so", "sm_87", 13000, "sm_86", "same major", ""},
        // The PTX is newer than the driver.
        GpuCase{"cuda_sm80_sm90_compute90.fatbin", "sm_100", 12040, "",
                "the PTX is newer than the driver: PTX ISA 9.0 needs a CUDA 13.0 driver; this driver is CUDA 12.4",
                "update the NVIDIA driver to CUDA 13.0 or later"},
        GpuCase{"libcuda_sm75_sm86_compute86.so", "sm_90", 12080, "", "PTX ISA up to 8.7", "CUDA 13.0"},
        GpuCase{"libcuda_sm75_sm86_compute86.so", "sm_90", 13000, "compute_86", "JIT", ""}),
    [](const testing::TestParamInfo<GpuCase>& info) {
      std::string name = std::to_string(info.index) + "_" + info.param.file + "_" + info.param.gpu;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(DoctorRulesTest, PtxTable) {
  EXPECT_EQ(newest_ptx_isa_for_driver(12040)->to_string(), "8.4");
  EXPECT_EQ(newest_ptx_isa_for_driver(12060)->to_string(), "8.5") << "CUDA 12.6 kept PTX ISA 8.5";
  EXPECT_EQ(newest_ptx_isa_for_driver(13000)->to_string(), "9.0");
  EXPECT_FALSE(newest_ptx_isa_for_driver(10020).has_value());
  EXPECT_FALSE(newest_ptx_isa_for_driver(99000).has_value()) << "newer than the table: not known";
  EXPECT_EQ(oldest_driver_for_ptx_isa({8, 6}), 12070);
  EXPECT_FALSE(oldest_driver_for_ptx_isa({99, 0}).has_value());
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_FALSE(parse_ptx_isa_version("9").ok());
  EXPECT_FALSE(parse_ptx_isa_version("9.x").ok());
  EXPECT_FALSE(parse_ptx_isa_version("").ok());
}

TEST(DoctorRulesTest, ArchSpecificCubinsRunOnlyOnTheirSm) {
  FoundCodeObject cubin;
  cubin.vendor = Vendor::kNvidia;
  cubin.target = "sm_90a";
  cubin.format = "cuda-cubin";
  const std::vector<FoundCodeObject> codes = {cubin};
  EXPECT_TRUE(diagnose(gpu("sm_90"), codes).chosen.has_value());
  const Diagnosis other = diagnose(gpu("sm_91"), codes);
  EXPECT_FALSE(other.chosen.has_value());
  ASSERT_EQ(other.verdicts.size(), 1u);
  EXPECT_TRUE(has(other.verdicts[0].reason, "arch-specific")) << other.verdicts[0].reason;
}

TEST(DoctorRulesTest, UnknownTargetsAndUnreadableCodeObjectsDoNotLoad) {
  FoundCodeObject weird;
  weird.vendor = Vendor::kAmdgpu;
  weird.target = "gfx90a:bogus+";
  weird.format = "amdgpu-hsaco";
  FoundCodeObject broken = weird;
  broken.target = "gfx90a";
  broken.loadable = false;
  broken.note = "unreadable: truncated";
  const Diagnosis diagnosis = diagnose(gpu("gfx90a:xnack-"), std::vector<FoundCodeObject>{weird, broken});
  EXPECT_FALSE(diagnosis.chosen.has_value());
  ASSERT_EQ(diagnosis.verdicts.size(), 2u);
  EXPECT_TRUE(has(diagnosis.verdicts[0].reason, "not one the runtime knows")) << diagnosis.verdicts[0].reason;
  EXPECT_EQ(diagnosis.verdicts[1].reason, "unreadable: truncated");
}

// --- the scan's refusals -----------------------------------------------------

TEST(ScanTest, SaysWhatAFileIsNot) {
  const std::string text = "hello, not a GPU binary\n";
  const ScanReport report = scan_gpu_binary({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_TRUE(has(report.problems[0], "not a GPU binary: expected an ELF file, a CUDA fat binary")) << report.problems[0];
  EXPECT_TRUE(has(report.problems[0], "68 65 6c 6c")) << report.problems[0];
  EXPECT_FALSE(scan_gpu_binary({}).problems.empty());
}

TEST(ScanTest, HostElfWithoutGpuCodeSaysSo) {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  const std::vector<uint8_t> self((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(self.empty());
  const ScanReport report = scan_gpu_binary(self);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_TRUE(has(report.problems[0], "no .hip_fatbin, .nv_fatbin, __nv_relfatbin, .llvm.offloading or __CLANG_OFFLOAD_BUNDLE__ section")) << report.problems[0];
}

TEST(ScanTest, TrailingBytesAfterAContainerAreReported) {
  std::vector<uint8_t> bytes = read_data_file("cuda_compressed_sm80_compute90.fatbin");
  bytes.insert(bytes.end(), {0, 0, 0, 0, 'j', 'u', 'n', 'k'});
  const ScanReport report = scan_gpu_binary(bytes);
  EXPECT_EQ(report.code_objects.size(), 2u);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_TRUE(has(report.problems[0], "4 bytes that are no container devbin knows")) << report.problems[0];
}

TEST(ScanTest, DecompressionIsBoundedPerFile) {
  const std::vector<uint8_t> bytes = read_data_file("hip_ccob_v3_zstd.hipfb");
  ScanOptions options;
  options.decompressed_limit = 1000;
  const ScanReport report = scan_gpu_binary(bytes, options);
  EXPECT_TRUE(report.code_objects.empty());
  ASSERT_FALSE(report.problems.empty());
  EXPECT_TRUE(has(report.problems[0], "more than the 1000-byte limit")) << report.problems[0];
}

// A section of many containers, each valid, stops at the cap and says so.
TEST(ScanTest, ContainerCountIsBounded) {
  const std::vector<uint8_t> one = read_data_file("cuda_compressed_sm80_compute90.fatbin");
  std::vector<uint8_t> many;
  const size_t copies = kMaxCodeObjects / 2 + 2;  // two code objects each
  many.reserve(one.size() * copies);
  for (size_t i = 0; i < copies; ++i) many.insert(many.end(), one.begin(), one.end());
  ScanOptions options;
  options.decompressed_limit = uint64_t{1} << 20;  // the decompression budget runs out first
  const ScanReport report = scan_gpu_binary(many, options);
  EXPECT_LE(report.code_objects.size(), kMaxCodeObjects);
  bool said = false;
  for (const std::string& problem : report.problems) said = said || has(problem, "the rest are not listed");
  EXPECT_TRUE(said);
  size_t budget_notes = 0;
  for (const FoundCodeObject& code : report.code_objects) budget_notes += has(code.note, "limit") ? 1 : 0;
  EXPECT_GT(budget_notes, 0u) << "the 1 MiB decompression budget must have run out";
}

// clang's old driver bundles NVIDIA device code as one fat binary per entry.
TEST(ScanTest, FatbinInsideABundleEntryIsRead) {
  const std::vector<uint8_t> fatbin = read_data_file("cuda_compressed_sm80_compute90.fatbin");
  const std::string id = "hipv4-nvptx64-nvidia-cuda--sm_80";
  std::vector<uint8_t> bundle(32 + 24 + id.size());
  const std::string magic = "__CLANG_OFFLOAD_BUNDLE__";
  std::copy(magic.begin(), magic.end(), bundle.begin());
  put_u64(bundle, 24, 1);
  put_u64(bundle, 32, bundle.size());
  put_u64(bundle, 40, fatbin.size());
  put_u64(bundle, 48, id.size());
  std::copy(id.begin(), id.end(), bundle.begin() + 56);
  bundle.insert(bundle.end(), fatbin.begin(), fatbin.end());
  const ScanReport report = scan_gpu_binary(bundle);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_EQ(targets(report), "sm_80 compute_90");
  const Diagnosis diagnosis = diagnose(gpu("sm_86"), report.code_objects);
  ASSERT_TRUE(diagnosis.chosen.has_value());
  EXPECT_EQ(report.code_objects[*diagnosis.chosen].target, "sm_80");
}

// Offload binaries of kind "fatbinary" nest: a chain deeper than kMaxNesting
// stops with a problem instead of recursing on.
TEST(ScanTest, NestingIsBounded) {
  std::vector<uint8_t> inner = read_data_file("hip_images.offbin");
  for (int level = 0; level < kMaxNesting + 2; ++level) {
    std::vector<uint8_t> outer(32 + 40 + inner.size());
    const uint8_t magic[4] = {0x10, 0xff, 0x10, 0xad};
    std::copy(magic, magic + 4, outer.begin());
    put_u32(outer, 4, 1);
    put_u64(outer, 8, outer.size());
    put_u64(outer, 16, 32);
    put_u64(outer, 24, 40);
    put_u16(outer, 32, 4);  // image kind: fatbinary
    put_u16(outer, 34, 4);  // offload kind: hip
    put_u64(outer, 32 + 8, 32);  // no strings
    put_u64(outer, 32 + 16, 0);
    put_u64(outer, 32 + 24, 72);
    put_u64(outer, 32 + 32, inner.size());
    std::copy(inner.begin(), inner.end(), outer.begin() + 72);
    inner = std::move(outer);
  }
  const ScanReport report = scan_gpu_binary(inner);
  EXPECT_TRUE(report.code_objects.empty());
  bool said = false;
  for (const std::string& problem : report.problems) said = said || has(problem, "nested more than");
  EXPECT_TRUE(said) << (report.problems.empty() ? "no problem" : report.problems[0]);
}

// A fat binary entry names the SM number only (90 for sm_90a too); the
// cubin's e_flags say it is arch-specific, and that name is the one kept.
TEST(ScanTest, ArchSpecificCubinIsNamedByItsOwnHeader) {
  std::vector<uint8_t> bytes = read_data_file("cuda_sm80_sm90_compute90.fatbin");
  const Result<Fatbin> fatbin = parse_fatbin(bytes);
  ASSERT_TRUE(fatbin.ok()) << fatbin.status().message();
  const FatbinEntry& sm90 = fatbin->entries[2];
  ASSERT_EQ(sm90.sm, 90u);
  const size_t cubin = static_cast<size_t>(sm90.payload_offset);
  const uint8_t abi_version = bytes[cubin + 8];
  const uint32_t accelerators = abi_version == 7 ? 0x800 : 0x8;  // EF_CUDA_ACCELERATORS(_V1)
  put_u32(bytes, cubin + 48, static_cast<uint32_t>(bytes[cubin + 48] | (bytes[cubin + 49] << 8) |
                                                   (bytes[cubin + 50] << 16) | (bytes[cubin + 51] << 24)) |
                                 accelerators);
  const ScanReport report = scan_gpu_binary(bytes);
  ASSERT_EQ(report.code_objects.size(), 3u);
  EXPECT_EQ(report.code_objects[2].target, "sm_90a");
  EXPECT_TRUE(report.code_objects[2].note.empty()) << report.code_objects[2].note;
  EXPECT_EQ(report.code_objects[0].target, "sm_80");
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(report.code_objects[i].fatbin_flags, fatbin->entries[i].flags) << i;
  EXPECT_NE(report.code_objects[2].fatbin_flags, 0u);
}

}  // namespace
}  // namespace devbin::offload
