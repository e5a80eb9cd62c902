# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/cuda_bench.cc: a plain main() over the bench library (bench/cuda/)
# and the CLI's bench and self-test verbs (tools/devbin/bench_command.cc,
# gpu_commands.cc, self_test.cc); the glob in CMakeLists.txt made its target.
target_sources(cuda_bench PRIVATE ${PROJECT_SOURCE_DIR}/tools/devbin/gpu_commands.cc
                                  ${PROJECT_SOURCE_DIR}/tools/devbin/bench_command.cc
                                  ${PROJECT_SOURCE_DIR}/tools/devbin/self_test.cc)
target_link_libraries(cuda_bench PRIVATE devbin_bench_cuda)
target_include_directories(cuda_bench PRIVATE ${PROJECT_SOURCE_DIR}/tools/devbin)
