// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A test-only HSA runtime stand-in; see stand_in_runtime.h for what it does and
// what it does not pretend to do. Its entry points have hsa.h's C names and
// the signatures runtime/src/hsa/api.h declares.
#include "tests/hsa/stand_in_runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "devbin/kernel_args.h"
#include "devbin_internal/elf.h"
#include "hsa/api.h"
#include "tests/hsa/kernel_executor.h"

using namespace devbin::hsa::api;  // NOLINT: the runtime's own vocabulary
namespace stand_in = devbin::hsa::stand_in;

namespace {

std::mutex g_mutex;  // guards every registry below

// The environment, read each time it matters (one process loads the stand-in
// once; tests change the setting between cases).
bool env_is_1(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::strcmp(value, "1") == 0;
}
long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtol(value, nullptr, 0) : fallback;
}

// The ROCm generation modelled, as major * 10 + minor: 64, 63 or 52.
int rocm_generation() {
  const char* value = std::getenv(DEVBIN_STAND_IN_HSA_ROCM_ENV);
  if (value == nullptr || std::strcmp(value, "6.4") == 0) return 64;
  if (std::strcmp(value, "6.3") == 0) return 63;
  if (std::strcmp(value, "5.2") == 0) return 52;
  std::fprintf(stderr, "stand-in HSA runtime: %s=%s; expected 6.4, 6.3 or 5.2\n", DEVBIN_STAND_IN_HSA_ROCM_ENV, value);
  std::abort();
}

// The generic ISA ROCr's registry gives a processor (core/runtime/isa.cpp),
// with the features it keeps; "" for one without (gfx90a, gfx908, ...).
std::string generic_isa_of(const std::string& target) {
  const std::string processor = target.substr(0, target.find(':'));
  const std::string features = target.size() > processor.size() ? target.substr(processor.size()) : "";
  struct Family {
    const char* generic;
    std::vector<const char*> members;
    bool sramecc;  // the generic keeps sramecc (gfx9-4); xnack where the members have it
    bool xnack;
  };
  static const Family kFamilies[] = {
      {"gfx9-generic", {"gfx900", "gfx902", "gfx904", "gfx906", "gfx909", "gfx90c"}, false, true},
      {"gfx9-4-generic", {"gfx942", "gfx950"}, true, true},
      {"gfx10-1-generic", {"gfx1010", "gfx1011", "gfx1012", "gfx1013"}, false, true},
      {"gfx10-3-generic", {"gfx1030", "gfx1031", "gfx1032", "gfx1033", "gfx1034", "gfx1035", "gfx1036"}, false, false},
      {"gfx11-generic",
       {"gfx1100", "gfx1101", "gfx1102", "gfx1103", "gfx1150", "gfx1151", "gfx1152", "gfx1153"},
       false,
       false},
      {"gfx12-generic", {"gfx1200", "gfx1201"}, false, false},
  };
  for (const Family& family : kFamilies) {
    for (const char* member : family.members) {
      if (processor != member) continue;
      std::string name = std::string("amdgcn-amd-amdhsa--") + family.generic;
      if (family.sramecc && features.find("sramecc+") != std::string::npos) name += ":sramecc+";
      if (family.sramecc && features.find("sramecc-") != std::string::npos) name += ":sramecc-";
      if (family.xnack && features.find("xnack+") != std::string::npos) name += ":xnack+";
      if (family.xnack && features.find("xnack-") != std::string::npos) name += ":xnack-";
      return name;
    }
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Agents
//===----------------------------------------------------------------------===//

struct StandInAgent {
  bool gpu = false;
  int node = 0;           // a CPU agent's NUMA node
  std::string processor;  // "gfx1100"
  std::string isa;        // "amdgcn-amd-amdhsa--gfx1100"
  std::string generic;    // "amdgcn-amd-amdhsa--gfx11-generic", "" when none
  std::string product;
  uint32_t bdfid = 0;
  stand_in::AgentModel model;  // processor and wavefront size, for the executor
};

std::map<std::string, std::unique_ptr<StandInAgent>>& agents_by_target() {
  static auto* agents = new std::map<std::string, std::unique_ptr<StandInAgent>>();
  return *agents;
}

// The CPU agents: one per NUMA node (DEVBIN_STAND_IN_HSA_CPU_NODES, default 1).
std::vector<StandInAgent*> cpu_agents() {
  static StandInAgent* cpus[2] = {};
  const long nodes = std::clamp(env_number(DEVBIN_STAND_IN_HSA_CPU_NODES_ENV, 1), 1L, 2L);
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<StandInAgent*> out;
  for (int node = 0; node < nodes; ++node) {
    if (cpus[node] == nullptr) {
      cpus[node] = new StandInAgent();
      cpus[node]->node = node;
      cpus[node]->processor = "Stand-in CPU node " + std::to_string(node);
    }
    out.push_back(cpus[node]);
  }
  return out;
}

// The GPU agents the environment names, in order; handles stay stable.
std::vector<StandInAgent*> gpu_agents() {
  const char* env = std::getenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV);
  std::string list = env != nullptr ? env : "gfx1100";
  std::vector<StandInAgent*> out;
  std::lock_guard<std::mutex> lock(g_mutex);
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string target = list.substr(start, end - start);
    start = end + 1;
    if (target.empty()) continue;
    auto& slot = agents_by_target()[target];
    if (!slot) {
      slot = std::make_unique<StandInAgent>();
      slot->gpu = true;
      slot->processor = target.substr(0, target.find(':'));
      slot->isa = "amdgcn-amd-amdhsa--" + target;
      slot->generic = generic_isa_of(target);
      slot->product = "Stand-in " + slot->processor;
      slot->bdfid = static_cast<uint32_t>((0x10 + agents_by_target().size()) << 8);
      // gfx9 (GCN, CDNA) runs wave64; gfx10 and later wave32.
      slot->model.processor = slot->processor;
      slot->model.wavefront_size = slot->processor.starts_with("gfx9") ? 64 : 32;
    }
    out.push_back(slot.get());
  }
  return out;
}

StandInAgent* agent_of(hsa_agent_t agent) { return reinterpret_cast<StandInAgent*>(agent.handle); }

void copy_name(void* value, const std::string& text) {
  char* out = static_cast<char*>(value);
  std::memset(out, 0, 64);
  std::memcpy(out, text.data(), std::min<size_t>(text.size(), 63));
}

//===----------------------------------------------------------------------===//
// Signals and memory
//===----------------------------------------------------------------------===//

struct StandInQueue;
void on_doorbell(StandInQueue* queue);

struct StandInSignal {
  std::atomic<int64_t> value{0};
  std::mutex mutex;
  std::condition_variable changed;
  StandInQueue* doorbell_of = nullptr;  // the queue whose doorbell this is

  // Notified under the lock, and destroyed under it (hsa_signal_destroy):
  // a waiter that saw the new value may destroy the signal at once, as HSA
  // allows, while the packet processor that stored it is still notifying.
  void store(int64_t v) {
    std::lock_guard<std::mutex> lock(mutex);
    value.store(v, std::memory_order_release);
    changed.notify_all();
  }
  void subtract(int64_t v) {
    std::lock_guard<std::mutex> lock(mutex);
    value.fetch_sub(v, std::memory_order_acq_rel);
    changed.notify_all();
  }
};

StandInSignal* signal_of(hsa_signal_t signal) { return reinterpret_cast<StandInSignal*>(signal.handle); }

bool satisfied(int64_t value, hsa_signal_condition_t condition, int64_t compare) {
  switch (condition) {
    case HSA_SIGNAL_CONDITION_EQ:
      return value == compare;
    case HSA_SIGNAL_CONDITION_NE:
      return value != compare;
    case HSA_SIGNAL_CONDITION_LT:
      return value < compare;
    case HSA_SIGNAL_CONDITION_GTE:
      return value >= compare;
  }
  return false;
}

struct Allocation {
  size_t size = 0;
  int node = -1;  // the CPU pool's NUMA node; -1 for GPU memory
};
std::map<void*, Allocation>& allocations() {
  static auto* live = new std::map<void*, Allocation>();
  return *live;
}

// Pool handles: the kind in the low byte, a CPU pool's NUMA node above it.
enum : uint64_t { kGpuCoarsePool = 1, kCpuFineKernargPool = 2, kCpuCoarsePool = 3, kGpuGroupPool = 4 };
uint64_t pool_kind(hsa_amd_memory_pool_t pool) { return pool.handle & 0xff; }
int pool_node(hsa_amd_memory_pool_t pool) { return static_cast<int>(pool.handle >> 8); }

//===----------------------------------------------------------------------===//
// Code objects and executables
//===----------------------------------------------------------------------===//

// A kernel of a loaded code object; the kernel object packets carry is
// `symbol.descriptor`, the address of its descriptor in the image.
struct StandInSymbol {
  std::string name;  // "devbin_fill.kd"
  stand_in::LoadedKernelSymbol symbol;
  uint32_t group = 0;
  uint32_t priv = 0;
  uint32_t kernarg = 0;
  bool dynamic_stack = false;
};

struct StandInImage {
  stand_in::LoadedImage image;
  ~StandInImage() { std::free(image.base); }
};

struct StandInExecutable {
  std::vector<std::unique_ptr<StandInImage>> images;
  std::vector<std::unique_ptr<StandInSymbol>> symbols;
  StandInAgent* agent = nullptr;
  bool frozen = false;
};

struct StandInReader {
  std::vector<uint8_t> bytes;  // the runtime copies, as ROCm's does
};

// Loaded kernels by kernel object (descriptor address): what a dispatch
// packet's kernel_object may name.
std::map<uint64_t, const StandInSymbol*>& live_kernels() {
  static auto* kernels = new std::map<uint64_t, const StandInSymbol*>();
  return *kernels;
}

// hsa_status_string's text per status: the status's name, then what the last
// failed load or dispatch with that status said. The texts are interned and
// never freed, so a pointer handed out stays valid.
std::set<std::string>& interned_texts() {
  static auto* texts = new std::set<std::string>();
  return *texts;
}
std::map<hsa_status_t, const char*>& status_texts() {
  static auto* texts = new std::map<hsa_status_t, const char*>();
  return *texts;
}

void set_status_detail(hsa_status_t status, const std::string& detail) {
  std::lock_guard<std::mutex> lock(g_mutex);
  status_texts()[status] = interned_texts().insert(detail).first->c_str();
}

uint32_t read_u32(const uint8_t* at) {
  uint32_t value;
  std::memcpy(&value, at, 4);
  return value;
}

// The generic machines (EF_AMDGPU_MACH, AMDGPUUsage) by name.
const char* generic_machine_name(uint32_t mach) {
  switch (mach) {
    case 0x51:
      return "gfx9-generic";
    case 0x52:
      return "gfx10-1-generic";
    case 0x53:
      return "gfx10-3-generic";
    case 0x54:
      return "gfx11-generic";
    case 0x59:
      return "gfx12-generic";
    case 0x5f:
      return "gfx9-4-generic";
    default:
      return nullptr;
  }
}

// What the modelled ROCm generation's loader says to a code object before
// placing it: code object v6 needs ROCm 6.3, a generic code object 6.4 and
// the agent's own generic ISA.
hsa_status_t refused_by_generation(const devbin::elf::Header& header, const StandInAgent& agent) {
  const int rocm = rocm_generation();
  const uint32_t version = header.abi_version + 2u;  // EI_ABIVERSION 2, 3, 4: code object v4, v5, v6
  const char* generic = generic_machine_name(header.flags & 0xff);
  if (rocm < 63 && version > 5) {
    set_status_detail(HSA_STATUS_ERROR_INVALID_CODE_OBJECT,
                      "code object v" + std::to_string(version) + " (stand-in ROCm 5.2 loads v2 to v5)");
    return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  }
  if (generic == nullptr) return HSA_STATUS_SUCCESS;
  if (rocm < 64) {
    // ROCr before generic support: no ISA name for the older generic
    // machines; the newer ones are unknown machines to its ELF reader.
    const bool unknown_machine = (header.flags & 0xff) == 0x59 || (header.flags & 0xff) == 0x5f;
    const hsa_status_t status =
        unknown_machine ? HSA_STATUS_ERROR_INVALID_CODE_OBJECT : HSA_STATUS_ERROR_INVALID_ISA_NAME;
    set_status_detail(status, std::string("stand-in ROCm 6.3 knows no ISA ") + generic);
    return status;
  }
  if (agent.generic.empty() || agent.generic.substr(0, agent.generic.find(':')) !=
                                   std::string("amdgcn-amd-amdhsa--") + generic) {
    set_status_detail(HSA_STATUS_ERROR_INVALID_ISA, std::string(generic) + " is not " + agent.processor +
                                                        "'s generic ISA (" + agent.generic + ")");
    return HSA_STATUS_ERROR_INVALID_ISA;
  }
  return HSA_STATUS_SUCCESS;
}

// Code objects larger than this are refused (ours are tens of KiB).
constexpr uint64_t kMaxImageBytes = uint64_t{64} << 20;

// Loads as ROCm's loader does: every PT_LOAD segment at base + p_vaddr in one
// allocation (the rest zeroed), then each kernel descriptor (`<name>.kd` in
// .dynsym, 64 bytes) read from the image (AMDGPUUsage, "Kernel Descriptor"):
// group segment at byte 0, private at 4, kernarg size at 8,
// kernel_code_properties at 56 (bit 11: uses a dynamic stack).
hsa_status_t load_code_object(const std::vector<uint8_t>& bytes, StandInExecutable* executable) {
  auto file = devbin::elf::File::parse(bytes);
  if (!file.ok() || file->header().machine != devbin::elf::kMachineAmdgpu) return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  if (const hsa_status_t refused = refused_by_generation(file->header(), *executable->agent);
      refused != HSA_STATUS_SUCCESS) {
    return refused;
  }
  uint64_t image_size = 0;
  for (const devbin::elf::Segment& segment : file->segments()) {
    if (segment.type != devbin::elf::kSegmentLoad) continue;
    if (segment.memsz < segment.filesz || segment.vaddr > kMaxImageBytes ||
        segment.memsz > kMaxImageBytes - segment.vaddr) {
      return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
    }
    image_size = std::max(image_size, segment.vaddr + segment.memsz);
  }
  if (image_size == 0) return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  auto image = std::make_unique<StandInImage>();
  const uint64_t rounded = (image_size + 4095) / 4096 * 4096;
  image->image.base = static_cast<uint8_t*>(std::aligned_alloc(4096, rounded));
  if (image->image.base == nullptr) return HSA_STATUS_ERROR_OUT_OF_RESOURCES;
  std::memset(image->image.base, 0, rounded);
  image->image.size = image_size;
  image->image.elf_flags = file->header().flags;
  for (const devbin::elf::Segment& segment : file->segments()) {
    if (segment.type == devbin::elf::kSegmentLoad && !segment.data.empty()) {
      std::memcpy(image->image.base + segment.vaddr, segment.data.data(), segment.data.size());
    }
  }
  std::string refused;
  const hsa_status_t accepted = stand_in::executor_accepts(executable->agent->model, image->image, &refused);
  if (accepted != HSA_STATUS_SUCCESS) {
    set_status_detail(accepted, refused);
    return accepted;
  }

  const devbin::elf::Section* dynsym = file->find_section(".dynsym");
  if (dynsym == nullptr) return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  auto symbols = file->symbols(*dynsym);
  if (!symbols.ok()) return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  const int64_t delta = [] {
    const char* env = std::getenv(DEVBIN_STAND_IN_HSA_KERNARG_DELTA_ENV);
    return env != nullptr ? std::strtoll(env, nullptr, 0) : 0;
  }();
  for (const devbin::elf::Symbol& symbol : symbols.value()) {
    if (!symbol.name.ends_with(".kd") || symbol.size != 64) continue;
    if (symbol.value > image_size || image_size - symbol.value < 64) return HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
    const uint8_t* descriptor = image->image.base + symbol.value;
    auto loaded = std::make_unique<StandInSymbol>();
    loaded->name = std::string(symbol.name);
    loaded->symbol.name = loaded->name.substr(0, loaded->name.size() - 3);
    loaded->symbol.image = &image->image;
    loaded->symbol.descriptor = reinterpret_cast<uintptr_t>(descriptor);
    loaded->group = read_u32(descriptor + 0);
    loaded->priv = read_u32(descriptor + 4);
    loaded->kernarg = static_cast<uint32_t>(read_u32(descriptor + 8) + delta);
    uint16_t properties;
    std::memcpy(&properties, descriptor + 56, 2);
    loaded->dynamic_stack = (properties >> 11) & 1;
    executable->symbols.push_back(std::move(loaded));
  }
  executable->images.push_back(std::move(image));
  return HSA_STATUS_SUCCESS;
}


//===----------------------------------------------------------------------===//
// Time, system events and the GPU's page table
//===----------------------------------------------------------------------===//

// HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY: not 1 GHz, so a caller that passes
// nanoseconds as a timeout_hint waits 40 times too long.
constexpr uint64_t kSystemTimestampHz = 25000000;

std::chrono::nanoseconds ticks_to_duration(uint64_t ticks) {
  const uint64_t ns_per_tick = 1000000000 / kSystemTimestampHz;
  const uint64_t limit = UINT64_MAX / ns_per_tick;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::min(ticks, limit / 2) * ns_per_tick));
}

struct LastWait {
  bool seen = false;
  uint64_t timeout_ns = 0;
  int state = 0;
};
LastWait& last_wait() {
  static auto* wait = new LastWait();
  return *wait;
}

std::vector<std::pair<hsa_amd_system_event_callback_t, void*>>& event_handlers() {
  static auto* handlers = new std::vector<std::pair<hsa_amd_system_event_callback_t, void*>>();
  return *handlers;
}
std::atomic<uint64_t> g_faults{0};

// Queue rings the GPU may read and write besides the pool allocations.
std::map<void*, size_t>& mapped_rings() {
  static auto* rings = new std::map<void*, size_t>();
  return *rings;
}

// The first byte of [address, address + length) that no allocation or ring
// maps, or `address + length` when all of it is mapped. Called with g_mutex held.
uint64_t first_unmapped(uint64_t address, uint64_t length) {
  uint64_t at = address;
  const uint64_t end = address + length < address ? UINT64_MAX : address + length;
  while (at < end) {
    uint64_t covered_to = at;
    auto covers = [&](void* base, size_t size) {
      const uint64_t begin = reinterpret_cast<uint64_t>(base);
      if (begin <= at && at - begin < size) covered_to = std::max(covered_to, begin + size);
    };
    auto allocation = allocations().upper_bound(reinterpret_cast<void*>(at));
    if (allocation != allocations().begin()) {
      --allocation;
      covers(allocation->first, allocation->second.size);
    }
    auto ring = mapped_rings().upper_bound(reinterpret_cast<void*>(at));
    if (ring != mapped_rings().begin()) {
      --ring;
      covers(ring->first, ring->second);
    }
    if (covered_to == at) return at;
    at = covered_to;
  }
  return end;
}

// The memory one of devbin's kernels touches, from its explicit arguments
// (device/abi.h): (address, length) ranges.
std::vector<std::pair<uint64_t, uint64_t>> kernel_ranges(const std::string& kernel, const uint8_t* args) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (kernel == "devbin_fill") {
    devbin_fill_args_t fill;
    std::memcpy(&fill, args, sizeof(fill));
    ranges.emplace_back(fill.target, fill.length);
  } else if (kernel == "devbin_copy") {
    devbin_copy_args_t copy;
    std::memcpy(&copy, args, sizeof(copy));
    ranges.emplace_back(copy.source, copy.length);
    ranges.emplace_back(copy.target, copy.length);
  } else if (kernel == "devbin_timestamp") {
    devbin_timestamp_args_t timestamp;
    std::memcpy(&timestamp, args, sizeof(timestamp));
    ranges.emplace_back(timestamp.target, sizeof(devbin_timestamp_record_t));
  } else if (kernel == "devbin_dispatch_patch") {
    devbin_dispatch_args_t patch;
    std::memcpy(&patch, args, sizeof(patch));
    ranges.emplace_back(patch.workgroup_counts, 3 * sizeof(uint32_t));
    ranges.emplace_back(patch.packet, sizeof(devbin_aql_kernel_dispatch_packet_t));
    if (patch.status != 0) ranges.emplace_back(patch.status, sizeof(uint32_t));
    if (patch.target_kernargs != 0) {
      ranges.emplace_back(patch.target_kernargs + patch.hidden_block_count_offset, 3 * sizeof(uint32_t));
    }
  } else if (kernel == "devbin_update") {
    devbin_update_args_t update;
    std::memcpy(&update, args, sizeof(update));
    ranges.emplace_back(update.target, update.length);
  }
  return ranges;
}

// devbin_batch (device/batch.c): the table, and the operations the kernel
// would run: it runs nothing when its arguments or the last operation's
// numbering are broken, and skips each operation that breaks its own rules
// or is numbered wrong against a neighbour. Called with g_mutex held; the
// first unmapped byte, or 0 when all of it is mapped.
bool batch_chunks_fit(uint64_t length, uint64_t chunks, uint32_t chunk_bytes) {
  if (chunks >= DEVBIN_BATCH_MAX_CHUNK_INDEX) return false;
  if (length == 0) return chunks == 0;
  return chunks != 0 && (chunks - 1) * chunk_bytes < length && length <= chunks * chunk_bytes;
}

uint64_t batch_first_unmapped(const devbin_batch_args_t& args) {
  const uint32_t count = args.op_count;
  const uint32_t chunk_bytes = args.chunk_bytes;
  if (count == 0 || chunk_bytes == 0 || chunk_bytes % 16 != 0 || chunk_bytes > DEVBIN_BATCH_MAX_CHUNK_BYTES ||
      args.ops == 0 || args.ops % 8 != 0 || args.ops + uint64_t{count} * sizeof(devbin_batch_op_t) < args.ops ||
      args.status % 4 != 0) {
    return 0;
  }
  const uint64_t table_bytes = uint64_t{count} * sizeof(devbin_batch_op_t);
  const uint64_t table_end = first_unmapped(args.ops, table_bytes);
  if (table_end != args.ops + table_bytes) return table_end;
  if (args.status != 0 && first_unmapped(args.status, 4) != args.status + 4) return first_unmapped(args.status, 4);
  const auto* ops = reinterpret_cast<const devbin_batch_op_t*>(args.ops);
  auto numbered = [&](uint32_t i) {
    const uint64_t end = i + 1 < count ? ops[i + 1].first_chunk : args.chunk_count;
    return batch_chunks_fit(ops[i].length, end - ops[i].first_chunk, chunk_bytes);
  };
  if (!numbered(count - 1)) return 0;
  for (uint32_t i = 0; i < count; ++i) {
    const devbin_batch_op_t& op = ops[i];
    if (op.length == 0 || !numbered(i) || (i == 0 ? op.first_chunk != 0 : !numbered(i - 1))) continue;
    if (op.chunk_bytes != chunk_bytes || op.target == 0 || op.target + op.length < op.target) continue;
    if (op.kind == DEVBIN_BATCH_COPY) {
      if (op.source == 0 || op.source + op.length < op.source) continue;
      if (op.target < op.source + op.length && op.source < op.target + op.length) continue;
      const uint64_t source_end = first_unmapped(op.source, op.length);
      if (source_end != op.source + op.length) return source_end;
    } else if (op.kind != DEVBIN_BATCH_FILL) {
      continue;
    }
    const uint64_t target_end = first_unmapped(op.target, op.length);
    if (target_end != op.target + op.length) return target_end;
  }
  return 0;
}

// The rect kernels (device/rect.c): every row of a region they would move,
// when its bounding range is not all mapped (a launch device/rect.c
// refuses touches nothing). The first unmapped byte, or 0.
uint64_t rect_first_unmapped(const devbin_rect_region_t& region, const devbin_rect_extent_t& extent) {
  const std::optional<uint64_t> span = devbin::rect_span(region, extent);
  if (!span.has_value() || *span == 0 || region.base == 0 || region.base + *span < region.base) return 0;
  if (first_unmapped(region.base, *span) == region.base + *span) return 0;
  for (uint64_t slice = 0; slice < extent.depth; ++slice) {
    for (uint64_t row = 0; row < extent.height; ++row) {
      const uint64_t start = region.base + slice * region.slice_pitch + row * region.row_pitch;
      const uint64_t end = first_unmapped(start, extent.width);
      if (end != start + extent.width) return end;
    }
  }
  return 0;
}

// What the chunked kernels (batch, copy_rect, fill_rect) reach beyond
// kernel_ranges: the first unmapped byte, or 0. A rect launch the kernel
// refuses (chunk fields, overlap) is left to the kernel, which stores
// nothing; the host build checks exactly that.
uint64_t chunked_first_unmapped(const std::string& kernel, const uint8_t* args) {
  if (kernel == "devbin_batch") {
    devbin_batch_args_t batch;
    std::memcpy(&batch, args, sizeof(batch));
    return batch_first_unmapped(batch);
  }
  if (kernel == "devbin_copy_rect") {
    devbin_copy_rect_args_t copy;
    std::memcpy(&copy, args, sizeof(copy));
    if (const uint64_t at = rect_first_unmapped(copy.source, copy.extent)) return at;
    return rect_first_unmapped(copy.target, copy.extent);
  }
  if (kernel == "devbin_fill_rect") {
    devbin_fill_rect_args_t fill;
    std::memcpy(&fill, args, sizeof(fill));
    return rect_first_unmapped(fill.target, fill.extent);
  }
  return 0;
}

// ROCr's VM-fault handling (Runtime::VMFaultHandler): every registered
// handler sees the event; without one that returns HSA_STATUS_SUCCESS the
// runtime prints its message and aborts.
void raise_memory_fault(const StandInAgent* agent, uint64_t address) {
  ++g_faults;
  hsa_amd_event_t event{};
  event.event_type = HSA_AMD_GPU_MEMORY_FAULT_EVENT;
  event.memory_fault.agent = hsa_agent_t{reinterpret_cast<uint64_t>(agent)};
  event.memory_fault.virtual_address = address;
  event.memory_fault.fault_reason_mask = HSA_AMD_MEMORY_FAULT_PAGE_NOT_PRESENT;
  std::vector<std::pair<hsa_amd_system_event_callback_t, void*>> handlers;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    handlers = event_handlers();
  }
  bool taken = false;
  for (const auto& [callback, data] : handlers) {
    if (callback(&event, data) == HSA_STATUS_SUCCESS) taken = true;
  }
  if (taken) return;
  std::fprintf(stderr, "Memory access fault by GPU node-%u (Agent handle: %p) on address %p. Reason: %s.\n", 1u,
               static_cast<const void*>(agent), reinterpret_cast<const void*>(address),
               "Page not present or supervisor privilege");
  std::abort();
}

std::vector<devbin_stand_in_hsa_dispatch_t>& dispatch_log() {
  static auto* log = new std::vector<devbin_stand_in_hsa_dispatch_t>();
  return *log;
}
std::atomic<uint64_t> g_packets{0};

struct StandInQueue {
  hsa_queue_t queue{};  // what the caller sees; first, so the pointer converts
  StandInAgent* agent = nullptr;
  StandInSignal doorbell;
  mutable std::atomic<uint64_t> write_index{0};
  std::atomic<uint64_t> read_index{0};
  std::atomic<bool> stop{false};
  hsa_queue_error_callback_t callback = nullptr;
  void* callback_data = nullptr;
  std::thread processor;
  // An intercepted queue (DEVBIN_STAND_IN_HSA_INTERCEPT) reaches the packet
  // processor only through the interception layer: packets below `forwarded`.
  bool intercepted = false;
  std::mutex forward_mutex;
  std::atomic<uint64_t> forwarded{0};
  long hang_after = -1;  // DEVBIN_STAND_IN_HSA_HANG_AFTER: packets processed before the GPU hangs
  uint64_t processed = 0;

  // ROCr's InterceptQueue at a doorbell: forwards the packets from the last
  // one forwarded up to the write index, stopping at the first INVALID
  // header; those after it wait for the next doorbell.
  void forward() {
    std::lock_guard<std::mutex> lock(forward_mutex);
    uint64_t next = forwarded.load();
    const uint64_t end = write_index.load(std::memory_order_acquire);
    while (next < end) {
      const uint16_t header =
          std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(slot(next))).load(std::memory_order_acquire);
      if ((header & 0xff) == HSA_PACKET_TYPE_INVALID) break;
      ++next;
    }
    forwarded.store(next);
  }

  uint8_t* slot(uint64_t index) const {
    return static_cast<uint8_t*>(queue.base_address) + (index & (queue.size - 1)) * 64;
  }

  void fail(hsa_status_t status) {
    if (callback != nullptr) callback(status, &queue, callback_data);
    stop.store(true);
  }

  // A fault raised by this queue's packet: the event first (ROCr's handler
  // thread), then the kernel driver stops every queue of the process on
  // the agent; kernel drivers with exception reporting also tell each
  // queue (its error callback, HSA_STATUS_ERROR_MEMORY_FAULT).
  void memory_fault(uint64_t address);

  // The packet processor: in order, one packet at a time (so every packet is
  // ordered as if its barrier bit were set), only up to the doorbell, and
  // waiting at an INVALID header as the HSA spec has it. A doorbell value
  // below one seen before fails the queue: the packets between would never
  // be processed (producers on several threads that ring out of order have
  // lost track of their packets; devbin's Queue rings under its lock).
  void run() {
    int64_t highest_doorbell = -1;
    while (!stop.load()) {
      const uint64_t index = read_index.load();
      uint8_t* packet = slot(index);
      const uint16_t header =
          std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(packet)).load(std::memory_order_acquire);
      const int64_t rung_to = doorbell.value.load(std::memory_order_acquire);
      if (rung_to < highest_doorbell) {
        set_status_detail(HSA_STATUS_ERROR, "the doorbell went back from " + std::to_string(highest_doorbell) +
                                                " to " + std::to_string(rung_to) + ": packets rung out of order");
        fail(HSA_STATUS_ERROR);
        return;
      }
      highest_doorbell = rung_to;
      const bool rung = intercepted ? index < forwarded.load() : rung_to >= static_cast<int64_t>(index);
      const bool hung = hang_after >= 0 && processed >= static_cast<uint64_t>(hang_after);
      if (!rung || hung || (header & 0xff) == HSA_PACKET_TYPE_INVALID) {
        std::unique_lock<std::mutex> lock(doorbell.mutex);
        doorbell.changed.wait_for(lock, std::chrono::microseconds(200));
        continue;
      }
      uint64_t completion = 0;
      const uint16_t type = header & 0xff;
      if (type == HSA_PACKET_TYPE_KERNEL_DISPATCH) {
        devbin_aql_kernel_dispatch_packet_t body;
        std::memcpy(&body, packet, sizeof(body));
        completion = body.completion_signal;
        if (!dispatch(packet, body, index)) return;
      } else if (type == HSA_PACKET_TYPE_BARRIER_AND) {
        hsa_barrier_and_packet_t body;
        std::memcpy(&body, packet, sizeof(body));
        completion = body.completion_signal.handle;
        for (hsa_signal_t dependency : body.dep_signal) {
          if (dependency.handle == 0) continue;
          StandInSignal* signal = signal_of(dependency);
          std::unique_lock<std::mutex> lock(signal->mutex);
          signal->changed.wait(lock, [&] { return signal->value.load() == 0 || stop.load(); });
        }
      } else {
        set_status_detail(HSA_STATUS_ERROR_INVALID_PACKET_FORMAT,
                          "packet type " + std::to_string(type) + " is neither KERNEL_DISPATCH nor BARRIER_AND");
        fail(HSA_STATUS_ERROR_INVALID_PACKET_FORMAT);
        return;
      }
      ++g_packets;
      ++processed;
      // Consumed: the slot goes back to INVALID and the read index moves
      // before the completion signal, so whoever the signal wakes may reuse
      // the slot at once.
      std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(packet))
          .store(HSA_PACKET_TYPE_INVALID, std::memory_order_release);
      read_index.store(index + 1);
      if (completion != 0) reinterpret_cast<StandInSignal*>(completion)->subtract(1);
    }
  }

  // `slot` is the packet in the ring, `body` a copy of it.
  bool dispatch(const uint8_t* slot, const devbin_aql_kernel_dispatch_packet_t& body, uint64_t index) {
    devbin_stand_in_hsa_dispatch_t record{};
    record.header = body.header;
    record.setup = body.setup;
    record.workgroup_size[0] = body.workgroup_size_x;
    record.workgroup_size[1] = body.workgroup_size_y;
    record.workgroup_size[2] = body.workgroup_size_z;
    record.grid_size[0] = body.grid_size_x;
    record.grid_size[1] = body.grid_size_y;
    record.grid_size[2] = body.grid_size_z;
    record.kernarg_address = body.kernarg_address;
    record.completion_signal = body.completion_signal;
    record.queue_index = index;
    const StandInSymbol* symbol = nullptr;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      auto found = live_kernels().find(body.kernel_object);
      if (found != live_kernels().end()) symbol = found->second;
      if (symbol != nullptr) std::snprintf(record.kernel, sizeof(record.kernel), "%s", symbol->symbol.name.c_str());
      dispatch_log().push_back(record);
    }
    if (symbol == nullptr) {
      set_status_detail(HSA_STATUS_ERROR_INVALID_PACKET_FORMAT,
                        "the packet's kernel_object is no loaded kernel descriptor: fake packet refused");
      fail(HSA_STATUS_ERROR_INVALID_PACKET_FORMAT);
      return false;
    }
    // The GPU's page table: the kernarg segment and what the kernel's
    // arguments reach must be mapped, else the access faults.
    uint64_t fault_at = 0;
    bool faulted = false;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      std::vector<std::pair<uint64_t, uint64_t>> ranges = {{body.kernarg_address, symbol->kernarg}};
      if (first_unmapped(body.kernarg_address, symbol->kernarg) == body.kernarg_address + symbol->kernarg) {
        const auto touched = kernel_ranges(symbol->symbol.name, reinterpret_cast<const uint8_t*>(body.kernarg_address));
        ranges.insert(ranges.end(), touched.begin(), touched.end());
      }
      for (const auto& [address, length] : ranges) {
        if (length == 0) continue;
        const uint64_t unmapped = first_unmapped(address, length);
        if (unmapped != address + length) {
          fault_at = unmapped;
          faulted = true;
          break;
        }
      }
      if (!faulted) {
        if (first_unmapped(body.kernarg_address, symbol->kernarg) == body.kernarg_address + symbol->kernarg) {
          const uint64_t unmapped =
              chunked_first_unmapped(symbol->symbol.name, reinterpret_cast<const uint8_t*>(body.kernarg_address));
          if (unmapped != 0) {
            fault_at = unmapped;
            faulted = true;
          }
        }
      }
    }
    if (faulted) {
      memory_fault(fault_at);
      return false;
    }
    stand_in::KernelDispatch dispatch;
    dispatch.agent = &agent->model;
    dispatch.kernel = &symbol->symbol;
    dispatch.packet = reinterpret_cast<const devbin_aql_kernel_dispatch_packet_t*>(slot);
    dispatch.queue = &queue;
    dispatch.dispatch_id = index;
    std::string error;
    const hsa_status_t status = stand_in::executor_run(dispatch, &error);
    if (status != HSA_STATUS_SUCCESS) {
      set_status_detail(status, error);
      fail(status);
      return false;
    }
    return true;
  }
};

std::set<StandInQueue*>& live_queues() {
  static auto* queues = new std::set<StandInQueue*>();
  return *queues;
}

void StandInQueue::memory_fault(uint64_t address) {
  raise_memory_fault(agent, address);  // aborts the process unless a handler takes it
  const bool tell_queues = env_is_1(DEVBIN_STAND_IN_HSA_FAULT_QUEUE_ERROR_ENV);
  std::lock_guard<std::mutex> lock(g_mutex);  // no queue goes meanwhile
  for (StandInQueue* other : live_queues()) {
    if (other->agent != agent) continue;
    if (tell_queues && other->callback != nullptr) {
      other->callback(static_cast<hsa_status_t>(HSA_STATUS_ERROR_MEMORY_FAULT), &other->queue, other->callback_data);
    }
    other->stop.store(true);
    other->doorbell.changed.notify_all();
  }
}

void on_doorbell(StandInQueue* queue) {
  if (queue->intercepted) queue->forward();
}

}  // namespace

//===----------------------------------------------------------------------===//
// The entry points
//===----------------------------------------------------------------------===//

extern "C" {

hsa_status_t hsa_status_string(hsa_status_t status, const char** text) {
  if (text == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto detail = status_texts().find(status);
  *text = detail != status_texts().end() ? detail->second : "stand-in runtime status";
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_init() { return HSA_STATUS_SUCCESS; }
hsa_status_t hsa_shut_down() { return HSA_STATUS_SUCCESS; }

hsa_status_t hsa_system_get_info(hsa_system_info_t attribute, void* value) {
  switch (attribute) {
    case HSA_SYSTEM_INFO_VERSION_MAJOR:
    case HSA_SYSTEM_INFO_VERSION_MINOR:
      *static_cast<uint16_t*>(value) = 1;
      return HSA_STATUS_SUCCESS;
    case HSA_SYSTEM_INFO_TIMESTAMP: {
      const auto now = std::chrono::steady_clock::now().time_since_epoch();
      *static_cast<uint64_t*>(value) =
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) /
          (1000000000 / kSystemTimestampHz);
      return HSA_STATUS_SUCCESS;
    }
    case HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY:
      *static_cast<uint64_t*>(value) = kSystemTimestampHz;
      return HSA_STATUS_SUCCESS;
  }
  return HSA_STATUS_ERROR_INVALID_ARGUMENT;
}

hsa_status_t hsa_iterate_agents(hsa_agent_callback_t callback, void* data) {
  std::vector<StandInAgent*> agents = cpu_agents();  // ROCm lists CPU agents first
  for (StandInAgent* gpu : gpu_agents()) agents.push_back(gpu);
  for (StandInAgent* agent : agents) {
    const hsa_status_t status = callback(hsa_agent_t{reinterpret_cast<uint64_t>(agent)}, data);
    if (status != HSA_STATUS_SUCCESS) return status;
  }
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_agent_get_info(hsa_agent_t handle, hsa_agent_info_t attribute, void* value) {
  const StandInAgent* agent = agent_of(handle);
  auto u32 = [value](uint32_t v) {
    *static_cast<uint32_t*>(value) = v;
    return HSA_STATUS_SUCCESS;
  };
  switch (attribute) {
    case HSA_AGENT_INFO_NAME:
      copy_name(value, agent->processor);
      return HSA_STATUS_SUCCESS;
    case HSA_AGENT_INFO_VENDOR_NAME:
      copy_name(value, agent->gpu ? "AMD" : "CPU");
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_AGENT_INFO_PRODUCT_NAME:
      copy_name(value, agent->product);
      return HSA_STATUS_SUCCESS;
    case HSA_AGENT_INFO_FEATURE:
      *static_cast<hsa_agent_feature_t*>(value) =
          agent->gpu ? HSA_AGENT_FEATURE_KERNEL_DISPATCH : HSA_AGENT_FEATURE_AGENT_DISPATCH;
      return HSA_STATUS_SUCCESS;
    case HSA_AGENT_INFO_PROFILE:
      *static_cast<hsa_profile_t*>(value) = HSA_PROFILE_BASE;
      return HSA_STATUS_SUCCESS;
    case HSA_AGENT_INFO_DEVICE:
      *static_cast<hsa_device_type_t*>(value) = agent->gpu ? HSA_DEVICE_TYPE_GPU : HSA_DEVICE_TYPE_CPU;
      return HSA_STATUS_SUCCESS;
    case HSA_AGENT_INFO_WAVEFRONT_SIZE:
      return u32(agent->model.wavefront_size);
    case HSA_AGENT_INFO_WORKGROUP_MAX_SIZE:
      return u32(1024);
    case HSA_AGENT_INFO_GRID_MAX_SIZE:
      return u32(UINT32_MAX);
    case HSA_AGENT_INFO_QUEUE_MIN_SIZE:
      return u32(agent->gpu ? 64 : 0);
    case HSA_AGENT_INFO_QUEUE_MAX_SIZE:
      return u32(agent->gpu ? 131072 : 0);
    case HSA_AMD_AGENT_INFO_COMPUTE_UNIT_COUNT:
      return u32(agent->gpu ? 4 : 2);
    case HSA_AMD_AGENT_INFO_MAX_WAVES_PER_CU:
      return u32(32);
    case HSA_AMD_AGENT_INFO_CHIP_ID:
      return u32(0x744c);
    case HSA_AMD_AGENT_INFO_BDFID:
      return u32(agent->bdfid);
    case HSA_AMD_AGENT_INFO_DOMAIN:
      return u32(0);
    case HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY:
      *static_cast<uint64_t*>(value) = stand_in::executor_timestamp_frequency_hz();
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_AGENT_INFO_NEAREST_CPU: {
      if (!agent->gpu) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
      const std::vector<StandInAgent*> gpus = gpu_agents();
      const std::vector<StandInAgent*> cpus = cpu_agents();
      const size_t ordinal = static_cast<size_t>(std::find(gpus.begin(), gpus.end(), agent) - gpus.begin());
      *static_cast<hsa_agent_t*>(value) = hsa_agent_t{reinterpret_cast<uint64_t>(cpus[ordinal % cpus.size()])};
      return HSA_STATUS_SUCCESS;
    }
    default:
      return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  }
}

// An ISA handle is its agent's address; the low bit set names the agent's
// generic ISA (agents are aligned).
hsa_status_t hsa_agent_iterate_isas(hsa_agent_t agent, hsa_isa_callback_t callback, void* data) {
  const StandInAgent* fake = agent_of(agent);
  if (!fake->gpu) return HSA_STATUS_SUCCESS;
  const char* broken = std::getenv(DEVBIN_STAND_IN_HSA_BROKEN_AGENT_ENV);
  if (broken != nullptr && fake->isa == "amdgcn-amd-amdhsa--" + std::string(broken)) return HSA_STATUS_ERROR;
  hsa_status_t status = callback(hsa_isa_t{agent.handle}, data);
  // ROCm 6.4 and later: the agent's ISA, then its generic one.
  if (status == HSA_STATUS_SUCCESS && !fake->generic.empty() && rocm_generation() >= 64) {
    status = callback(hsa_isa_t{agent.handle | 1}, data);
  }
  return status;
}

hsa_status_t hsa_isa_get_info_alt(hsa_isa_t isa, hsa_isa_info_t attribute, void* value) {
  const StandInAgent* agent = reinterpret_cast<StandInAgent*>(isa.handle & ~uint64_t{1});
  const std::string& name = (isa.handle & 1) != 0 ? agent->generic : agent->isa;
  if (attribute == HSA_ISA_INFO_NAME_LENGTH) {
    *static_cast<uint32_t*>(value) = static_cast<uint32_t>(name.size() + 1);
  } else if (attribute == HSA_ISA_INFO_NAME) {
    std::memcpy(value, name.c_str(), name.size() + 1);
  } else {
    return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  }
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_code_object_reader_create_from_memory(const void* code_object, size_t size,
                                                       hsa_code_object_reader_t* reader) {
  if (code_object == nullptr || size == 0 || reader == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  auto* fake = new StandInReader();
  fake->bytes.assign(static_cast<const uint8_t*>(code_object), static_cast<const uint8_t*>(code_object) + size);
  reader->handle = reinterpret_cast<uint64_t>(fake);
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_code_object_reader_destroy(hsa_code_object_reader_t reader) {
  delete reinterpret_cast<StandInReader*>(reader.handle);
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_executable_create_alt(hsa_profile_t, hsa_default_float_rounding_mode_t, const char*,
                                       hsa_executable_t* executable) {
  executable->handle = reinterpret_cast<uint64_t>(new StandInExecutable());
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_executable_load_agent_code_object(hsa_executable_t executable, hsa_agent_t agent,
                                                   hsa_code_object_reader_t reader, const char*,
                                                   hsa_loaded_code_object_t* loaded) {
  auto* fake = reinterpret_cast<StandInExecutable*>(executable.handle);
  if (fake->frozen) return HSA_STATUS_ERROR_FROZEN_EXECUTABLE;
  const char* reject = std::getenv(DEVBIN_STAND_IN_HSA_REJECT_ENV);
  if (reject != nullptr && std::strcmp(reject, "1") == 0) return HSA_STATUS_ERROR_INVALID_ISA;
  fake->agent = agent_of(agent);
  const hsa_status_t status = load_code_object(reinterpret_cast<StandInReader*>(reader.handle)->bytes, fake);
  if (status != HSA_STATUS_SUCCESS) return status;
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& symbol : fake->symbols) live_kernels()[symbol->symbol.descriptor] = symbol.get();
  if (loaded != nullptr) loaded->handle = executable.handle;
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_executable_freeze(hsa_executable_t executable, const char*) {
  reinterpret_cast<StandInExecutable*>(executable.handle)->frozen = true;
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_executable_destroy(hsa_executable_t executable) {
  auto* fake = reinterpret_cast<StandInExecutable*>(executable.handle);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    for (const auto& symbol : fake->symbols) live_kernels().erase(symbol->symbol.descriptor);
  }
  delete fake;
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_executable_get_symbol_by_name(hsa_executable_t executable, const char* name, const hsa_agent_t* agent,
                                               hsa_executable_symbol_t* symbol) {
  auto* fake = reinterpret_cast<StandInExecutable*>(executable.handle);
  if (!fake->frozen) return HSA_STATUS_ERROR_INVALID_EXECUTABLE;
  if (agent == nullptr || agent_of(*agent) != fake->agent) return HSA_STATUS_ERROR_INVALID_AGENT;
  for (const auto& loaded : fake->symbols) {
    if (loaded->name == name) {
      symbol->handle = reinterpret_cast<uint64_t>(loaded.get());
      return HSA_STATUS_SUCCESS;
    }
  }
  return HSA_STATUS_ERROR_INVALID_SYMBOL_NAME;
}

hsa_status_t hsa_executable_symbol_get_info(hsa_executable_symbol_t symbol, hsa_executable_symbol_info_t attribute,
                                            void* value) {
  const auto* loaded = reinterpret_cast<const StandInSymbol*>(symbol.handle);
  switch (attribute) {
    case HSA_EXECUTABLE_SYMBOL_INFO_TYPE:
      *static_cast<hsa_symbol_kind_t*>(value) = HSA_SYMBOL_KIND_KERNEL;
      break;
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT:
      *static_cast<uint64_t*>(value) = loaded->symbol.descriptor;
      break;
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE:
      *static_cast<uint32_t*>(value) = loaded->kernarg;
      break;
    // ROCm's loader reports 16 for every code object v3+ kernel.
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_ALIGNMENT:
      *static_cast<uint32_t*>(value) = 16;
      break;
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_GROUP_SEGMENT_SIZE:
      *static_cast<uint32_t*>(value) = loaded->group;
      break;
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE:
      *static_cast<uint32_t*>(value) = loaded->priv;
      break;
    case HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_DYNAMIC_CALLSTACK:
      *static_cast<bool*>(value) = loaded->dynamic_stack;
      break;
    default:
      return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  }
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_amd_agent_iterate_memory_pools(hsa_agent_t agent, hsa_pool_callback_t callback, void* data) {
  const StandInAgent* fake = agent_of(agent);
  const uint64_t node = static_cast<uint64_t>(fake->node) << 8;
  const std::vector<uint64_t> pools = fake->gpu ? std::vector<uint64_t>{kGpuGroupPool, kGpuCoarsePool}
                                                : std::vector<uint64_t>{kCpuCoarsePool | node, kCpuFineKernargPool | node};
  for (uint64_t pool : pools) {
    const hsa_status_t status = callback(hsa_amd_memory_pool_t{pool}, data);
    if (status != HSA_STATUS_SUCCESS) return status;
  }
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_amd_memory_pool_get_info(hsa_amd_memory_pool_t handle, hsa_amd_memory_pool_info_t attribute,
                                          void* value) {
  const hsa_amd_memory_pool_t pool{pool_kind(handle)};
  switch (attribute) {
    case HSA_AMD_MEMORY_POOL_INFO_SEGMENT:
      *static_cast<hsa_amd_segment_t*>(value) =
          pool.handle == kGpuGroupPool ? HSA_AMD_SEGMENT_GROUP : HSA_AMD_SEGMENT_GLOBAL;
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS:
      *static_cast<uint32_t*>(value) =
          pool.handle == kCpuFineKernargPool
              ? HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED | HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT
              : HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED;
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_MEMORY_POOL_INFO_SIZE:
      *static_cast<size_t*>(value) = size_t{1} << 34;
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED:
      *static_cast<bool*>(value) = pool.handle != kGpuGroupPool;
      return HSA_STATUS_SUCCESS;
    case HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_GRANULE:
    case HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALIGNMENT:
      *static_cast<size_t*>(value) = 4096;
      return HSA_STATUS_SUCCESS;
  }
  return HSA_STATUS_ERROR_INVALID_ARGUMENT;
}

hsa_status_t hsa_amd_memory_pool_allocate(hsa_amd_memory_pool_t pool, size_t size, uint32_t, void** pointer) {
  if (pool_kind(pool) == kGpuGroupPool || size == 0 || pointer == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  // ROCr refuses what no pool holds; rounding it up to pages must not wrap to 0.
  if (size > SIZE_MAX - 4095) return HSA_STATUS_ERROR_OUT_OF_RESOURCES;
  const size_t rounded = (size + 4095) / 4096 * 4096;
  void* memory = std::aligned_alloc(4096, rounded);
  if (memory == nullptr) return HSA_STATUS_ERROR_OUT_OF_RESOURCES;
  std::memset(memory, 0xa5, rounded);  // fresh memory is not zero
  std::lock_guard<std::mutex> lock(g_mutex);
  allocations()[memory] = Allocation{rounded, pool_kind(pool) == kGpuCoarsePool ? -1 : pool_node(pool)};
  *pointer = memory;
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_amd_memory_pool_free(void* pointer) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = allocations().find(pointer);
  if (it == allocations().end()) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  allocations().erase(it);
  std::free(pointer);
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_amd_agents_allow_access(uint32_t count, const hsa_agent_t* agents, const uint32_t*,
                                         const void* pointer) {
  if (count == 0 || agents == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_mutex);
  return allocations().count(const_cast<void*>(pointer)) != 0 ? HSA_STATUS_SUCCESS : HSA_STATUS_ERROR_INVALID_ARGUMENT;
}

hsa_status_t hsa_memory_copy(void* target, const void* source, size_t size) {
  if (target == nullptr || source == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  std::memmove(target, source, size);
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_queue_create(hsa_agent_t agent, uint32_t size, hsa_queue_type32_t type,
                              hsa_queue_error_callback_t callback, void* data, uint32_t, uint32_t,
                              hsa_queue_t** queue) {
  if (!agent_of(agent)->gpu) return HSA_STATUS_ERROR_INVALID_QUEUE_CREATION;
  if (size < 64 || size > 131072 || (size & (size - 1)) != 0 || type > HSA_QUEUE_TYPE_SINGLE || queue == nullptr) {
    return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  }
  auto* fake = new StandInQueue();
  fake->agent = agent_of(agent);
  fake->callback = callback;
  fake->callback_data = data;
  fake->queue.type = type;
  fake->queue.features = 1;
  fake->queue.size = size;
  fake->queue.base_address = std::aligned_alloc(64, size_t{size} * 64);
  std::memset(fake->queue.base_address, 0, size_t{size} * 64);
  for (uint32_t i = 0; i < size; ++i) fake->slot(i)[0] = HSA_PACKET_TYPE_INVALID;
  fake->doorbell.value.store(-1);
  fake->queue.doorbell_signal.handle = reinterpret_cast<uint64_t>(&fake->doorbell);
  fake->doorbell.doorbell_of = fake;
  fake->intercepted = env_is_1(DEVBIN_STAND_IN_HSA_INTERCEPT_ENV);
  fake->hang_after = env_number(DEVBIN_STAND_IN_HSA_HANG_AFTER_ENV, -1);
  static std::atomic<uint64_t> next_id{1};
  fake->queue.id = next_id++;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    mapped_rings()[fake->queue.base_address] = size_t{size} * 64;
    live_queues().insert(fake);
  }
  fake->processor = std::thread([fake] { fake->run(); });
  *queue = &fake->queue;
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_queue_destroy(hsa_queue_t* queue) {
  auto* fake = reinterpret_cast<StandInQueue*>(queue);
  fake->stop.store(true);
  fake->doorbell.changed.notify_all();
  fake->processor.join();
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    mapped_rings().erase(fake->queue.base_address);
    live_queues().erase(fake);
  }
  std::free(fake->queue.base_address);
  delete fake;
  return HSA_STATUS_SUCCESS;
}

uint64_t hsa_queue_add_write_index_scacq_screl(const hsa_queue_t* queue, uint64_t value) {
  return reinterpret_cast<const StandInQueue*>(queue)->write_index.fetch_add(value);
}

uint64_t hsa_queue_load_read_index_scacquire(const hsa_queue_t* queue) {
  return reinterpret_cast<const StandInQueue*>(queue)->read_index.load(std::memory_order_acquire);
}

hsa_status_t hsa_signal_create(hsa_signal_value_t initial, uint32_t, const hsa_agent_t*, hsa_signal_t* signal) {
  auto* fake = new StandInSignal();
  fake->value.store(initial);
  signal->handle = reinterpret_cast<uint64_t>(fake);
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_signal_destroy(hsa_signal_t signal) {
  StandInSignal* fake = signal_of(signal);
  { std::lock_guard<std::mutex> lock(fake->mutex); }  // a store or subtract in flight ends first
  delete fake;
  return HSA_STATUS_SUCCESS;
}

void hsa_signal_store_screlease(hsa_signal_t signal, hsa_signal_value_t value) {
  StandInSignal* fake = signal_of(signal);
  fake->store(value);
  if (fake->doorbell_of != nullptr) on_doorbell(fake->doorbell_of);
}

hsa_signal_value_t hsa_signal_wait_scacquire(hsa_signal_t signal, hsa_signal_condition_t condition,
                                             hsa_signal_value_t compare, uint64_t timeout_hint,
                                             hsa_wait_state_t wait_state) {
  StandInSignal* fake = signal_of(signal);
  // The hint counts system timestamp ticks (kSystemTimestampHz); like the
  // real runtime, the wait may return before the condition holds.
  const std::chrono::nanoseconds timeout = ticks_to_duration(timeout_hint);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    last_wait() = LastWait{true, static_cast<uint64_t>(timeout.count()), static_cast<int>(wait_state)};
  }
  std::unique_lock<std::mutex> lock(fake->mutex);
  fake->changed.wait_for(lock, timeout, [&] { return satisfied(fake->value.load(), condition, compare); });
  return fake->value.load(std::memory_order_acquire);
}

// Each handler waits on a thread of its own (ROCr has one thread for all).
hsa_status_t hsa_amd_signal_async_handler(hsa_signal_t signal, hsa_signal_condition_t condition,
                                          hsa_signal_value_t value, hsa_amd_signal_handler handler, void* arg) {
  if (handler == nullptr || signal.handle == 0) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  if (env_is_1(DEVBIN_STAND_IN_HSA_NO_ASYNC_HANDLER_ENV)) return HSA_STATUS_ERROR_OUT_OF_RESOURCES;
  StandInSignal* fake = signal_of(signal);
  std::thread([fake, condition, value, handler, arg] {
    while (true) {
      int64_t observed = 0;
      {
        std::unique_lock<std::mutex> lock(fake->mutex);
        fake->changed.wait(lock, [&] { return satisfied(fake->value.load(), condition, value); });
        observed = fake->value.load();
      }
      if (!handler(observed, arg)) return;
    }
  }).detach();
  return HSA_STATUS_SUCCESS;
}

hsa_status_t hsa_amd_register_system_event_handler(hsa_amd_system_event_callback_t callback, void* data) {
  if (callback == nullptr) return HSA_STATUS_ERROR_INVALID_ARGUMENT;
  // ROCm 5 took one handler per process: a second registration fails.
  if (env_is_1(DEVBIN_STAND_IN_HSA_REFUSE_EVENT_HANDLER_ENV)) return HSA_STATUS_ERROR;
  std::lock_guard<std::mutex> lock(g_mutex);
  event_handlers().emplace_back(callback, data);  // ROCm 6 keeps every handler
  return HSA_STATUS_SUCCESS;
}

size_t devbin_stand_in_hsa_dispatch_count(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return dispatch_log().size();
}

int devbin_stand_in_hsa_dispatch_at(size_t index, devbin_stand_in_hsa_dispatch_t* out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (index >= dispatch_log().size()) return 0;
  *out = dispatch_log()[index];
  return 1;
}

uint64_t devbin_stand_in_hsa_packet_count(void) { return g_packets.load(); }

int devbin_stand_in_hsa_last_wait(uint64_t* timeout_ns, int* wait_state) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!last_wait().seen) return 0;
  *timeout_ns = last_wait().timeout_ns;
  *wait_state = last_wait().state;
  return 1;
}

uint64_t devbin_stand_in_hsa_fault_count(void) { return g_faults.load(); }

uint64_t devbin_stand_in_hsa_live_bytes(void) {
  std::lock_guard<std::mutex> lock(g_mutex);
  uint64_t total = 0;
  for (const auto& [pointer, allocation] : allocations()) total += allocation.size;
  return total;
}

int devbin_stand_in_hsa_memory_node(const void* pointer) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = allocations().upper_bound(const_cast<void*>(pointer));
  if (it == allocations().begin()) return -1;
  --it;
  const auto offset = static_cast<const uint8_t*>(pointer) - static_cast<const uint8_t*>(it->first);
  return static_cast<size_t>(offset) < it->second.size ? it->second.node : -1;
}

}  // extern "C"
