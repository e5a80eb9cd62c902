// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Two CUDA kernels; generate.sh builds the fatbins and the library here with nvcc.
extern "C" __global__ void scale(float* x, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}

__global__ void add_one(int* x) { x[threadIdx.x] += 1; }
