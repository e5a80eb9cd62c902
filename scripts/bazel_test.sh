#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The Bazel build, as CI runs it (after `apt-get install bazel-bootstrap`;
# this script installs nothing). Offline, with Debian's Bazel 4.2:
#   1. bazel test //...                        the host test suite, prebuilt mode
#   2. the prebuilt build looks for no LLVM, ROCm or CUDA tool (shims on PATH
#      record any call; actions run with a fixed PATH, see .bazelrc)
#   3. --config=amdgpu_device_binaries_source_llvm: the code objects built from
#      device/ equal device/binaries/prebuilt/ byte for byte
#   4. --config=amdgpu_device_binaries_source_rocm, with a ROCm-shaped directory
#      of the same LLVM (llvm/bin/{clang,ld.lld,llvm-objcopy}): the same bytes
# Steps 3-4 need clang-22/ld.lld-22/llvm-objcopy-22 (else SKIP); without
# /usr/local/cuda/bin/ptxas they build the AMDGPU code objects and the PTX only.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v bazel >/dev/null; then
  echo "bazel not found: apt-get install bazel-bootstrap (Debian's Bazel 4.2)" >&2
  exit 1
fi

results=()
failed=0
step() {  # step <name> <command...>: runs it, records PASS/FAIL and the time
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - start)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - start)) s)")
    failed=1
  fi
}
skip() {
  echo "== $1: SKIP ($2)"
  results+=("SKIP  $1 ($2)")
}

# --keep_going: one target that does not build still lets every other test run.
step "bazel test //... (prebuilt mode)" bazel test --config=werror --keep_going //...

shims=$(mktemp -d)
rocm=$(mktemp -d)
trap 'rm -rf "$shims" "$rocm"' EXIT
prebuilt_uses_no_device_toolchain() {
  local tool
  for tool in clang clang-22 clang++ clang++-22 ld.lld ld.lld-22 llvm-objcopy llvm-objcopy-22 \
              llvm-readelf llvm-readelf-22 ptxas nvcc hipcc amdclang; do
    printf '#!/bin/sh\necho "%s $*" >> %s/called\nexit 1\n' "$tool" "$shims" > "$shims/$tool"
    chmod +x "$shims/$tool"
  done
  PATH="$shims:/usr/bin:/bin" bazel build --config=werror //device/binaries:toc //tools/devbin || return 1
  if [ -s "$shims/called" ]; then
    echo "the prebuilt build called a device toolchain:" >&2
    cat "$shims/called" >&2
    return 1
  fi
  echo "the prebuilt build used no LLVM, ROCm or CUDA tool"
}
step "prebuilt build runs no device toolchain" prebuilt_uses_no_device_toolchain

llvm_bin=/usr/lib/llvm-22/bin
nvidia=()
if [ ! -x /usr/local/cuda/bin/ptxas ]; then
  # The PTX needs clang only; the cubins need ptxas.
  nvidia=(--define=devbin_nvidia_targets=compute_75)
  echo "note: /usr/local/cuda/bin/ptxas not found: the source modes build no cubins"
fi
if [ -x "$llvm_bin/clang" ] && [ -x "$llvm_bin/ld.lld" ] && [ -x "$llvm_bin/llvm-objcopy" ]; then
  step "source mode (llvm) equals device/binaries/prebuilt" \
    bazel test --config=werror --config=amdgpu_device_binaries_source_llvm --repo_env=DEVBIN_LLVM_PATH="$llvm_bin" \
      "${nvidia[@]}" --test_output=all //device/binaries:source_matches_prebuilt_test
  mkdir -p "$rocm/llvm/bin"
  for tool in clang ld.lld llvm-objcopy; do ln -s "$llvm_bin/$tool" "$rocm/llvm/bin/$tool"; done
  step "source mode (rocm layout) equals device/binaries/prebuilt" \
    bazel test --config=werror --config=amdgpu_device_binaries_source_rocm --repo_env=DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH="$rocm" \
      "${nvidia[@]}" --test_output=all //device/binaries:source_matches_prebuilt_test
else
  skip "source modes" "no clang/ld.lld/llvm-objcopy in $llvm_bin (apt-get install clang-22 lld-22 llvm-22)"
fi

echo
echo "== Bazel summary"
printf '  %s\n' "${results[@]}"
exit $failed
