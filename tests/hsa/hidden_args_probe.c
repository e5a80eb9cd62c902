// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A kernel that reads the whole implicit-argument area and the queue pointer,
// so that clang lists every hidden argument it knows in the code object's
// metadata. Built for gfx11-generic (code object v6) by tests/hsa/CMakeLists.txt
// when clang-22 is at hand; hsa_packet_test lays out its kernargs from that
// metadata. It is never run.
typedef struct probe_args_t {
  unsigned long long out;
  unsigned long long unused[2];
} probe_args_t;

typedef const __attribute__((address_space(4))) unsigned long long constant_u64;

__attribute__((amdgpu_kernel, visibility("default"))) void devbin_hidden_args_probe(probe_args_t args) {
  constant_u64* implicit = (constant_u64*)__builtin_amdgcn_implicitarg_ptr();
  unsigned long long* out = (unsigned long long*)args.out;
  for (int i = 0; i < 32; ++i) out[i] = implicit[i];
  out[32] = (unsigned long long)__builtin_amdgcn_queue_ptr();
}
