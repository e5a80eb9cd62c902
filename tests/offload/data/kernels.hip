// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Two HIP kernels without the HIP headers: clang-22 needs only __global__.
// generate.sh compiles this for the bundles, objects and libraries here.
#define __global__ __attribute__((global))
typedef struct { unsigned x, y, z; } dim3_t;
// The launch stubs clang emits for the host side call these (never run here).
extern "C" int hipLaunchKernel(const void*, dim3_t, dim3_t, void**, unsigned long, void*);
extern "C" unsigned __hipPushCallConfiguration(dim3_t, dim3_t, unsigned long, void*);
extern "C" unsigned __hipPopCallConfiguration(dim3_t*, dim3_t*, unsigned long*, void*);

extern "C" __global__ void scale(float* x, float a, int n) {
#if defined(__HIP_DEVICE_COMPILE__)
  int i = __builtin_amdgcn_workgroup_id_x() * __builtin_amdgcn_workgroup_size_x() + __builtin_amdgcn_workitem_id_x();
  if (i < n) x[i] *= a;
#endif
}

__global__ void add_one(int* x) {
#if defined(__HIP_DEVICE_COMPILE__)
  x[__builtin_amdgcn_workitem_id_x()] += 1;
#endif
}
