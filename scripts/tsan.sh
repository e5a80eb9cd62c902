#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The thread-safety contract (devbin/cuda.h, devbin/hsa.h: "Threads:") under
# ThreadSanitizer: configures the `tsan` preset of CMakePresets.json
# (DEVBIN_SANITIZER=thread), builds only what the tests below need and runs
# them. Any TSan report fails the run (halt_on_error=1: the test exits
# non-zero at the first report). No suppressions: the stand-ins are test code,
# and races in them are fixed, not hidden.
#
# What runs:
#   threads_test     8 threads opening devices and enqueueing on their own and
#                    on shared queues/streams (HSA runtime stand-in with the
#                    host build of the kernels, CUDA stand-in driver), select().
#   hsa_device_test  the HSA backend against the stand-in: every queue has a
#                    packet-processor thread and the kernels run on the
#                    stand-in's executor thread, so host writes, packet
#                    publication, kernel writes and completion signals cross
#                    threads in every test.
#   hsa_rocr_behaviour_test  the runtime's own threads calling into devbin:
#                    the memory fault handler, the async handler that rings
#                    the doorbell again, hung queues and timeouts (its death
#                    test, a forked child that aborts on purpose, is left out).
# What does not, and why:
#   - the emulated AMD GPU tests (label `emulated`): the emulator is CPython
#     embedded in the stand-in, which is not built with TSan; its runs would
#     report the interpreter's own uninstrumented synchronization;
#   - the other tests: single-threaded (parsers, selection, launch shapes, the
#     device kernels on the host), so TSan has nothing to judge; ASan covers
#     them (scripts/asan.sh).
# The host launcher's lanes are fibers switched by hand (tests/device/
# host_launch.c); it tells TSan of every switch (__tsan_switch_to_fiber), so
# the kernels run under TSan with their stacks followed.
#
#   scripts/tsan.sh [extra ctest arguments]
# Environment: DEVBIN_TSAN_BUILD_DIR (default: the preset's build/tsan),
# DEVBIN_TSAN_JOBS (build and test parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

# halt_on_error: the first report ends the test with exitcode 66.
# second_deadlock_stack: lock-order reports show both acquisitions.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
unset DEVBIN_AMDGPU_EMULATOR
echo "tsan: SKIP the emulated AMD GPU tests (CPython inside the stand-in is not built with TSan)"

source scripts/preset_test.sh
# The tests' own targets pull in the stand-ins they load (tests/CMakeLists.txt).
preset_test tsan "threads_test hsa_device_test hsa_rocr_behaviour_test" \
  -R '^(HsaThreads|CudaThreads|SelectThreads|HsaDevice|HsaFault|HsaIsaSupport|HsaLoadHints|HsaIntercept|HsaWait|HsaNuma)\.' \
  -E 'WithoutAHandlerTheRuntimeAbortsTheProcess' "$@"
