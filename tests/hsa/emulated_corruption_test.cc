// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Named negative controls on the emulated AMD GPU: each corrupts one thing
// in a shipped code object that a real GPU would get wrong and that the
// emulated tests once missed, and shows that it now fails: at load (the
// validator), or when the kernel runs (the emulator's models,
// emulator_model.py), or in the bytes a check compares. Each also shows the
// intact code object passing the same check, so the failure is the
// corruption's.
#include "tests/hsa/emulated_fixture.h"

namespace devbin::hsa::emulated {
namespace {

class EmulatedCorruption : public EmulatedGpu {
 protected:
  bool gfx9() const { return std::string(GetParam().isa).starts_with("gfx9"); }

  // devbin_dispatch_patch publishing an OK packet: the synchronize status,
  // and (when it succeeds) whether the packet's header is the one asked for.
  static Status patch_a_packet(Device& device, Queue& queue, bool* header_written) {
    auto memory = device.allocate(4096, MemoryKind::kHost);
    if (!memory.ok()) return memory.status();
    uint8_t* host = static_cast<uint8_t*>(memory->host_pointer());
    std::memset(host, 0, 4096);
    const uint32_t counts[3] = {5, 2, 1};
    std::memcpy(host + 64, counts, sizeof(counts));
    devbin_dispatch_args_t args{};
    args.workgroup_counts = memory->address() + 64;
    args.packet = memory->address();
    args.status = memory->address() + 128;
    for (int d = 0; d < 3; ++d) {
      args.workgroup_size[d] = d == 0 ? 64 : 1;
      args.max_workgroup_count[d] = 100;
    }
    args.header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
    args.setup = 3;
    DEVBIN_RETURN_IF_ERROR(device.dispatch_patch(queue, args));
    Status synced = queue.synchronize();
    uint16_t header;
    std::memcpy(&header, host, 2);
    *header_written = header == args.header;
    return synced;
  }
};

// The first corruption: devbin_timestamp's s_sendmsg_rtn_b64 asks
// for MSG_RTN_GET_TMA (the trap handler's address) instead of
// MSG_RTN_GET_REALTIME. The emulator once answered every message with the
// clock; now an unmodelled message fails the kernel, naming it.
TEST_P(EmulatedCorruption, TimestampAskingForGetTmaFails) {
  std::vector<uint8_t> bytes = shipped_bytes();
  const auto [begin, end] = kernel_code(bytes, "devbin_timestamp");
  // s_sendmsg_rtn_b64 s[N:N+1], sendmsg(MSG_RTN_GET_REALTIME): SOP1 op 0x4d, ssrc0 0x83.
  const std::vector<uint64_t> sends = find_words(bytes, {0xbe804d83u}, {0xff80ffffu}, begin, end);
  if (gfx9()) {
    ASSERT_TRUE(sends.empty());
    GTEST_SKIP() << GetParam().isa << " reads its clock with s_memrealtime: it has no s_sendmsg_rtn";
  }
  ASSERT_EQ(sends.size(), 1u) << "expected one s_sendmsg_rtn_b64 MSG_RTN_GET_REALTIME in devbin_timestamp";
  bytes[sends[0]] = 0x82;  // ssrc0: MSG_RTN_GET_TMA
  Patched patched = open_patched(bytes);
  ASSERT_NE(patched.queue, nullptr);
  auto record = patched.device->allocate(sizeof(devbin_timestamp_record_t));
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(patched.device->timestamp(*patched.queue, record->address()).ok());
  const Status status = patched.queue->synchronize();
  EXPECT_FALSE(status.ok()) << "the timestamp ran with MSG_RTN_GET_TMA";
  EXPECT_NE(status.message().find("s_sendmsg_rtn_b64 MSG_RTN_GET_TMA (130): the emulated GPU models only"),
            std::string::npos)
      << status.message();
  // The intact object's timestamp runs.
  ASSERT_TRUE(device_->timestamp(*queue_, record->address()).ok());
  EXPECT_TRUE(queue_->synchronize().ok());
}

// The second: devbin_copy.kd's VGPR granule 4 -> 0 (8 VGPRs granted;
// the code uses 40). A real GPU would run it with other waves' registers; the
// backend's validator now refuses the code object at load.
TEST_P(EmulatedCorruption, CopyDescriptorWithTooFewVgprsIsRefusedAtLoad) {
  std::vector<uint8_t> bytes = shipped_bytes();
  const uint64_t descriptor = descriptor_offset(bytes, "devbin_copy");
  ASSERT_NE(descriptor, UINT64_MAX);
  ASSERT_NE(bytes[descriptor + 48] & 0x3f, 0) << "the granule is already 0";
  bytes[descriptor + 48] &= 0xc0;  // COMPUTE_PGM_RSRC1 bits 5:0
  Patched patched = open_patched(bytes, /*may_fail=*/true);
  EXPECT_EQ(patched.device, nullptr) << "a code object granting devbin_copy too few VGPRs loaded";
  EXPECT_NE(patched.open_status.message().find("kernel devbin_copy is granted"), std::string::npos)
      << patched.open_status.to_string();
  EXPECT_NE(patched.open_status.message().find("VGPRs by COMPUTE_PGM_RSRC1 in its descriptor devbin_copy.kd"),
            std::string::npos)
      << patched.open_status.to_string();
}

// The third: the second load of the misaligned-copy fallback (the
// carry path, which runs when the grid or workgroup is not whole
// wavefronts) reads 16 bytes further on. The backend's 256-wide launches
// never reach it; a workgroup of 48 work-items does.
TEST_P(EmulatedCorruption, MisalignedCopyFallbackLoadOffsetFails) {
  std::vector<uint8_t> bytes = shipped_bytes();
  // global_load_b128 / global_load_dwordx4 vdst, vaddr, off offset:16: the
  // carry path's load of the next 16 source bytes, the only one with no
  // SGPR base (saddr "off", 0x7c on gfx11/gfx12, 0x7f on gfx9) in the
  // helpers the kernels call (helper_code: the copy helper holds it). A
  // kernel's own code may load 16 bytes at offset 16 too (devbin_batch
  // reads its table so since ABI 4), so the search leaves kernels out.
  // The offset is dword 0 bits 12:0 on gfx9 and gfx11, dword 2 bits 31:8 on gfx12.
  const std::string isa = GetParam().isa;
  std::vector<uint64_t> loads;
  uint64_t offset_byte = 0;
  const auto helpers = helper_code(bytes);
  ASSERT_FALSE(helpers.empty()) << "no helper code outside the kernels' symbols";
  for (const auto& [begin, end] : helpers) {
    std::vector<uint64_t> found;
    if (gfx9()) {
      found = find_words(bytes, {0xdc5c8010u, 0x007f0000u}, {~0u, 0x007f0000u}, begin, end);
    } else if (isa.starts_with("gfx11")) {
      found = find_words(bytes, {0xdc5e0010u, 0x007c0000u}, {~0u, 0x007f0000u}, begin, end);
    } else {
      found = find_words(bytes, {0xee05c07cu, 0, 0x00001000u}, {~0u, 0, 0xffffff00u}, begin, end);
      offset_byte = 9;
    }
    loads.insert(loads.end(), found.begin(), found.end());
  }
  ASSERT_EQ(loads.size(), 1u) << "expected one carry-path load at offset 16 in the copy helper";
  bytes[loads[0] + offset_byte] = 0x30;  // offset:48
  Patched patched = open_patched(bytes);
  ASSERT_NE(patched.queue, nullptr);
  // With the backend's own launch shape the corrupted load never runs.
  EXPECT_TRUE(check_copies(*patched.device, *patched.queue, {5, 11}, {0, 3}, 3001));
  // 48-wide workgroups: the carry path.
  set_launch_shape(48, 2);
  EXPECT_FALSE(check_copies(*patched.device, *patched.queue, {5, 11}, {0, 3}, 3001))
      << "the misaligned copy passed with a corrupted fallback load";
  EXPECT_TRUE(check_copies(*device_, *queue_, {5, 11}, {0, 3}, 3001));
  set_launch_shape(0, 0);
}

// The fourth: the write-back before devbin_dispatch_patch's release
// store (buffer_wbl2 on gfx90a/gfx942, global_wb on gfx12) replaced by
// s_nops. The emulated memory model now fails a release store that
// publishes a packet while earlier stores are not written back. Where no
// write-back is needed (gfx11, gfx9-generic) the wait for the earlier
// stores is removed instead.
TEST_P(EmulatedCorruption, PublishingAPacketWithoutWriteBackFails) {
  std::vector<uint8_t> bytes = shipped_bytes();
  const auto [begin, end] = kernel_code(bytes, "devbin_dispatch_patch");
  const std::string isa = GetParam().isa;
  std::vector<uint64_t> found;
  std::vector<uint32_t> nops;
  if (isa.starts_with("gfx90a") || isa.starts_with("gfx94")) {
    found = find_words(bytes, {0xe0a0c000u, 0}, {~0u, ~0u}, begin, end);  // buffer_wbl2
    nops = {0xbf800000u, 0xbf800000u};
  } else if (isa.starts_with("gfx12")) {
    found = find_words(bytes, {0xee0b007cu, 0x000c0000u, 0}, {~0u, ~0u, ~0u}, begin, end);  // global_wb scope:SCOPE_SYS
    nops = {0xbf800000u, 0xbf800000u, 0xbf800000u};
  } else if (isa.starts_with("gfx11")) {
    found = find_words(bytes, {0xbc7c0000u}, {~0u}, begin, end);  // s_waitcnt_vscnt null, 0x0
    nops = {0xbf800000u};
  } else {
    // gfx9-generic, gfx908: no write-back (the L2 is coherent at system
    // scope); the last s_waitcnt vmcnt(0), before the release store, goes.
    found = find_words(bytes, {0xbf8c0f70u}, {~0u}, begin, end);
    if (!found.empty()) found.erase(found.begin(), found.end() - 1);
    nops = {0xbf800000u};
  }
  ASSERT_EQ(found.size(), 1u) << "expected one write-back (or store wait) in devbin_dispatch_patch";
  for (size_t i = 0; i < nops.size(); ++i) store_word(bytes, found[0] + 4 * i, nops[i]);
  Patched patched = open_patched(bytes);
  ASSERT_NE(patched.queue, nullptr);
  bool header = false;
  const Status status = patch_a_packet(*patched.device, *patched.queue, &header);
  EXPECT_FALSE(status.ok()) << "the packet was published without its write-back";
  EXPECT_NE(status.message().find("release ordering"), std::string::npos) << status.message();
  // The intact patcher publishes it.
  const Status intact = patch_a_packet(*device_, *queue_, &header);
  EXPECT_TRUE(intact.ok()) << intact.to_string();
  EXPECT_TRUE(header);
}

std::vector<EmulatedAgent> corruption_agents() {
  std::vector<EmulatedAgent> agents;
  for (const EmulatedAgent& agent : kEmulatedAgents) {
    const std::string isa = agent.isa;
    if (isa == "gfx1100" || isa == "gfx1201" || isa.starts_with("gfx942") || isa.starts_with("gfx90a") ||
        isa == "gfx906") {
      agents.push_back(agent);
    }
  }
  return agents;
}

INSTANTIATE_TEST_SUITE_P(Agents, EmulatedCorruption, testing::ValuesIn(corruption_agents()), agent_test_name);

}  // namespace
}  // namespace devbin::hsa::emulated
