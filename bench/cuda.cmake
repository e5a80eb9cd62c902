# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/cuda_bench.cc: a plain main() over the CLI's bench (tools/devbin/
# gpu_commands.cc, with the self-test checks it runs); the glob in CMakeLists.txt made its target.
target_sources(cuda_bench PRIVATE ${PROJECT_SOURCE_DIR}/tools/devbin/gpu_commands.cc
                                  ${PROJECT_SOURCE_DIR}/tools/devbin/self_test.cc)
target_include_directories(cuda_bench PRIVATE ${PROJECT_SOURCE_DIR}/tools/devbin)
