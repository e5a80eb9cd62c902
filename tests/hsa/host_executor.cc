// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The stand-in's host executor: a dispatch runs the host build of the device
// library's kernel of the same name (tests/device), on the executor thread's
// fiber launcher. No AMDGPU machine code runs here; emulator_executor.cc runs it.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "device/target/host_launch.h"
#include "tests/hsa/executor_thread.h"
#include "tests/hsa/kernel_executor.h"

namespace devbin::hsa::stand_in {
namespace {

struct HostKernel {
  std::string_view name;
  void (*run)(const void* args);
};

template <typename Args, void (*Kernel)(Args)>
void run_kernel(const void* args) {
  Args copy;
  std::memcpy(&copy, args, sizeof(copy));
  Kernel(copy);
}

const HostKernel kKernels[] = {
#define DEVBIN_HOST_KERNEL_(name, args) {#name, &run_kernel<args, name>},
    DEVBIN_ABI_KERNELS(DEVBIN_HOST_KERNEL_)
#undef DEVBIN_HOST_KERNEL_
};

const HostKernel* find_kernel(std::string_view name) {
  for (const HostKernel& kernel : kKernels) {
    if (kernel.name == name) return &kernel;
  }
  return nullptr;
}

}  // namespace

api::hsa_status_t executor_accepts(const AgentModel&, const LoadedImage&, std::string*) { return api::HSA_STATUS_SUCCESS; }

// The host build's clock is CLOCK_MONOTONIC in nanoseconds (tests/device/host_launch.c).
uint64_t executor_timestamp_frequency_hz() { return 1000000000; }

api::hsa_status_t executor_run(const KernelDispatch& dispatch, std::string* error) {
  const devbin_aql_kernel_dispatch_packet_t& packet = *dispatch.packet;
  const HostKernel* kernel = find_kernel(dispatch.kernel->name);
  // The host launcher runs one-dimensional, uniform grids: what devbin's
  // builtins are launched with.
  if (kernel == nullptr || (packet.setup & 3) != 1 || packet.workgroup_size_x == 0 ||
      packet.grid_size_x % packet.workgroup_size_x != 0 || packet.kernarg_address == 0) {
    *error = "the host executor runs devbin's kernels on uniform 1-D grids only";
    return api::HSA_STATUS_ERROR_INVALID_PACKET_FORMAT;
  }
  const devbin_host_grid_t grid{packet.grid_size_x / packet.workgroup_size_x, packet.workgroup_size_x,
                                std::min<uint32_t>(packet.workgroup_size_x, dispatch.agent->wavefront_size)};
  struct Context {
    const HostKernel* kernel;
    const void* args;
  } context{kernel, reinterpret_cast<const void*>(packet.kernarg_address)};
  devbin_host_launch_result_t launched = DEVBIN_HOST_LAUNCH_OK;
  ExecutorThread::instance().run([&] {
    launched = devbin_host_launch(
        grid, [](void* c) { static_cast<Context*>(c)->kernel->run(static_cast<Context*>(c)->args); }, &context);
  });
  if (launched != DEVBIN_HOST_LAUNCH_OK) {
    *error = std::string("the host launcher failed: ") + devbin_host_launch_result_name(launched);
  }
  return launched == DEVBIN_HOST_LAUNCH_OK ? api::HSA_STATUS_SUCCESS : api::HSA_STATUS_ERROR_EXCEPTION;
}

}  // namespace devbin::hsa::stand_in
