// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The builtin kernels on a real NVIDIA GPU (label `gpu`). Without a driver or
// GPU every test is skipped with the reason. Random data, destinations
// poisoned before each run, guard bytes on both sides; results compared with
// a host reference and, for large copies, with cuMemcpyDtoDAsync of the same
// bytes. CTest runs this binary twice: with the entry selection picks, and
// with DEVBIN_TARGET_OVERRIDE=nvptx64-nvidia-cuda--compute_75.ptx (PTX JIT).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/cuda/driver_calls.h"
#include "devbin/cuda.h"
#include "devbin/kernel_args.h"
#include "devbin/select.h"
#include "devbin/toc.h"

namespace devbin::cuda {
namespace {

constexpr uint64_t kGuard = 64;
constexpr uint64_t kMiB = uint64_t{1} << 20;

class CudaGpuTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto count = device_count();
    if (!count.ok()) {
      skip_reason_ = new std::string(count.status().to_string());
      return;
    }
    auto device = Device::open(0);
    if (!device.ok()) {
      open_error_ = new Status(device.status());
      return;
    }
    device_ = std::move(device).value().release();
    auto stream = device_->create_stream();
    if (!stream.ok()) {
      open_error_ = new Status(stream.status());
      return;
    }
    stream_ = std::move(stream).value().release();
    std::random_device seed;
    seed_ = (uint64_t{seed()} << 32) ^ seed();
  }
  static void TearDownTestSuite() {
    delete stream_;
    delete device_;
    stream_ = nullptr;
    device_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << "no usable CUDA GPU: " << *skip_reason_;
    // A GPU that is there but cannot load its library is a failure, not a skip.
    ASSERT_EQ(open_error_, nullptr) << open_error_->to_string();
    rng_.seed(seed_ + ::testing::UnitTest::GetInstance()->random_seed());
    RecordProperty("seed", std::to_string(seed_));
  }

  const Device& device() { return *device_; }
  Stream& stream() { return *stream_; }

  void random_bytes(std::vector<uint8_t>& bytes) {
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
      const uint64_t word = rng_();
      std::memcpy(&bytes[i], &word, 8);
    }
    for (; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng_());
  }

  Buffer allocate(uint64_t bytes) {
    auto buffer = device().allocate(bytes);
    EXPECT_TRUE(buffer.ok()) << buffer.status().to_string();
    return buffer.ok() ? std::move(buffer).value() : Buffer();
  }

  // Poisons [guard | offset | expected.size() | guard] at `buffer` (the poison
  // differs from every expected byte), runs `op` on the region, and checks the
  // region holds `expected` and everything else its poison.
  void run_and_check(const Buffer& buffer, uint64_t offset, const std::vector<uint8_t>& expected,
                     const std::function<Status(DevicePtr)>& op, const std::string& what) {
    const uint64_t length = expected.size();
    const uint64_t span = kGuard + offset + length + kGuard;
    ASSERT_LE(span, buffer.size()) << what;
    std::vector<uint8_t> want(span);
    random_bytes(want);
    for (uint64_t i = 0; i < length; ++i) {
      uint8_t& p = want[kGuard + offset + i];
      if (p == expected[i]) p = static_cast<uint8_t>(~p);
    }
    ASSERT_TRUE(device().copy_to_device(buffer.address(), want.data(), span).ok()) << what;
    Status status = op(buffer.address() + kGuard + offset);
    ASSERT_TRUE(status.ok()) << what << ": " << status.to_string();
    ASSERT_TRUE(stream().synchronize().ok()) << what;
    std::vector<uint8_t> got(span);
    ASSERT_TRUE(device().copy_to_host(got.data(), buffer.address(), span).ok()) << what;
    std::copy(expected.begin(), expected.end(), want.begin() + static_cast<ptrdiff_t>(kGuard + offset));
    const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin());
    if (mismatch.first != got.end()) {
      const uint64_t at = static_cast<uint64_t>(mismatch.first - got.begin());
      const char* where = at < kGuard + offset             ? "in the guard before"
                          : at >= kGuard + offset + length ? "in the guard after"
                                                           : "inside";
      FAIL() << what << ": byte " << at << " (" << where << " the destination) is " << int{*mismatch.first}
             << ", expected " << int{*mismatch.second} << " (seed " << seed_ << ")";
    }
  }

  // Updates `length` random bytes at `offset` from a host buffer that is
  // overwritten as soon as update returns (the bytes must have been taken),
  // and checks them with run_and_check.
  void update_and_check(const Buffer& buffer, uint64_t offset, uint64_t length, const std::string& what) {
    std::vector<uint8_t> data(length);
    random_bytes(data);
    run_and_check(
        buffer, offset, data,
        [&](DevicePtr target) {
          std::vector<uint8_t> reused = data;
          Status status = device().update(stream(), target, reused);
          std::fill(reused.begin(), reused.end(), uint8_t{0x77});
          return status;
        },
        what);
  }

  static std::string* skip_reason_;
  static Status* open_error_;
  static Device* device_;
  static Stream* stream_;
  static uint64_t seed_;
  std::mt19937_64 rng_;
};

std::string* CudaGpuTest::skip_reason_ = nullptr;
Status* CudaGpuTest::open_error_ = nullptr;
Device* CudaGpuTest::device_ = nullptr;
Stream* CudaGpuTest::stream_ = nullptr;
uint64_t CudaGpuTest::seed_ = 0;

TEST_F(CudaGpuTest, ReportNamesTheEntryAndHowItWasChosen) {
  const DeviceReport& report = device().report();
  EXPECT_TRUE(report.status.ok());
  EXPECT_EQ(report.backend, "cuda");
  EXPECT_EQ(report.target, device().properties().target().to_string());
  ASSERT_TRUE(report.selected);
  EXPECT_GT(report.load_time.count(), 0);
  const bool ptx = report.selection.entry.ends_with(".ptx");
  EXPECT_EQ(report.selection.jit, ptx);
  if (auto forced = target_override_from_env()) {
    const TocEntry* entry = embedded_toc().find(*forced);
    ASSERT_NE(entry, nullptr) << *forced;
    EXPECT_EQ(report.selection.entry, entry->name);
    EXPECT_EQ(report.selection.kind, SelectionKind::kOverride);
  } else if (embedded_toc().find("nvptx64-nvidia-cuda--" + report.target + ".cubin") != nullptr) {
    EXPECT_EQ(report.selection.entry, "nvptx64-nvidia-cuda--" + report.target + ".cubin");
    EXPECT_EQ(report.selection.kind, SelectionKind::kExact);
  }
  std::printf("entry %s (%s%s), loaded in %.3f ms\n", report.selection.entry.c_str(),
              std::string(selection_kind_name(report.selection.kind)).c_str(), ptx ? ", PTX JIT" : "",
              report.load_time_ms());
}

TEST_F(CudaGpuTest, LaunchLimitsComeFromTheDevice) {
  const DeviceProperties& p = device().properties();
  for (size_t i = 0; i < kKernelCount; ++i) {
    const LaunchLimits& limits = device().launch_limits(static_cast<Kernel>(i));
    EXPECT_EQ(limits.multiprocessors, p.multiprocessor_count);
    EXPECT_LE(limits.threads_per_block, p.max_threads_per_block);
    EXPECT_EQ(limits.threads_per_block % p.warp_size, 0u);
    EXPECT_LE(limits.resident_blocks_per_multiprocessor * limits.threads_per_block, p.max_threads_per_multiprocessor);
    const Kernel kernel = static_cast<Kernel>(i);
    if (kernel == Kernel::devbin_copy || kernel == Kernel::devbin_fill || kernel == Kernel::devbin_batch ||
        kernel == Kernel::devbin_copy_rect || kernel == Kernel::devbin_fill_rect) {
      EXPECT_EQ(limits.blocks_per_multiprocessor, kCoveringGrid);
    } else {
      EXPECT_GE(limits.blocks_per_multiprocessor, limits.resident_blocks_per_multiprocessor);
      EXPECT_GE(limits.blocks_per_multiprocessor, 1u);
    }
  }
}

TEST_F(CudaGpuTest, FillEveryWidthOffsetAndLength) {
  const uint64_t counts[] = {0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 100, 255, 1000, 4097, 65537};
  Buffer buffer = allocate(2 * kGuard + 32 + 65537 * 16);
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    for (uint64_t offset = 0; offset < 32; offset += width) {
      for (uint64_t count : counts) {
        const uint64_t length = count * width;
        std::vector<uint8_t> pattern(width);
        random_bytes(pattern);
        std::vector<uint8_t> expected(length);
        for (uint64_t i = 0; i < length; ++i) expected[i] = pattern[i % width];
        run_and_check(
            buffer, offset, expected, [&](DevicePtr to) { return device().fill(stream(), to, length, pattern); },
            "fill width " + std::to_string(width) + " offset " + std::to_string(offset) + " length " +
                std::to_string(length));
        if (HasFatalFailure() || HasFailure()) return;
      }
    }
  }
}

TEST_F(CudaGpuTest, FillHundredsOfMiB) {
  const uint64_t largest = 300 * kMiB + 3 * 16;
  Buffer buffer = allocate(2 * kGuard + 32 + largest);
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    const uint64_t length = 300 * kMiB + 3 * width;  // odd in units of the width
    const uint64_t offset = width == 16 ? 16 : 3 * width % 32;
    std::vector<uint8_t> pattern(width);
    random_bytes(pattern);
    std::vector<uint8_t> expected(length);
    for (uint64_t i = 0; i < length; ++i) expected[i] = pattern[i % width];
    run_and_check(
        buffer, offset, expected, [&](DevicePtr to) { return device().fill(stream(), to, length, pattern); },
        "fill width " + std::to_string(width) + " length " + std::to_string(length));
    if (HasFailure()) return;
  }
}

TEST_F(CudaGpuTest, FillRefusesBadArgumentsAndWritesNothing) {
  Buffer buffer = allocate(256);
  std::vector<uint8_t> before(256);
  random_bytes(before);
  ASSERT_TRUE(device().copy_to_device(buffer.address(), before.data(), before.size()).ok());
  const std::vector<uint8_t> p3 = {1, 2, 3};
  const std::vector<uint8_t> p8 = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(device().fill(stream(), buffer.address(), 9, p3).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device().fill(stream(), buffer.address() + 4, 64, p8).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device().fill(stream(), buffer.address(), 60, p8).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(stream().synchronize().ok());
  std::vector<uint8_t> after(256);
  ASSERT_TRUE(device().copy_to_host(after.data(), buffer.address(), after.size()).ok());
  EXPECT_EQ(before, after);
}

TEST_F(CudaGpuTest, CopyEveryOffsetPairAndLength) {
  const uint64_t lengths[] = {0,  1,  2,   3,   5,   7,   8,   15,  16,  17,   31,   32,   33,   47,    63,
                              64, 65, 127, 128, 129, 255, 256, 257, 511, 1000, 4095, 4096, 4097, 65549, kMiB + 7};
  const uint64_t longest = kMiB + 7;
  Buffer source = allocate(32 + longest);
  Buffer target = allocate(2 * kGuard + 32 + longest);
  std::vector<uint8_t> bytes(32 + longest);
  random_bytes(bytes);
  ASSERT_TRUE(device().copy_to_device(source.address(), bytes.data(), bytes.size()).ok());
  for (uint64_t source_offset = 0; source_offset < 32; ++source_offset) {
    for (uint64_t target_offset = 0; target_offset < 32; ++target_offset) {
      for (uint64_t length : lengths) {
        // The 1 MiB case on a sample of pairs keeps the run short; every pair
        // still sees every length up to 64 KiB.
        if (length == longest && (source_offset * 32 + target_offset) % 7 != 0) continue;
        const std::vector<uint8_t> expected(bytes.begin() + static_cast<ptrdiff_t>(source_offset),
                                            bytes.begin() + static_cast<ptrdiff_t>(source_offset + length));
        run_and_check(
            target, target_offset, expected,
            [&](DevicePtr to) { return device().copy(stream(), to, source.address() + source_offset, length); },
            "copy source+" + std::to_string(source_offset) + " target+" + std::to_string(target_offset) + " length " +
                std::to_string(length));
        if (HasFailure()) return;
      }
    }
  }
}

TEST_F(CudaGpuTest, CopyHundredsOfMiBMatchesTheDriver) {
  struct Case {
    uint64_t source_offset, target_offset, length;
  };
  const Case cases[] = {{0, 0, 256 * kMiB},      {1, 3, 300 * kMiB + 4097}, {3, 1, 300 * kMiB + 13},
                        {13, 7, 257 * kMiB + 1}, {16, 0, 256 * kMiB + 16},  {0, 9, 299 * kMiB + 31}};
  const uint64_t longest = 300 * kMiB + 4097;
  Buffer source = allocate(32 + longest);
  Buffer ours = allocate(2 * kGuard + 32 + longest);
  Buffer theirs = allocate(2 * kGuard + 32 + longest);
  std::vector<uint8_t> bytes(32 + longest);
  random_bytes(bytes);
  ASSERT_TRUE(device().copy_to_device(source.address(), bytes.data(), bytes.size()).ok());
  auto driver = bench::DriverCalls::open(device());
  ASSERT_TRUE(driver.ok()) << driver.status().to_string();
  for (const Case& c : cases) {
    const std::string what = "copy source+" + std::to_string(c.source_offset) + " target+" +
                             std::to_string(c.target_offset) + " length " + std::to_string(c.length);
    const DevicePtr from = source.address() + c.source_offset;
    // The driver's copy of the same bytes, same offsets.
    ASSERT_TRUE(device().memset_d8(theirs.address(), 0x5a, theirs.size()).ok());
    ASSERT_TRUE(driver->copy(stream(), theirs.address() + kGuard + c.target_offset, from, c.length).ok());
    ASSERT_TRUE(stream().synchronize().ok());
    std::vector<uint8_t> reference(c.length);
    ASSERT_TRUE(device().copy_to_host(reference.data(), theirs.address() + kGuard + c.target_offset, c.length).ok());
    ASSERT_TRUE(std::equal(reference.begin(), reference.end(), bytes.begin() + static_cast<ptrdiff_t>(c.source_offset)))
        << "cuMemcpyDtoDAsync itself disagrees with the host bytes: " << what;
    run_and_check(
        ours, c.target_offset, reference, [&](DevicePtr to) { return device().copy(stream(), to, from, c.length); },
        what);
    if (HasFailure()) return;
  }
}

TEST_F(CudaGpuTest, CopyRefusesOverlap) {
  Buffer buffer = allocate(256);
  EXPECT_EQ(device().copy(stream(), buffer.address() + 8, buffer.address(), 16).code(), StatusCode::kInvalidArgument);
}

// A batch table of `count` fills (every width) and copies (any offsets) of
// lengths drawn from `lengths`, each into its own region of one target buffer
// with poisoned gaps between regions, run in one launch and compared, gaps
// included, with the host's image of what it must leave.
void run_batch(const Device& device, Stream& stream, std::mt19937_64& rng, size_t count,
               const std::function<uint64_t()>& draw_length, const std::string& what) {
  struct Planned {
    bool fill = false;
    uint64_t target_offset = 0, source_offset = 0, length = 0;
    std::vector<uint8_t> pattern;
  };
  std::vector<Planned> planned;
  uint64_t target_size = kGuard;
  uint64_t source_size = 32;
  for (size_t i = 0; i < count; ++i) {
    Planned p;
    p.fill = rng() % 2 == 0;
    p.length = draw_length();
    if (p.fill) {
      const uint32_t width = 1u << (rng() % 5);
      p.length -= p.length % width;
      target_size = (target_size + width - 1) / width * width + width * (rng() % 4);
      p.pattern.resize(width);
      for (uint8_t& b : p.pattern) b = static_cast<uint8_t>(rng());
    } else {
      target_size += rng() % 16;
      p.source_offset = rng() % 16;
    }
    p.target_offset = target_size;
    target_size += p.length + 16 + rng() % 48;  // a poisoned gap after every region
    planned.push_back(std::move(p));
  }
  uint64_t longest_copy = 0;
  for (const Planned& p : planned) {
    if (!p.fill) longest_copy = std::max(longest_copy, p.length);
  }
  source_size += longest_copy;

  std::vector<uint8_t> source_bytes(source_size);
  std::vector<uint8_t> image(target_size + kGuard);
  for (uint8_t& b : source_bytes) b = static_cast<uint8_t>(rng());
  for (uint8_t& b : image) b = static_cast<uint8_t>(rng());
  auto source = device.allocate(source_bytes.size());
  auto target = device.allocate(image.size());
  ASSERT_TRUE(source.ok() && target.ok()) << what;
  ASSERT_TRUE(device.copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
  ASSERT_TRUE(device.copy_to_device(target->address(), image.data(), image.size()).ok());

  std::vector<devbin_batch_op_t> ops;
  for (const Planned& p : planned) {
    const DevicePtr to = target->address() + p.target_offset;
    auto op = p.fill ? make_batch_fill(to, p.length, p.pattern)
                     : make_batch_copy(to, source->address() + p.source_offset, p.length);
    ASSERT_TRUE(op.ok()) << op.status().to_string();
    ops.push_back(*op);
    for (uint64_t k = 0; k < p.length; ++k) {
      image[p.target_offset + k] = p.fill ? p.pattern[k % p.pattern.size()] : source_bytes[p.source_offset + k];
    }
  }
  auto chunks = batch_number(ops);
  ASSERT_TRUE(chunks.ok()) << chunks.status().to_string();
  auto table = device.allocate(ops.size() * sizeof(devbin_batch_op_t));
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE(device.copy_to_device(table->address(), ops.data(), ops.size() * sizeof(ops[0])).ok());
  auto args = make_batch_args(table->address(), static_cast<uint32_t>(ops.size()), *chunks);
  ASSERT_TRUE(args.ok());
  ASSERT_TRUE(device.batch(stream, *args).ok()) << what;
  ASSERT_TRUE(stream.synchronize().ok()) << what;
  std::vector<uint8_t> got(image.size());
  ASSERT_TRUE(device.copy_to_host(got.data(), target->address(), got.size()).ok());
  const auto mismatch = std::mismatch(got.begin(), got.end(), image.begin());
  if (mismatch.first != got.end()) {
    const uint64_t at = static_cast<uint64_t>(mismatch.first - got.begin());
    std::string where = "in a gap";
    for (size_t i = 0; i < planned.size(); ++i) {
      const Planned& p = planned[i];
      if (at >= p.target_offset && at < p.target_offset + p.length) {
        where = "in operation " + std::to_string(i) + " (" + (p.fill ? "fill" : "copy") + " of " +
                std::to_string(p.length) + " bytes, byte " + std::to_string(at - p.target_offset) + ")";
      }
    }
    FAIL() << what << ": byte " << at << " " << where << " is " << int{*mismatch.first} << ", expected "
           << int{*mismatch.second};
  }
}

TEST_F(CudaGpuTest, BatchOfThousandsOfMixedOperations) {
  run_batch(device(), stream(), rng_, 3000, [&] {
    const uint64_t pick = rng_() % 100;
    if (pick < 60) return rng_() % 129;                     // tiny
    if (pick < 95) return rng_() % (3 * DEVBIN_BATCH_CHUNK_BYTES);  // around the chunk size
    return rng_() % (4 * kMiB);
  }, "3000 mixed operations");
}

TEST_F(CudaGpuTest, BatchOfOneLargeOperationAmongSmallOnes) {
  size_t drawn = 0;
  run_batch(device(), stream(), rng_, 1001, [&] {
    return drawn++ == 500 ? 300 * kMiB + 13 : 64;
  }, "a 300 MiB operation among 1000 of 64 bytes");
}

// One rect operation on a poisoned buffer: `op` runs on a region at
// `target_offset` with `target`'s pitches; afterwards row (s, r) holds
// `row_bytes(s, r)` and every other byte (gaps between rows, guards) its
// poison.
void check_rect(const Device& device, Stream& stream, std::mt19937_64& rng, uint64_t target_offset,
                const devbin_rect_region_t& target, const devbin_rect_extent_t& extent,
                const std::function<const uint8_t*(uint32_t, uint32_t)>& row_bytes,
                const std::function<Status(const devbin_rect_region_t&)>& op, const std::string& what) {
  const uint64_t span = kGuard + target_offset + *rect_span(target, extent) + kGuard;
  auto buffer = device.allocate(span);
  ASSERT_TRUE(buffer.ok()) << buffer.status().to_string();
  std::vector<uint8_t> want(span);
  for (uint8_t& byte : want) byte = static_cast<uint8_t>(rng());
  ASSERT_TRUE(device.copy_to_device(buffer->address(), want.data(), span).ok()) << what;
  devbin_rect_region_t region = target;
  region.base = buffer->address() + kGuard + target_offset;
  Status status = op(region);
  ASSERT_TRUE(status.ok()) << what << ": " << status.to_string();
  ASSERT_TRUE(stream.synchronize().ok()) << what;
  std::vector<uint8_t> got(span);
  ASSERT_TRUE(device.copy_to_host(got.data(), buffer->address(), span).ok()) << what;
  for (uint32_t s = 0; s < extent.depth; ++s) {
    for (uint32_t r = 0; r < extent.height; ++r) {
      const uint64_t at = kGuard + target_offset + s * target.slice_pitch + r * target.row_pitch;
      std::memcpy(want.data() + at, row_bytes(s, r), extent.width);
    }
  }
  const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin());
  if (mismatch.first != got.end()) {
    const uint64_t at = static_cast<uint64_t>(mismatch.first - got.begin());
    FAIL() << what << ": byte " << at << " of the buffer (region at " << kGuard + target_offset << ") is "
           << int{*mismatch.first} << ", expected " << int{*mismatch.second};
  }
}

// The bench's shape: 65536 rows of 4097 bytes from pitch 4099 to pitch 4101
// (256 MiB a side), every byte against the host reference and the gaps
// between rows untouched; and the same against cuMemcpy2DAsync where the
// driver has it.
TEST_F(CudaGpuTest, CopyRect65536RowsAtOddPitches) {
  const uint64_t width = 4097;
  const uint32_t height = 65536;
  const devbin_rect_region_t source_layout{0, 4099, 0};
  const devbin_rect_region_t target_layout{0, 4101, 0};
  const devbin_rect_extent_t extent{width, height, 1};
  std::vector<uint8_t> source_bytes(*rect_span(source_layout, extent) + 1);
  random_bytes(source_bytes);
  Buffer source = allocate(source_bytes.size());
  ASSERT_TRUE(device().copy_to_device(source.address(), source_bytes.data(), source_bytes.size()).ok());
  auto row = [&](uint32_t, uint32_t r) { return source_bytes.data() + 1 + uint64_t{r} * source_layout.row_pitch; };
  check_rect(
      device(), stream(), rng_, 3, target_layout, extent, row,
      [&](const devbin_rect_region_t& to) {
        devbin_rect_region_t from = source_layout;
        from.base = source.address() + 1;
        return device().copy_rect(stream(), to, from, extent);
      },
      "copy_rect 65536 x 4097, pitches 4099 -> 4101");
  auto driver = bench::DriverCalls::open(device());
  ASSERT_TRUE(driver.ok()) << driver.status().to_string();
  Buffer probe = allocate(2);
  Status driver_2d = driver->copy_2d(stream(), probe.address() + 1, 1, probe.address(), 1, 1, 1);
  if (driver_2d.code() == StatusCode::kUnavailable) GTEST_SKIP() << driver_2d.to_string();
  check_rect(
      device(), stream(), rng_, 3, target_layout, extent, row,
      [&](const devbin_rect_region_t& to) {
        return driver->copy_2d(stream(), to.base, to.row_pitch, source.address() + 1, source_layout.row_pitch, width,
                               height);
      },
      "cuMemcpy2DAsync 65536 x 4097, pitches 4099 -> 4101 (the reference itself)");
}

// 3D regions, rows of several 16 KiB chunks, every shift of source against
// target, a single wide row.
TEST_F(CudaGpuTest, CopyRect3DAndWideRows) {
  struct Case {
    devbin_rect_extent_t extent;
    devbin_rect_region_t target;  // base: offset in the buffer
    devbin_rect_region_t source;
  };
  const uint64_t chunk = DEVBIN_BATCH_CHUNK_BYTES;
  std::vector<Case> cases = {
      {{1000, 37, 5}, {1, 1003, 37 * 1003 + 9}, {6, 1001, 37 * 1001 + 1}},
      {{3 * chunk + 5, 3, 2}, {7, 3 * chunk + 11, 3 * (3 * chunk + 11) + 3}, {2, 3 * chunk + 9, 4 * (3 * chunk + 9)}},
      {{(64 << 20) + 3, 1, 1}, {5, 0, 0}, {9, 0, 0}},
      {{1, 4096, 3}, {0, 3, 3 * 4096}, {1, 5, 5 * 4096 + 1}},
  };
  for (uint64_t shift = 0; shift < 16; ++shift) cases.push_back({{61, 17, 2}, {shift, 67, 67 * 17}, {15 - shift, 65, 65 * 18}});
  for (const Case& c : cases) {
    std::vector<uint8_t> source_bytes(c.source.base + *rect_span(c.source, c.extent));
    random_bytes(source_bytes);
    Buffer source = allocate(source_bytes.size());
    ASSERT_TRUE(device().copy_to_device(source.address(), source_bytes.data(), source_bytes.size()).ok());
    const std::string what = "copy_rect " + std::to_string(c.extent.width) + " x " + std::to_string(c.extent.height) +
                             " x " + std::to_string(c.extent.depth) + ", target offset " +
                             std::to_string(c.target.base) + ", source offset " + std::to_string(c.source.base);
    check_rect(
        device(), stream(), rng_, c.target.base, c.target, c.extent,
        [&](uint32_t s, uint32_t r) {
          return source_bytes.data() + c.source.base + s * c.source.slice_pitch + r * c.source.row_pitch;
        },
        [&](const devbin_rect_region_t& to) {
          devbin_rect_region_t from = c.source;
          from.base = source.address() + c.source.base;
          return device().copy_rect(stream(), to, from, c.extent);
        },
        what);
    if (HasFatalFailure()) return;
  }
}

// Every pattern width: the bench's 2D shape (4096-byte rows at pitch 4352,
// fewer rows) and a 3D one at odd element pitches.
TEST_F(CudaGpuTest, FillRectEveryPatternWidth) {
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    random_bytes(pattern);
    struct Case {
      devbin_rect_extent_t extent;
      devbin_rect_region_t layout;  // base: offset in the buffer
    };
    const uint64_t w = width;
    const Case cases[] = {
        {{4096, 3000, 1}, {0, 4352, 0}},
        {{100 * w, 7, 5}, {w, 103 * w, 7 * 103 * w + w}},
        {{3 * DEVBIN_BATCH_CHUNK_BYTES + 16 * w, 2, 1}, {3 * w, 3 * DEVBIN_BATCH_CHUNK_BYTES + 17 * w, 0}},
    };
    for (const Case& c : cases) {
      std::vector<uint8_t> row(c.extent.width);
      for (uint64_t i = 0; i < row.size(); ++i) row[i] = pattern[i % width];
      check_rect(
          device(), stream(), rng_, c.layout.base, c.layout, c.extent, [&](uint32_t, uint32_t) { return row.data(); },
          [&](const devbin_rect_region_t& to) { return device().fill_rect(stream(), to, c.extent, pattern); },
          "fill_rect, " + std::to_string(width) + "-byte pattern, " + std::to_string(c.extent.width) + " x " +
              std::to_string(c.extent.height) + " x " + std::to_string(c.extent.depth));
      if (HasFatalFailure()) return;
    }
  }
  const uint8_t p4[4] = {1, 2, 3, 4};
  EXPECT_EQ(device().fill_rect(stream(), {0x10002, 4352, 0}, {4096, 2, 1}, p4).code(), StatusCode::kInvalidArgument);
}

TEST_F(CudaGpuTest, BatchRefusesBadArguments) {
  devbin_batch_args_t args{};
  args.ops = 0x1004;
  args.op_count = 1;
  args.chunk_count = 1;
  args.chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES;
  EXPECT_EQ(device().batch(stream(), args).code(), StatusCode::kInvalidArgument);
  args.ops = 0x1000;
  args.chunk_bytes = 24;
  EXPECT_EQ(device().batch(stream(), args).code(), StatusCode::kInvalidArgument);
}

TEST_F(CudaGpuTest, OperationsRunInStreamOrder) {
  // fill A, copy A -> B (misaligned), fill A again, copy B -> C: one sync at the end.
  const uint64_t length = 8 * kMiB + 5;
  Buffer a = allocate(length + 32);
  Buffer b = allocate(length + 32);
  Buffer c = allocate(length + 32);
  const std::vector<uint8_t> first = {0x11, 0x22, 0x33, 0x44};
  const std::vector<uint8_t> second = {0x99};
  ASSERT_TRUE(device().fill(stream(), a.address(), length + 3, std::vector<uint8_t>(1, 0x11)).ok());
  ASSERT_TRUE(device().fill(stream(), a.address(), (length + 3) / 4 * 4, first).ok());
  ASSERT_TRUE(device().copy(stream(), b.address() + 7, a.address() + 1, length).ok());
  ASSERT_TRUE(device().fill(stream(), a.address(), length + 3, second).ok());
  ASSERT_TRUE(device().copy(stream(), c.address() + 2, b.address() + 7, length).ok());
  ASSERT_TRUE(stream().synchronize().ok());
  std::vector<uint8_t> got(length);
  ASSERT_TRUE(device().copy_to_host(got.data(), c.address() + 2, length).ok());
  std::vector<uint8_t> a_before(length + 3);
  for (uint64_t i = 0; i < a_before.size(); ++i) a_before[i] = i < (length + 3) / 4 * 4 ? first[i % 4] : 0x11;
  EXPECT_TRUE(std::equal(got.begin(), got.end(), a_before.begin() + 1));
}

TEST_F(CudaGpuTest, TimestampIsMonotonicAndCalibrated) {
  auto calibration = device().calibrate_clock(stream());
  ASSERT_TRUE(calibration.ok()) << calibration.status().to_string();
  EXPECT_LT(calibration->uncertainty_ns, 1'000'000u) << "a synchronized launch took over 2 ms";
  Buffer records = allocate(3 * sizeof(devbin_timestamp_record_t));
  Buffer big = allocate(256 * kMiB);
  ASSERT_TRUE(device().memset_d8(records.address(), 0, records.size()).ok());
  const std::vector<uint8_t> pattern = {7};
  const uint64_t before = host_monotonic_ns();
  ASSERT_TRUE(device().timestamp(stream(), records.address()).ok());
  ASSERT_TRUE(device().fill(stream(), big.address(), big.size(), pattern).ok());
  ASSERT_TRUE(device().timestamp(stream(), records.address() + 16).ok());
  ASSERT_TRUE(device().timestamp(stream(), records.address() + 32).ok());
  ASSERT_TRUE(stream().synchronize().ok());
  const uint64_t after = host_monotonic_ns();
  devbin_timestamp_record_t got[3];
  ASSERT_TRUE(device().copy_to_host(got, records.address(), sizeof(got)).ok());
  EXPECT_NE(got[0].steady, 0u);
  EXPECT_LE(got[0].steady, got[1].steady);
  EXPECT_LE(got[1].steady, got[2].steady);
  EXPECT_NE(got[0].cycles, 0u) << "%clock64 reads 0";
  // The fill between the first two takes tens of microseconds at least.
  EXPECT_GT(got[1].steady - got[0].steady, 10'000u);
  const uint64_t slack = calibration->uncertainty_ns + 2000;  // + the timer's 1 us granularity
  for (const devbin_timestamp_record_t& record : got) {
    const uint64_t host = calibration->to_host_ns(record.steady);
    EXPECT_GE(host + slack, before);
    EXPECT_LE(host, after + slack);
  }
  EXPECT_EQ(device().timestamp(stream(), records.address() + 4).code(), StatusCode::kInvalidArgument);
}

// Inline updates (devbin_update): the host's bytes at odd offsets, compared
// with everything around them; the host buffer is reused as soon as update
// returns, so the bytes must have been copied into the launch.
TEST_F(CudaGpuTest, UpdateWritesTheHostBytesAtAnyOffset) {
  Buffer buffer = allocate(2 * kGuard + 16 + DEVBIN_UPDATE_MAX_BYTES);
  for (uint64_t length : {uint64_t{64}, uint64_t{4096}, uint64_t{DEVBIN_UPDATE_MAX_BYTES}, uint64_t{1},
                          uint64_t{4097}, uint64_t{12345}}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{3}, uint64_t{7}}) {
      update_and_check(buffer, offset, length, "update of " + std::to_string(length) + " bytes at offset " +
                                                   std::to_string(offset));
    }
  }
}

// Each vendor path (devbin/vendor_path.h) and the kernel it stands in for
// write the same bytes: every rule of the table at its smallest and largest
// size and one step past the largest, with vendor paths on and off.
TEST_F(CudaGpuTest, VendorPathsAndKernelsWriteTheSameBytes) {
  const uint64_t largest_fill = [&] {
    uint64_t largest = 0;
    for (const VendorPathRule& rule : device().vendor_paths()) {
      if (rule.operation == VendorPathOperation::kFill) largest = std::max(largest, rule.max_bytes);
    }
    return largest;
  }();
  Buffer buffer = allocate(2 * kGuard + 64 + std::max<uint64_t>(largest_fill + 16, DEVBIN_UPDATE_MAX_BYTES));
  Device& dev = *device_;
  for (const bool vendor : {true, false}) {
    dev.set_vendor_paths(vendor);
    const std::string path = vendor ? "vendor paths on" : "vendor paths off";
    for (const VendorPathRule& rule : device().vendor_paths()) {
      if (rule.operation != VendorPathOperation::kFill) continue;
      // A pattern of the rule's period, and the same period spelled 16 bytes wide.
      std::vector<uint8_t> piece(rule.width);
      random_bytes(piece);
      for (const uint32_t width : {rule.width, 16u}) {
        std::vector<uint8_t> pattern(width);
        for (uint32_t i = 0; i < width; ++i) pattern[i] = piece[i % rule.width];
        for (const uint64_t length : {uint64_t{width}, uint64_t{64}, rule.max_bytes / width * width - width,
                                      rule.max_bytes / width * width, rule.max_bytes / width * width + width}) {
          std::vector<uint8_t> expected(length);
          for (uint64_t i = 0; i < length; ++i) expected[i] = pattern[i % width];
          run_and_check(
              buffer, 16, expected, [&](DevicePtr to) { return device().fill(stream(), to, length, pattern); },
              path + ": fill of period " + std::to_string(rule.width) + " as a " + std::to_string(width) +
                  "-byte pattern, " + std::to_string(length) + " bytes");
          if (HasFatalFailure() || HasFailure()) return dev.set_vendor_paths(true);
        }
      }
    }
    // Updates: each side of the write values' sizes and alignments, and the staged copy's range.
    for (const uint64_t length : {uint64_t{1}, uint64_t{3}, uint64_t{4}, uint64_t{5}, uint64_t{7}, uint64_t{8},
                                  uint64_t{9}, uint64_t{64}, uint64_t{4096}, uint64_t{DEVBIN_UPDATE_MAX_BYTES}}) {
      for (const uint64_t offset : {uint64_t{0}, uint64_t{2}, uint64_t{4}, uint64_t{8}}) {
        update_and_check(buffer, offset, length,
                         path + ": update of " + std::to_string(length) + " bytes at +" + std::to_string(offset));
        if (HasFatalFailure() || HasFailure()) return dev.set_vendor_paths(true);
      }
    }
  }
  dev.set_vendor_paths(true);
}

// Many staged copies in a row, each from bytes the caller overwrites at once,
// to targets of their own: the staging memory goes round several times, and
// every copy still lands the bytes it was given.
TEST_F(CudaGpuTest, StagedCopiesKeepTheirBytesAcrossTheStagingRing) {
  const uint64_t each = 12345;
  const int updates = 256;  // about 12 segments' worth (StagingRing::kSegmentBytes)
  Buffer buffer = allocate(each * updates);
  std::vector<uint8_t> all(each * updates);
  random_bytes(all);
  std::vector<uint8_t> scratch(each);
  for (int i = 0; i < updates; ++i) {
    std::memcpy(scratch.data(), &all[i * each], each);
    ASSERT_TRUE(device().update(stream(), buffer.address() + i * each, scratch).ok());
    std::fill(scratch.begin(), scratch.end(), uint8_t{0xee});
  }
  ASSERT_TRUE(stream().synchronize().ok());
  std::vector<uint8_t> got(all.size());
  ASSERT_TRUE(device().copy_to_host(got.data(), buffer.address(), got.size()).ok());
  const auto mismatch = std::mismatch(got.begin(), got.end(), all.begin());
  ASSERT_TRUE(mismatch.first == got.end()) << "byte " << (mismatch.first - got.begin()) << " of update "
                                           << (mismatch.first - got.begin()) / each;
}

TEST_F(CudaGpuTest, UpdateRefusesNullEmptyAndTooLong) {
  Buffer buffer = allocate(DEVBIN_UPDATE_MAX_BYTES + 16);
  std::vector<uint8_t> data(DEVBIN_UPDATE_MAX_BYTES + 1, 1);
  EXPECT_EQ(device().update(stream(), buffer.address(), data).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device().update(stream(), buffer.address(), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device().update(stream(), 0, std::span<const uint8_t>(data).first(4)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(stream().synchronize().ok());
}

class CudaDispatchTest : public CudaGpuTest {
 protected:
  struct Outcome {
    devbin_aql_kernel_dispatch_packet_t before{};
    devbin_aql_kernel_dispatch_packet_t after{};
    uint32_t status = 0;
    uint32_t block_counts[4] = {};  // the target kernargs' hidden block counts, and the word after
  };
  static constexpr uint32_t kKernargPoison = 0xcccccccc;

  Outcome patch(const uint32_t counts[3], const uint32_t sizes[3], const uint32_t limits[3]) {
    Outcome outcome;
    Buffer memory = allocate(256);
    std::vector<uint8_t> random(sizeof(outcome.before));
    random_bytes(random);
    std::memcpy(&outcome.before, random.data(), sizeof(outcome.before));
    outcome.before.header = DEVBIN_AQL_PACKET_TYPE_INVALID << DEVBIN_AQL_HEADER_TYPE_SHIFT;
    const uint32_t poison = 0xdeadbeef;
    EXPECT_TRUE(device().copy_to_device(memory.address(), &outcome.before, sizeof(outcome.before)).ok());
    EXPECT_TRUE(device().copy_to_device(memory.address() + 64, counts, 12).ok());
    EXPECT_TRUE(device().copy_to_device(memory.address() + 128, &poison, 4).ok());
    const uint32_t kernargs[4] = {kKernargPoison, kKernargPoison, kKernargPoison, kKernargPoison};
    EXPECT_TRUE(device().copy_to_device(memory.address() + 192, kernargs, sizeof(kernargs)).ok());
    devbin_dispatch_args_t args{};
    // The target's kernargs at 160, hidden_block_count_x 32 bytes in.
    args.target_kernargs = memory.address() + 160;
    args.hidden_block_count_offset = 32;
    args.workgroup_counts = memory.address() + 64;
    args.packet = memory.address();
    args.status = memory.address() + 128;
    std::memcpy(args.workgroup_size, sizes, 12);
    std::memcpy(args.max_workgroup_count, limits, 12);
    args.header = kHeader;
    args.setup = 3;
    Status status = device().dispatch_patch(stream(), args);
    EXPECT_TRUE(status.ok()) << status.to_string();
    EXPECT_TRUE(stream().synchronize().ok());
    EXPECT_TRUE(device().copy_to_host(&outcome.after, memory.address(), sizeof(outcome.after)).ok());
    EXPECT_TRUE(device().copy_to_host(&outcome.status, memory.address() + 128, 4).ok());
    EXPECT_TRUE(
        device().copy_to_host(outcome.block_counts, memory.address() + 192, sizeof(outcome.block_counts)).ok());
    return outcome;
  }

  static void expect_no_op(const Outcome& o) {
    EXPECT_EQ((o.after.header >> DEVBIN_AQL_HEADER_TYPE_SHIFT) & 0xff, DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);
    // A BARRIER_AND with no dependency signals: bytes 2..55 zero (setup,
    // reserved, dep_signal[5]), the completion signal kept.
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&o.after);
    for (int i = 2; i < 56; ++i) EXPECT_EQ(bytes[i], 0) << "byte " << i;
    EXPECT_EQ(o.after.completion_signal, o.before.completion_signal);
    // A no-op runs no kernel: the target's kernargs are left alone.
    for (uint32_t word : o.block_counts) EXPECT_EQ(word, kKernargPoison);
  }

  static constexpr uint16_t kHeader = (DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH << DEVBIN_AQL_HEADER_TYPE_SHIFT) |
                                      (1u << DEVBIN_AQL_HEADER_BARRIER_SHIFT) |
                                      (DEVBIN_AQL_FENCE_SCOPE_AGENT << DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT) |
                                      (DEVBIN_AQL_FENCE_SCOPE_SYSTEM << DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT);
};

TEST_F(CudaDispatchTest, ValidCountsPublishTheKernelDispatch) {
  const uint32_t counts[3] = {1000, 7, 3};
  const uint32_t sizes[3] = {256, 4, 2};
  const uint32_t limits[3] = {1u << 20, 1u << 16, 1u << 16};
  const Outcome o = patch(counts, sizes, limits);
  EXPECT_EQ(o.status, DEVBIN_DISPATCH_STATUS_OK);
  devbin_aql_kernel_dispatch_packet_t want = o.before;
  want.header = kHeader;
  want.setup = 3;
  want.workgroup_size_x = 256;
  want.workgroup_size_y = 4;
  want.workgroup_size_z = 2;
  want.reserved0 = 0;
  want.grid_size_x = 256000;
  want.grid_size_y = 28;
  want.grid_size_z = 6;
  EXPECT_EQ(std::memcmp(&o.after, &want, sizeof(want)), 0);
  EXPECT_EQ(o.after.header, kHeader);
  EXPECT_EQ(o.after.grid_size_x, 256000u);
  EXPECT_EQ(o.after.kernel_object, o.before.kernel_object);
  EXPECT_EQ(o.after.kernarg_address, o.before.kernarg_address);
  // The hidden block counts, and nothing after them.
  EXPECT_EQ(o.block_counts[0], 1000u);
  EXPECT_EQ(o.block_counts[1], 7u);
  EXPECT_EQ(o.block_counts[2], 3u);
  EXPECT_EQ(o.block_counts[3], kKernargPoison);
}

TEST_F(CudaDispatchTest, ZeroCountInAnyDimensionIsANoOp) {
  const uint32_t sizes[3] = {64, 1, 1};
  const uint32_t limits[3] = {1u << 20, 1u << 16, 1u << 16};
  for (int zero = 0; zero < 3; ++zero) {
    uint32_t counts[3] = {5, 5, 5};
    counts[zero] = 0;
    const Outcome o = patch(counts, sizes, limits);
    EXPECT_EQ(o.status, DEVBIN_DISPATCH_STATUS_EMPTY) << "dimension " << zero;
    expect_no_op(o);
  }
}

TEST_F(CudaDispatchTest, OverLimitAndOverflowAreNoOps) {
  const uint32_t sizes[3] = {65535, 1, 1};
  const uint32_t limits[3] = {1u << 20, 16, 16};
  const uint32_t over[3] = {1, 17, 1};
  Outcome o = patch(over, sizes, limits);
  EXPECT_EQ(o.status, DEVBIN_DISPATCH_STATUS_OVER_LIMIT);
  expect_no_op(o);
  const uint32_t overflow[3] = {1u << 20, 1, 1};  // 2^20 x 65535 work-items > UINT32_MAX
  o = patch(overflow, sizes, limits);
  EXPECT_EQ(o.status, DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW);
  expect_no_op(o);
}

}  // namespace
}  // namespace devbin::cuda
