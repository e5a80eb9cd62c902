#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# scripts/gpu_check.sh OUTDIR
#
# Everything the CUDA backend needs checked on a machine with an NVIDIA GPU,
# in one command: configure + build, the GPU tests (with the entry selection
# picks, then again with the PTX fallback forced through
# DEVBIN_TARGET_OVERRIDE), the `devbin` device report, `devbin selftest`,
# compute-sanitizer memcheck over the self-test, and `devbin bench`. Logs go
# to OUTDIR (8 files at most); summary.txt has one line per step; the exit
# status is non-zero when any step failed.
#
# Needs cmake (>= 3.25), ninja or make, and g++. GoogleTest, Google Benchmark
# and CLI11 are taken from the system when installed; otherwise from Debian
# packages carried in .gpu-deps/ at the repository root, unpacked into a
# private prefix (nothing is installed system-wide). Fetch them on a Debian
# machine with:
#   mkdir -p .gpu-deps && (cd .gpu-deps && apt-get download libgtest-dev \
#     libgmock-dev libbenchmark-dev libbenchmark1debian libcli11-dev \
#     zlib1g-dev zlib1g libzstd-dev libzstd1 liblz4-dev liblz4-1)
# Environment: DEVBIN_GPU_BUILD_DIR (default /tmp/devbin-gpu-build),
# DEVBIN_BENCH_SIZE (bytes, default 1 GiB), JOBS (default: all cores),
# DEVBIN_MEMCHECK_VARIANTS (a glob of the tuning variants in
# .gpu-deps/variants/ to run under memcheck, default all), DEVBIN_GPU_CHECK_QUICK
# (1: skip the profiler and the tuning variants, for a run that only checks
# the tests and the bench table), DEVBIN_GPU_CHECK_PART (tests: build, tests,
# CLI, memcheck; bench: build and bench; default both, so two calls on one
# warm machine can split a run that would not fit one call's time).
set -u -o pipefail

out=${1:?usage: scripts/gpu_check.sh OUTDIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${DEVBIN_GPU_BUILD_DIR:-/tmp/devbin-gpu-build}
bench_size=${DEVBIN_BENCH_SIZE:-1073741824}
jobs=${JOBS:-$(nproc)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary="$out/summary.txt"
: >"$summary"
failed=0
unset DEVBIN_TARGET_OVERRIDE DEVBIN_CUDA_DRIVER_PATH

# step NAME LOG TIMEOUT_S COMMAND...: runs COMMAND, appends its output to LOG,
# records the outcome in summary.txt.
step() {
  local name=$1 log=$2 limit=$3
  shift 3
  local start=$SECONDS
  echo "=== $name: $*" >>"$log"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  local verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc$([ $rc -eq 124 ] && echo ", timed out after ${limit} s"))"
    failed=1
  fi
  printf '%-28s %-40s %4d s\n' "$name" "$verdict" $((SECONDS - start)) | tee -a "$summary"
  return $rc
}

# --- the machine ------------------------------------------------------------
{
  date -u
  uname -a
  nvidia-smi || echo "nvidia-smi: not available"
  nvidia-smi -q -d CLOCK,PERFORMANCE 2>/dev/null | sed -n '1,60p'
  g++ --version | head -1
  cmake --version | head -1
  (ninja --version 2>/dev/null | sed 's/^/ninja /') || echo "ninja: not available"
  echo "--- test and bench libraries on the system:"
  dpkg -l 2>/dev/null | grep -E 'gtest|googletest|benchmark|cli11' || echo "(none from dpkg)"
  ls -d /usr/include/gtest /usr/include/benchmark /usr/include/CLI 2>&1
} >"$out/env.log" 2>&1

cuda_bin=""
for dir in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  [ -x "$dir/compute-sanitizer" ] && { cuda_bin=$dir; break; }
done
sanitizer=$(command -v compute-sanitizer || { [ -n "$cuda_bin" ] && echo "$cuda_bin/compute-sanitizer"; } || true)
cuobjdump=$(command -v cuobjdump || { [ -n "$cuda_bin" ] && echo "$cuda_bin/cuobjdump"; } || true)

# --- dependencies: carried Debian packages into a private prefix -------------
prefix_args=()
if compgen -G "$root/.gpu-deps/*.deb" >/dev/null; then
  prefix=/tmp/devbin-gpu-deps
  rm -rf "$prefix" && mkdir -p "$prefix"
  for deb in "$root"/.gpu-deps/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$deb" "$prefix"
    else  # a .deb is an ar archive; Debian's hold data.tar.xz
      ar p "$deb" data.tar.xz | tar -xJ -C "$prefix"
    fi
  done
  # A -dev package's absolute link (libz.so -> /lib/.../libz.so.1.2.13)
  # points at the system; where the system lacks that file, point it at the
  # carried copy.
  while IFS= read -r link; do
    target=$(readlink "$link")
    case $target in /*) [ -e "$target" ] || ln -sf "$prefix$target" "$link" ;; esac
  done < <(find "$prefix" -type l)
  prefix_args=("-DCMAKE_PREFIX_PATH=$prefix/usr")
  echo "carried packages unpacked into $prefix: $(ls "$root"/.gpu-deps)" >>"$out/env.log"
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# --- build -------------------------------------------------------------------
# Incremental when the build directory is already there (a warm machine).
step configure "$out/build.log" 300 cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${prefix_args[@]}" || { cat "$summary"; tail -40 "$out/build.log"; exit 1; }
# The CUDA tests first, so a broken file elsewhere cannot hide the GPU results;
# then the CLI and the bench binary, each on its own.
step build-cuda-tests "$out/build.log" 420 cmake --build "$build" -j "$jobs" --target cuda_gpu_test \
  cuda_driver_test cuda_launch_test cuda_gpu_commands_test cuda_caller_stream_test devbin_shared || { cat "$summary"; tail -60 "$out/build.log"; exit 1; }
step build-devbin "$out/build.log" 300 cmake --build "$build" -j "$jobs" --target devbin
step build-cuda-bench "$out/build.log" 300 cmake --build "$build" -j "$jobs" --target cuda_bench devbin_shared
devbin="$build/tools/devbin/devbin"
cuda_bench="$build/bench/cuda_bench"
# `devbin selftest` / `devbin bench`, or the same code in cuda_bench when the CLI did not build.
selftest=("$devbin" selftest)
bench=("$devbin" bench --size "$bench_size")
if [ ! -x "$devbin" ] && [ -x "$cuda_bench" ]; then
  selftest=("$cuda_bench" --selftest)
  bench=("$cuda_bench" "$bench_size")
  echo "devbin did not build: selftest and bench run through cuda_bench" | tee -a "$summary"
fi

part=${DEVBIN_GPU_CHECK_PART:-all}
if [ "$part" != bench ]; then
# --- tests --------------------------------------------------------------------
# Every CUDA test: the GPU ones twice (selected entry; ptx_jit.* forced to
# compute_75 PTX) and the driver/launch/CLI ones that run anywhere.
step ctest-cuda "$out/ctest.log" 300 ctest --test-dir "$build" -R '^(ptx_jit\.)?(Cuda|GpuCommands|CallerStream)' \
  --output-on-failure -j 4 --timeout 240
{
  grep -E 'tests passed|tests failed' "$out/ctest.log"
  sed -n '/The following tests FAILED/,$p' "$out/ctest.log" | head -40
} >>"$summary"

# --- PyTorch, through the Python package (python/devbin) ------------------------
# torch's stream, no host synchronize between torch's work and devbin's, and
# torch.cuda.graph capture; every result checked with torch.
python_env=(env PYTHONPATH="$root/python" DEVBIN_LIBRARY="$build/runtime/libdevbin.so")
step torch-tests "$out/ctest.log" 300 "${python_env[@]}" python3 "$root/tests/python/torch_gpu_test.py" -v
tail -4 "$out/ctest.log" | grep -E '^(OK|FAILED|Ran)' >>"$summary"

# --- the CLI -----------------------------------------------------------------
if [ -x "$devbin" ]; then
  step devbin-report "$out/selftest.log" 60 "$devbin"
  step devbin-report-json "$out/selftest.log" 60 "$devbin" --json
fi
step selftest "$out/selftest.log" 60 "${selftest[@]}"
step selftest-ptx-jit "$out/selftest.log" 120 env DEVBIN_TARGET_OVERRIDE=nvptx64-nvidia-cuda--compute_75.ptx \
  "${selftest[@]}"

# --- compute-sanitizer -----------------------------------------------------
if [ -n "$sanitizer" ] && [ -x "$sanitizer" ]; then
  step memcheck-selftest "$out/sanitizer.log" 300 "$sanitizer" --tool memcheck --error-exitcode 86 \
    --leak-check full "${selftest[@]}"
  grep -E 'ERROR SUMMARY|LEAK SUMMARY' "$out/sanitizer.log" >>"$summary"
  # Tuning variants (see bench below): copies whose source ends at its
  # allocation's end, one process per variant (an error ends its context).
  for cubin in "$root"/.gpu-deps/variants/${DEVBIN_MEMCHECK_VARIANTS:-*}.cubin; do
    [ -f "$cubin" ] && [ -x "$cuda_bench" ] || continue
    step "memcheck-$(basename "$cubin" .cubin)" "$out/sanitizer.log" 120 "$sanitizer" --tool memcheck \
      --error-exitcode 86 --print-limit 3 "$cuda_bench" --variants "$cubin" --edges
    grep 'ERROR SUMMARY' "$out/sanitizer.log" | tail -1 >>"$summary"
  done
else
  echo "memcheck-selftest            SKIPPED (compute-sanitizer not found)" | tee -a "$summary"
fi

# --- machine code the driver runs ---------------------------------------------
if [ -n "$cuobjdump" ] && [ -x "$cuobjdump" ]; then
  for cubin in "$root"/device/binaries/prebuilt/nvptx64-nvidia-cuda--sm_90.cubin; do
    [ -f "$cubin" ] && "$cuobjdump" -res-usage -sass "$cubin" >"$out/sass.log" 2>&1
  done
fi

fi

if [ "$part" != tests ]; then
# --- bench -----------------------------------------------------------------
step bench "$out/bench.log" 300 "${bench[@]}"
# devbin beside PyTorch on torch's stream, graphs, wrapped and recorded launches.
python_env=(env PYTHONPATH="$root/python" DEVBIN_LIBRARY="$build/runtime/libdevbin.so")
step torch-bench "$out/bench.log" 300 "${python_env[@]}" python3 "$root/bench/torch_bench.py"
# What one small operation costs, our path against raw driver calls.
[ -x "$cuda_bench" ] && step launch-floor "$out/bench.log" 120 "$cuda_bench" --launch-floor
# The profiler's view of the large operations (ours, and the driver's where
# they are kernels it can see).
ncu=$(command -v ncu || { [ -n "$cuda_bin" ] && [ -x "$cuda_bin/ncu" ] && echo "$cuda_bin/ncu"; } || true)
quick=${DEVBIN_GPU_CHECK_QUICK:-0}
if [ "$quick" != 1 ] && [ -n "$ncu" ] && [ -x "$cuda_bench" ]; then
  step ncu-large-ops "$out/sass.log" 240 "$ncu" --clock-control none --section SpeedOfLight \
    --section MemoryWorkloadAnalysis --section LaunchStats --section Occupancy --section WarpStateStats \
    "$cuda_bench" --vendor-ops 268435456
fi
# Tuning: device-library builds with other compile-time knobs, carried in
# .gpu-deps/variants/*.cubin, timed against the driver in the same run.
if [ "$quick" != 1 ] && [ -d "$root/.gpu-deps/variants" ] && [ -x "$cuda_bench" ]; then
  step bench-variants "$out/bench.log" 300 "$cuda_bench" --variants "$root/.gpu-deps/variants" "$bench_size"
fi

fi

# --- devbin doctor against cuobjdump (issue 23) -------------------------------
# Added for `devbin doctor` on the binaries people ship: PyTorch's
# libtorch_cuda.so, libc10_cuda.so, every other library in torch/lib and in
# the nvidia wheels beside it, through scripts/doctor_vs_cuobjdump.py: the
# doctor's cubin and PTX targets and counts per target against cuobjdump
# --list-elf/--list-ptx, its time and maximum RSS per file, and its answer for
# the GPU present and for sm_70, sm_87, sm_101 and sm_103. One Markdown table
# in OUTDIR/doctor.md; its RESULT line goes to summary.txt. Runs with the
# tests part; DEVBIN_GPU_CHECK_DOCTOR=0 skips it; DEVBIN_TORCH_PYTHON names
# the python that imports torch (default python3). A missing torch or
# cuobjdump is reported in the table, not a failure; a disagreement or a
# doctor crash is.
if [ "$part" != bench ] && [ "${DEVBIN_GPU_CHECK_DOCTOR:-1}" != 0 ]; then
  if [ -x "$devbin" ]; then
    step doctor-vs-cuobjdump "$out/doctor.md" 420 python3 "$root/scripts/doctor_vs_cuobjdump.py" \
      --devbin "$devbin" ${cuobjdump:+--cuobjdump "$cuobjdump"} --python "${DEVBIN_TORCH_PYTHON:-python3}" \
      --timeout 120 --deadline 300
    grep '^RESULT' "$out/doctor.md" >>"$summary"
  else
    echo "doctor-vs-cuobjdump          SKIPPED (devbin did not build)" | tee -a "$summary"
  fi
fi
# --- end of devbin doctor against cuobjdump ------------------------------------

echo
echo "==== summary ($(date -u +%F\ %T) UTC)"
cat "$summary"
echo
echo "==== bench"
cat "$out/bench.log"
exit $failed
