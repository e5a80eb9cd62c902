#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# configures the `asan` preset of CMakePresets.json (DEVBIN_ENABLE_SANITIZERS=ON,
# Debug), builds everything and runs ctest. Any sanitizer report fails the run:
# the preset builds with -fno-sanitize-recover=all, and the options below make
# leaks and UB fatal too.
#
#   scripts/asan.sh [extra ctest arguments, e.g. -R corruption]
# Environment: DEVBIN_ASAN_BUILD_DIR (default: the preset's build/asan),
# DEVBIN_ASAN_JOBS (build and test parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

# detect_leaks: a leak is a finding; print_stacktrace makes UBSan reports say
# where. Not detect_stack_use_after_return: with it the host-emulated device
# kernels (tests/device: lanes are fibers, device/target/host_launch.h) ran
# ~700x slower (one blit test: 1.75 s without, 1250 s with).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The emulated AMD GPU tests skip here: the emulator runs in an embedded Python
# interpreter that is never finalized (LeakSanitizer cannot judge it), and
# under ASan it takes many minutes. The stand-in's C++ runs here with the host
# executor. They are left out by label, not left to skip: in CI (CI=true) a
# skipped emulated test fails, since the main run must execute them.
unset DEVBIN_AMDGPU_EMULATOR
echo "asan: SKIP the tests labelled emulated (the embedded emulator is not run under ASan)"

source scripts/preset_test.sh
preset_test asan "" -LE emulated "$@"
