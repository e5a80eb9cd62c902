// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The shipped AMDGPU code objects, executed: the real HSA backend
// (devbin::hsa::Device) on an emulated AMD GPU. The HSA runtime is the test
// stand-in built with the emulator executor (emulator_executor.cc): its
// agents report the ISA each case names, its loader maps the very TOC entry
// selection picked, and its packet processor runs that code object's machine
// code, from the kernel descriptor the backend put in the packet, on the
// AMDGPU instruction-set emulator of $DEVBIN_AMDGPU_EMULATOR
// (../shared/amdgpu-emulator), with the kernargs the backend wrote and the
// packet as the dispatch pointer. No host build of a kernel is on this path.
//
// What this proves: what the machine code computes, through the backend's
// whole path (agents, select, validate, load, kernargs, AQL packets, doorbell,
// completion signals). What it cannot: anything about timing, caches or
// memory ordering on hardware (the emulator runs one wave at a time), or
// ROCm's own loader and packet processor.
#include "tests/hsa/emulated_fixture.h"

namespace devbin::hsa::emulated {
namespace {

TEST_P(EmulatedGpu, FillEveryWidthOffsetAndLength) {
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    // Lengths: none, one pattern, an odd count of them, a few thousand
    // bytes, and more than one resident wave of workgroups' worth.
    for (uint64_t count : {uint64_t{0}, uint64_t{1}, uint64_t{7}, uint64_t{4099} / width, uint64_t{70001} / width}) {
      for (uint64_t offset : {uint64_t{0}, uint64_t{width}, uint64_t{3} * width + 32}) {
        EXPECT_TRUE(check_fill(*device_, *queue_, width, offset, count * width));
      }
    }
  }
}

// Both sides at every offset modulo 16, so every shift of the misaligned
// path runs (the full sweep); lengths that stay in the head, that reach the
// 16-byte body, and that run a long body.
TEST_P(EmulatedGpu, CopyAtEveryOffsetPair) {
  std::vector<uint32_t> all(16);
  for (uint32_t i = 0; i < 16; ++i) all[i] = i;
  const std::vector<uint32_t> some = {0, 1, 7, 8, 15};
  const std::vector<uint32_t>& offsets = GetParam().full_sweep ? all : some;
  for (uint64_t length : {uint64_t{1}, uint64_t{61}, uint64_t{700}, uint64_t{4133}}) {
    EXPECT_TRUE(check_copies(*device_, *queue_, offsets, offsets, length));
  }
  // One copy large enough for several workgroups of work-items.
  EXPECT_TRUE(check_copies(*device_, *queue_, {5}, {11}, 100003));
}

// One launch of a table mixing fills of every width and misaligned copies,
// empty operations among them, at a small chunk size (operations of many
// chunks) and at the shipped one; each target in its own guarded region.
TEST_P(EmulatedGpu, BatchRunsEveryOperationOfTheTable) {
  for (uint32_t chunk_bytes : {256u, uint32_t{DEVBIN_BATCH_CHUNK_BYTES}}) {
    const uint64_t lengths[] = {0, 1, 48, 255, 256, 1000, 2 * uint64_t{chunk_bytes} + 100};
    const uint64_t longest = std::max(lengths[5], lengths[6]);
    std::vector<uint8_t> source_bytes(16 + longest);
    random_bytes(rng_, source_bytes);
    auto source = device_->allocate(source_bytes.size());
    ASSERT_TRUE(source.ok());
    ASSERT_TRUE(device_->copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
    const uint64_t stride = (kGuard + 16 + longest + kGuard + 15) / 16 * 16;
    struct Planned {
      bool fill;
      uint32_t width;
      uint64_t offset;
      uint64_t source_offset;
      uint64_t length;
      std::vector<uint8_t> pattern;
    };
    std::vector<Planned> planned;
    for (uint64_t length : lengths) {
      for (uint32_t width : {1u, 4u, 16u}) {
        std::vector<uint8_t> pattern(width);
        random_bytes(rng_, pattern);
        planned.push_back({true, width, width * 3 % 16, 0, length - length % width, pattern});
      }
      planned.push_back({false, 0, 5, 11, length, {}});
      planned.push_back({false, 0, 0, 0, length, {}});
    }
    auto table = device_->allocate(planned.size() * sizeof(devbin_batch_op_t));
    ASSERT_TRUE(table.ok());
    uint64_t chunks = 0;
    const std::string what = std::to_string(planned.size()) + " operations, " + std::to_string(chunk_bytes) +
                             "-byte chunks";
    EXPECT_TRUE(run_and_compare(
        *device_, *queue_, planned.size() * stride,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (size_t i = 0; i < planned.size(); ++i) {
            const Planned& p = planned[i];
            uint8_t* at = &want[i * stride + kGuard + p.offset];
            for (uint64_t k = 0; k < p.length; ++k) at[k] = p.fill ? p.pattern[k % p.width] : source_bytes[p.source_offset + k];
          }
          return want;
        },
        [&](DevicePtr base) -> Status {
          std::vector<devbin_batch_op_t> ops;
          for (size_t i = 0; i < planned.size(); ++i) {
            const Planned& p = planned[i];
            const DevicePtr target = base + i * stride + kGuard + p.offset;
            DEVBIN_ASSIGN_OR_RETURN(devbin_batch_op_t op,
                                    p.fill ? make_batch_fill(target, p.length, p.pattern)
                                           : make_batch_copy(target, source->address() + p.source_offset, p.length));
            ops.push_back(op);
          }
          DEVBIN_ASSIGN_OR_RETURN(chunks, batch_number(ops, chunk_bytes));
          DEVBIN_RETURN_IF_ERROR(device_->copy_to_device(table->address(), ops.data(), ops.size() * sizeof(ops[0])));
          DEVBIN_ASSIGN_OR_RETURN(devbin_batch_args_t args, make_batch_args(table->address(),
                                                                            static_cast<uint32_t>(ops.size()), chunks,
                                                                            chunk_bytes));
          return device_->batch(*queue_, args);
        },
        what));
    EXPECT_GT(chunks, planned.size() / 2) << what;
  }
}

// 2D and 3D regions at odd pitches: copies misaligned on both sides (one
// with rows of two 16 KiB chunks) and 3D fills at every pattern width; the
// bytes between rows and around the region keep their poison.
TEST_P(EmulatedGpu, RectCopyAndFillAtOddPitches) {
  constexpr uint64_t kChunk = DEVBIN_BATCH_CHUNK_BYTES;
  struct CopyCase {
    devbin_rect_extent_t extent;
    devbin_rect_region_t target;  // base: the offset in its buffer
    devbin_rect_region_t source;
  };
  const CopyCase copies[] = {
      {{61, 9, 1}, {3, 67, 0}, {5, 63, 0}},
      {{33, 4, 3}, {1, 37, 4 * 37 + 5}, {14, 35, 4 * 35 + 1}},
      {{kChunk + 40, 2, 1}, {7, kChunk + 99, 0}, {2, kChunk + 41, 0}},
  };
  for (const CopyCase& c : copies) {
    const uint64_t target_span = *rect_span(c.target, c.extent);
    const uint64_t source_span = *rect_span(c.source, c.extent);
    std::vector<uint8_t> source_bytes(c.source.base + source_span);
    random_bytes(rng_, source_bytes);
    auto source = device_->allocate(source_bytes.size());
    ASSERT_TRUE(source.ok());
    ASSERT_TRUE(device_->copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
    const std::string what = "copy_rect " + std::to_string(c.extent.width) + " x " + std::to_string(c.extent.height) +
                             " x " + std::to_string(c.extent.depth) + ", pitches " + std::to_string(c.source.row_pitch) +
                             " to " + std::to_string(c.target.row_pitch);
    EXPECT_TRUE(run_and_compare(
        *device_, *queue_, kGuard + c.target.base + target_span + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t s = 0; s < c.extent.depth; ++s) {
            for (uint64_t r = 0; r < c.extent.height; ++r) {
              const uint64_t from = c.source.base + s * c.source.slice_pitch + r * c.source.row_pitch;
              const uint64_t to = kGuard + c.target.base + s * c.target.slice_pitch + r * c.target.row_pitch;
              std::copy_n(source_bytes.begin() + static_cast<ptrdiff_t>(from), c.extent.width,
                          want.begin() + static_cast<ptrdiff_t>(to));
            }
          }
          return want;
        },
        [&](DevicePtr base) {
          devbin_rect_region_t target = c.target;
          devbin_rect_region_t from = c.source;
          target.base = base + kGuard + c.target.base;
          from.base = source->address() + c.source.base;
          return device_->copy_rect(*queue_, target, from, c.extent);
        },
        what));
  }
  for (uint32_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    random_bytes(rng_, pattern);
    const devbin_rect_extent_t extent{uint64_t{24} * width, 3, 2};
    const devbin_rect_region_t layout{uint64_t{width}, extent.width + 3 * width, (extent.width + 3 * width) * 3 + width};
    const uint64_t span = *rect_span(layout, extent);
    EXPECT_TRUE(run_and_compare(
        *device_, *queue_, kGuard + layout.base + span + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t s = 0; s < extent.depth; ++s) {
            for (uint64_t r = 0; r < extent.height; ++r) {
              const uint64_t to = kGuard + layout.base + s * layout.slice_pitch + r * layout.row_pitch;
              for (uint64_t k = 0; k < extent.width; ++k) want[to + k] = pattern[k % width];
            }
          }
          return want;
        },
        [&](DevicePtr base) {
          devbin_rect_region_t target = layout;
          target.base = base + kGuard + layout.base;
          return device_->fill_rect(*queue_, target, extent, pattern);
        },
        "fill_rect 3D, " + std::to_string(width) + "-byte pattern"));
  }
}

TEST_P(EmulatedGpu, TimestampWritesTheRecord) {
  auto records = device_->allocate(2 * sizeof(devbin_timestamp_record_t));
  ASSERT_TRUE(records.ok());
  std::vector<uint8_t> poison(records->size(), 0xcc);
  ASSERT_TRUE(device_->copy_to_device(records->address(), poison.data(), poison.size()).ok());
  ASSERT_TRUE(device_->timestamp(*queue_, records->address()).ok());
  ASSERT_TRUE(device_->timestamp(*queue_, records->address() + sizeof(devbin_timestamp_record_t)).ok());
  Status synced = queue_->synchronize();
  ASSERT_TRUE(synced.ok()) << synced.to_string();
  devbin_timestamp_record_t got[2];
  ASSERT_TRUE(device_->copy_to_host(got, records->address(), sizeof(got)).ok());
  constexpr uint64_t kPoison = 0xccccccccccccccccull;
  for (const devbin_timestamp_record_t& record : got) {
    EXPECT_NE(record.steady, kPoison);
    EXPECT_NE(record.steady, 0u);
    EXPECT_NE(record.cycles, kPoison);
  }
  EXPECT_LE(got[0].steady, got[1].steady);

  // Calibrated, a reading lands in the host's window around it (the emulated
  // counter runs at 100 MHz from the host's clock).
  EXPECT_EQ(device_->properties().timestamp_frequency_hz, 100000000u);
  auto calibration = device_->calibrate_clock(*queue_, 4);
  ASSERT_TRUE(calibration.ok()) << calibration.status().to_string();
  const uint64_t before = host_monotonic_ns();
  ASSERT_TRUE(device_->timestamp(*queue_, records->address()).ok());
  ASSERT_TRUE(queue_->synchronize().ok());
  const uint64_t after = host_monotonic_ns();
  ASSERT_TRUE(device_->copy_to_host(got, records->address(), sizeof(got[0])).ok());
  const uint64_t host = calibration->to_host_ns(got[0].steady);
  const uint64_t slack = calibration->uncertainty_ns + 20;  // and two 10 ns ticks
  EXPECT_GE(host + slack, before);
  EXPECT_LE(host, after + slack);
  // gfx11 has no 64-bit cycle counter: the kernel writes 0 (device/target/amdgpu.h).
  if (std::string(GetParam().isa).starts_with("gfx11")) {
    EXPECT_EQ(got[0].cycles, 0u);
  }
}

// devbin_dispatch_patch on its own: the packet it patches, and its status.
TEST_P(EmulatedGpu, DispatchPatchWritesThePacketOrANoOp) {
  struct Case {
    uint32_t counts[3];
    uint32_t workgroup[3];
    uint32_t limit;
    uint32_t status;
  };
  const Case cases[] = {
      {{5, 2, 1}, {64, 2, 1}, 100, DEVBIN_DISPATCH_STATUS_OK},
      {{0, 2, 1}, {64, 1, 1}, 100, DEVBIN_DISPATCH_STATUS_EMPTY},
      {{500, 2, 1}, {64, 1, 1}, 100, DEVBIN_DISPATCH_STATUS_OVER_LIMIT},
      {{0x20000, 1, 1}, {0xffff, 1, 1}, UINT32_MAX, DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW},
  };
  auto memory = device_->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(memory.ok());
  uint8_t* host = static_cast<uint8_t*>(memory->host_pointer());
  for (const Case& c : cases) {
    SCOPED_TRACE("counts " + std::to_string(c.counts[0]) + "," + std::to_string(c.counts[1]));
    devbin_aql_kernel_dispatch_packet_t before{};
    std::vector<uint8_t> random(sizeof(before));
    random_bytes(rng_, random);
    std::memcpy(&before, random.data(), sizeof(before));
    before.header = DEVBIN_AQL_PACKET_TYPE_INVALID;
    std::memcpy(host, &before, sizeof(before));
    std::memcpy(host + 64, c.counts, sizeof(c.counts));
    const uint32_t poison = 0xdeadbeef;
    std::memcpy(host + 128, &poison, 4);
    // The target's kernargs: the counts go to offset 8 of them on an OK outcome.
    const std::vector<uint8_t> kernargs_before(32, 0xcc);
    std::memcpy(host + 256, kernargs_before.data(), kernargs_before.size());
    devbin_dispatch_args_t args{};
    args.target_kernargs = memory->address() + 256;
    args.hidden_block_count_offset = 8;
    args.workgroup_counts = memory->address() + 64;
    args.packet = memory->address();
    args.status = memory->address() + 128;
    for (int d = 0; d < 3; ++d) {
      args.workgroup_size[d] = c.workgroup[d];
      args.max_workgroup_count[d] = c.limit;
    }
    args.header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
    args.setup = 3;
    ASSERT_TRUE(device_->dispatch_patch(*queue_, args).ok());
    Status synced = queue_->synchronize();
    ASSERT_TRUE(synced.ok()) << synced.to_string();
    devbin_aql_kernel_dispatch_packet_t after;
    std::memcpy(&after, host, sizeof(after));
    uint32_t status;
    std::memcpy(&status, host + 128, 4);
    EXPECT_EQ(status, c.status);
    EXPECT_EQ(after.completion_signal, before.completion_signal);
    if (c.status == DEVBIN_DISPATCH_STATUS_OK) {
      EXPECT_EQ(after.header, args.header);
      EXPECT_EQ(after.setup, 3);
      const uint32_t grid[3] = {after.grid_size_x, after.grid_size_y, after.grid_size_z};
      const uint32_t group[3] = {after.workgroup_size_x, after.workgroup_size_y, after.workgroup_size_z};
      for (int d = 0; d < 3; ++d) {
        EXPECT_EQ(grid[d], c.counts[d] * c.workgroup[d]) << "dimension " << d;
        EXPECT_EQ(group[d], c.workgroup[d]) << "dimension " << d;
      }
      EXPECT_EQ(after.kernel_object, before.kernel_object);
      EXPECT_EQ(after.kernarg_address, before.kernarg_address);
      std::vector<uint8_t> kernargs_want = kernargs_before;
      std::memcpy(kernargs_want.data() + 8, c.counts, sizeof(c.counts));
      EXPECT_EQ(std::vector<uint8_t>(host + 256, host + 288), kernargs_want) << "hidden block counts";
    } else {
      EXPECT_EQ(std::vector<uint8_t>(host + 256, host + 288), kernargs_before) << "a no-op stores no block counts";
      // A BARRIER_AND with no dependencies, keeping the barrier bit and fences.
      EXPECT_EQ(after.header, (args.header & ~0xffu) | DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);
      const std::vector<uint8_t> zeros(52, 0);
      EXPECT_EQ(std::vector<uint8_t>(host + 4, host + 56), zeros);
    }
  }
}

// Inline updates of a few lengths at every alignment mod 4 (and one that
// takes two launches), each in its own guarded region, checked after one
// synchronize; the host buffer is overwritten as soon as update returns.
TEST_P(EmulatedGpu, UpdateWritesTheHostBytes) {
  struct Piece {
    uint64_t offset;
    uint64_t length;
  };
  std::vector<Piece> pieces;
  for (uint64_t length : {uint64_t{1}, uint64_t{3}, uint64_t{6}, uint64_t{67}}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}}) pieces.push_back({offset, length});
  }
  pieces.push_back({5, DEVBIN_UPDATE_BYTES + 9});
  uint64_t span = 0;
  std::vector<uint64_t> starts;
  for (const Piece& piece : pieces) {
    starts.push_back(span + kGuard + piece.offset);
    span += (kGuard + 3 + piece.length + kGuard + 15) / 16 * 16;
  }
  std::vector<std::vector<uint8_t>> data;
  for (const Piece& piece : pieces) {
    data.emplace_back(piece.length);
    random_bytes(rng_, data.back());
  }
  EXPECT_TRUE(run_and_compare(
      *device_, *queue_, span,
      [&](const std::vector<uint8_t>& poison) {
        std::vector<uint8_t> want = poison;
        for (size_t i = 0; i < pieces.size(); ++i) std::memcpy(&want[starts[i]], data[i].data(), pieces[i].length);
        return want;
      },
      [&](DevicePtr base) {
        for (size_t i = 0; i < pieces.size(); ++i) {
          std::vector<uint8_t> reused = data[i];
          DEVBIN_RETURN_IF_ERROR(device_->update(*queue_, base + starts[i], reused));
          std::fill(reused.begin(), reused.end(), uint8_t{0x77});  // the launch holds its own copy
        }
        return Status::Ok();
      },
      "updates"));
}

// The whole indirect-dispatch protocol: the patcher kernel publishes the
// target packet the packet processor waits at, which then runs the patched
// dispatch of devbin_fill; refused counts turn it into a no-op and the queue
// goes on.
TEST_P(EmulatedGpu, IndirectDispatchRunsThePatchedFill) {
  constexpr uint64_t kBytes = 8192;
  auto target = device_->allocate(kBytes);
  auto control = device_->allocate(4096, MemoryKind::kHost);  // counts, status, kernargs
  ASSERT_TRUE(target.ok() && control.ok());
  uint8_t* host = static_cast<uint8_t*>(control->host_pointer());
  const KernelInfo* fill = device_->code_object().find_kernel("devbin_fill");
  ASSERT_NE(fill, nullptr);
  const uint8_t pattern[4] = {0xde, 0xad, 0xbe, 0xef};
  auto args = make_fill_args(target->address(), kBytes, pattern);
  ASSERT_TRUE(args.ok());
  ASSERT_TRUE(write_kernargs({host + 256, fill->kernarg_segment_size}, *fill, bytes_of(args.value()),
                             linear_geometry(3, 64))
                  .ok());
  struct Case {
    uint32_t counts[3];
    uint32_t workgroup;
    uint32_t limit;
    uint32_t status;
  };
  const Case cases[] = {
      {{3, 1, 1}, 64, UINT32_MAX, DEVBIN_DISPATCH_STATUS_OK},
      {{2, 2, 1}, 128, UINT32_MAX, DEVBIN_DISPATCH_STATUS_OK},  // a 2-D grid of whole workgroups
      {{0, 1, 1}, 64, UINT32_MAX, DEVBIN_DISPATCH_STATUS_EMPTY},
      {{9, 1, 1}, 64, 8, DEVBIN_DISPATCH_STATUS_OVER_LIMIT},
      {{(1u << 22) + 1, 1, 1}, 1024, UINT32_MAX, DEVBIN_DISPATCH_STATUS_GRID_OVERFLOW},
  };
  const std::vector<uint8_t> zeros(kBytes, 0);
  for (const Case& c : cases) {
    SCOPED_TRACE("counts " + std::to_string(c.counts[0]) + "," + std::to_string(c.counts[1]) + " workgroup " +
                 std::to_string(c.workgroup));
    ASSERT_TRUE(device_->copy_to_device(target->address(), zeros.data(), kBytes).ok());
    std::memcpy(host, c.counts, sizeof(c.counts));
    const uint32_t poison = 0xffffffff;
    std::memcpy(host + 16, &poison, 4);
    // Hidden block counts 48 bytes into the target's kernargs, past the
    // fill's 40 bytes (the segment is taken to be 64 bytes, as a HIP
    // kernel's implicit arguments follow its explicit ones).
    const uint32_t counts_poison[3] = {0xcccccccc, 0xcccccccc, 0xcccccccc};
    std::memcpy(host + 256 + 48, counts_poison, sizeof(counts_poison));
    IndirectDispatch request;
    request.kernel = device_->kernel(Kernel::devbin_fill);
    request.kernel.kernarg_segment_size = 64;
    request.hidden_block_count_offset = 48;
    request.kernarg_address = control->address() + 256;
    request.dimensions = c.counts[1] > 1 ? 2 : 1;
    request.workgroup_size[0] = c.workgroup;
    request.workgroup_counts = control->address();
    request.max_workgroup_count[0] = c.limit;
    request.status = control->address() + 16;
    ASSERT_TRUE(device_->dispatch_indirect(*queue_, request).ok());
    Status synced = queue_->synchronize();
    ASSERT_TRUE(synced.ok()) << synced.to_string();
    uint32_t status;
    std::memcpy(&status, host + 16, 4);
    EXPECT_EQ(status, c.status);
    std::vector<uint8_t> result(kBytes);
    ASSERT_TRUE(device_->copy_to_host(result.data(), target->address(), kBytes).ok());
    std::vector<uint8_t> want = zeros;
    if (c.status == DEVBIN_DISPATCH_STATUS_OK) {
      for (uint64_t i = 0; i < kBytes; ++i) want[i] = pattern[i % 4];
    }
    uint32_t block_counts[3];
    std::memcpy(block_counts, host + 256 + 48, sizeof(block_counts));
    const uint32_t* want_counts = c.status == DEVBIN_DISPATCH_STATUS_OK ? c.counts : counts_poison;
    for (int d = 0; d < 3; ++d) EXPECT_EQ(block_counts[d], want_counts[d]) << "hidden block count " << d;
    EXPECT_TRUE(same_bytes(result, want, "the indirect fill's target"));
  }
}

// The negative control: the same code object with devbin_fill's first
// instruction replaced by s_endpgm. Were the emulated checks not running the
// shipped machine code, they would pass on it; they must fail.
TEST_P(EmulatedGpu, ACorruptedKernelFailsTheChecks) {
  const Toc& embedded = embedded_toc();
  const TocEntry* original = embedded.find(GetParam().entry);
  ASSERT_NE(original, nullptr);
  std::vector<uint8_t> bytes(original->data, original->data + original->size);

  // Where devbin_fill's first instruction lies in the file: its descriptor's
  // address plus kernel_code_entry_byte_offset, mapped through the segments.
  auto file = elf::File::parse(bytes);
  ASSERT_TRUE(file.ok());
  auto symbols = file->symbols(*file->find_section(".dynsym"));
  ASSERT_TRUE(symbols.ok());
  auto file_offset = [&](uint64_t address) -> uint64_t {
    for (const elf::Segment& segment : file->segments()) {
      if (segment.type == elf::kSegmentLoad && address >= segment.vaddr && address - segment.vaddr < segment.filesz) {
        return segment.offset + (address - segment.vaddr);
      }
    }
    return UINT64_MAX;
  };
  uint64_t entry_offset = UINT64_MAX;
  for (const elf::Symbol& symbol : symbols.value()) {
    if (symbol.name != "devbin_fill.kd") continue;
    int64_t code_offset;
    std::memcpy(&code_offset, &bytes[file_offset(symbol.value) + 16], 8);
    entry_offset = file_offset(symbol.value + static_cast<uint64_t>(code_offset));
  }
  ASSERT_NE(entry_offset, UINT64_MAX);
  // s_endpgm: SOPP opcode 1 on GCN/CDNA (gfx9), opcode 48 on RDNA3/RDNA4.
  const uint32_t endpgm = std::string(GetParam().isa).starts_with("gfx9") ? 0xbf810000u : 0xbfb00000u;
  std::memcpy(&bytes[entry_offset], &endpgm, 4);

  TocEntry corrupted = *original;
  corrupted.data = bytes.data();
  corrupted.size = bytes.size();
  const TocEntry entries[] = {corrupted};
  const Toc toc{entries};
  OpenOptions options;
  options.toc = &toc;
  std::unique_ptr<Device> device = open(options);
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  ASSERT_TRUE(queue.ok());
  const testing::AssertionResult corrupted_fill = check_fill(*device, **queue, 4, 16, 4096);
  EXPECT_FALSE(corrupted_fill) << "the fill passed with a kernel that does nothing";
  // The other kernels of the same code object still run.
  EXPECT_TRUE(check_copies(*device, **queue, {3}, {5}, 4096));
  // And the intact code object passes the very same check.
  EXPECT_TRUE(check_fill(*device_, *queue_, 4, 16, 4096));
}

// A fill of memory nothing maps: the stand-in's page table faults it before
// the emulator runs it, the fault reaches devbin's system event handler (the
// process lives), and synchronize says where. The other queues of the agent
// fail with it, as the kernel driver stops them.
TEST_P(EmulatedGpu, AFillOfUnmappedMemoryFaults) {
  const uint8_t pattern[4] = {1, 2, 3, 4};
  auto other = device_->create_queue(64);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(device_->fill(*queue_, 0x20000, 4096, pattern).ok());
  Status status = queue_->synchronize();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("a GPU memory fault at address 0x20000 (page not present or supervisor privilege)"),
            std::string::npos)
      << status.message();
  EXPECT_NE((*other)->synchronize().message().find("a GPU memory fault"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Agents, EmulatedGpu, testing::ValuesIn(kEmulatedAgents), agent_test_name);

// The emulator cannot decode RDNA1/RDNA2 nor GFX12.5 (its rdna4 decoder
// lacks gfx1250's s_setreg WAVE_MODE, s_wait_xcnt and VOPD bitop2, which
// every gfx1250/gfx1251 kernel holds): the stand-in's loader refuses the code
// object selection picks for such an agent, and the backend says so.
TEST(EmulatedGpuLimits, Gfx10AndGfx1250AreRefusedAtLoad) {
  DEVBIN_SKIP_OR_FAIL_WITHOUT_EMULATOR();
#ifdef DEVBIN_HSA_EMULATED_RUNTIME
  for (const auto& [isa, entry] : {std::pair<const char*, const char*>{"gfx1030", "amdgcn-amd-amdhsa--gfx10-3-generic.so"},
                                   {"gfx1250", "amdgcn-amd-amdhsa--gfx1250.so"},
                                   {"gfx1251", "amdgcn-amd-amdhsa--gfx1251.so"}}) {
    SCOPED_TRACE(isa);
    setenv(kRuntimePathEnv, DEVBIN_HSA_EMULATED_RUNTIME, 1);
    setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, isa, 1);
    DeviceReport report;
    auto device = Device::open(0, {}, &report);
    unsetenv(kRuntimePathEnv);
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(report.selection.entry, entry);
    EXPECT_NE(device.status().message().find("HSA_STATUS_ERROR_INVALID_ISA"), std::string::npos)
        << device.status().message();
    EXPECT_NE(device.status().message().find(std::string("the AMDGPU emulator cannot run ") + isa), std::string::npos)
        << device.status().message();
  }
#endif
}

}  // namespace
}  // namespace devbin::hsa::emulated
