// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Every kernel of the code object once, each result compared whole against
// the host's, in a few seconds: the test the negative controls
// (scripts/negative_controls.py) run on each corrupted code object. The
// longer emulated tests sweep each kernel's parameters; this one touches
// each kernel's head, body and tail paths once.
#include <gtest/gtest-spi.h>

#include <fstream>
#include <sstream>

#include "tests/hsa/direct_launch.h"
#include "tests/hsa/emulated_fixture.h"

namespace devbin::hsa::emulated {
namespace {

class EveryKernel : public EmulatedGpu {
 protected:
  void once(Device& device, Queue& queue);
};

TEST_P(EveryKernel, Once) { once(*device_, *queue_); }

// The negative controls: scripts/negative_controls.py writes corrupted
// copies of the code objects and a manifest (DEVBIN_NEGATIVE_CONTROLS: lines
// of "entry<TAB>file<TAB>what was corrupted"), and runs this test. Each
// corrupted object of this agent's entry must fail EveryKernel.Once (or be
// refused at load); each line prints CAUGHT or MISSED, and a miss fails.
TEST_P(EveryKernel, DISABLED_NegativeControls) {
  const char* manifest = std::getenv("DEVBIN_NEGATIVE_CONTROLS");
  if (manifest == nullptr || *manifest == '\0') GTEST_SKIP() << "DEVBIN_NEGATIVE_CONTROLS names no manifest";
  std::ifstream lines(manifest);
  ASSERT_TRUE(lines.good()) << "cannot read " << manifest;
  size_t caught = 0, missed = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string entry, path, what;
    if (!std::getline(fields, entry, '\t') || !std::getline(fields, path, '\t')) continue;
    std::getline(fields, what);
    if (entry != GetParam().entry) continue;
    std::ifstream file(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << "cannot read " << path;
    testing::TestPartResultArray failures;
    {
      testing::ScopedFakeTestPartResultReporter reporter(
          testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      Patched patched = open_patched(bytes, /*may_fail=*/true);
      if (patched.queue != nullptr) once(*patched.device, *patched.queue);
      if (patched.device == nullptr) ADD_FAILURE() << "refused at load: " << patched.open_status.message();
    }
    if (failures.size() > 0) {
      ++caught;
      std::string first = failures.GetTestPartResult(0).message();
      if (first.size() > 160) first = first.substr(0, 160) + "...";
      for (char& c : first) c = c == '\n' ? ' ' : c;
      std::printf("CAUGHT\t%s\t%s\t%s\n", entry.c_str(), what.c_str(), first.c_str());
    } else {
      ++missed;
      std::printf("MISSED\t%s\t%s\n", entry.c_str(), what.c_str());
      ADD_FAILURE() << "the corruption " << what << " of " << entry << " passed EveryKernel.Once";
    }
  }
  std::printf("negative controls of %s: %zu caught, %zu missed\n", GetParam().entry, caught, missed);
}

void EveryKernel::once(Device& device, Queue& queue) {
  // devbin_fill: every pattern width, with heads and tails.
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    EXPECT_TRUE(check_fill(device, queue, width, width + 32, uint64_t{1000} / width * width + width));
  }
  EXPECT_TRUE(check_fill(device, queue, 1, 3, 7));
  // devbin_copy: misaligned both ways, aligned, and within one word.
  EXPECT_TRUE(check_copies(device, queue, {0, 5}, {0, 11}, 1201));
  EXPECT_TRUE(check_copies(device, queue, {3}, {1}, 5));

  // devbin_batch: a fill and a misaligned copy in one table.
  {
    std::vector<uint8_t> source_bytes(16 + 700);
    random_bytes(rng_, source_bytes);
    auto source = device.allocate(source_bytes.size());
    auto table = device.allocate(2 * sizeof(devbin_batch_op_t));
    ASSERT_TRUE(source.ok() && table.ok());
    ASSERT_TRUE(device.copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
    const uint8_t pattern[4] = {1, 2, 3, 4};
    const uint64_t second = kGuard + 600 + kGuard;
    EXPECT_TRUE(run_and_compare(
        device, queue, second + 700 + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t i = 0; i < 600; ++i) want[kGuard + 4 + i] = pattern[i % 4];
          std::copy_n(source_bytes.begin() + 5, 700, want.begin() + static_cast<ptrdiff_t>(second + 3));
          return want;
        },
        [&](DevicePtr base) -> Status {
          DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t fill, make_batch_fill(base + kGuard + 4, 600, pattern));
          DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t copy, make_batch_copy(base + second + 3, source->address() + 5, 700));
          std::vector<devbin_batch_op_t> ops = {fill, copy};
          DEVBIN_ASSIGN_OR_RETURN(const uint64_t chunks, batch_number(ops, 256));
          DEVBIN_RETURN_IF_ERROR(device.copy_to_device(table->address(), ops.data(), ops.size() * sizeof(ops[0])));
          DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args, make_batch_args(table->address(), 2, chunks, 256));
          return device.batch(queue, args);
        },
        "a batch of a fill and a copy"));
  }

  // devbin_copy_rect and devbin_fill_rect: 2-D at odd pitches.
  {
    const devbin_rect_extent_t extent{37, 5, 1};
    const devbin_rect_region_t to{3, 41, 0};
    const devbin_rect_region_t from{6, 39, 0};
    std::vector<uint8_t> source_bytes(from.base + *rect_span(from, extent));
    random_bytes(rng_, source_bytes);
    auto source = device.allocate(source_bytes.size());
    ASSERT_TRUE(source.ok());
    ASSERT_TRUE(device.copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
    EXPECT_TRUE(run_and_compare(
        device, queue, kGuard + to.base + *rect_span(to, extent) + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t r = 0; r < extent.height; ++r) {
            std::copy_n(source_bytes.begin() + static_cast<ptrdiff_t>(from.base + r * from.row_pitch), extent.width,
                        want.begin() + static_cast<ptrdiff_t>(kGuard + to.base + r * to.row_pitch));
          }
          return want;
        },
        [&](DevicePtr base) {
          devbin_rect_region_t target = to;
          devbin_rect_region_t origin = from;
          target.base = base + kGuard + to.base;
          origin.base = source->address() + from.base;
          return device.copy_rect(queue, target, origin, extent);
        },
        "copy_rect 37 x 5"));
    const uint8_t pattern[4] = {9, 8, 7, 6};
    const devbin_rect_extent_t fill_extent{40, 3, 1};
    const devbin_rect_region_t layout{4, 52, 0};
    EXPECT_TRUE(run_and_compare(
        device, queue, kGuard + layout.base + *rect_span(layout, fill_extent) + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t r = 0; r < fill_extent.height; ++r) {
            for (uint64_t k = 0; k < fill_extent.width; ++k) want[kGuard + layout.base + r * layout.row_pitch + k] = pattern[k % 4];
          }
          return want;
        },
        [&](DevicePtr base) {
          devbin_rect_region_t target = layout;
          target.base = base + kGuard + layout.base;
          return device.fill_rect(queue, target, fill_extent, pattern);
        },
        "fill_rect 40 x 3"));
  }

  // devbin_timestamp: the record written, nothing around it.
  {
    constexpr uint64_t kRecord = sizeof(devbin_timestamp_record_t);
    auto buffer = device.allocate(kGuard + kRecord + kGuard);
    ASSERT_TRUE(buffer.ok());
    std::vector<uint8_t> poison(buffer->size());
    random_bytes(rng_, poison);
    ASSERT_TRUE(device.copy_to_device(buffer->address(), poison.data(), poison.size()).ok());
    ASSERT_TRUE(device.timestamp(queue, buffer->address() + kGuard).ok());
    ASSERT_TRUE(queue.synchronize().ok());
    std::vector<uint8_t> got(poison.size());
    ASSERT_TRUE(device.copy_to_host(got.data(), buffer->address(), got.size()).ok());
    std::vector<uint8_t> want = poison;
    std::copy_n(got.begin() + kGuard, kRecord, want.begin() + kGuard);
    EXPECT_TRUE(same_bytes(got, want, "the bytes around a timestamp record"));
    devbin_timestamp_record_t record;
    std::memcpy(&record, &got[kGuard], kRecord);
    uint64_t poison_steady;
    std::memcpy(&poison_steady, &poison[kGuard], 8);
    EXPECT_NE(record.steady, poison_steady);
    EXPECT_NE(record.steady, 0u);
  }

  // devbin_update: a few bytes at an odd address.
  std::vector<uint8_t> update(67);
  random_bytes(rng_, update);
  EXPECT_TRUE(run_and_compare(
      device, queue, kGuard + 1 + update.size() + kGuard,
      [&](const std::vector<uint8_t>& poison) {
        std::vector<uint8_t> want = poison;
        std::copy(update.begin(), update.end(), want.begin() + kGuard + 1);
        return want;
      },
      [&](DevicePtr base) { return device.update(queue, base + kGuard + 1, update); }, "update of 67 bytes"));

  // devbin_dispatch_patch: the whole packet, the status and the block counts.
  bool patcher_works = false;
  {
    auto memory = device.allocate(2 * kGuard + 512, MemoryKind::kHost);
    ASSERT_TRUE(memory.ok());
    uint8_t* host = static_cast<uint8_t*>(memory->host_pointer());
    std::vector<uint8_t> poison(memory->size());
    random_bytes(rng_, poison);
    std::memcpy(host, poison.data(), poison.size());
    const uint64_t packet = kGuard, counts = kGuard + 64, status = kGuard + 128, kernargs = kGuard + 256;
    const uint32_t count_values[3] = {5, 2, 1};
    std::memcpy(host + counts, count_values, sizeof(count_values));
    devbin_dispatch_args_t args{};
    args.workgroup_counts = memory->address() + counts;
    args.packet = memory->address() + packet;
    args.status = memory->address() + status;
    args.target_kernargs = memory->address() + kernargs;
    args.hidden_block_count_offset = 8;
    for (int d = 0; d < 3; ++d) {
      args.workgroup_size[d] = d == 0 ? 64 : 2;
      args.max_workgroup_count[d] = 100;
    }
    args.header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
    args.setup = 3;
    std::vector<uint8_t> want(host, host + poison.size());
    ASSERT_TRUE(device.dispatch_patch(queue, args).ok());
    const Status synced = queue.synchronize();
    ASSERT_TRUE(synced.ok()) << synced.to_string();
    devbin_aql_kernel_dispatch_packet_t expected;
    std::memcpy(&expected, &want[packet], sizeof(expected));
    expected.header = args.header;
    expected.setup = 3;
    expected.workgroup_size_x = 64;
    expected.workgroup_size_y = 2;
    expected.workgroup_size_z = 2;
    expected.reserved0 = 0;
    expected.grid_size_x = 5 * 64;
    expected.grid_size_y = 2 * 2;
    expected.grid_size_z = 1 * 2;
    std::memcpy(&want[packet], &expected, sizeof(expected));
    const uint32_t ok = DEVBIN_DISPATCH_STATUS_OK;
    std::memcpy(&want[status], &ok, 4);
    std::memcpy(&want[kernargs + 8], count_values, sizeof(count_values));
    const std::vector<uint8_t> got(host, host + poison.size());
    // Every other byte of the packet (kernel object, kernargs, segment
    // sizes, completion signal) keeps what the host put there.
    patcher_works = same_bytes(got, want, "the patched packet, its status and block counts");
    EXPECT_TRUE(patcher_works);
  }

  // devbin_batch, devbin_copy_rect and devbin_fill_rect given what the host
  // would refuse (launched directly): the status word written, nothing
  // else in its guarded buffer. These are the kernels' status-store paths,
  // which the good launches above never reach. A direct launch is
  // published by devbin_dispatch_patch, so these run only when it works
  // (else the queue would wait for a packet never written).
  if (patcher_works) {
    const auto reports = [&](uint32_t code, uint64_t span, const std::string& what,
                             const std::function<Status(DevicePtr, direct::DirectLaunch&)>& launch) {
      direct::DirectLaunch keep;
      return run_and_compare(
          device, queue, span,
          [&](const std::vector<uint8_t>& poison) {
            std::vector<uint8_t> want = poison;
            std::memcpy(&want[kGuard], &code, 4);
            return want;
          },
          [&](DevicePtr base) { return launch(base, keep); }, what);
    };
    const uint8_t bad_pattern[4] = {5, 6, 7, 8};
    auto table = device.allocate(sizeof(devbin_batch_op_t));
    auto source = device.allocate(4096);
    ASSERT_TRUE(table.ok() && source.ok());
    const auto batch = [&](DevicePtr base, direct::DirectLaunch& keep, uint32_t problem) -> Status {
      DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t fill, make_batch_fill(base + kGuard + 8, 64, bad_pattern));
      std::vector<devbin_batch_op_t> ops = {fill};
      DEVBIN_ASSIGN_OR_RETURN(const uint64_t chunks, batch_number(ops, 256));
      uint64_t chunk_count = chunks;
      if (problem == DEVBIN_KERNEL_STATUS_ADDRESS) ops[0].target = 0;
      if (problem == DEVBIN_KERNEL_STATUS_CHUNK_COUNT) chunk_count = UINT64_MAX;
      if (problem == DEVBIN_KERNEL_STATUS_NUMBERING) {  // the first operation's chunks start at 1, not 0
        ops[0].first_chunk += 1;
        chunk_count += 1;
      }
      DEVBIN_RETURN_IF_ERROR(device.copy_to_device(table->address(), ops.data(), sizeof(ops[0])));
      const devbin_batch_args_t args{table->address(), chunk_count, 1, 256, base + kGuard};
      return direct::launch_direct(device, queue, Kernel::devbin_batch, args, 1, keep);
    };
    EXPECT_TRUE(reports(DEVBIN_KERNEL_STATUS_ADDRESS, kGuard + 8 + 64 + kGuard, "a batch of a fill to address 0",
                        [&](DevicePtr base, direct::DirectLaunch& keep) { return batch(base, keep, DEVBIN_KERNEL_STATUS_ADDRESS); }));
    EXPECT_TRUE(reports(DEVBIN_KERNEL_STATUS_CHUNK_COUNT, kGuard + 8 + 64 + kGuard,
                        "a batch whose chunk_count is not the table's",
                        [&](DevicePtr base, direct::DirectLaunch& keep) {
                          return batch(base, keep, DEVBIN_KERNEL_STATUS_CHUNK_COUNT);
                        }));
    EXPECT_TRUE(reports(DEVBIN_KERNEL_STATUS_NUMBERING, kGuard + 8 + 64 + kGuard,
                        "a batch whose first operation starts at chunk 1",
                        [&](DevicePtr base, direct::DirectLaunch& keep) {
                          return batch(base, keep, DEVBIN_KERNEL_STATUS_NUMBERING);
                        }));
    EXPECT_TRUE(reports(DEVBIN_KERNEL_STATUS_OVERLAP, kGuard + 8 + 16 * 3 + 32 + kGuard,
                        "copy_rect of 32-byte rows at pitch 16", [&](DevicePtr base, direct::DirectLaunch& keep) {
                          devbin_copy_rect_args_t copy{};
                          copy.target = {base + kGuard + 8, 16, 0};
                          copy.source = {source->address(), 32, 0};
                          copy.extent = {32, 4, 1};
                          copy.chunk_bytes = 256;
                          copy.chunks_per_row = 1;
                          copy.status = base + kGuard;
                          return direct::launch_direct(device, queue, Kernel::devbin_copy_rect, copy, 2, keep);
                        }));
    EXPECT_TRUE(reports(DEVBIN_KERNEL_STATUS_ADDRESS, kGuard + 4 + kGuard, "fill_rect whose target wraps",
                        [&](DevicePtr base, direct::DirectLaunch& keep) {
                          devbin_fill_rect_args_t fill{};
                          fill.target = {UINT64_MAX - 127, 64, 0};
                          fill.extent = {64, 4, 1};
                          fill.chunk_bytes = 256;
                          fill.chunks_per_row = 1;
                          std::memcpy(fill.pattern, bad_pattern, 4);
                          fill.pattern_width = 4;
                          fill.status = base + kGuard;
                          return direct::launch_direct(device, queue, Kernel::devbin_fill_rect, fill, 2, keep);
                        }));
  }
}

INSTANTIATE_TEST_SUITE_P(Agents, EveryKernel, testing::ValuesIn(full_sweep_agents()), agent_test_name);

}  // namespace
}  // namespace devbin::hsa::emulated
