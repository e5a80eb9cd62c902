# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""gfx10-1-generic and gfx10-3-generic, run on the emulator's RDNA3 decoder.

The emulator cannot decode RDNA1/RDNA2. This translates the shipped gfx10
machine code to gfx11 instruction by instruction and runs the result through
the real HSA backend on the emulated gfx1100 agent (EveryKernel.Once: every
kernel, each result compared whole with the host's):

  1. llvm-objdump-22 disassembles the shipped code object's .text;
  2. each instruction is reassembled for gfx11-generic with llvm-mc-22, as
     text: branch targets and the PC-relative call literals become labels,
     so instructions whose gfx11 encoding has another size keep their
     targets; the few instructions with no gfx11 counterpart are replaced by
     their nearest gfx11 equivalent, and listed;
  3. the kernels get the shipped gfx10 descriptors (COMPUTE_PGM_RSRC1/2/3,
     kernel_code_properties, segment sizes: only the entry offset is the new
     one) and the shipped metadata, with amdhsa.target gfx11-generic;
  4. ld.lld-22 links it; the test binary runs EveryKernel.Once/gfx1100 with
     it in place of gfx11-generic (DEVBIN_EMULATED_CODE_OBJECT).

What it proves: the compiled gfx10 kernels' logic (control flow, address
arithmetic, the instruction choice LLVM made for RDNA1/2, the descriptors'
user-SGPR layout and the metadata) computes the right bytes, when each
mnemonic means on RDNA3 what it means on RDNA2. What it cannot: the gfx10
encodings (another assembler wrote these bytes), the few semantics that
differ between RDNA2 and RDNA3 under one mnemonic, gfx10 hazards and
waitcnt rules, and the replaced instructions.

  gfx10_on_rdna3.py TEST_BINARY PREBUILT_DIR

Exit 77 (skipped) without llvm-objdump-22, llvm-mc-22 or ld.lld-22, or
without DEVBIN_AMDGPU_EMULATOR (unless CI=true)."""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import amdgpu_code  # noqa: E402

OBJECTS = ("gfx10-1-generic", "gfx10-3-generic")
TOOLS = (amdgpu_code.OBJDUMP, "llvm-mc-22", "ld.lld-22", "llvm-readelf-22")
# gfx10 instructions with no gfx11 counterpart, and what stands in for them.
REPLACEMENTS = {
    "s_memrealtime": ("s_sendmsg_rtn_b64 {0}, sendmsg(MSG_RTN_GET_REALTIME)",
                      "s_memrealtime: gfx11 reads the real-time counter with s_sendmsg_rtn_b64 MSG_RTN_GET_REALTIME"),
    "s_memtime": ("s_mov_b64 {0}, 0",
                  "s_memtime: gfx11 has no 64-bit cycle counter (devbin's gfx11 kernels store 0, as this does)"),
}
_BRANCH = re.compile(r"^(s_branch|s_cbranch_\w+)\s+(-?\d+)$")


def branch_target(address, simm16):
  """SOPP branches: PC of the next instruction + 4 * simm16 (llvm-objdump-22 prints it unsigned)."""
  simm16 = int(simm16)
  if simm16 >= 0x8000:
    simm16 -= 0x10000
  return address + 4 + 4 * simm16


def translate(path, endpgm_kernel=None):
  """The gfx11 assembly for the code object at `path`, and the replacements made; with `endpgm_kernel`,
  that kernel's first instruction becomes s_endpgm (the negative control)."""
  code = amdgpu_code.CodeObject(path)
  instructions = amdgpu_code.disassemble(path)
  kernels = {code.symbols[k][0]: k for k in code.kernels}
  labels = set(kernels)
  calls = {}  # address of s_getpc_b64 -> the function it calls
  for ranges in amdgpu_code.kernel_ranges(code, instructions).values():
    labels.update(begin for begin, _ in ranges)
  for address, text, _ in instructions:
    m = _BRANCH.match(text)
    if m:
      labels.add(branch_target(address, m.group(2)))
  # Calls: s_getpc_b64 then the two literal adds (amdgpu_code.call_targets' pattern).
  for i, (address, text, _) in enumerate(instructions):
    if text.startswith("s_getpc_b64"):
      targets = amdgpu_code.call_targets(instructions[i:i + 6], address, address + 64)
      if targets:
        calls[address] = next(iter(targets))
        labels.add(calls[address])
  replaced = []
  lines = []
  pending_call = None  # (pc label, target label, registers) while the adds follow
  for address, text, _ in instructions:
    if address in kernels:
      lines += ["", "  .p2align 8", f"  .globl {kernels[address]}", f"  .type {kernels[address]},@function",
                f"{kernels[address]}:"]
    if address in labels:
      lines.append(f"L_{address:x}:")
    if endpgm_kernel is not None and address == code.entry(endpgm_kernel):
      lines.append("  s_endpgm")
      continue
    mnemonic = text.split()[0]
    if mnemonic in REPLACEMENTS:
      operands = text.split(None, 1)[1]
      lines.append("  " + REPLACEMENTS[mnemonic][0].format(operands))
      replaced.append(REPLACEMENTS[mnemonic][1])
      continue
    m = _BRANCH.match(text)
    if m:
      lines.append(f"  {m.group(1)} L_{branch_target(address, m.group(2)):x}")
      continue
    if address in calls:
      lines.append(f"  {text}")
      lines.append(f"L_pc_{address:x}:")
      pending_call = (f"L_pc_{address:x}", f"L_{calls[address]:x}", calls[address] < address)
      continue
    if pending_call is not None:
      m = re.match(r"(s_add_u32|s_addc_u32) (s\d+), (s\d+), (\S+)$", text)
      if m and m.group(1) == "s_add_u32":
        lines.append(f"  s_add_u32 {m.group(2)}, {m.group(3)}, {pending_call[1]}-{pending_call[0]}")
        continue
      if m and m.group(1) == "s_addc_u32":
        lines.append(f"  s_addc_u32 {m.group(2)}, {m.group(3)}, {'0xffffffff' if pending_call[2] else '0'}")
        pending_call = None
        continue
    lines.append(f"  {text}")
  return code, lines, sorted(set(replaced))


def descriptors(code):
  """The rodata assembly of each kernel's descriptor: the directives LLVM requires on gfx11, the rest patched in."""
  out = ["", "  .rodata", "  .p2align 6"]
  for kernel in code.kernels:
    out += [f"  .amdhsa_kernel {kernel}", "    .amdhsa_next_free_vgpr 256", "    .amdhsa_next_free_sgpr 96",
            "    .amdhsa_wavefront_size32 1", "  .end_amdhsa_kernel"]
  return out


def metadata(path):
  out = subprocess.run(["llvm-readelf-22", "--notes", path], capture_output=True, text=True, check=True).stdout
  yaml = out[out.index("---"):out.index("\n...") + 4]
  yaml = re.sub(r"amdhsa.target:\s+\S+", "amdhsa.target:   amdgcn-amd-amdhsa--gfx11-generic", yaml)
  return ["", "  .amdgpu_metadata", *yaml.splitlines(), "  .end_amdgpu_metadata"]


def build(path, directory, endpgm_kernel=None):
  """The linked gfx11-generic code object; the replacements made."""
  code, lines, replaced = translate(path, endpgm_kernel)
  source = ['  .amdgcn_target "amdgcn-amd-amdhsa--gfx11-generic"', "  .amdhsa_code_object_version 6", "  .text",
            *lines, *descriptors(code), *metadata(path)]
  name = os.path.basename(path)[:-3] + (f".{endpgm_kernel}-endpgm" if endpgm_kernel else "")
  assembly = os.path.join(directory, name + ".gfx11.s")
  obj = assembly[:-2] + ".o"
  shared = assembly[:-2] + ".so"
  open(assembly, "w").write("\n".join(source) + "\n")
  subprocess.run(["llvm-mc-22", "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx11-generic", "-filetype=obj", assembly, "-o",
                  obj], check=True, capture_output=True, text=True)
  subprocess.run(["ld.lld-22", "-shared", obj, "-o", shared], check=True, capture_output=True, text=True)
  # The shipped gfx10 descriptors, but for where the new code starts.
  built = amdgpu_code.CodeObject(shared)
  data = bytearray(built.data)
  for kernel in code.kernels:
    original = code.descriptor(kernel)
    at = built.file_offset(built.symbols[kernel + ".kd"][0])
    entry = data[at + 16:at + 24]
    data[at:at + 64] = original
    data[at + 16:at + 24] = entry
  open(shared, "wb").write(data)
  return shared, replaced, len(code.kernels)


# The tests run on the translation: every kernel once, every launch shape,
# the fill sweep, and both indirect-dispatch tests.
FILTER = ":".join(["Agents/EveryKernel.Once/gfx1100",
                   "Agents/EmulatedShapes.EveryLaunchShapeComputesTheSameBytes/gfx1100",
                   "Agents/EmulatedGpu.FillEveryWidthOffsetAndLength/gfx1100",
                   "Agents/EmulatedGpu.DispatchPatchWritesThePacketOrANoOp/gfx1100",
                   "Agents/EmulatedGpu.IndirectDispatchRunsThePatchedFill/gfx1100"])


def run_once(test_binary, shared, test_filter=FILTER):
  return subprocess.run([test_binary, f"--gtest_filter={test_filter}"],
                        env=dict(os.environ, DEVBIN_EMULATED_CODE_OBJECT=shared), capture_output=True, text=True)


def main():
  missing = [t for t in TOOLS if shutil.which(t) is None]
  ci = os.environ.get("CI") == "true"
  if missing:
    print(f"SKIP: {', '.join(missing)} not installed: gfx10 code is not run")
    return 1 if ci else 77
  if not os.environ.get("DEVBIN_AMDGPU_EMULATOR"):
    print("SKIP: DEVBIN_AMDGPU_EMULATOR is not set: gfx10 code is not run")
    return 1 if ci else 77
  test_binary, prebuilt = sys.argv[1], sys.argv[2]
  failed = False
  with tempfile.TemporaryDirectory(prefix="devbin_gfx10_") as directory:
    for name in OBJECTS:
      path = os.path.join(prebuilt, f"amdgcn-amd-amdhsa--{name}.so")
      try:
        shared, replaced, kernels = build(path, directory)
      except subprocess.CalledProcessError as error:
        print(f"FAIL: {name}: {' '.join(error.cmd[:2])} failed:\n{error.stderr[-3000:]}")
        failed = True
        continue
      print(f"{name}: {kernels} kernels reassembled for gfx11-generic; no gfx11 counterpart, replaced:")
      for r in replaced:
        print(f"  {r}")
      run = run_once(test_binary, shared)
      ran = sum(int(n) for n in re.findall(r"kernels run on the emulator: (\d+)", run.stdout))
      if run.returncode != 0 or "[  PASSED  ] 5 tests" not in run.stdout or "in place of" not in run.stdout:
        print(f"FAIL: {name} on the RDNA3 decoder:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}")
        failed = True
      else:
        print(f"PASS: {name}: 5 emulated tests on gfx1100, {ran} dispatches")
      # The negative control the issue ran: s_endpgm over devbin_dispatch_patch must now fail a test.
      corrupted, _, _ = build(path, directory, endpgm_kernel="devbin_dispatch_patch")
      run = run_once(test_binary, corrupted, "Agents/EveryKernel.Once/gfx1100")
      if run.returncode == 0:
        print(f"FAIL: {name} with s_endpgm over devbin_dispatch_patch passed EveryKernel.Once")
        failed = True
      else:
        print(f"PASS: {name} with s_endpgm over devbin_dispatch_patch fails EveryKernel.Once")
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main())
