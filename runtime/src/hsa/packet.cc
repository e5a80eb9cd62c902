// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's pure parts: kernel checks, kernarg layout and AQL packet
// building. Nothing here touches the runtime, so all of it is tested on
// machines without a GPU.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "devbin_internal/text.h"
#include "hsa/packet.h"

namespace devbin::hsa {

using util::hex;

namespace {

// A hidden argument kind devbin knows, with the size the code-object v5/v6
// metadata gives it (AMDGPUUsage, "Code Object V5 Metadata").
struct HiddenKind {
  std::string_view name;
  uint32_t size;
};
constexpr HiddenKind kKnownHiddenKinds[] = {
    {"hidden_block_count_x", 4},   {"hidden_block_count_y", 4},    {"hidden_block_count_z", 4},
    {"hidden_group_size_x", 2},    {"hidden_group_size_y", 2},     {"hidden_group_size_z", 2},
    {"hidden_remainder_x", 2},     {"hidden_remainder_y", 2},      {"hidden_remainder_z", 2},
    {"hidden_global_offset_x", 8}, {"hidden_global_offset_y", 8},  {"hidden_global_offset_z", 8},
    {"hidden_grid_dims", 2},       {"hidden_dynamic_lds_size", 4}, {"hidden_queue_ptr", 8},
};

const HiddenKind* known_hidden_kind(std::string_view name) {
  for (const HiddenKind& kind : kKnownHiddenKinds) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

// x/y/z suffix -> 0/1/2.
int axis_of(std::string_view name) { return name.back() - 'x'; }

void store_le(uint8_t* at, uint32_t size, uint64_t value) {
  for (uint32_t i = 0; i < size; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

Status check_workgroup_size(std::string_view what, uint16_t dimensions, const uint32_t (&size)[3]) {
  if (dimensions < 1 || dimensions > 3) {
    return invalid_argument(std::string(what) + ": " + std::to_string(dimensions) + " dimensions; expected 1, 2 or 3");
  }
  for (int d = 0; d < 3; ++d) {
    if (size[d] == 0 || size[d] > 0xffff) {
      return invalid_argument(std::string(what) + ": workgroup_size[" + std::to_string(d) + "] is " +
                              std::to_string(size[d]) + "; expected 1..65535 (the AQL packet's 16-bit field)");
    }
    if (d >= dimensions && size[d] != 1) {
      return invalid_argument(std::string(what) + ": workgroup_size[" + std::to_string(d) + "] is " +
                              std::to_string(size[d]) + " in a " + std::to_string(dimensions) +
                              "-dimensional dispatch; expected 1");
    }
  }
  return Status::Ok();
}

}  // namespace


Status check_loaded_kernel(const KernelInfo& metadata, const LoadedKernel& loaded) {
  if (loaded.kernel_object == 0) {
    return failed_precondition("kernel " + metadata.name + ": the loader reports a null kernel object");
  }
  struct Field {
    const char* what;
    uint32_t from_metadata;
    uint32_t from_loader;
  };
  const Field fields[] = {
      {"kernarg segment size", metadata.kernarg_segment_size, loaded.kernarg_segment_size},
      {"group segment size", metadata.group_segment_fixed_size, loaded.group_segment_size},
      {"private segment size", metadata.private_segment_fixed_size, loaded.private_segment_size},
  };
  for (const Field& field : fields) {
    if (field.from_metadata != field.from_loader) {
      return failed_precondition("kernel " + metadata.name + ": the loader reports a " + field.what + " of " +
                                 std::to_string(field.from_loader) + " bytes, the code object's metadata " +
                                 std::to_string(field.from_metadata) +
                                 "; the kernel descriptor and the metadata disagree, so the blob is refused");
    }
  }
  if (loaded.dynamic_callstack) {
    return failed_precondition("kernel " + metadata.name +
                               " needs a dynamic call stack; the builtins are built without calls or recursion, "
                               "so the blob is refused");
  }
  return Status::Ok();
}

uint32_t kernarg_alignment(const KernelInfo& metadata, const LoadedKernel& loaded) {
  return std::max({metadata.kernarg_segment_align, loaded.kernarg_segment_align, uint32_t{16}});
}

DispatchGeometry linear_geometry(uint32_t workgroups, uint32_t workgroup_size) {
  DispatchGeometry geometry;
  geometry.dimensions = 1;
  geometry.workgroup_size[0] = workgroup_size;
  const uint64_t items = uint64_t{workgroups} * workgroup_size;
  geometry.grid_size[0] = static_cast<uint32_t>(std::min<uint64_t>(items, std::numeric_limits<uint32_t>::max()));
  return geometry;
}

Status check_geometry(const DispatchGeometry& geometry) {
  DEVBIN_RETURN_IF_ERROR(check_workgroup_size("dispatch", geometry.dimensions, geometry.workgroup_size));
  for (int d = 0; d < 3; ++d) {
    if (geometry.grid_size[d] == 0) {
      return invalid_argument("dispatch: grid_size[" + std::to_string(d) + "] is 0; expected at least 1 work-item");
    }
    if (d >= geometry.dimensions && geometry.grid_size[d] != 1) {
      return invalid_argument("dispatch: grid_size[" + std::to_string(d) + "] is " +
                              std::to_string(geometry.grid_size[d]) + " in a " + std::to_string(geometry.dimensions) +
                              "-dimensional dispatch; expected 1");
    }
  }
  return Status::Ok();
}

Status write_kernargs(std::span<uint8_t> segment, const KernelInfo& kernel, std::span<const uint8_t> explicit_args,
                      const DispatchGeometry& geometry, const HiddenArgumentValues& hidden) {
  DEVBIN_RETURN_IF_ERROR(check_geometry(geometry));
  const std::string where = "kernargs of " + kernel.name + ": ";
  if (segment.size() < kernel.kernarg_segment_size) {
    return invalid_argument(where + "the segment is " + std::to_string(segment.size()) +
                            " bytes; the metadata's kernarg_segment_size is " +
                            std::to_string(kernel.kernarg_segment_size));
  }
  if (explicit_args.size() != kernel.explicit_args_size) {
    return invalid_argument(where + std::to_string(explicit_args.size()) +
                            " bytes of explicit arguments; the metadata expects " +
                            std::to_string(kernel.explicit_args_size));
  }
  if (explicit_args.size() > kernel.kernarg_segment_size) {
    return failed_precondition(where + "the explicit arguments (" + std::to_string(explicit_args.size()) +
                               " bytes) exceed the kernarg segment (" + std::to_string(kernel.kernarg_segment_size) +
                               " bytes)");
  }
  std::fill(segment.begin(), segment.end(), uint8_t{0});
  if (!explicit_args.empty()) std::memcpy(segment.data(), explicit_args.data(), explicit_args.size());

  for (const KernelArg& arg : kernel.args) {
    const std::string_view kind = arg.value_kind;
    if (uint64_t{arg.offset} + arg.size > kernel.kernarg_segment_size) {
      return failed_precondition(where + "argument '" + arg.value_kind + "' at offset " + std::to_string(arg.offset) +
                                 " (" + std::to_string(arg.size) + " bytes) lies outside the " +
                                 std::to_string(kernel.kernarg_segment_size) + "-byte kernarg segment");
    }
    if (!kind.starts_with("hidden_")) continue;
    if (arg.offset < explicit_args.size()) {
      return failed_precondition(where + "hidden argument '" + arg.value_kind + "' at offset " +
                                 std::to_string(arg.offset) + " overlaps the " + std::to_string(explicit_args.size()) +
                                 " bytes of explicit arguments");
    }
    const HiddenKind* known = known_hidden_kind(kind);
    if (known == nullptr) continue;  // stays zero: a feature the builtins do not use
    if (arg.size != known->size) {
      return failed_precondition(where + "'" + arg.value_kind + "' is " + std::to_string(arg.size) +
                                 " bytes; expected " + std::to_string(known->size));
    }
    uint64_t value = 0;
    if (kind.starts_with("hidden_block_count_")) {
      const int d = axis_of(kind);
      value = geometry.grid_size[d] / geometry.workgroup_size[d];
    } else if (kind.starts_with("hidden_group_size_")) {
      value = geometry.workgroup_size[axis_of(kind)];
    } else if (kind.starts_with("hidden_remainder_")) {
      const int d = axis_of(kind);
      value = geometry.grid_size[d] % geometry.workgroup_size[d];
    } else if (kind == "hidden_grid_dims") {
      value = geometry.dimensions;
    } else if (kind == "hidden_queue_ptr") {
      value = hidden.queue;
    }  // global offsets and dynamic LDS size: 0
    store_le(segment.data() + arg.offset, arg.size, value);
  }
  return Status::Ok();
}

uint16_t aql_header(uint16_t type, bool barrier, uint16_t acquire_scope, uint16_t release_scope) {
  return static_cast<uint16_t>((type << DEVBIN_AQL_HEADER_TYPE_SHIFT) |
                               ((barrier ? 1u : 0u) << DEVBIN_AQL_HEADER_BARRIER_SHIFT) |
                               ((acquire_scope & 3u) << DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT) |
                               ((release_scope & 3u) << DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT));
}

uint16_t ordered_header(uint16_t type) {
  return aql_header(type, true, DEVBIN_AQL_FENCE_SCOPE_SYSTEM, DEVBIN_AQL_FENCE_SCOPE_SYSTEM);
}

uint16_t aql_dispatch_setup(uint16_t dimensions) { return static_cast<uint16_t>(dimensions & 3u); }

devbin_aql_kernel_dispatch_packet_t make_dispatch_packet(const LoadedKernel& kernel, const DispatchGeometry& geometry,
                                                         DevicePtr kernarg_address, uint64_t completion_signal) {
  devbin_aql_kernel_dispatch_packet_t packet{};
  packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID;
  packet.setup = aql_dispatch_setup(geometry.dimensions);
  packet.workgroup_size_x = static_cast<uint16_t>(geometry.workgroup_size[0]);
  packet.workgroup_size_y = static_cast<uint16_t>(geometry.workgroup_size[1]);
  packet.workgroup_size_z = static_cast<uint16_t>(geometry.workgroup_size[2]);
  packet.grid_size_x = geometry.grid_size[0];
  packet.grid_size_y = geometry.grid_size[1];
  packet.grid_size_z = geometry.grid_size[2];
  packet.private_segment_size = kernel.private_segment_size;
  packet.group_segment_size = kernel.group_segment_size;
  packet.kernel_object = kernel.kernel_object;
  packet.kernarg_address = kernarg_address;
  packet.completion_signal = completion_signal;
  return packet;
}

Result<AqlBarrierAndPacket> make_barrier_and_packet(std::span<const uint64_t> dependencies,
                                                    uint64_t completion_signal) {
  AqlBarrierAndPacket packet;
  if (dependencies.size() > std::size(packet.dep_signal)) {
    return invalid_argument("barrier-AND packet: " + std::to_string(dependencies.size()) +
                            " dependencies; a packet holds at most 5");
  }
  std::copy(dependencies.begin(), dependencies.end(), packet.dep_signal);
  packet.completion_signal = completion_signal;
  return packet;
}

void reserve_packet(void* slot) {
  std::atomic_ref<uint32_t>(*static_cast<uint32_t*>(slot))
      .store(DEVBIN_AQL_PACKET_TYPE_INVALID, std::memory_order_relaxed);
}

void write_packet_body(void* slot, const void* packet) {
  std::memcpy(static_cast<uint8_t*>(slot) + 4, static_cast<const uint8_t*>(packet) + 4, 60);
}

void publish_packet(void* slot, uint16_t header, uint16_t setup) {
  // Header and setup share the packet's first 32 bits; one release store makes
  // the whole body visible before the packet processor can see a valid type.
  // The ring may live in device memory (HSA_ALLOCATE_QUEUE_DEV_MEM=1), mapped
  // write-combining over PCIe: x86 orders write-combining stores only with
  // sfence, so a release store alone could let the header reach the GPU
  // before the body. ROCr issues _mm_sfence before its header stores for such
  // rings (AqlQueue, InterceptQueue); so does this, whatever the ring's memory.
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
  const uint32_t word = uint32_t{header} | (uint32_t{setup} << 16);
  std::atomic_ref<uint32_t>(*static_cast<uint32_t*>(slot)).store(word, std::memory_order_release);
}

void* packet_slot(void* ring, uint32_t size, uint64_t index) {
  return static_cast<uint8_t*>(ring) + (index & (uint64_t{size} - 1)) * 64;
}

Result<std::optional<uint32_t>> hidden_block_count_offset(const KernelInfo& kernel) {
  const KernelArg* found[3] = {nullptr, nullptr, nullptr};
  for (const KernelArg& arg : kernel.args) {
    if (arg.value_kind.starts_with("hidden_block_count_") && arg.value_kind.size() == 20) {
      const int d = axis_of(arg.value_kind);
      if (d >= 0 && d < 3) found[d] = &arg;
    }
  }
  if (found[0] == nullptr && found[1] == nullptr && found[2] == nullptr) return std::optional<uint32_t>();
  const std::string where = "kernargs of " + kernel.name + ": ";
  for (int d = 0; d < 3; ++d) {
    const std::string name = std::string("hidden_block_count_") + static_cast<char>('x' + d);
    if (found[d] == nullptr) {
      return failed_precondition(where + "the metadata has some hidden block counts but no '" + name + "'");
    }
    if (found[d]->size != 4 || found[d]->offset != found[0]->offset + 4 * d) {
      return failed_precondition(where + "'" + name + "' is " + std::to_string(found[d]->size) +
                                 " bytes at offset " + std::to_string(found[d]->offset) + "; expected 4 bytes at " +
                                 std::to_string(found[0]->offset + 4 * d) +
                                 " (x, y, z consecutive, as code object v5/v6 lays them out)");
    }
  }
  if (found[0]->offset % 4 != 0 || uint64_t{found[0]->offset} + 12 > kernel.kernarg_segment_size) {
    return failed_precondition(where + "the hidden block counts at offset " + std::to_string(found[0]->offset) +
                               " are not 4-byte aligned inside the " + std::to_string(kernel.kernarg_segment_size) +
                               "-byte kernarg segment");
  }
  return std::optional<uint32_t>(found[0]->offset);
}

Result<IndirectPackets> make_indirect_dispatch(const LoadedKernel& patcher, DevicePtr patcher_kernarg_address,
                                               const IndirectDispatch& request, DevicePtr target_packet_address,
                                               uint64_t completion_signal) {
  DEVBIN_RETURN_IF_ERROR(check_workgroup_size("indirect dispatch", request.dimensions, request.workgroup_size));
  if (target_packet_address == 0 || target_packet_address % 64 != 0) {
    return invalid_argument("indirect dispatch: target packet address " + hex(target_packet_address) +
                            " is null or not 64-byte aligned (AQL packets are 64-byte aligned)");
  }
  if (request.workgroup_counts == 0 || request.workgroup_counts % 4 != 0) {
    return invalid_argument("indirect dispatch: workgroup_counts address " + hex(request.workgroup_counts) +
                            " is null or not 4-byte aligned");
  }
  if (request.status % 4 != 0) {
    return invalid_argument("indirect dispatch: status address " + hex(request.status) + " is not 4-byte aligned");
  }
  if (request.kernel.kernel_object == 0) {
    return invalid_argument("indirect dispatch: the target's kernel object is null");
  }
  if (request.kernel.kernarg_segment_size != 0 && request.kernarg_address == 0) {
    return invalid_argument("indirect dispatch: the target kernel takes " +
                            std::to_string(request.kernel.kernarg_segment_size) +
                            " bytes of kernargs but its kernarg address is null");
  }
  if (request.hidden_block_count_offset.has_value()) {
    const uint64_t offset = *request.hidden_block_count_offset;
    if (request.kernarg_address == 0 || request.kernarg_address % 4 != 0 || offset % 4 != 0 ||
        offset + 12 > request.kernel.kernarg_segment_size) {
      return invalid_argument("indirect dispatch: hidden block counts at kernarg address " +
                              hex(request.kernarg_address) + " + " + std::to_string(offset) +
                              "; expected a non-null, 4-byte aligned kernarg address and an offset that is a "
                              "multiple of 4 with the 12 bytes of counts inside the target's " +
                              std::to_string(request.kernel.kernarg_segment_size) + "-byte kernarg segment");
    }
  }
  if (patcher.kernel_object == 0 || patcher_kernarg_address == 0) {
    return invalid_argument("indirect dispatch: the patcher kernel or its kernarg address is null");
  }

  IndirectPackets packets;
  devbin_dispatch_args_t& args = packets.patch_args;
  args.workgroup_counts = request.workgroup_counts;
  args.packet = target_packet_address;
  args.status = request.status;
  for (int d = 0; d < 3; ++d) {
    args.workgroup_size[d] = request.workgroup_size[d];
    args.max_workgroup_count[d] = request.max_workgroup_count[d];
  }
  args.header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
  args.setup = aql_dispatch_setup(request.dimensions);
  if (request.hidden_block_count_offset.has_value()) {
    args.target_kernargs = request.kernarg_address;
    args.hidden_block_count_offset = *request.hidden_block_count_offset;
  }

  packets.patcher = make_dispatch_packet(patcher, linear_geometry(1, 1), patcher_kernarg_address, completion_signal);
  packets.patcher_header = ordered_header(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
  packets.patcher_setup = packets.patcher.setup;

  DEVBIN_ASSIGN_OR_RETURN(packets.barrier, make_barrier_and_packet({}, completion_signal));
  // The barrier bit makes the packet processor wait for the patcher to
  // complete; the acquire fence then makes its writes to the target visible.
  packets.barrier_header = ordered_header(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND);

  // The grid stays zero: only the patcher knows it.
  DispatchGeometry shape;
  shape.dimensions = request.dimensions;
  for (int d = 0; d < 3; ++d) shape.workgroup_size[d] = request.workgroup_size[d];
  packets.target = make_dispatch_packet(request.kernel, shape, request.kernarg_address, completion_signal);
  packets.target.grid_size_x = packets.target.grid_size_y = packets.target.grid_size_z = 0;
  return packets;
}

uint32_t workgroup_count(const LaunchLimits& limits, uint64_t work_items) {
  if (work_items == 0) return 0;
  const uint64_t size = std::max<uint32_t>(limits.workgroup_size, 1);
  const uint64_t wave = std::max<uint64_t>(uint64_t{limits.compute_units} * limits.workgroups_per_compute_unit, 1);
  // The packet's grid is 32-bit in work-items.
  const uint64_t grid_limit = std::numeric_limits<uint32_t>::max() / size;
  return static_cast<uint32_t>(std::min({(work_items + size - 1) / size, wave, grid_limit}));
}

}  // namespace devbin::hsa
