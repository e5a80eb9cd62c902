// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The HSA backend's memory: pool search, allocation, Buffer.
#include <utility>
#include <vector>

#include "hsa/device_impl.h"

namespace devbin::hsa {

using api::check;
using api::hsa_agent_t;
using api::hsa_amd_memory_pool_t;
using api::hsa_status_t;

namespace {

struct PoolSearch {
  const api::Api* api = nullptr;
  bool gpu = false;
  Pools* pools = nullptr;
};

hsa_status_t inspect_pool(hsa_amd_memory_pool_t pool, void* data) {
  auto* search = static_cast<PoolSearch*>(data);
  const api::Api& runtime = *search->api;
  api::hsa_amd_segment_t segment = api::HSA_AMD_SEGMENT_PRIVATE;
  uint32_t flags = 0;
  bool allowed = false;
  if (runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_SEGMENT, &segment) !=
          api::HSA_STATUS_SUCCESS ||
      segment != api::HSA_AMD_SEGMENT_GLOBAL) {
    return api::HSA_STATUS_SUCCESS;
  }
  if (runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_GLOBAL_FLAGS, &flags) !=
          api::HSA_STATUS_SUCCESS ||
      runtime.hsa_amd_memory_pool_get_info(pool, api::HSA_AMD_MEMORY_POOL_INFO_RUNTIME_ALLOC_ALLOWED, &allowed) !=
          api::HSA_STATUS_SUCCESS ||
      !allowed) {
    return api::HSA_STATUS_SUCCESS;
  }
  Pools& pools = *search->pools;
  if (search->gpu) {
    if (!pools.has_device && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_COARSE_GRAINED) != 0) {
      pools.device = pool;
      pools.has_device = true;
    }
    return api::HSA_STATUS_SUCCESS;
  }
  if (!pools.has_kernarg && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_KERNARG_INIT) != 0) {
    pools.kernarg = pool;
    pools.has_kernarg = true;
  }
  if (!pools.has_host && (flags & api::HSA_AMD_MEMORY_POOL_GLOBAL_FLAG_FINE_GRAINED) != 0) {
    pools.host = pool;
    pools.has_host = true;
  }
  return api::HSA_STATUS_SUCCESS;
}

}  // namespace

Result<Pools> find_pools(const api::Api& runtime, hsa_agent_t gpu, const std::vector<hsa_agent_t>& cpus,
                         const std::string& agent_name) {
  Pools pools;
  PoolSearch search{&runtime, true, &pools};
  DEVBIN_RETURN_IF_ERROR(check(runtime, runtime.hsa_amd_agent_iterate_memory_pools(gpu, inspect_pool, &search),
                               "hsa_amd_agent_iterate_memory_pools(GPU)"));
  search.gpu = false;
  for (hsa_agent_t cpu : cpus) {
    if (pools.has_host && pools.has_kernarg) break;
    DEVBIN_RETURN_IF_ERROR(check(runtime, runtime.hsa_amd_agent_iterate_memory_pools(cpu, inspect_pool, &search),
                                 "hsa_amd_agent_iterate_memory_pools(CPU)"));
  }
  if (!pools.has_device || !pools.has_kernarg || !pools.has_host) {
    return failed_precondition("HSA GPU agent " + agent_name + ": the runtime offers no " +
                               (!pools.has_device    ? "coarse-grained device memory pool"
                                : !pools.has_kernarg ? "kernarg memory pool on a CPU agent"
                                                     : "fine-grained system memory pool on a CPU agent"));
  }
  return pools;
}

Result<void*> Device::Impl::allocate(hsa_amd_memory_pool_t pool, uint64_t bytes, bool system) const {
  void* pointer = nullptr;
  DEVBIN_RETURN_IF_ERROR(
      check(*api, api->hsa_amd_memory_pool_allocate(pool, bytes, 0, &pointer), "hsa_amd_memory_pool_allocate"));
  if (system) {
    if (Status s =
            check(*api, api->hsa_amd_agents_allow_access(1, &agent, nullptr, pointer), "hsa_amd_agents_allow_access");
        !s.ok()) {
      api->hsa_amd_memory_pool_free(pointer);
      return s;
    }
  }
  return pointer;
}

Buffer::Buffer(Buffer&& other) noexcept
    : device_(std::exchange(other.device_, nullptr)),
      pointer_(std::exchange(other.pointer_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      kind_(other.kind_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, nullptr);
    pointer_ = std::exchange(other.pointer_, nullptr);
    size_ = std::exchange(other.size_, 0);
    kind_ = other.kind_;
  }
  return *this;
}

Buffer::~Buffer() { reset(); }

void Buffer::reset() {
  if (pointer_ != nullptr && device_ != nullptr) device_->impl_->api->hsa_amd_memory_pool_free(pointer_);
  pointer_ = nullptr;
  size_ = 0;
}

Result<Buffer> Device::allocate(uint64_t bytes, MemoryKind kind) const {
  if (bytes == 0) return invalid_argument("allocate: 0 bytes; expected at least 1");
  const bool system = kind != MemoryKind::kDevice;
  const api::hsa_amd_memory_pool_t pool = kind == MemoryKind::kHost      ? impl_->pools.host
                                          : kind == MemoryKind::kKernarg ? impl_->pools.kernarg
                                                                         : impl_->pools.device;
  DEVBIN_ASSIGN_OR_RETURN(void* pointer, impl_->allocate(pool, bytes, system));
  Buffer buffer;
  buffer.device_ = this;
  buffer.pointer_ = pointer;
  buffer.size_ = bytes;
  buffer.kind_ = kind;
  return buffer;
}

}  // namespace devbin::hsa
