// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Launches one of devbin's builtin kernels with arguments the test lays out
// itself, unchecked by the host: through Device::dispatch_indirect, with the
// kernarg segment in GPU-visible host memory and the workgroup count in
// device memory. What a caller that puts launches in its own queue or
// memory does (DESIGN.md "Operations and where they go"), and the only way
// to hand the device code what the host would refuse, and a status word.
#ifndef DEVBIN_TESTS_HSA_DIRECT_LAUNCH_H_
#define DEVBIN_TESTS_HSA_DIRECT_LAUNCH_H_

#include <cstring>
#include <string>
#include <vector>

#include "devbin/hsa.h"

namespace devbin::hsa::direct {

// Keeps the launch's memory until the queue is synchronized.
struct DirectLaunch {
  std::vector<Buffer> memory;
};

template <typename Args>
Status launch_direct(const Device& device, Queue& queue, Kernel kernel, const Args& args, uint32_t groups,
                     DirectLaunch& keep, uint32_t group_size = 64) {
  const KernelInfo* metadata = device.code_object().find_kernel(std::string(kernel_name(kernel)));
  if (metadata == nullptr) return internal_error("no metadata for " + std::string(kernel_name(kernel)));
  DEVBIN_ASSIGN_OR_RETURN(Buffer kernargs, device.allocate(metadata->kernarg_segment_size, MemoryKind::kHost));
  std::memset(kernargs.host_pointer(), 0, metadata->kernarg_segment_size);
  std::memcpy(kernargs.host_pointer(), &args, sizeof(args));
  DEVBIN_ASSIGN_OR_RETURN(Buffer counts, device.allocate(16));
  const uint32_t values[3] = {groups, 1, 1};
  DEVBIN_RETURN_IF_ERROR(device.copy_to_device(counts.address(), values, sizeof(values)));
  IndirectDispatch request;
  request.kernel = device.kernel(kernel);
  request.kernarg_address = kernargs.address();
  request.workgroup_size[0] = group_size;
  request.workgroup_counts = counts.address();
  keep.memory.push_back(std::move(kernargs));
  keep.memory.push_back(std::move(counts));
  return device.dispatch_indirect(queue, request);
}

}  // namespace devbin::hsa::direct

#endif  // DEVBIN_TESTS_HSA_DIRECT_LAUNCH_H_
