#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Builds the libFuzzer targets of fuzz/ (clang-22, ASan + UBSan) and runs each
# for SECONDS (default 60; CI uses 60). The checked-in seeds in
# fuzz/corpus/<target>/ (and, for code_object_fuzzer, device/binaries/prebuilt/)
# are read, never written: new inputs go to
# <build>/fuzz-runs/<target>/corpus. Any crash, hang (one input over 10 s),
# leak or failed property check fails the script, naming the input and the
# command that reproduces it.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Environment: DEVBIN_FUZZ_BUILD_DIR (default build/fuzz), DEVBIN_FUZZ_CC /
# DEVBIN_FUZZ_CXX (default clang-22 / clang++-22), DEVBIN_FUZZ_WORKERS (parallel
# fuzzing processes per target, default 1), DEVBIN_FUZZ_RUNS (stop each target
# after this many executions, or at SECONDS, whichever comes first: the long
# campaign is `DEVBIN_FUZZ_RUNS=10000000 scripts/fuzz.sh 86400 TARGET`),
# DEVBIN_FUZZ_BINARIES (a folder of fuzz targets built elsewhere by this
# script, to run them on a machine without clang: nothing is built then).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]  (SECONDS: a positive integer, got '$seconds')" >&2
  exit 2
fi
build=${DEVBIN_FUZZ_BUILD_DIR:-build/fuzz}
workers=${DEVBIN_FUZZ_WORKERS:-1}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

binaries=${DEVBIN_FUZZ_BINARIES:-$build/fuzz}
if [ -z "${DEVBIN_FUZZ_BINARIES:-}" ]; then
  cmake -S . -B "$build" "${generator[@]}" \
    -DCMAKE_C_COMPILER="${DEVBIN_FUZZ_CC:-clang-22}" -DCMAKE_CXX_COMPILER="${DEVBIN_FUZZ_CXX:-clang++-22}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDEVBIN_BUILD_FUZZERS=ON \
    -DDEVBIN_BUILD_TESTS=OFF -DDEVBIN_BUILD_BENCHMARKS=OFF -DDEVBIN_BUILD_TOOLS=OFF >/dev/null
  cmake --build "$build" --target fuzzers --parallel 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

failed=()
summary=()
for target in "${targets[@]}"; do
  binary="$binaries/$target"
  if [ ! -x "$binary" ]; then
    echo "no fuzz target '$target' (expected $binary; targets: $(ls fuzz/corpus | tr '\n' ' '))" >&2
    exit 2
  fi
  runs="$build/fuzz-runs/$target"
  mkdir -p "$runs/corpus"
  args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$runs/")
  [ -n "${DEVBIN_FUZZ_RUNS:-}" ] && args+=(-runs="$DEVBIN_FUZZ_RUNS")
  [ -f "fuzz/dict/$target.dict" ] && args+=(-dict="fuzz/dict/$target.dict")
  seeds=("fuzz/corpus/$target")
  # As in fuzz/CMakeLists.txt: the prebuilt code objects seed the code-object
  # target where they are, not as copies.
  [ "$target" = code_object_fuzzer ] && seeds+=(device/binaries/prebuilt)
  if [ "$workers" -gt 1 ]; then args+=(-fork="$workers"); fi
  echo "== $target: ${seconds}s"
  log="$runs/log.txt"
  status=0
  "$binary" "${args[@]}" "$runs/corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?
  execs=$(awk -F: '/stat::number_of_executed_units/{gsub(/ /,"",$NF); s+=$NF} END{print s+0}' "$log")
  rate=$(awk -F: '/stat::average_exec_per_sec/{gsub(/ /,"",$NF); s+=$NF} END{print s+0}' "$log")
  summary+=("$(printf '%-22s %12s execs %8s exec/s  %s' "$target" "$execs" "$rate" \
    "$([ $status -eq 0 ] && echo ok || echo FAILED)")")
  if [ $status -ne 0 ]; then
    failed+=("$target")
    grep -E "ERROR|fuzz check failed|SUMMARY|Test unit written" "$log" >&2 || tail -n 30 "$log" >&2
    for unit in "$runs"/crash-* "$runs"/timeout-* "$runs"/leak-* "$runs"/oom-*; do
      [ -f "$unit" ] && echo "reproduce: $binary $unit" >&2
    done
  fi
done

echo "== summary (${seconds}s each${DEVBIN_FUZZ_RUNS:+, at most $DEVBIN_FUZZ_RUNS executions})"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]} (logs under $build/fuzz-runs/)" >&2
  exit 1
fi
