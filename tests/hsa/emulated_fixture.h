// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The emulated AMD GPU's test fixture, shared by the emulated tests
// (emulated_*_test.cc): the real HSA backend (devbin::hsa::Device) on the
// stand-in built with the emulator executor (emulator_executor.cc), one agent
// per parameter (emulated_agents.h), and the checks they share. Every buffer a
// check writes is poisoned whole and compared whole, with kGuard bytes of
// poison on both sides of every region a kernel may write.
#ifndef DEVBIN_TESTS_HSA_EMULATED_FIXTURE_H_
#define DEVBIN_TESTS_HSA_EMULATED_FIXTURE_H_

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "devbin/select.h"
#include "devbin_internal/elf.h"
#include "hsa/packet.h"
#include "tests/hsa/emulated_agents.h"
#include "tests/hsa/stand_in_runtime.h"

namespace devbin::hsa::emulated {

// Poison on each side of every region a kernel writes: a stray store within
// 4 KiB of it changes a compared byte.
inline constexpr uint64_t kGuard = 4096;


inline constexpr char kEmulatorEnv[] = DEVBIN_AMDGPU_EMULATOR_ENV;
// A code object file to run in place of the agent's shipped one.
inline constexpr char kReplacementEnv[] = "DEVBIN_EMULATED_CODE_OBJECT";

inline std::string agent_test_name(const testing::TestParamInfo<EmulatedAgent>& info) {
  std::string name = info.param.isa;
  for (char& c : name) {
    if (c == ':' || c == '+' || c == '-') c = '_';
  }
  return name;
}

// Why the emulated tests cannot run here, or "" when they can.
inline std::string skip_reason() {
#ifdef DEVBIN_HSA_EMULATED_SKIP
  return DEVBIN_HSA_EMULATED_SKIP;
#else
  const char* directory = std::getenv(kEmulatorEnv);
  if (directory == nullptr || *directory == '\0') {
    return std::string(kEmulatorEnv) +
           " is not set: point it at ../shared/amdgpu-emulator to run the shipped AMDGPU code objects on the emulator";
  }
  return "";
#endif
}

inline void random_bytes(std::mt19937_64& rng, std::vector<uint8_t>& bytes) {
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(rng());
}

// The first byte where `got` differs from `want`, as a failure naming it.
inline testing::AssertionResult same_bytes(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want,
                                    const std::string& what) {
  if (got.size() != want.size()) return testing::AssertionFailure() << what << ": sizes differ";
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      return testing::AssertionFailure() << what << ": byte " << i << " is 0x" << std::hex << int{got[i]}
                                         << ", expected 0x" << int{want[i]};
    }
  }
  return testing::AssertionSuccess();
}

// One agent per emulated code object: those that run its full sweep.
inline std::vector<EmulatedAgent> full_sweep_agents() {
  std::vector<EmulatedAgent> agents;
  for (const EmulatedAgent& agent : kEmulatedAgents) {
    if (agent.full_sweep) agents.push_back(agent);
  }
  return agents;
}

template <typename T>
std::span<const uint8_t> bytes_of(const T& value) {
  return {reinterpret_cast<const uint8_t*>(&value), sizeof(T)};
}

// In CI (CI=true) the emulated tests must run: a missing emulator or
// python3-dev fails them, rather than a green run that executed nothing.
#define DEVBIN_SKIP_OR_FAIL_WITHOUT_EMULATOR()                                                         \
  do {                                                                                                \
    if (std::string reason = skip_reason(); !reason.empty()) {                                        \
      if (const char* ci = std::getenv("CI"); ci != nullptr && std::string(ci) == "true") {           \
        GTEST_FAIL() << "CI=true, and the emulated AMD GPU tests cannot run: " << reason;             \
      }                                                                                               \
      GTEST_SKIP() << reason;                                                                         \
    }                                                                                                 \
  } while (0)

class EmulatedGpu : public testing::TestWithParam<EmulatedAgent> {
 protected:
  void SetUp() override {
    DEVBIN_SKIP_OR_FAIL_WITHOUT_EMULATOR();
#ifdef DEVBIN_HSA_EMULATED_RUNTIME
    const std::string directory = std::getenv(kEmulatorEnv);
    struct stat info {};
    ASSERT_EQ(::stat((directory + "/tree/test/mockgpu/amd/emu.py").c_str(), &info), 0)
        << kEmulatorEnv << "=" << directory << " holds no tree/test/mockgpu/amd/emu.py";
    setenv(kRuntimePathEnv, DEVBIN_HSA_EMULATED_RUNTIME, 1);
    setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, GetParam().isa, 1);
    unsetenv(DEVBIN_STAND_IN_HSA_KERNARG_DELTA_ENV);
    unsetenv(DEVBIN_STAND_IN_HSA_REJECT_ENV);
    unsetenv(DEVBIN_STAND_IN_HSA_ROCM_ENV);
    unsetenv("DEVBIN_TARGET_OVERRIDE");
    // The negative controls (scripts/negative_controls.py) run the tests on
    // a corrupted copy of this agent's code object.
    OpenOptions options;
    if (const char* replacement = std::getenv(kReplacementEnv); replacement != nullptr && *replacement != '\0') {
      std::ifstream file(replacement, std::ios::binary);
      ASSERT_TRUE(file.good()) << kReplacementEnv << "=" << replacement << " cannot be read";
      replacement_.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
      const TocEntry* original = embedded_toc().find(GetParam().entry);
      ASSERT_NE(original, nullptr);
      replacement_entry_ = *original;
      replacement_entry_.data = replacement_.data();
      replacement_entry_.size = replacement_.size();
      replacement_toc_ = Toc{std::span<const TocEntry>(&replacement_entry_, 1)};
      options.toc = &replacement_toc_;
      std::printf("running on %s in place of %s\n", replacement, GetParam().entry);
    }
    device_ = open(options);
    ASSERT_NE(device_, nullptr);
    auto queue = device_->create_queue(1024);
    ASSERT_TRUE(queue.ok()) << queue.status().to_string();
    queue_ = std::move(queue).value();
#endif
  }

  // How many kernels the emulator ran for this test (the stand-in's dispatch
  // log), in the test's output and its XML properties.
  void TearDown() override {
#ifdef DEVBIN_HSA_EMULATED_RUNTIME
    if (void* stand_in = dlopen(DEVBIN_HSA_EMULATED_RUNTIME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) {
      auto count = reinterpret_cast<size_t (*)()>(dlsym(stand_in, "devbin_stand_in_hsa_dispatch_count"));
      static size_t counted = 0;  // the log spans every test of the process
      if (count != nullptr) {
        const size_t ran = count() - counted;
        counted = count();
        std::printf("kernels run on the emulator: %zu\n", ran);
        RecordProperty("emulated_dispatches", static_cast<int>(ran));
      }
      if (auto seed = reinterpret_cast<uint64_t (*)()>(dlsym(stand_in, "devbin_emulator_schedule_seed"))) {
        std::printf("emulator schedule seed: %llu (DEVBIN_EMULATOR_SEED repeats it)\n",
                    static_cast<unsigned long long>(seed()));
      }
      if (auto shape = reinterpret_cast<void (*)(uint32_t, uint32_t)>(
              dlsym(stand_in, "devbin_emulator_set_launch_shape"))) {
        shape(0, 0);  // a failed test leaves no shape behind
      }
      dlclose(stand_in);
    }
#endif
    unsetenv(kRuntimePathEnv);
  }

  // Opens agent 0 and checks selection picked what the case says.
  std::unique_ptr<Device> open(const OpenOptions& options) {
    DeviceReport report;
    auto device = Device::open(0, options, &report);
    EXPECT_TRUE(device.ok()) << device.status().to_string();
    if (!device.ok()) return nullptr;
    EXPECT_EQ(report.selection.entry, GetParam().entry);
    if (options.toc == nullptr) {
      EXPECT_EQ(report.selection.kind, GetParam().kind) << report.selection.reason;
    }
    return std::move(device).value();
  }

  // Poisons a buffer of `span` bytes, runs `op` on it, synchronizes and
  // compares the whole buffer with `expected` (the poison where nothing
  // was to be written).
  testing::AssertionResult run_and_compare(Device& device, Queue& queue, uint64_t span,
                                           const std::function<std::vector<uint8_t>(const std::vector<uint8_t>&)>& want,
                                           const std::function<Status(DevicePtr)>& op, const std::string& what) {
    auto buffer = device.allocate(span);
    if (!buffer.ok()) return testing::AssertionFailure() << buffer.status().to_string();
    std::vector<uint8_t> poison(span);
    random_bytes(rng_, poison);
    if (Status s = device.copy_to_device(buffer->address(), poison.data(), span); !s.ok()) {
      return testing::AssertionFailure() << s.to_string();
    }
    if (Status s = op(buffer->address()); !s.ok()) return testing::AssertionFailure() << what << ": " << s.to_string();
    if (Status s = queue.synchronize(); !s.ok()) return testing::AssertionFailure() << what << ": " << s.to_string();
    std::vector<uint8_t> got(span);
    if (Status s = device.copy_to_host(got.data(), buffer->address(), span); !s.ok()) {
      return testing::AssertionFailure() << s.to_string();
    }
    return same_bytes(got, want(poison), what);
  }

  // One fill of `length` bytes at `offset` in a guarded buffer.
  testing::AssertionResult check_fill(Device& device, Queue& queue, uint32_t width, uint64_t offset, uint64_t length) {
    std::vector<uint8_t> pattern(width);
    random_bytes(rng_, pattern);
    const std::string what = "fill of " + std::to_string(length) + " bytes, " + std::to_string(width) +
                             "-byte pattern, at offset " + std::to_string(offset);
    return run_and_compare(
        device, queue, kGuard + offset + length + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t i = 0; i < length; ++i) want[kGuard + offset + i] = pattern[i % width];
          return want;
        },
        [&](DevicePtr base) { return device.fill(queue, base + kGuard + offset, length, pattern); }, what);
  }

  // `length`-byte copies from every source offset in `source_offsets` to
  // every target offset in `target_offsets`, each to its own guarded region
  // of one buffer, enqueued together and checked after one synchronize.
  testing::AssertionResult check_copies(Device& device, Queue& queue, const std::vector<uint32_t>& source_offsets,
                                        const std::vector<uint32_t>& target_offsets, uint64_t length) {
    const uint64_t stride = (kGuard + 16 + length + kGuard + 15) / 16 * 16;
    const uint64_t regions = source_offsets.size() * target_offsets.size();
    std::vector<uint8_t> source_bytes(16 + length);
    random_bytes(rng_, source_bytes);
    auto source = device.allocate(source_bytes.size());
    if (!source.ok()) return testing::AssertionFailure() << source.status().to_string();
    if (Status s = device.copy_to_device(source->address(), source_bytes.data(), source_bytes.size()); !s.ok()) {
      return testing::AssertionFailure() << s.to_string();
    }
    const std::string what = std::to_string(regions) + " copies of " + std::to_string(length) + " bytes";
    return run_and_compare(
        device, queue, regions * stride,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          uint64_t region = 0;
          for (uint32_t from : source_offsets) {
            for (uint32_t to : target_offsets) {
              std::memcpy(&want[region++ * stride + kGuard + to], &source_bytes[from], length);
            }
          }
          return want;
        },
        [&](DevicePtr base) {
          uint64_t region = 0;
          for (uint32_t from : source_offsets) {
            for (uint32_t to : target_offsets) {
              DEVBIN_RETURN_IF_ERROR(
                  device.copy(queue, base + region++ * stride + kGuard + to, source->address() + from, length));
            }
          }
          return Status::Ok();
        },
        what);
  }

  // The stand-in's test hook: later 1-D dispatches (but dispatch_patch's)
  // run `workgroups` workgroups of `workgroup_size` work-items; 0, 0 restores
  // the packets' own shape (TearDown does too).
  static void set_launch_shape(uint32_t workgroup_size, uint32_t workgroups) {
#ifdef DEVBIN_HSA_EMULATED_RUNTIME
    void* stand_in = dlopen(DEVBIN_HSA_EMULATED_RUNTIME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    ASSERT_NE(stand_in, nullptr);
    auto shape = reinterpret_cast<void (*)(uint32_t, uint32_t)>(dlsym(stand_in, "devbin_emulator_set_launch_shape"));
    ASSERT_NE(shape, nullptr);
    shape(workgroup_size, workgroups);
    dlclose(stand_in);
#else
    (void)workgroup_size;
    (void)workgroups;
#endif
  }

  // The shipped code object this agent's selection picks, as bytes to corrupt.
  std::vector<uint8_t> shipped_bytes() {
    const TocEntry* original = embedded_toc().find(GetParam().entry);
    EXPECT_NE(original, nullptr);
    if (original == nullptr) return {};
    return {original->data, original->data + original->size};
  }

  // The file offset of a loaded address (through the PT_LOAD segments), and
  // of `kernel`'s descriptor and first instruction; UINT64_MAX when absent.
  static uint64_t file_offset(const std::vector<uint8_t>& bytes, uint64_t address) {
    auto file = elf::File::parse(bytes);
    if (!file.ok()) return UINT64_MAX;
    for (const elf::Segment& segment : file->segments()) {
      if (segment.type == elf::kSegmentLoad && address >= segment.vaddr && address - segment.vaddr < segment.filesz) {
        return segment.offset + (address - segment.vaddr);
      }
    }
    return UINT64_MAX;
  }
  static uint64_t descriptor_address(const std::vector<uint8_t>& bytes, const std::string& kernel) {
    auto file = elf::File::parse(bytes);
    if (!file.ok()) return UINT64_MAX;
    auto symbols = file->symbols(*file->find_section(".dynsym"));
    if (!symbols.ok()) return UINT64_MAX;
    for (const elf::Symbol& symbol : symbols.value()) {
      if (symbol.name == kernel + ".kd") return symbol.value;
    }
    return UINT64_MAX;
  }
  static uint64_t descriptor_offset(const std::vector<uint8_t>& bytes, const std::string& kernel) {
    const uint64_t address = descriptor_address(bytes, kernel);
    return address == UINT64_MAX ? UINT64_MAX : file_offset(bytes, address);
  }
  static uint64_t entry_offset(const std::vector<uint8_t>& bytes, const std::string& kernel) {
    const uint64_t at = descriptor_offset(bytes, kernel);
    if (at == UINT64_MAX || at + 24 > bytes.size()) return UINT64_MAX;
    int64_t code_offset;
    std::memcpy(&code_offset, &bytes[at + 16], 8);
    return file_offset(bytes, descriptor_address(bytes, kernel) + static_cast<uint64_t>(code_offset));
  }

  // The file range [begin, end) of `kernel`'s own code (its .dynsym FUNC
  // symbol); {UINT64_MAX, UINT64_MAX} when absent.
  static std::pair<uint64_t, uint64_t> kernel_code(const std::vector<uint8_t>& bytes, const std::string& kernel) {
    auto file = elf::File::parse(bytes);
    if (!file.ok()) return {UINT64_MAX, UINT64_MAX};
    auto symbols = file->symbols(*file->find_section(".dynsym"));
    if (!symbols.ok()) return {UINT64_MAX, UINT64_MAX};
    for (const elf::Symbol& symbol : symbols.value()) {
      if (symbol.name == kernel && symbol.type() == elf::kSymbolFunc) {
        const uint64_t begin = file_offset(bytes, symbol.value);
        return {begin, begin == UINT64_MAX ? UINT64_MAX : begin + symbol.size};
      }
    }
    return {UINT64_MAX, UINT64_MAX};
  }

  // The file ranges of the out-of-line helpers the kernels call: the
  // executable sections' bytes outside every .dynsym FUNC symbol (a helper
  // has no symbol of its own); empty when the ELF cannot be read.
  static std::vector<std::pair<uint64_t, uint64_t>> helper_code(const std::vector<uint8_t>& bytes) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    auto file = elf::File::parse(bytes);
    if (!file.ok()) return ranges;
    auto symbols = file->symbols(*file->find_section(".dynsym"));
    if (!symbols.ok()) return ranges;
    std::vector<std::pair<uint64_t, uint64_t>> kernels;
    for (const elf::Symbol& symbol : symbols.value()) {
      if (symbol.type() != elf::kSymbolFunc) continue;
      const uint64_t begin = file_offset(bytes, symbol.value);
      if (begin != UINT64_MAX) kernels.emplace_back(begin, begin + symbol.size);
    }
    std::sort(kernels.begin(), kernels.end());
    for (const elf::Section& section : file->sections()) {
      if ((section.flags & 0x4) == 0 || section.data.empty()) continue;  // SHF_EXECINSTR
      uint64_t at = section.offset;
      const uint64_t end = section.offset + section.size;
      for (const auto& [begin, stop] : kernels) {
        if (stop <= at || begin >= end) continue;
        if (begin > at) ranges.emplace_back(at, begin);
        at = std::max(at, stop);
      }
      if (at < end) ranges.emplace_back(at, end);
    }
    return ranges;
  }

  // The 4-byte-aligned offsets in [begin, end) where the dwords `pattern`
  // start (each dword compared under its `masks` entry).
  static std::vector<uint64_t> find_words(const std::vector<uint8_t>& bytes, const std::vector<uint32_t>& pattern,
                                          const std::vector<uint32_t>& masks, uint64_t begin = 0,
                                          uint64_t end = UINT64_MAX) {
    std::vector<uint64_t> found;
    end = std::min<uint64_t>(end, bytes.size());
    for (uint64_t at = begin & ~uint64_t{3}; at + 4 * pattern.size() <= end; at += 4) {
      bool match = true;
      for (size_t i = 0; i < pattern.size() && match; ++i) {
        uint32_t word;
        std::memcpy(&word, &bytes[at + 4 * i], 4);
        match = (word & masks[i]) == (pattern[i] & masks[i]);
      }
      if (match) found.push_back(at);
    }
    return found;
  }
  static void store_word(std::vector<uint8_t>& bytes, uint64_t at, uint32_t word) { std::memcpy(&bytes[at], &word, 4); }

  // A device and queue on this agent whose TOC holds `bytes` in place of the
  // shipped entry (selection still picks it, the backend validates and loads
  // it); `bytes` must outlive them. Null when the open fails (the failure
  // is a test failure, unless `may_fail`).
  struct Patched {
    std::unique_ptr<Device> device;
    std::unique_ptr<Queue> queue;
    Status open_status;
  };
  Patched open_patched(const std::vector<uint8_t>& bytes, bool may_fail = false) {
    Patched patched;
    const TocEntry* original = embedded_toc().find(GetParam().entry);
    if (original == nullptr) return patched;
    entry_storage_ = *original;
    entry_storage_.data = bytes.data();
    entry_storage_.size = bytes.size();
    toc_storage_ = Toc{std::span<const TocEntry>(&entry_storage_, 1)};
    OpenOptions options;
    options.toc = &toc_storage_;
    DeviceReport report;
    auto device = Device::open(0, options, &report);
    if (!device.ok()) {
      patched.open_status = device.status();
      EXPECT_TRUE(may_fail) << device.status().to_string();
      return patched;
    }
    patched.device = std::move(device).value();
    auto queue = patched.device->create_queue(64);
    EXPECT_TRUE(queue.ok());
    if (queue.ok()) patched.queue = std::move(queue).value();
    return patched;
  }

  std::mt19937_64 rng_{0x5eed};
  std::unique_ptr<Device> device_;
  std::unique_ptr<Queue> queue_;
  TocEntry entry_storage_;
  Toc toc_storage_{};
  std::vector<uint8_t> replacement_;
  TocEntry replacement_entry_;
  Toc replacement_toc_{};
};


}  // namespace devbin::hsa::emulated

#endif  // DEVBIN_TESTS_HSA_EMULATED_FIXTURE_H_
