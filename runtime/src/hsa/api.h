// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA runtime API as devbin reaches it: libhsa-runtime64.so.1 opened with
// dlopen at run time, so building devbin needs no ROCm install and a machine
// without an AMD GPU still runs everything but this backend. The types, enum
// values, struct layouts and prototypes used are declared here from the HSA
// 1.x headers (hsa.h, hsa_ext_amd.h; x86-64, the large model); they are the
// runtime's stable ABI. tests/hsa/hsa_abi_test.cc checks every one of them
// against the installed hsa.h where there is one.
#ifndef DEVBIN_RUNTIME_SRC_HSA_API_H_
#define DEVBIN_RUNTIME_SRC_HSA_API_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "devbin/hsa.h"  // kRuntimePathEnv
#include "devbin/status.h"

namespace devbin::hsa::api {

// Handles: one 64-bit value each.
struct hsa_agent_t {
  uint64_t handle;
};
struct hsa_signal_t {
  uint64_t handle;
};
struct hsa_isa_t {
  uint64_t handle;
};
struct hsa_code_object_reader_t {
  uint64_t handle;
};
struct hsa_executable_t {
  uint64_t handle;
};
struct hsa_loaded_code_object_t {
  uint64_t handle;
};
struct hsa_executable_symbol_t {
  uint64_t handle;
};
struct hsa_amd_memory_pool_t {
  uint64_t handle;
};

using hsa_signal_value_t = int64_t;  // the large model

// Every hsa_status_t devbin names: X(name, value) for HSA_STATUS_<name>, the
// one table behind the enum below and status_name's names (api.cc).
#define DEVBIN_HSA_STATUSES(X)                                                            \
  X(SUCCESS, 0x0)                                                                         \
  X(INFO_BREAK, 0x1)                                                                      \
  X(ERROR, 0x1000)                                                                        \
  X(ERROR_INVALID_ARGUMENT, 0x1001)                                                       \
  X(ERROR_INVALID_QUEUE_CREATION, 0x1002)                                                 \
  X(ERROR_INVALID_ALLOCATION, 0x1003)                                                     \
  X(ERROR_INVALID_AGENT, 0x1004)                                                          \
  X(ERROR_INVALID_REGION, 0x1005)                                                         \
  X(ERROR_INVALID_SIGNAL, 0x1006)                                                         \
  X(ERROR_INVALID_QUEUE, 0x1007)                                                          \
  X(ERROR_OUT_OF_RESOURCES, 0x1008)                                                       \
  X(ERROR_INVALID_PACKET_FORMAT, 0x1009)                                                  \
  X(ERROR_RESOURCE_FREE, 0x100A)                                                          \
  X(ERROR_NOT_INITIALIZED, 0x100B)                                                        \
  X(ERROR_REFCOUNT_OVERFLOW, 0x100C)                                                      \
  X(ERROR_INCOMPATIBLE_ARGUMENTS, 0x100D)                                                 \
  X(ERROR_INVALID_INDEX, 0x100E)                                                          \
  X(ERROR_INVALID_ISA, 0x100F)                                                            \
  X(ERROR_INVALID_CODE_OBJECT, 0x1010)                                                    \
  X(ERROR_INVALID_EXECUTABLE, 0x1011)                                                     \
  X(ERROR_FROZEN_EXECUTABLE, 0x1012)                                                      \
  X(ERROR_INVALID_SYMBOL_NAME, 0x1013)                                                    \
  X(ERROR_VARIABLE_ALREADY_DEFINED, 0x1014)                                               \
  X(ERROR_VARIABLE_UNDEFINED, 0x1015)                                                     \
  X(ERROR_EXCEPTION, 0x1016)                                                              \
  X(ERROR_INVALID_ISA_NAME, 0x1017)                                                       \
  X(ERROR_INVALID_CODE_SYMBOL, 0x1018)                                                    \
  X(ERROR_INVALID_EXECUTABLE_SYMBOL, 0x1019)                                              \
  X(ERROR_INVALID_FILE, 0x1020)                                                           \
  X(ERROR_INVALID_CODE_OBJECT_READER, 0x1021)                                             \
  X(ERROR_INVALID_CACHE, 0x1022)                                                          \
  X(ERROR_INVALID_WAVEFRONT, 0x1023)                                                      \
  X(ERROR_INVALID_SIGNAL_GROUP, 0x1024)                                                   \
  X(ERROR_INVALID_RUNTIME_STATE, 0x1025)                                                  \
  X(ERROR_FATAL, 0x1026)                                                                  \
  /* ROCr's additions (hsa_ext_amd.h): small numbers, outside the 0x1000 block. */        \
  X(ERROR_INVALID_MEMORY_POOL, 40)                                                        \
  X(ERROR_MEMORY_APERTURE_VIOLATION, 41) /* an access beyond the largest legal address */ \
  X(ERROR_ILLEGAL_INSTRUCTION, 42) /* a wave executed an invalid instruction */           \
  X(ERROR_MEMORY_FAULT, 43) /* an access to an unmapped or protected address */           \
  X(CU_MASK_REDUCED, 44)                                                                  \
  /* Newer than Debian's ROCm 5.2 headers (hsa_abi_test cannot check them); */            \
  /* the values are ROCr's hsa_ext_amd.h. */                                              \
  X(ERROR_OUT_OF_REGISTERS, 45) /* the kernel needs more VGPRs than the agent has */      \
  X(ERROR_RESOURCE_BUSY, 46)                                                              \
  X(ERROR_NOT_SUPPORTED, 47)

// C enums are int-sized; declaring them with a fixed `int` base keeps every
// prototype below ABI-identical to hsa.h's.
enum hsa_status_t : int {
#define DEVBIN_HSA_STATUS_ENUMERATOR_(name, value) HSA_STATUS_##name = value,
  DEVBIN_HSA_STATUSES(DEVBIN_HSA_STATUS_ENUMERATOR_)
#undef DEVBIN_HSA_STATUS_ENUMERATOR_
};

enum hsa_system_info_t : int {
  HSA_SYSTEM_INFO_VERSION_MAJOR = 0,
  HSA_SYSTEM_INFO_VERSION_MINOR = 1,
  HSA_SYSTEM_INFO_TIMESTAMP = 2,            // uint64_t, system timestamp ticks
  HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY = 3,  // uint64_t, Hz: the unit of every wait's timeout_hint
};

enum hsa_device_type_t : int {
  HSA_DEVICE_TYPE_CPU = 0,
  HSA_DEVICE_TYPE_GPU = 1,
  HSA_DEVICE_TYPE_DSP = 2,
};

enum hsa_agent_feature_t : int {
  HSA_AGENT_FEATURE_KERNEL_DISPATCH = 1,
  HSA_AGENT_FEATURE_AGENT_DISPATCH = 2,
};

// hsa_agent_info_t and hsa_amd_agent_info_t share hsa_agent_get_info.
enum hsa_agent_info_t : int {
  HSA_AGENT_INFO_NAME = 0,                // char[64]
  HSA_AGENT_INFO_VENDOR_NAME = 1,         // char[64]
  HSA_AGENT_INFO_FEATURE = 2,             // hsa_agent_feature_t
  HSA_AGENT_INFO_PROFILE = 4,             // hsa_profile_t
  HSA_AGENT_INFO_WAVEFRONT_SIZE = 6,      // uint32_t
  HSA_AGENT_INFO_WORKGROUP_MAX_SIZE = 8,  // uint32_t
  HSA_AGENT_INFO_GRID_MAX_SIZE = 10,      // uint32_t
  HSA_AGENT_INFO_QUEUE_MIN_SIZE = 13,     // uint32_t
  HSA_AGENT_INFO_QUEUE_MAX_SIZE = 14,     // uint32_t
  HSA_AGENT_INFO_DEVICE = 17,             // hsa_device_type_t
  HSA_AGENT_INFO_VERSION_MAJOR = 21,
  HSA_AGENT_INFO_VERSION_MINOR = 22,
  HSA_AMD_AGENT_INFO_CHIP_ID = 0xA000,             // uint32_t
  HSA_AMD_AGENT_INFO_COMPUTE_UNIT_COUNT = 0xA002,  // uint32_t
  HSA_AMD_AGENT_INFO_BDFID = 0xA006,               // uint32_t: bus << 8 | device << 3 | function
  HSA_AMD_AGENT_INFO_PRODUCT_NAME = 0xA009,        // char[64]
  HSA_AMD_AGENT_INFO_MAX_WAVES_PER_CU = 0xA00A,    // uint32_t
  HSA_AMD_AGENT_INFO_DOMAIN = 0xA00F,              // uint32_t: PCI domain
  // uint64_t: the rate of the real-time counter (s_memrealtime, s_sendmsg_rtn
  // REALTIME) in Hz. Newer than Debian's ROCm 5.2 headers, so hsa_abi_test
  // cannot check it; the value is hsa_ext_amd.h's (ROCm 6).
  HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY = 0xA016,
  // hsa_agent_t: the CPU agent nearest the GPU (its NUMA node). Newer than
  // Debian's ROCm 5.2 headers; the value is ROCr's hsa_ext_amd.h.
  HSA_AMD_AGENT_INFO_NEAREST_CPU = 0xA113,
};

enum hsa_isa_info_t : int {
  HSA_ISA_INFO_NAME_LENGTH = 0,  // uint32_t, including the terminating NUL
  HSA_ISA_INFO_NAME = 1,         // char[NAME_LENGTH]
};

enum hsa_profile_t : int {
  HSA_PROFILE_BASE = 0,
  HSA_PROFILE_FULL = 1,
};

enum hsa_default_float_rounding_mode_t : int {
  HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT = 0,
  HSA_DEFAULT_FLOAT_ROUNDING_MODE_ZERO = 1,
  HSA_DEFAULT_FLOAT_ROUNDING_MODE_NEAR = 2,
};

enum hsa_symbol_kind_t : int {
  HSA_SYMBOL_KIND_VARIABLE = 0,
  HSA_SYMBOL_KIND_KERNEL = 1,
  HSA_SYMBOL_KIND_INDIRECT_FUNCTION = 2,
};

enum hsa_executable_symbol_info_t : int {
  HSA_EXECUTABLE_SYMBOL_INFO_TYPE = 0,                               // hsa_symbol_kind_t
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE = 11,       // uint32_t
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_ALIGNMENT = 12,  // uint32_t
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_GROUP_SEGMENT_SIZE = 13,         // uint32_t
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE = 14,       // uint32_t
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_DYNAMIC_CALLSTACK = 15,          // bool
  HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT = 22,                     // uint64_t
};

enum hsa_queue_type_t : int {
  HSA_QUEUE_TYPE_MULTI = 0,
  HSA_QUEUE_TYPE_SINGLE = 1,
};
using hsa_queue_type32_t = uint32_t;

enum hsa_signal_condition_t : int {
  HSA_SIGNAL_CONDITION_EQ = 0,
  HSA_SIGNAL_CONDITION_NE = 1,
  HSA_SIGNAL_CONDITION_LT = 2,
  HSA_SIGNAL_CONDITION_GTE = 3,
};

enum hsa_wait_state_t : int {
  HSA_WAIT_STATE_BLOCKED = 0,
  HSA_WAIT_STATE_ACTIVE = 1,
};

// AQL packet header fields (the same values device/abi.h spells DEVBIN_AQL_*).
enum hsa_packet_type_t : int {
  HSA_PACKET_TYPE_VENDOR_SPECIFIC = 0,
  HSA_PACKET_TYPE_INVALID = 1,
  HSA_PACKET_TYPE_KERNEL_DISPATCH = 2,
  HSA_PACKET_TYPE_BARRIER_AND = 3,
  HSA_PACKET_TYPE_AGENT_DISPATCH = 4,
  HSA_PACKET_TYPE_BARRIER_OR = 5,
};
enum hsa_fence_scope_t : int {
  HSA_FENCE_SCOPE_NONE = 0,
  HSA_FENCE_SCOPE_AGENT = 1,
  HSA_FENCE_SCOPE_SYSTEM = 2,
};
enum hsa_packet_header_t : int {
  HSA_PACKET_HEADER_TYPE = 0,
  HSA_PACKET_HEADER_BARRIER = 8,
  HSA_PACKET_HEADER_SCACQUIRE_FENCE_SCOPE = 9,
  HSA_PACKET_HEADER_SCRELEASE_FENCE_SCOPE = 11,
};
enum hsa_packet_header_width_t : int {
  HSA_PACKET_HEADER_WIDTH_TYPE = 8,
  HSA_PACKET_HEADER_WIDTH_BARRIER = 1,
  HSA_PACKET_HEADER_WIDTH_SCACQUIRE_FENCE_SCOPE = 2,
  HSA_PACKET_HEADER_WIDTH_SCRELEASE_FENCE_SCOPE = 2,
};
enum hsa_kernel_dispatch_packet_setup_t : int {
  HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS = 0,
};
enum hsa_kernel_dispatch_packet_setup_width_t : int {
  HSA_KERNEL_DISPATCH_PACKET_SETUP_WIDTH_DIMENSIONS = 2,
};

// The user-mode queue the runtime allocates (hsa_queue_t, large model).
struct hsa_queue_t {
  hsa_queue_type32_t type;
  uint32_t features;
  void* base_address;  // the ring of `size` 64-byte packets
  hsa_signal_t doorbell_signal;
  uint32_t size;
  uint32_t reserved1;
  uint64_t id;
};

// The kernel-dispatch packet is device/abi.h's devbin_aql_kernel_dispatch_packet_t.
struct hsa_barrier_and_packet_t {
  uint16_t header;
  uint16_t reserved0;
  uint32_t reserved1;
  hsa_signal_t dep_signal[5];
  uint64_t reserved2;
  hsa_signal_t completion_signal;
};

// AMD memory pools (hsa_ext_amd.h).
enum hsa_amd_segment_t : int {
  HSA_AMD_SEGMENT_GLOBAL = 0,
  HSA_AMD_SEGMENT_READONLY = 1,
  HSA_AMD_SEGMENT_PRIVATE = 2,
  HSA_AMD_SEGMENT_GROUP = 3,
};
enum hsa_amd_memory_pool_global_flag_t : int {
  HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT = 1,
  HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED = 2,
  HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED = 4,
};
enum hsa_amd_memory_pool_info_t : int {
  HSA_AMD_MEMORY_POOL_INFO_SEGMENT = 0,                  // hsa_amd_segment_t
  HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS = 1,             // uint32_t
  HSA_AMD_MEMORY_POOL_INFO_SIZE = 2,                     // size_t
  HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED = 5,    // bool
  HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_GRANULE = 6,    // size_t
  HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALIGNMENT = 7,  // size_t
};

// System events (hsa_ext_amd.h): ROCr's VM-fault handler packs a GPU memory
// fault into one and calls every handler registered with
// hsa_amd_register_system_event_handler; unless one returns
// HSA_STATUS_SUCCESS it prints "Memory access fault by GPU node-..." and
// calls abort() (core/runtime/runtime.cpp, Runtime::VMFaultHandler).
enum hsa_amd_event_type_t : int {
  HSA_AMD_GPU_MEMORY_FAULT_EVENT = 0,
};
// hsa_amd_gpu_memory_fault_info_t::fault_reason_mask bits
// (hsa_amd_memory_fault_reason_t).
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_PAGE_NOT_PRESENT = 1u << 0;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_READ_ONLY = 1u << 1;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_NX = 1u << 2;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_HOST_ONLY = 1u << 3;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_DRAMECC = 1u << 4;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_IMPRECISE = 1u << 5;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_SRAMECC = 1u << 6;
inline constexpr uint32_t HSA_AMD_MEMORY_FAULT_HANG = 1u << 31;
struct hsa_amd_gpu_memory_fault_info_t {
  hsa_agent_t agent;
  uint64_t virtual_address;
  uint32_t fault_reason_mask;
};
// Newer runtimes add members to the union (hardware exceptions, memory
// errors); devbin only reads events the runtime hands it, through a pointer,
// and reads memory_fault only for HSA_AMD_GPU_MEMORY_FAULT_EVENT.
struct hsa_amd_event_t {
  hsa_amd_event_type_t event_type;
  union {
    hsa_amd_gpu_memory_fault_info_t memory_fault;
  };
};
using hsa_amd_system_event_callback_t = hsa_status_t (*)(const hsa_amd_event_t* event, void* data);
// An async signal handler: called on the runtime's thread once the condition
// holds; returning false stops it.
using hsa_amd_signal_handler = bool (*)(hsa_signal_value_t value, void* arg);

using hsa_agent_callback_t = hsa_status_t (*)(hsa_agent_t agent, void* data);
using hsa_isa_callback_t = hsa_status_t (*)(hsa_isa_t isa, void* data);
using hsa_pool_callback_t = hsa_status_t (*)(hsa_amd_memory_pool_t pool, void* data);
using hsa_queue_error_callback_t = void (*)(hsa_status_t status, hsa_queue_t* source, void* data);

// Every entry point devbin calls, with its hsa.h / hsa_ext_amd.h prototype.
#define DEVBIN_HSA_API_FUNCTIONS(X)                                                                                    \
  X(hsa_status_string, hsa_status_t (*)(hsa_status_t, const char**))                                                   \
  X(hsa_init, hsa_status_t (*)())                                                                                      \
  X(hsa_system_get_info, hsa_status_t (*)(hsa_system_info_t, void*))                                                   \
  X(hsa_iterate_agents, hsa_status_t (*)(hsa_agent_callback_t, void*))                                                 \
  X(hsa_agent_get_info, hsa_status_t (*)(hsa_agent_t, hsa_agent_info_t, void*))                                        \
  X(hsa_agent_iterate_isas, hsa_status_t (*)(hsa_agent_t, hsa_isa_callback_t, void*))                                  \
  X(hsa_isa_get_info_alt, hsa_status_t (*)(hsa_isa_t, hsa_isa_info_t, void*))                                          \
  X(hsa_code_object_reader_create_from_memory, hsa_status_t (*)(const void*, size_t, hsa_code_object_reader_t*))       \
  X(hsa_code_object_reader_destroy, hsa_status_t (*)(hsa_code_object_reader_t))                                        \
  X(hsa_executable_create_alt,                                                                                         \
    hsa_status_t (*)(hsa_profile_t, hsa_default_float_rounding_mode_t, const char*, hsa_executable_t*))                \
  X(hsa_executable_load_agent_code_object,                                                                             \
    hsa_status_t (*)(hsa_executable_t, hsa_agent_t, hsa_code_object_reader_t, const char*, hsa_loaded_code_object_t*)) \
  X(hsa_executable_freeze, hsa_status_t (*)(hsa_executable_t, const char*))                                            \
  X(hsa_executable_destroy, hsa_status_t (*)(hsa_executable_t))                                                        \
  X(hsa_executable_get_symbol_by_name,                                                                                 \
    hsa_status_t (*)(hsa_executable_t, const char*, const hsa_agent_t*, hsa_executable_symbol_t*))                     \
  X(hsa_executable_symbol_get_info, hsa_status_t (*)(hsa_executable_symbol_t, hsa_executable_symbol_info_t, void*))    \
  X(hsa_amd_agent_iterate_memory_pools, hsa_status_t (*)(hsa_agent_t, hsa_pool_callback_t, void*))                     \
  X(hsa_amd_memory_pool_get_info, hsa_status_t (*)(hsa_amd_memory_pool_t, hsa_amd_memory_pool_info_t, void*))          \
  X(hsa_amd_memory_pool_allocate, hsa_status_t (*)(hsa_amd_memory_pool_t, size_t, uint32_t, void**))                   \
  X(hsa_amd_memory_pool_free, hsa_status_t (*)(void*))                                                                 \
  X(hsa_amd_agents_allow_access, hsa_status_t (*)(uint32_t, const hsa_agent_t*, const uint32_t*, const void*))         \
  X(hsa_memory_copy, hsa_status_t (*)(void*, const void*, size_t))                                                     \
  X(hsa_queue_create, hsa_status_t (*)(hsa_agent_t, uint32_t, hsa_queue_type32_t, hsa_queue_error_callback_t, void*,   \
                                       uint32_t, uint32_t, hsa_queue_t**))                                             \
  X(hsa_queue_destroy, hsa_status_t (*)(hsa_queue_t*))                                                                 \
  X(hsa_queue_add_write_index_scacq_screl, uint64_t (*)(const hsa_queue_t*, uint64_t))                                 \
  X(hsa_queue_load_read_index_scacquire, uint64_t (*)(const hsa_queue_t*))                                              \
  X(hsa_signal_create, hsa_status_t (*)(hsa_signal_value_t, uint32_t, const hsa_agent_t*, hsa_signal_t*))              \
  X(hsa_signal_destroy, hsa_status_t (*)(hsa_signal_t))                                                                \
  X(hsa_signal_store_screlease, void (*)(hsa_signal_t, hsa_signal_value_t))                                            \
  X(hsa_signal_wait_scacquire,                                                                                         \
    hsa_signal_value_t (*)(hsa_signal_t, hsa_signal_condition_t, hsa_signal_value_t, uint64_t, hsa_wait_state_t))

// Entry points devbin uses where the runtime has them (resolved with dlsym
// after the library opened; null where absent). Every ROCm since 5.x has both.
#define DEVBIN_HSA_OPTIONAL_FUNCTIONS(X)                                                                   \
  X(hsa_amd_register_system_event_handler, hsa_status_t (*)(hsa_amd_system_event_callback_t, void*))     \
  X(hsa_amd_signal_async_handler,                                                                        \
    hsa_status_t (*)(hsa_signal_t, hsa_signal_condition_t, hsa_signal_value_t, hsa_amd_signal_handler, void*))

struct Api {
#define DEVBIN_HSA_DECLARE_(name, type) std::type_identity_t<type> name = nullptr;
  DEVBIN_HSA_API_FUNCTIONS(DEVBIN_HSA_DECLARE_)
  DEVBIN_HSA_OPTIONAL_FUNCTIONS(DEVBIN_HSA_DECLARE_)
#undef DEVBIN_HSA_DECLARE_

  std::string path;            // what dlopen was given
  uint16_t version_major = 0;  // HSA_SYSTEM_INFO_VERSION_*: the HSA spec version the runtime implements
  uint16_t version_minor = 0;
  // HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY: what a wait's timeout_hint counts.
  uint64_t timestamp_frequency_hz = 0;
  Status init_status;  // hsa_init's outcome: a runtime without a usable GPU still loads
};

inline constexpr char kDefaultLibrary[] = "libhsa-runtime64.so.1";

// The names of every entry point in DEVBIN_HSA_API_FUNCTIONS, in order.
std::string_view function_name(size_t index);
size_t function_count();

// Opens the runtime (DEVBIN_HSA_RUNTIME_PATH if set, else libhsa-runtime64.so.1)
// once per distinct path and process and keeps it open and initialized
// (hsa_init is reference counted; devbin holds one reference for the life of
// the process, as HIP does). A missing library or missing entry points are
// errors; hsa_init's result is kept in init_status.
Result<const Api*> load();

// "HSA_STATUS_ERROR_OUT_OF_RESOURCES (0x1008)", from devbin's own table (it
// does not need the runtime).
std::string status_name(hsa_status_t status);
// status_name plus the runtime's own explanation (hsa_status_string) when it has one.
std::string error_text(const Api& api, hsa_status_t status);

// OK, or a Status naming the call and the runtime's error: a missing device or
// runtime maps to kUnavailable, a refused code object to kFailedPrecondition.
Status check(const Api& api, hsa_status_t status, std::string_view call);

}  // namespace devbin::hsa::api

#endif  // DEVBIN_RUNTIME_SRC_HSA_API_H_
