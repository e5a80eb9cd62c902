// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's device path, run against the test's HSA runtime stand-in
// (stand_in_runtime.cc) because this machine has no AMD GPU: agent discovery,
// selection per agent, loading with the loader's sizes checked against the
// metadata, queues, kernargs, the doorbell and completion signals, ring
// wrap-around, indirect dispatch (the host build of devbin_dispatch_patch
// publishes the target packet the stand-in's packet processor waits at), and
// queue errors. The kernels are the device library's own, built for the host.
// What this cannot show: anything about a real GPU, ROCm's loader or its
// packet processor.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "devbin/device.h"
#include "devbin/hsa.h"
#include "devbin/kernel_args.h"
#include "hsa/packet.h"
#include "tests/hsa/stand_in_runtime.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

TEST_F(HsaDevice, AgentsAreListedWithTheirIsas) {
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100,gfx90a:xnack-", 1);
  auto agents = list_agents();
  ASSERT_TRUE(agents.ok()) << agents.status().to_string();
  ASSERT_EQ(agents->size(), 2u);  // the CPU agent is not listed
  const AgentProperties& first = agents->at(0);
  EXPECT_EQ(first.ordinal, 0);
  EXPECT_EQ(first.name, "gfx1100");
  EXPECT_EQ(first.product_name, "Stand-in gfx1100");
  // As ROCm 6.4 lists them: the agent's ISA, then its generic one.
  ASSERT_EQ(first.isa_names.size(), 2u);
  EXPECT_EQ(first.isa_names[0], "amdgcn-amd-amdhsa--gfx1100");
  EXPECT_EQ(first.isa_names[1], "amdgcn-amd-amdhsa--gfx11-generic");
  EXPECT_EQ(first.wavefront_size, 32u);
  EXPECT_EQ(first.compute_unit_count, 4u);
  EXPECT_EQ(first.pci_bus_id.size(), std::string("0000:11:00.0").size());
  EXPECT_EQ(first.pci_bus_id.substr(0, 5), "0000:");
  const AgentProperties& second = agents->at(1);
  EXPECT_EQ(second.ordinal, 1);
  ASSERT_EQ(second.isa_names.size(), 1u);  // gfx90a has no generic ISA
  EXPECT_EQ(second.isa_names[0], "amdgcn-amd-amdhsa--gfx90a:xnack-");
  EXPECT_EQ(second.wavefront_size, 64u);
  auto target = second.target();
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->to_string(), "gfx90a:xnack-");

  auto info = runtime_info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->library, DEVBIN_HSA_STAND_IN_RUNTIME);
  EXPECT_EQ(info->version_string(), "1.1");
}

// One agent the runtime will not describe hides no other: it is listed with
// why, its target() and open() fail with that, and the agents after it open.
TEST_F(HsaDevice, AnAgentThatCannotBeQueriedIsListedWithWhy) {
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100,gfx90a:xnack-,gfx1201", 1);
  setenv(DEVBIN_STAND_IN_HSA_BROKEN_AGENT_ENV, "gfx90a:xnack-", 1);
  auto agents = list_agents();
  ASSERT_TRUE(agents.ok()) << agents.status().to_string();
  ASSERT_EQ(agents->size(), 3u);
  EXPECT_TRUE(agents->at(0).status.ok());
  EXPECT_TRUE(agents->at(2).status.ok());
  EXPECT_EQ(agents->at(2).ordinal, 2);
  EXPECT_EQ(agents->at(2).name, "gfx1201");
  const AgentProperties& broken = agents->at(1);
  EXPECT_EQ(broken.ordinal, 1);
  EXPECT_EQ(broken.name, "gfx90a");  // read before the failing query
  ASSERT_FALSE(broken.status.ok());
  EXPECT_PRED_FORMAT2(assert_contains, broken.status.message(), "hsa_agent_iterate_isas");
  EXPECT_EQ(broken.target().status().message(), broken.status.message());

  auto opened = Device::open(1);
  ASSERT_FALSE(opened.ok());
  EXPECT_PRED_FORMAT2(assert_contains, opened.status().message(), "hsa_agent_iterate_isas");
  auto next = Device::open(2);
  EXPECT_TRUE(next.ok()) << next.status().to_string();
}

// One library per agent: a gfx11 dGPU, a gfx90a and a processor no code
// object serves, each with its own report.
TEST_F(HsaDevice, ReportsSelectPerAgent) {
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100,gfx90a:xnack-,gfx803", 1);
  auto reports = report_devices();
  ASSERT_TRUE(reports.ok()) << reports.status().to_string();
  ASSERT_EQ(reports->size(), 3u);

  const DeviceReport& gfx1100 = reports->at(0);
  EXPECT_EQ(gfx1100.backend, "hsa");
  EXPECT_EQ(gfx1100.index, 0);
  EXPECT_EQ(gfx1100.name, "Stand-in gfx1100");
  EXPECT_EQ(gfx1100.target, "gfx1100");
  EXPECT_TRUE(gfx1100.status.ok()) << gfx1100.status.to_string();
  ASSERT_TRUE(gfx1100.selected);
  EXPECT_EQ(gfx1100.selection.entry, "amdgcn-amd-amdhsa--gfx11-generic.so");
  EXPECT_EQ(gfx1100.selection.kind, SelectionKind::kGeneric);
  EXPECT_FALSE(gfx1100.selection.jit);
  EXPECT_GT(gfx1100.load_time.count(), 0);

  const DeviceReport& gfx90a = reports->at(1);
  EXPECT_TRUE(gfx90a.status.ok()) << gfx90a.status.to_string();
  EXPECT_EQ(gfx90a.target, "gfx90a:xnack-");
  EXPECT_EQ(gfx90a.selection.entry, "amdgcn-amd-amdhsa--gfx90a.so");

  const DeviceReport& gfx803 = reports->at(2);
  EXPECT_FALSE(gfx803.status.ok());
  EXPECT_FALSE(gfx803.selected);
  EXPECT_EQ(gfx803.target, "gfx803");
  EXPECT_PRED_FORMAT2(assert_contains, gfx803.status.message(), "HSA GPU agent 2: ");
  EXPECT_PRED_FORMAT2(assert_contains, gfx803.status.message(), "gfx803");
}

TEST_F(HsaDevice, OverrideForcesAnEntry) {
  OpenOptions options;
  options.override_entry = "amdgcn-amd-amdhsa--gfx11-generic.so";
  DeviceReport report;
  auto device = Device::open(0, options, &report);
  ASSERT_TRUE(device.ok()) << device.status().to_string();
  EXPECT_EQ(report.selection.kind, SelectionKind::kOverride);
  EXPECT_EQ((*device)->report().selection.entry, "amdgcn-amd-amdhsa--gfx11-generic.so");
}

TEST_F(HsaDevice, LoaderSizesThatDisagreeWithTheMetadataRefuseTheBlob) {
  setenv(DEVBIN_STAND_IN_HSA_KERNARG_DELTA_ENV, "8", 1);
  DeviceReport report;
  auto device = Device::open(0, {}, &report);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                      "loading amdgcn-amd-amdhsa--gfx11-generic.so: kernel devbin_fill: the loader reports a "
                      "kernarg segment size of 48 bytes, the code object's metadata 40");
  EXPECT_TRUE(report.selected);
  EXPECT_EQ(report.status.message(), device.status().message());
}

TEST_F(HsaDevice, ALoaderThatRefusesTheCodeObjectSaysWhatToDo) {
  setenv(DEVBIN_STAND_IN_HSA_REJECT_ENV, "1", 1);
  auto device = Device::open(0);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                      "hsa_executable_load_agent_code_object(amdgcn-amd-amdhsa--gfx11-generic.so) returned "
                      "HSA_STATUS_ERROR_INVALID_ISA (0x100f)");
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "DEVBIN_TARGET_OVERRIDE");
}

TEST_F(HsaDevice, AgentIndexOutOfRange) {
  auto device = Device::open(5);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kNotFound);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                      "HSA GPU agent 5 does not exist; the runtime shows 1 GPU agent(s)");
}

TEST_F(HsaDevice, FillEveryPatternWidthAndCopyMisaligned) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  for (size_t k = 0; k < kKernelCount; ++k) {
    EXPECT_NE(device->kernel(static_cast<Kernel>(k)).kernel_object, 0u);
    EXPECT_EQ(device->kernel(static_cast<Kernel>(k)).kernarg_segment_align, 16u);
  }
  auto queue_or = device->create_queue();
  ASSERT_TRUE(queue_or.ok()) << queue_or.status().to_string();
  Queue& queue = *queue_or.value();
  EXPECT_EQ(queue.size(), 1024u);

  constexpr uint64_t kBytes = 64 * 1024 + 48;
  auto buffer = device->allocate(kBytes);
  ASSERT_TRUE(buffer.ok()) << buffer.status().to_string();
  const size_t first_dispatch = stand_in_.dispatch_count();
  for (size_t width : {1u, 2u, 4u, 8u, 16u}) {
    std::vector<uint8_t> pattern(width);
    for (size_t i = 0; i < width; ++i) pattern[i] = static_cast<uint8_t>(0x10 * width + i);
    const uint64_t offset = 16 + width;  // a multiple of the width
    const uint64_t length = (kBytes - 2 * offset) / width * width;
    std::vector<uint8_t> sentinel(kBytes, 0x77);
    ASSERT_TRUE(device->copy_to_device(buffer->address(), sentinel.data(), kBytes).ok());
    Status status = device->fill(queue, buffer->address() + offset, length, pattern);
    ASSERT_TRUE(status.ok()) << status.to_string();
    ASSERT_TRUE(queue.synchronize().ok());
    std::vector<uint8_t> result(kBytes);
    ASSERT_TRUE(device->copy_to_host(result.data(), buffer->address(), kBytes).ok());
    for (uint64_t i = 0; i < kBytes; ++i) {
      const bool inside = i >= offset && i < offset + length;
      const uint8_t expected = inside ? pattern[(i - offset) % width] : 0x77;
      ASSERT_EQ(result[i], expected) << "width " << width << ", byte " << i;
    }
  }

  // What the packet processor was given for the fills.
  const auto dispatches = stand_in_.dispatches_since(first_dispatch);
  ASSERT_EQ(dispatches.size(), 5u);
  for (const auto& d : dispatches) {
    EXPECT_STREQ(d.kernel, "devbin_fill");
    EXPECT_EQ(d.header, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH));
    EXPECT_EQ(d.setup, 1);
    EXPECT_EQ(d.workgroup_size[0], device->launch_limits().workgroup_size);
    EXPECT_EQ(d.grid_size[0] % d.workgroup_size[0], 0u);
    EXPECT_LE(d.grid_size[0] / d.workgroup_size[0],
              device->launch_limits().compute_units * device->launch_limits().workgroups_per_compute_unit);
    EXPECT_EQ(d.kernarg_address % 16, 0u);
    EXPECT_NE(d.completion_signal, 0u);
  }

  // Copy with both sides misaligned, to each other too.
  auto source = device->allocate(kBytes);
  ASSERT_TRUE(source.ok());
  std::vector<uint8_t> bytes(kBytes);
  for (size_t i = 0; i < kBytes; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  ASSERT_TRUE(device->copy_to_device(source->address(), bytes.data(), kBytes).ok());
  std::vector<uint8_t> zeros(kBytes, 0);
  ASSERT_TRUE(device->copy_to_device(buffer->address(), zeros.data(), kBytes).ok());
  const uint64_t length = kBytes - 100;
  ASSERT_TRUE(device->copy(queue, buffer->address() + 3, source->address() + 1, length).ok());
  ASSERT_TRUE(queue.synchronize().ok());
  std::vector<uint8_t> result(kBytes);
  ASSERT_TRUE(device->copy_to_host(result.data(), buffer->address(), kBytes).ok());
  for (uint64_t i = 0; i < kBytes; ++i) {
    const uint8_t expected = i >= 3 && i < 3 + length ? bytes[i - 3 + 1] : 0;
    ASSERT_EQ(result[i], expected) << "byte " << i;
  }
}

TEST_F(HsaDevice, TimestampWritesTheSteadyClock) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue = device->create_queue(64);
  ASSERT_TRUE(queue.ok());
  auto record = device->allocate(sizeof(devbin_timestamp_record_t), MemoryKind::kHost);
  ASSERT_TRUE(record.ok());
  ASSERT_NE(record->host_pointer(), nullptr);
  std::memset(record->host_pointer(), 0, sizeof(devbin_timestamp_record_t));
  ASSERT_TRUE(device->timestamp(**queue, record->address()).ok());
  ASSERT_TRUE(device->timestamp(**queue, record->address() + 8).ok());  // 8-byte aligned is enough
  ASSERT_TRUE((*queue)->synchronize().ok());
  devbin_timestamp_record_t value;
  std::memcpy(&value, record->host_pointer(), sizeof(value));
  EXPECT_NE(value.steady, 0u);
  EXPECT_EQ(device->timestamp(**queue, record->address() + 4).code(), StatusCode::kInvalidArgument);

  // Calibrated against the host: the stand-in's host build reads CLOCK_MONOTONIC at 1 GHz.
  EXPECT_EQ(device->properties().timestamp_frequency_hz, 1000000000u);
  auto calibration = device->calibrate_clock(**queue, 8);
  ASSERT_TRUE(calibration.ok()) << calibration.status().to_string();
  const uint64_t before = host_monotonic_ns();
  ASSERT_TRUE(device->timestamp(**queue, record->address()).ok());
  ASSERT_TRUE((*queue)->synchronize().ok());
  const uint64_t after = host_monotonic_ns();
  std::memcpy(&value, record->host_pointer(), sizeof(value));
  const uint64_t host = calibration->to_host_ns(value.steady);
  EXPECT_GE(host + calibration->uncertainty_ns, before);
  EXPECT_LE(host, after + calibration->uncertainty_ns);
  EXPECT_EQ(device->calibrate_clock(**queue, 0).status().code(), StatusCode::kInvalidArgument);
}

// Counts in memory; the host build of devbin_dispatch_patch publishes the
// target packet the packet processor is waiting at.
TEST_F(HsaDevice, IndirectDispatchRunsTheTargetWithThePatchedGrid) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue_or = device->create_queue(64);
  ASSERT_TRUE(queue_or.ok());
  Queue& queue = *queue_or.value();

  constexpr uint64_t kBytes = 4096;
  auto target = device->allocate(kBytes);
  auto control = device->allocate(4096, MemoryKind::kHost);  // counts, status, kernargs
  ASSERT_TRUE(target.ok() && control.ok());
  uint8_t* host = static_cast<uint8_t*>(control->host_pointer());
  const uint32_t counts[3] = {3, 1, 1};
  std::memcpy(host, counts, sizeof(counts));
  uint32_t status = 0xffffffff;
  std::memcpy(host + 16, &status, 4);

  // The target: devbin_fill over the whole buffer, kernargs laid out by the caller.
  const KernelInfo* fill = device->code_object().find_kernel("devbin_fill");
  ASSERT_NE(fill, nullptr);
  const uint8_t pattern[4] = {0xde, 0xad, 0xbe, 0xef};
  auto args = make_fill_args(target->address(), kBytes, pattern);
  ASSERT_TRUE(args.ok());
  IndirectDispatch request;
  request.kernel = device->kernel(Kernel::devbin_fill);
  request.workgroup_size[0] = 64;
  DispatchGeometry geometry = linear_geometry(3, 64);  // what the hidden arguments would say, if it had any
  ASSERT_TRUE(write_kernargs({host + 256, fill->kernarg_segment_size}, *fill,
                             {reinterpret_cast<const uint8_t*>(&args.value()), sizeof(devbin_fill_args_t)}, geometry)
                  .ok());
  request.kernarg_address = control->address() + 256;
  request.workgroup_counts = control->address();
  request.status = control->address() + 16;

  const size_t first_dispatch = stand_in_.dispatch_count();
  ASSERT_TRUE(device->dispatch_indirect(queue, request).ok());
  Status synced = queue.synchronize();
  ASSERT_TRUE(synced.ok()) << synced.to_string();
  std::memcpy(&status, host + 16, 4);
  EXPECT_EQ(status, DEVBIN_DISPATCH_STATUS_OK);
  std::vector<uint8_t> result(kBytes);
  ASSERT_TRUE(device->copy_to_host(result.data(), target->address(), kBytes).ok());
  for (size_t i = 0; i < kBytes; ++i) ASSERT_EQ(result[i], pattern[i % 4]) << "byte " << i;

  const auto dispatches = stand_in_.dispatches_since(first_dispatch);
  ASSERT_EQ(dispatches.size(), 2u);
  EXPECT_STREQ(dispatches[0].kernel, "devbin_dispatch_patch");
  EXPECT_EQ(dispatches[0].grid_size[0], 1u);
  EXPECT_STREQ(dispatches[1].kernel, "devbin_fill");
  EXPECT_EQ(dispatches[1].queue_index, dispatches[0].queue_index + 2);  // after the barrier-AND
  EXPECT_EQ(dispatches[1].grid_size[0], 3u * 64);
  EXPECT_EQ(dispatches[1].workgroup_size[0], 64);
  EXPECT_EQ(dispatches[1].header, ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH));
  EXPECT_EQ(dispatches[1].kernarg_address, request.kernarg_address);

  // A zero count: the target becomes a no-op, the queue goes on.
  const uint32_t none[3] = {0, 1, 1};
  std::memcpy(host, none, sizeof(none));
  std::vector<uint8_t> zeros(kBytes, 0);
  ASSERT_TRUE(device->copy_to_device(target->address(), zeros.data(), kBytes).ok());
  const uint64_t packets_before = stand_in_.packet_count();
  ASSERT_TRUE(device->dispatch_indirect(queue, request).ok());
  ASSERT_TRUE(queue.synchronize().ok());
  EXPECT_EQ(stand_in_.packet_count() - packets_before, 3u);
  std::memcpy(&status, host + 16, 4);
  EXPECT_EQ(status, DEVBIN_DISPATCH_STATUS_EMPTY);
  ASSERT_TRUE(device->copy_to_host(result.data(), target->address(), kBytes).ok());
  EXPECT_EQ(result, zeros);
}

// More packets than the ring holds: slots and kernarg slots are reused only
// after the packets that used them completed.
TEST_F(HsaDevice, TheRingWrapsManyTimes) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue_or = device->create_queue(64);
  ASSERT_TRUE(queue_or.ok());
  Queue& queue = *queue_or.value();
  constexpr int kBlocks = 300;
  auto buffer = device->allocate(kBlocks * 64);
  auto control = device->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(buffer.ok() && control.ok());
  const KernelInfo* fill = device->code_object().find_kernel("devbin_fill");
  ASSERT_NE(fill, nullptr);
  uint8_t* host = static_cast<uint8_t*>(control->host_pointer());
  const uint32_t counts[3] = {1, 1, 1};
  std::memcpy(host, counts, sizeof(counts));
  for (int i = 0; i < kBlocks; ++i) {
    const uint8_t value = static_cast<uint8_t>(i);
    if (i % 10 == 0) {
      // Every tenth block through an indirect dispatch (three packets).
      auto args = make_fill_args(buffer->address() + i * 64, 64, {&value, 1});
      ASSERT_TRUE(args.ok());
      uint8_t* kernargs = host + 512 + (i / 10) * 64;
      ASSERT_TRUE(write_kernargs({kernargs, fill->kernarg_segment_size}, *fill,
                                 {reinterpret_cast<const uint8_t*>(&args.value()), sizeof(devbin_fill_args_t)},
                                 linear_geometry(1, 32))
                      .ok());
      IndirectDispatch request;
      request.kernel = device->kernel(Kernel::devbin_fill);
      request.kernarg_address = control->address() + 512 + (i / 10) * 64;
      request.workgroup_size[0] = 32;
      request.workgroup_counts = control->address();
      ASSERT_TRUE(device->dispatch_indirect(queue, request).ok());
    } else {
      ASSERT_TRUE(device->fill(queue, buffer->address() + i * 64, 64, {&value, 1}).ok());
    }
  }
  ASSERT_TRUE(queue.synchronize().ok());
  std::vector<uint8_t> result(kBlocks * 64);
  ASSERT_TRUE(device->copy_to_host(result.data(), buffer->address(), result.size()).ok());
  for (int i = 0; i < kBlocks * 64; ++i) ASSERT_EQ(result[i], static_cast<uint8_t>(i / 64)) << "byte " << i;
}

// A packet the packet processor refuses: the queue's error reaches the
// caller from synchronize, instead of a wait that never ends.
TEST_F(HsaDevice, AQueueErrorIsReportedNotWaitedFor) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  auto queue_or = device->create_queue(64);
  ASSERT_TRUE(queue_or.ok());
  Queue& queue = *queue_or.value();
  auto control = device->allocate(4096, MemoryKind::kHost);
  ASSERT_TRUE(control.ok());
  const uint32_t counts[3] = {1, 1, 1};
  std::memcpy(control->host_pointer(), counts, sizeof(counts));
  IndirectDispatch request;
  request.kernel.kernel_object = 0xdead00;  // no such kernel
  request.kernarg_address = control->address() + 256;
  request.workgroup_counts = control->address();
  ASSERT_TRUE(device->dispatch_indirect(queue, request).ok());
  Status status = queue.synchronize();
  ASSERT_FALSE(status.ok());
  EXPECT_PRED_FORMAT2(assert_contains, status.message(),
                      "the HSA queue failed: HSA_STATUS_ERROR_INVALID_PACKET_FORMAT (0x1009): the packet's "
                      "kernel_object is no loaded kernel descriptor: fake packet refused");
  // The queue takes no more work, and says why.
  auto buffer = device->allocate(64);
  ASSERT_TRUE(buffer.ok());
  const uint8_t zero = 0;
  EXPECT_PRED_FORMAT2(assert_contains, device->fill(queue, buffer->address(), 64, {&zero, 1}).message(),
                      "the HSA queue failed");
}

// The same agent through the neutral interface (devbin/device.h).
TEST_F(HsaDevice, TheNeutralInterfaceRunsTheBuiltins) {
  auto opened = devbin::Device::open({Backend::kHsa, 0});
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  devbin::Device& device = **opened;
  EXPECT_EQ(device.id().backend, Backend::kHsa);
  EXPECT_EQ(device.report().backend, "hsa");
  EXPECT_EQ(device.report().selection.entry, "amdgcn-amd-amdhsa--gfx11-generic.so");
  EXPECT_EQ(device.summary(), "4 CUs, wave32");
  ASSERT_NE(device.as_hsa(), nullptr);
  EXPECT_EQ(device.as_cuda(), nullptr);
  auto queue = device.create_queue();
  auto buffer = device.allocate(4096);
  ASSERT_TRUE(queue.ok() && buffer.ok());
  const uint8_t pattern[2] = {0x12, 0x34};
  ASSERT_TRUE(device.fill(**queue, (*buffer)->address(), 2048, pattern).ok());
  ASSERT_TRUE(device.copy(**queue, (*buffer)->address() + 2048 + 1, (*buffer)->address(), 1001).ok());
  ASSERT_TRUE((*queue)->synchronize().ok());
  std::vector<uint8_t> result(4096);
  ASSERT_TRUE(device.copy_to_host(result.data(), (*buffer)->address(), result.size()).ok());
  for (size_t i = 0; i < 2048; ++i) ASSERT_EQ(result[i], pattern[i % 2]) << "byte " << i;
  for (size_t i = 0; i < 1001; ++i) ASSERT_EQ(result[2049 + i], pattern[i % 2]) << "copied byte " << i;
  auto calibration = device.calibrate_clock(**queue, 4);
  ASSERT_TRUE(calibration.ok()) << calibration.status().to_string();
  EXPECT_EQ(calibration->frequency_hz, 1000000000u);
  // Another device's queue is refused, not misused.
  auto other = devbin::Device::open({Backend::kHsa, 0});
  ASSERT_TRUE(other.ok());
  Status refused = (*other)->fill(**queue, (*buffer)->address(), 2, pattern);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_PRED_FORMAT2(assert_contains, refused.message(), "the queue belongs to another device");
}

TEST_F(HsaDevice, ArgumentErrorsTakeNoSlot) {
  auto device = open_device();
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->create_queue(100).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device->create_queue(32).status().code(), StatusCode::kInvalidArgument);  // below the agent's minimum
  EXPECT_EQ(device->allocate(0).status().code(), StatusCode::kInvalidArgument);
  auto queue_or = device->create_queue(64);
  ASSERT_TRUE(queue_or.ok());
  Queue& queue = *queue_or.value();
  auto buffer = device->allocate(256);
  ASSERT_TRUE(buffer.ok());
  const uint64_t packets_before = stand_in_.packet_count();
  const uint8_t three[3] = {1, 2, 3};
  EXPECT_EQ(device->fill(queue, buffer->address(), 48, three).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device->copy(queue, buffer->address(), buffer->address() + 8, 64).code(), StatusCode::kInvalidArgument);
  devbin_dispatch_args_t patch{};
  patch.packet = buffer->address() + 8;
  EXPECT_EQ(device->dispatch_patch(queue, patch).code(), StatusCode::kInvalidArgument);
  IndirectDispatch request;
  EXPECT_EQ(device->dispatch_indirect(queue, request).code(), StatusCode::kInvalidArgument);
  // Zero-length operations are no-ops.
  EXPECT_TRUE(device->fill(queue, buffer->address(), 0, {three, 1}).ok());
  EXPECT_TRUE(device->copy(queue, buffer->address(), buffer->address() + 128, 0).ok());
  ASSERT_TRUE(queue.synchronize().ok());
  EXPECT_EQ(stand_in_.packet_count(), packets_before);
}

}  // namespace
}  // namespace devbin::hsa
