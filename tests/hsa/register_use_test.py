# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Every shipped AMDGPU code object, disassembled with llvm-objdump-22: the
highest VGPR, AGPR and SGPR each kernel's code names (its own and the helpers
it calls) fits what its kernel descriptor grants, as llvm-objdump-22 decodes
the descriptor (.amdhsa_next_free_vgpr, .amdhsa_next_free_sgpr,
.amdhsa_accum_offset). This covers the code objects nothing executes
(gfx10-1-generic, gfx10-3-generic, gfx1250, gfx1251) as well.

Rules (LLVM AMDGPUUsage, "Kernel Descriptor"): a work-item has the VGPRs
v0..v(next_free_vgpr - 1); on gfx90a/gfx942 its AGPRs follow at accum_offset
and the two together fit next_free_vgpr, and v stays below accum_offset; on
gfx908 the AGPRs are a second file of the same size. A GFX9 wave has the
SGPRs its descriptor grants, VCC among them; a GFX10+ wave always has 106
addressable SGPRs (VCC is separate).

Usage: register_use_test.py PREBUILT_DIR. Exit 77 (ctest: skipped) when
llvm-objdump-22 is missing."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import amdgpu_code  # noqa: E402

EXPECTED_OBJECTS = 10


def granted(path):
  """{kernel: {directive: value}} from llvm-objdump-22's descriptor disassembly."""
  out = subprocess.run([amdgpu_code.OBJDUMP, "-D", "-j", ".rodata", path], capture_output=True, text=True,
                       check=True).stdout
  result = {}
  for block in re.findall(r"\.amdhsa_kernel (\w+)\n(.*?)\.end_amdhsa_kernel", out, re.S):
    result[block[0]] = {k: int(v) for k, v in re.findall(r"\.amdhsa_(\w+) (\d+)", block[1])}
  return result


def metadata(path):
  """{kernel: {key: value}} of the integer fields of the NT_AMDGPU_METADATA note, as llvm-readelf-22 prints it."""
  out = subprocess.run([amdgpu_code.OBJDUMP.replace("objdump", "readelf"), "--notes", path], capture_output=True,
                       text=True, check=True).stdout
  result = {}
  for block in re.split(r"\n  - ", out.split("amdhsa.kernels:", 1)[1]):
    fields = dict(re.findall(r"^\s*-?\s*\.(\w+):\s+(\S+)$", block, re.M))
    if "symbol" in fields:
      result[fields["name"]] = {k: int(v) for k, v in fields.items() if v.isdigit()}
  return result


def check(path, failures, quiet=False):
  """Checks one code object, appending what fails to `failures`; the number of kernels checked."""
  say = (lambda *args: None) if quiet else print
  name = os.path.basename(path)[len("amdgcn-amd-amdhsa--"):-3]
  code = amdgpu_code.CodeObject(path)
  instructions = amdgpu_code.disassemble(path)
  descriptors = granted(path)
  counts = metadata(path)
  ranges = amdgpu_code.kernel_ranges(code, instructions)
  gfx9 = name.startswith("gfx9")
  say(f"{name}: {len(code.kernels)} kernels, {len(instructions)} instructions")
  if len(code.kernels) != 8:
    failures.append(f"{name}: {len(code.kernels)} kernels with descriptors; expected 8")
  checked = 0
  for kernel in code.kernels:
    d = descriptors.get(kernel)
    if d is None:
      failures.append(f"{name} {kernel}: llvm-objdump-22 shows no descriptor")
      continue
    top = {"v": -1, "s": -1, "a": -1}
    vcc = False
    count = 0
    for address, text, _ in instructions:
      if not any(b <= address < e for b, e in ranges[kernel]):
        continue
      count += 1
      used, names_vcc = amdgpu_code.registers(text)
      vcc |= names_vcc
      for k, n in used.items():
        top[k] = max(top[k], n)
    if count == 0:
      failures.append(f"{name} {kernel}: no instructions found in its ranges")
      continue
    v, s, a = top["v"] + 1, top["s"] + 1, top["a"] + 1
    vgprs = d["next_free_vgpr"]
    accum = d.get("accum_offset")
    problems = []
    if accum is not None:
      if v > accum:
        problems.append(f"uses v0..v{v - 1} past accum_offset {accum}")
      if a and accum + a > vgprs:
        problems.append(f"uses a0..a{a - 1}: accum_offset {accum} + {a} > {vgprs} granted")
    elif v > vgprs:
      problems.append(f"uses v0..v{v - 1}; the descriptor grants {vgprs} VGPRs")
    agprs = vgprs if name == "gfx908" else 0
    if accum is None and a > agprs:
      problems.append(f"uses a0..a{a - 1}; the descriptor grants {agprs} AGPRs")
    sgprs = d["next_free_sgpr"] if gfx9 else 106
    need = s + (2 if gfx9 and vcc else 0)
    if need > sgprs:
      problems.append(f"uses s0..s{s - 1}{' and VCC' if gfx9 and vcc else ''} ({need} SGPRs); "
                      f"{'the descriptor grants' if gfx9 else 'a wave addresses'} {sgprs}")
    # The metadata's counts include every callee's registers: code naming
    # more than they say means the call graph or the metadata is wrong.
    m = counts.get(kernel, {})
    if v > m.get("vgpr_count", 0) or s > m.get("sgpr_count", 0):
      problems.append(f"uses v{v} s{s}; its metadata counts .vgpr_count {m.get('vgpr_count')} "
                      f".sgpr_count {m.get('sgpr_count')}")
    helpers = len(ranges[kernel]) - 1
    say(f"  {kernel:24} {count:4} instructions, {helpers} helpers: v{v:<3} a{a:<3} s{s:<3}{' +vcc' if vcc else '     '}"
        f"  granted: {vgprs} VGPRs{f' (accum_offset {accum})' if accum is not None else ''}, {sgprs} SGPRs"
        f"  {'FAIL: ' + '; '.join(problems) if problems else 'ok'}")
    failures += [f"{name} {kernel}: {p}" for p in problems]
    checked += 1
  return checked


def main():
  if shutil.which(amdgpu_code.OBJDUMP) is None or shutil.which("llvm-readelf-22") is None:
    print(f"SKIP: {amdgpu_code.OBJDUMP} or llvm-readelf-22 is not installed: the register use of the shipped AMDGPU code is not checked")
    return 77
  paths = sorted(glob.glob(os.path.join(sys.argv[1], "amdgcn-amd-amdhsa--*.so")))
  failures = []
  if len(paths) != EXPECTED_OBJECTS:
    failures.append(f"{len(paths)} AMDGPU code objects in {sys.argv[1]}; expected {EXPECTED_OBJECTS}")
  kernels_checked = sum(check(path, failures) for path in paths)
  # The check can fail: devbin_copy's VGPR granule 4 -> 0 in a copy of
  # gfx11-generic (8 VGPRs granted, v0..v39 used) must be reported.
  source = next((p for p in paths if p.endswith("--gfx11-generic.so")), None)
  if source is not None:
    code = amdgpu_code.CodeObject(source)
    at = code.file_offset(code.symbols["devbin_copy.kd"][0]) + 48
    corrupted = bytearray(code.data)
    corrupted[at] &= ~0x3F & 0xFF
    with tempfile.TemporaryDirectory() as directory:
      copy = os.path.join(directory, os.path.basename(source))
      open(copy, "wb").write(corrupted)
      caught = []
      check(copy, caught, quiet=True)
    if not any("devbin_copy: uses v0..v39; the descriptor grants 8 VGPRs" in c for c in caught):
      failures.append(f"the negative control (devbin_copy.kd VGPR granule 0) was not caught: {caught}")
    else:
      print("negative control caught:", caught[0])
  print(f"{kernels_checked} kernels of {len(paths)} code objects checked")
  for failure in failures:
    print("FAIL:", failure)
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
