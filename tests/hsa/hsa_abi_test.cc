// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What runtime/src/hsa/api.h declares, checked against the installed HSA
// headers (Debian: libhsa-runtime-dev, /usr/include/hsa): every struct's size
// and field offsets, every enum value, and every entry point's signature
// (arity and the size and kind of each parameter and the result). The checks
// are static_asserts, so a drift fails the build; the tests then say what was
// compared. Without the headers the test skips, saying so.
#include <gtest/gtest.h>

#include <cstddef>
#include <type_traits>

#include "devbin/hsa.h"
#include "device/abi.h"
#include "hsa/api.h"
#include "hsa/packet.h"

#if DEVBIN_HAVE_HSA_H
#include <hsa/hsa.h>
#include <hsa/hsa_ext_amd.h>

namespace devbin::hsa {
namespace {

namespace ours = devbin::hsa::api;

// Two types pass the same way through the x86-64 calling convention.
template <typename A, typename B>
constexpr bool same_abi_type() {
  if constexpr (std::is_void_v<A> || std::is_void_v<B>) {
    return std::is_void_v<A> && std::is_void_v<B>;
  } else if constexpr (std::is_pointer_v<A> || std::is_pointer_v<B>) {
    return std::is_pointer_v<A> && std::is_pointer_v<B>;
  } else if constexpr (std::is_class_v<A> || std::is_class_v<B>) {
    return std::is_class_v<A> && std::is_class_v<B> && sizeof(A) == sizeof(B) && alignof(A) == alignof(B);
  } else {
    // Integers and enums: same width, and bool only with bool.
    return sizeof(A) == sizeof(B) && std::is_same_v<A, bool> == std::is_same_v<B, bool>;
  }
}

template <typename F, typename G>
struct SameSignature : std::false_type {};
template <typename R1, typename... A1, typename R2, typename... A2>
struct SameSignature<R1 (*)(A1...), R2 (*)(A2...)> {
  static constexpr bool value = sizeof...(A1) == sizeof...(A2) && same_abi_type<R1, R2>() && []() {
    if constexpr (sizeof...(A1) == sizeof...(A2)) {
      return (same_abi_type<A1, A2>() && ...);
    } else {
      return false;
    }
  }();
};

}  // namespace
}  // namespace devbin::hsa

// Expanded inside api's namespace, so the prototypes' type names are api.h's.
namespace devbin::hsa::api {
#define DEVBIN_CHECK_SIGNATURE_(name, type)                                                         \
  static_assert(::devbin::hsa::SameSignature<std::type_identity_t<type>, decltype(&::name)>::value, \
                #name ": api.h's prototype differs from hsa.h's");
DEVBIN_HSA_API_FUNCTIONS(DEVBIN_CHECK_SIGNATURE_)
DEVBIN_HSA_OPTIONAL_FUNCTIONS(DEVBIN_CHECK_SIGNATURE_)
#undef DEVBIN_CHECK_SIGNATURE_
}  // namespace devbin::hsa::api

namespace devbin::hsa {
namespace {

// Enum values: every enumerator api.h declares.
#define DEVBIN_HSA_ENUMERATORS(X)                                              \
  X(HSA_STATUS_SUCCESS)                                                        \
  X(HSA_STATUS_INFO_BREAK)                                                     \
  X(HSA_STATUS_ERROR)                                                          \
  X(HSA_STATUS_ERROR_INVALID_ARGUMENT)                                         \
  X(HSA_STATUS_ERROR_INVALID_QUEUE_CREATION)                                   \
  X(HSA_STATUS_ERROR_INVALID_AGENT)                                            \
  X(HSA_STATUS_ERROR_INVALID_REGION)                                           \
  X(HSA_STATUS_ERROR_INVALID_SIGNAL)                                           \
  X(HSA_STATUS_ERROR_INVALID_QUEUE)                                            \
  X(HSA_STATUS_ERROR_OUT_OF_RESOURCES)                                         \
  X(HSA_STATUS_ERROR_INVALID_PACKET_FORMAT)                                    \
  X(HSA_STATUS_ERROR_NOT_INITIALIZED)                                          \
  X(HSA_STATUS_ERROR_REFCOUNT_OVERFLOW)                                        \
  X(HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS)                                   \
  X(HSA_STATUS_ERROR_INVALID_INDEX)                                            \
  X(HSA_STATUS_ERROR_INVALID_ISA)                                              \
  X(HSA_STATUS_ERROR_INVALID_EXECUTABLE)                                       \
  X(HSA_STATUS_ERROR_FROZEN_EXECUTABLE)                                        \
  X(HSA_STATUS_ERROR_INVALID_SYMBOL_NAME)                                      \
  X(HSA_STATUS_ERROR_VARIABLE_ALREADY_DEFINED)                                 \
  X(HSA_STATUS_ERROR_EXCEPTION)                                                \
  X(HSA_STATUS_ERROR_INVALID_ISA_NAME)                                         \
  X(HSA_STATUS_ERROR_INVALID_CODE_SYMBOL)                                      \
  X(HSA_STATUS_ERROR_INVALID_EXECUTABLE_SYMBOL)                                \
  X(HSA_STATUS_ERROR_INVALID_CODE_OBJECT_READER)                               \
  X(HSA_STATUS_ERROR_INVALID_CACHE)                                            \
  X(HSA_STATUS_ERROR_INVALID_WAVEFRONT)                                        \
  X(HSA_STATUS_ERROR_INVALID_SIGNAL_GROUP)                                     \
  X(HSA_STATUS_ERROR_FATAL)                                                    \
  X(HSA_STATUS_ERROR_INVALID_MEMORY_POOL)                                      \
  X(HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION)                                \
  X(HSA_STATUS_ERROR_ILLEGAL_INSTRUCTION)                                      \
  X(HSA_STATUS_ERROR_MEMORY_FAULT)                                             \
  X(HSA_STATUS_CU_MASK_REDUCED)                                                \
  X(HSA_SYSTEM_INFO_TIMESTAMP)                                                 \
  X(HSA_SYSTEM_INFO_TIMESTAMP_FREQUENCY)                                       \
  X(HSA_AMD_GPU_MEMORY_FAULT_EVENT)                                            \
  X(HSA_SYSTEM_INFO_VERSION_MAJOR)                                             \
  X(HSA_SYSTEM_INFO_VERSION_MINOR)                                             \
  X(HSA_DEVICE_TYPE_CPU)                                                       \
  X(HSA_DEVICE_TYPE_GPU)                                                       \
  X(HSA_DEVICE_TYPE_DSP)                                                       \
  X(HSA_AGENT_FEATURE_AGENT_DISPATCH)                                          \
  X(HSA_AGENT_INFO_NAME)                                                       \
  X(HSA_AGENT_INFO_VENDOR_NAME)                                                \
  X(HSA_AGENT_INFO_FEATURE)                                                    \
  X(HSA_AGENT_INFO_PROFILE)                                                    \
  X(HSA_AGENT_INFO_WORKGROUP_MAX_SIZE)                                         \
  X(HSA_AGENT_INFO_GRID_MAX_SIZE)                                              \
  X(HSA_AGENT_INFO_QUEUE_MIN_SIZE)                                             \
  X(HSA_AGENT_INFO_QUEUE_MAX_SIZE)                                             \
  X(HSA_AGENT_INFO_DEVICE)                                                     \
  X(HSA_AGENT_INFO_VERSION_MINOR)                                              \
  X(HSA_AMD_AGENT_INFO_CHIP_ID)                                                \
  X(HSA_AMD_AGENT_INFO_COMPUTE_UNIT_COUNT)                                     \
  X(HSA_AMD_AGENT_INFO_BDFID)                                                  \
  X(HSA_AMD_AGENT_INFO_MAX_WAVES_PER_CU)                                       \
  X(HSA_AMD_AGENT_INFO_DOMAIN)                                                 \
  X(HSA_ISA_INFO_NAME_LENGTH)                                                  \
  X(HSA_ISA_INFO_NAME)                                                         \
  X(HSA_PROFILE_FULL)                                                          \
  X(HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT)                                   \
  X(HSA_DEFAULT_FLOAT_ROUNDING_MODE_ZERO)                                      \
  X(HSA_SYMBOL_KIND_VARIABLE)                                                  \
  X(HSA_SYMBOL_KIND_KERNEL)                                                    \
  X(HSA_SYMBOL_KIND_INDIRECT_FUNCTION)                                         \
  X(HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_SIZE)                    \
  X(HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_KERNARG_SEGMENT_ALIGNMENT)               \
  X(HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_PRIVATE_SEGMENT_SIZE)                    \
  X(HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_DYNAMIC_CALLSTACK)                       \
  X(HSA_QUEUE_TYPE_MULTI)                                                      \
  X(HSA_QUEUE_TYPE_SINGLE)                                                     \
  X(HSA_SIGNAL_CONDITION_NE)                                                   \
  X(HSA_SIGNAL_CONDITION_LT)                                                   \
  X(HSA_SIGNAL_CONDITION_GTE)                                                  \
  X(HSA_WAIT_STATE_ACTIVE)                                                     \
  X(HSA_PACKET_TYPE_VENDOR_SPECIFIC)                                           \
  X(HSA_PACKET_TYPE_INVALID)                                                   \
  X(HSA_PACKET_TYPE_KERNEL_DISPATCH)                                           \
  X(HSA_PACKET_TYPE_AGENT_DISPATCH)                                            \
  X(HSA_PACKET_TYPE_BARRIER_OR)                                                \
  X(HSA_FENCE_SCOPE_NONE)                                                      \
  X(HSA_FENCE_SCOPE_SYSTEM)                                                    \
  X(HSA_PACKET_HEADER_TYPE)                                                    \
  X(HSA_PACKET_HEADER_SCACQUIRE_FENCE_SCOPE)                                   \
  X(HSA_PACKET_HEADER_SCRELEASE_FENCE_SCOPE)                                   \
  X(HSA_PACKET_HEADER_WIDTH_BARRIER)                                           \
  X(HSA_PACKET_HEADER_WIDTH_SCACQUIRE_FENCE_SCOPE)                             \
  X(HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS)                               \
  X(HSA_AMD_SEGMENT_GLOBAL)                                                    \
  X(HSA_AMD_SEGMENT_PRIVATE)                                                   \
  X(HSA_AMD_SEGMENT_GROUP)                                                     \
  X(HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED)                              \
  X(HSA_AMD_MEMORY_POOL_INFO_SEGMENT)                                          \
  X(HSA_AMD_MEMORY_POOL_INFO_SIZE)                                             \
  X(HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED)                            \
  X(HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_GRANULE)                            \
  X(HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALIGNMENT)

#define DEVBIN_CHECK_ENUMERATOR_(name)                                                                   \
  static_assert(static_cast<long long>(ours::name) == static_cast<long long>(::name), #name " differs"); \
  static_assert(sizeof(ours::name) == sizeof(::name), #name ": the enum's size differs");
DEVBIN_HSA_ENUMERATORS(DEVBIN_CHECK_ENUMERATOR_)
#undef DEVBIN_CHECK_ENUMERATOR_

// device/abi.h spells the AQL header constants once more for the device code.
static_assert(DEVBIN_AQL_PACKET_TYPE_INVALID == HSA_PACKET_TYPE_INVALID);
static_assert(DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH == HSA_PACKET_TYPE_KERNEL_DISPATCH);
static_assert(DEVBIN_AQL_PACKET_TYPE_BARRIER_AND == HSA_PACKET_TYPE_BARRIER_AND);
static_assert(DEVBIN_AQL_HEADER_TYPE_SHIFT == HSA_PACKET_HEADER_TYPE);
static_assert(DEVBIN_AQL_HEADER_BARRIER_SHIFT == HSA_PACKET_HEADER_BARRIER);
static_assert(DEVBIN_AQL_HEADER_ACQUIRE_FENCE_SCOPE_SHIFT == HSA_PACKET_HEADER_SCACQUIRE_FENCE_SCOPE);
static_assert(DEVBIN_AQL_HEADER_RELEASE_FENCE_SCOPE_SHIFT == HSA_PACKET_HEADER_SCRELEASE_FENCE_SCOPE);
static_assert(DEVBIN_AQL_FENCE_SCOPE_NONE == HSA_FENCE_SCOPE_NONE);
static_assert(DEVBIN_AQL_FENCE_SCOPE_AGENT == HSA_FENCE_SCOPE_AGENT);
static_assert(DEVBIN_AQL_FENCE_SCOPE_SYSTEM == HSA_FENCE_SCOPE_SYSTEM);

// Structs: size, alignment, and each field's offset and size.
#define DEVBIN_CHECK_STRUCT_(ours_type, theirs_type)                                               \
  static_assert(sizeof(ours_type) == sizeof(theirs_type), #ours_type ": size differs from hsa.h"); \
  static_assert(alignof(ours_type) == alignof(theirs_type), #ours_type ": alignment differs from hsa.h")
#define DEVBIN_CHECK_FIELD_(ours_type, theirs_type, field)                  \
  static_assert(offsetof(ours_type, field) == offsetof(theirs_type, field), \
                #ours_type "." #field ": offset differs from hsa.h");       \
  static_assert(sizeof(ours_type::field) == sizeof(theirs_type::field),     \
                #ours_type "." #field ": size differs from hsa.h")

#define DEVBIN_CHECK_HANDLE_(name)          \
  DEVBIN_CHECK_STRUCT_(ours::name, ::name); \
  DEVBIN_CHECK_FIELD_(ours::name, ::name, handle);
DEVBIN_CHECK_HANDLE_(hsa_agent_t)
DEVBIN_CHECK_HANDLE_(hsa_signal_t)
DEVBIN_CHECK_HANDLE_(hsa_isa_t)
DEVBIN_CHECK_HANDLE_(hsa_code_object_reader_t)
DEVBIN_CHECK_HANDLE_(hsa_executable_t)
DEVBIN_CHECK_HANDLE_(hsa_loaded_code_object_t)
DEVBIN_CHECK_HANDLE_(hsa_executable_symbol_t)
DEVBIN_CHECK_HANDLE_(hsa_amd_memory_pool_t)
#undef DEVBIN_CHECK_HANDLE_

static_assert(std::is_same_v<ours::hsa_signal_value_t, ::hsa_signal_value_t>);
static_assert(std::is_same_v<ours::hsa_queue_type32_t, ::hsa_queue_type32_t>);

DEVBIN_CHECK_STRUCT_(ours::hsa_queue_t, ::hsa_queue_t);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, type);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, features);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, base_address);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, doorbell_signal);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, size);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, reserved1);
DEVBIN_CHECK_FIELD_(ours::hsa_queue_t, ::hsa_queue_t, id);

DEVBIN_CHECK_STRUCT_(devbin_aql_kernel_dispatch_packet_t, ::hsa_kernel_dispatch_packet_t);
#define DEVBIN_CHECK_DISPATCH_FIELD_(field) \
  DEVBIN_CHECK_FIELD_(devbin_aql_kernel_dispatch_packet_t, ::hsa_kernel_dispatch_packet_t, field);
DEVBIN_CHECK_DISPATCH_FIELD_(header)
DEVBIN_CHECK_DISPATCH_FIELD_(setup)
DEVBIN_CHECK_DISPATCH_FIELD_(workgroup_size_x)
DEVBIN_CHECK_DISPATCH_FIELD_(workgroup_size_y)
DEVBIN_CHECK_DISPATCH_FIELD_(workgroup_size_z)
DEVBIN_CHECK_DISPATCH_FIELD_(reserved0)
DEVBIN_CHECK_DISPATCH_FIELD_(grid_size_x)
DEVBIN_CHECK_DISPATCH_FIELD_(grid_size_y)
DEVBIN_CHECK_DISPATCH_FIELD_(grid_size_z)
DEVBIN_CHECK_DISPATCH_FIELD_(private_segment_size)
DEVBIN_CHECK_DISPATCH_FIELD_(group_segment_size)
DEVBIN_CHECK_DISPATCH_FIELD_(kernel_object)
DEVBIN_CHECK_DISPATCH_FIELD_(kernarg_address)
DEVBIN_CHECK_DISPATCH_FIELD_(reserved2)
DEVBIN_CHECK_DISPATCH_FIELD_(completion_signal)
#undef DEVBIN_CHECK_DISPATCH_FIELD_

#define DEVBIN_CHECK_BARRIER_(ours_type)                                  \
  DEVBIN_CHECK_STRUCT_(ours_type, ::hsa_barrier_and_packet_t);            \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, header);     \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, reserved0);  \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, reserved1);  \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, dep_signal); \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, reserved2);  \
  DEVBIN_CHECK_FIELD_(ours_type, ::hsa_barrier_and_packet_t, completion_signal);
DEVBIN_CHECK_BARRIER_(ours::hsa_barrier_and_packet_t)
DEVBIN_CHECK_BARRIER_(devbin::hsa::AqlBarrierAndPacket)
#undef DEVBIN_CHECK_BARRIER_

// GPU memory fault events (hsa_ext_amd.h): the reason bits and the structs
// the runtime hands the system event handler.
static_assert(ours::HSA_AMD_MEMORY_FAULT_PAGE_NOT_PRESENT == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_PAGE_NOT_PRESENT));
static_assert(ours::HSA_AMD_MEMORY_FAULT_READ_ONLY == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_READ_ONLY));
static_assert(ours::HSA_AMD_MEMORY_FAULT_NX == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_NX));
static_assert(ours::HSA_AMD_MEMORY_FAULT_HOST_ONLY == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_HOST_ONLY));
static_assert(ours::HSA_AMD_MEMORY_FAULT_DRAMECC == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_DRAMECC));
static_assert(ours::HSA_AMD_MEMORY_FAULT_IMPRECISE == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_IMPRECISE));
static_assert(ours::HSA_AMD_MEMORY_FAULT_SRAMECC == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_SRAMECC));
static_assert(ours::HSA_AMD_MEMORY_FAULT_HANG == static_cast<uint32_t>(::HSA_AMD_MEMORY_FAULT_HANG));
DEVBIN_CHECK_STRUCT_(ours::hsa_amd_gpu_memory_fault_info_t, ::hsa_amd_gpu_memory_fault_info_t);
DEVBIN_CHECK_FIELD_(ours::hsa_amd_gpu_memory_fault_info_t, ::hsa_amd_gpu_memory_fault_info_t, agent);
DEVBIN_CHECK_FIELD_(ours::hsa_amd_gpu_memory_fault_info_t, ::hsa_amd_gpu_memory_fault_info_t, virtual_address);
DEVBIN_CHECK_FIELD_(ours::hsa_amd_gpu_memory_fault_info_t, ::hsa_amd_gpu_memory_fault_info_t, fault_reason_mask);
DEVBIN_CHECK_STRUCT_(ours::hsa_amd_event_t, ::hsa_amd_event_t);
DEVBIN_CHECK_FIELD_(ours::hsa_amd_event_t, ::hsa_amd_event_t, event_type);
DEVBIN_CHECK_FIELD_(ours::hsa_amd_event_t, ::hsa_amd_event_t, memory_fault);

TEST(HsaAbi, DeclarationsMatchTheInstalledHeaders) {
  // Everything above is a static_assert: reaching here means api.h agrees with
  // hsa.h on every entry point, enumerator and struct devbin uses. The runtime
  // checks below repeat the most load-bearing ones so a report shows them.
  EXPECT_EQ(sizeof(ours::hsa_queue_t), sizeof(::hsa_queue_t));
  EXPECT_EQ(offsetof(ours::hsa_queue_t, base_address), offsetof(::hsa_queue_t, base_address));
  EXPECT_EQ(offsetof(ours::hsa_queue_t, doorbell_signal), offsetof(::hsa_queue_t, doorbell_signal));
  EXPECT_EQ(sizeof(devbin_aql_kernel_dispatch_packet_t), sizeof(::hsa_kernel_dispatch_packet_t));
  EXPECT_EQ(offsetof(devbin_aql_kernel_dispatch_packet_t, completion_signal),
            offsetof(::hsa_kernel_dispatch_packet_t, completion_signal));
  EXPECT_EQ(static_cast<int>(ours::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT),
            static_cast<int>(::HSA_EXECUTABLE_SYMBOL_INFO_KERNEL_OBJECT));
  EXPECT_EQ(static_cast<int>(ours::HSA_AMD_AGENT_INFO_PRODUCT_NAME),
            static_cast<int>(::HSA_AMD_AGENT_INFO_PRODUCT_NAME));
  constexpr size_t kDeclared = 0
#define DEVBIN_COUNT_(name, type) +1
      DEVBIN_HSA_API_FUNCTIONS(DEVBIN_COUNT_)
#undef DEVBIN_COUNT_
      ;
  EXPECT_EQ(api::function_count(), kDeclared);
}

}  // namespace
}  // namespace devbin::hsa

#else  // !DEVBIN_HAVE_HSA_H

TEST(HsaAbi, DeclarationsMatchTheInstalledHeaders) {
  GTEST_SKIP() << "hsa/hsa.h is not installed (Debian: libhsa-runtime-dev); api.h's declarations are unchecked";
}

#endif
