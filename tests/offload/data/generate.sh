#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Regenerates the test data of tests/offload/data/ (README.md lists each file):
# HIP offload bundles, compressed bundles, a host object and a shared library
# with .hip_fatbin, LLVM offload binaries, CUDA fatbins and a shared library
# with .nv_fatbin, all from kernels.hip and kernels.cu. Needs clang-22,
# clang-offload-bundler-22 (Debian's clang-tools-22), llvm-offload-binary-22,
# llvm-objcopy-22, zstd, lz4 and /usr/local/cuda/bin/nvcc; no GPU.
#
#   tests/offload/data/generate.sh [OUTDIR]   (default: this folder)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
out=$(cd "$out" && pwd)
nvcc=${NVCC:-/usr/local/cuda/bin/nvcc}
for tool in clang-22 clang-offload-bundler-22 llvm-offload-binary-22 llvm-objcopy-22 zstd "$nvcc"; do
  command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$here/kernels.hip" "$here/kernels.cu" .

# A fixed compilation-unit id: the default hashes the (temporary) input path.
hip=(clang-22 -x hip -nogpulib -nogpuinc -O2 -fPIC -cuid=devbin_test_data)

# A standalone bundle, as `hipcc --genco` makes it.
"${hip[@]}" --offload-arch=gfx90a --offload-arch=gfx1100 --offload-device-only --gpu-bundle-output \
  -c kernels.hip -o "$out/hip_gfx90a_gfx1100.hipfb"
# Compressed bundles (zstd): format version 3 (clang-22's default) and 2.
"${hip[@]}" --offload-arch=gfx90a:xnack+ --offload-arch=gfx942:sramecc+:xnack- --offload-arch=gfx11-generic \
  --offload-device-only --gpu-bundle-output --offload-compress -c kernels.hip -o "$out/hip_ccob_v3_zstd.hipfb"
COMPRESSED_BUNDLE_FORMAT_VERSION=2 "${hip[@]}" --offload-arch=gfx906 --offload-arch=gfx1030 \
  --offload-device-only --gpu-bundle-output --offload-compress -c kernels.hip -o "$out/hip_ccob_v2_zstd.hipfb"

# zlib-compressed bundles: LLVM writes them where it was built without zstd,
# which Debian's clang-22 is not. Written here in LLVM's layout
# (clang/lib/Driver/OffloadBundler.cpp, CompressedOffloadBundle: "CCOB",
# u16 version, u16 method (0 zlib, 1 zstd), v2: u32 total size, u32
# uncompressed size; v3: u64, u64; then a u64 hash of the uncompressed bytes),
# from the bundle the zstd v3 file holds (its hash kept), and read back with
# clang-offload-bundler-22 below.
v3=$out/hip_ccob_v3_zstd.hipfb
tail -c +33 "$v3" | zstd -q -d -o bundle.bin
python3 - "$v3" bundle.bin "$out/hip_ccob_v3_zlib.hipfb" "$out/hip_ccob_v2_zlib.hipfb" <<'EOF'
import struct, sys, zlib
v3, raw, out3, out2 = sys.argv[1:]
head = open(v3, "rb").read(32)
magic, version, method, total, size, digest = struct.unpack("<4sHHQQQ", head)
assert magic == b"CCOB" and version == 3 and method == 1, (magic, version, method)
data = open(raw, "rb").read()
assert len(data) == size, (len(data), size)
packed = zlib.compress(data, 9)
open(out3, "wb").write(struct.pack("<4sHHQQQ", b"CCOB", 3, 0, 32 + len(packed), size, digest) + packed)
open(out2, "wb").write(struct.pack("<4sHHIIQ", b"CCOB", 2, 0, 24 + len(packed), size, digest) + packed)
EOF
for f in hip_ccob_v3_zlib hip_ccob_v2_zlib; do
  clang-offload-bundler-22 -list -type=o -input="$out/$f.hipfb" >/dev/null
done

# A host object and a shared library with a .hip_fatbin section (the library's compressed).
"${hip[@]}" --offload-arch=gfx90a --offload-arch=gfx1100 -c kernels.hip -o "$out/hip_host.o"
"${hip[@]}" --offload-arch=gfx1100 --offload-arch=gfx1201 --offload-compress -no-hip-rt -shared kernels.hip \
  -o "$out/libhip_gfx1100_gfx1201.so"

# The new offload driver with -fgpu-rdc: a host object whose .llvm.offloading
# holds LLVM offload binaries of bitcode, linked later by clang-linker-wrapper.
"${hip[@]}" --offload-new-driver -fgpu-rdc --offload-arch=gfx90a --offload-arch=gfx1100 -c kernels.hip \
  -o "$out/hip_rdc_new_driver.o"
# -fgpu-rdc with the old driver: the bundler's object form, one
# __CLANG_OFFLOAD_BUNDLE__<entry ID> section per entry (bitcode here).
"${hip[@]}" -fgpu-rdc --offload-arch=gfx90a -c kernels.hip -o "$out/hip_rdc_old_driver.o"
# A standalone offload binary of linked code objects (as clang-linker-wrapper embeds them).
"${hip[@]}" --offload-arch=gfx90a:xnack- --offload-device-only --no-gpu-bundle-output kernels.hip -o gfx90a.o
"${hip[@]}" --offload-arch=gfx1030 --offload-device-only --no-gpu-bundle-output kernels.hip -o gfx1030.o
llvm-offload-binary-22 -o "$out/hip_images.offbin" \
  --image=file=gfx90a.o,triple=amdgcn-amd-amdhsa,arch=gfx90a:xnack-,kind=hip \
  --image=file=gfx1030.o,triple=amdgcn-amd-amdhsa,arch=gfx1030,kind=hip

# CUDA: a fatbin with two cubins and PTX (nvcc 13 compresses the PTX with
# zstd by default), one with everything compressed, and a shared library with
# .nv_fatbin (no CUDA runtime linked: the registration calls stay undefined).
"$nvcc" -fatbin -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 kernels.cu -o "$out/cuda_sm80_sm90_compute90.fatbin"
"$nvcc" -fatbin -Xfatbin -compress-all -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=compute_90 \
  kernels.cu -o "$out/cuda_compressed_sm80_compute90.fatbin"
"$nvcc" -shared -Xcompiler -fPIC -cudart none -gencode arch=compute_75,code=sm_75 \
  -gencode arch=compute_86,code=sm_86 -gencode arch=compute_86,code=compute_86 kernels.cu \
  -o "$out/libcuda_sm75_sm86_compute86.so"
# Relocatable device code: __nv_relfatbin holds a fat binary of ET_REL cubins.
"$nvcc" -c -rdc=true -frandom-seed=devbin_test_data -gencode arch=compute_80,code=sm_80 kernels.cu -o "$out/cuda_rdc_sm80.o"
strip "$out/libcuda_sm75_sm86_compute86.so" "$out/libhip_gfx1100_gfx1201.so"
# LZ4 fat binary entries, from the fatbin above (nvcc 13 writes zstd only).
python3 "$here/make_lz4_fatbin.py" "$out"

ls -l "$out"
