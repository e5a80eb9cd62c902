# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sourced by scripts/asan.sh and scripts/tsan.sh: configures a CMake preset,
# builds, runs ctest and prints the time each step took.
#
#   preset_test PRESET BUILD_TARGETS [ctest arguments...]
# PRESET names the preset and the environment: DEVBIN_<PRESET>_BUILD_DIR
# (default: the preset's build/<preset>) and DEVBIN_<PRESET>_JOBS (build and
# test parallelism, default 2). BUILD_TARGETS: space-separated targets, or ""
# for everything. Returns ctest's status.
preset_test() {
  local preset=$1 targets=$2
  shift 2
  local upper=${preset^^}
  local dir_var=DEVBIN_${upper}_BUILD_DIR jobs_var=DEVBIN_${upper}_JOBS
  local jobs=${!jobs_var:-2}
  local build=${!dir_var:-build/$preset}
  local configure=(--preset "$preset")
  [ -n "${!dir_var:-}" ] && configure+=(-B "$build")
  command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && configure+=(-G Ninja)
  local target_args=()
  local target
  for target in $targets; do target_args+=(--target "$target"); done

  local start built end status=0
  start=$(date +%s)
  cmake "${configure[@]}"
  cmake --build "$build" --parallel "$jobs" "${target_args[@]}"
  built=$(date +%s)
  ctest --test-dir "$build" --output-on-failure --parallel "$jobs" "$@" || status=$?
  end=$(date +%s)
  echo "$preset: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
  return $status
}
