# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The emulated GPU's schedule (tests/hsa/emulator_model.py) runs workgroups
and waves in the seeded shuffled order it claims: a hand-written gfx1100
kernel takes a ticket per wave with a global atomic add and stores it at its
(workgroup, wave) slot, so the tickets are the order the waves ran in.

  - 8 workgroups of one wave: the tickets are the model's workgroup order,
    which is not the identity, and the same seed gives the same order;
  - 1 workgroup of 4 waves that take a ticket, wait (s_waitcnt, where the
    model makes a wave yield), and take a second one: the first tickets are
    0..3 and the second 4..7 (the waves interleave at the wait), and the
    waves' order is the model's, shuffled.

Usage: emulator_model_test.py. Needs DEVBIN_AMDGPU_EMULATOR, llvm-mc-22 and
clang-22 (the emulator compiles each instruction with it); exit 77 without
them unless CI=true."""
import ctypes
import os
import shutil
import struct
import subprocess
import sys
import tempfile

KERNEL = """
  s_load_b64 s[4:5], s[0:1], 0x0
  s_load_b64 s[6:7], s[0:1], 0x8
  s_waitcnt lgkmcnt(0)
  s_mov_b32 exec_lo, 1
  v_lshrrev_b32 v5, 5, v0
  v_mov_b32 v1, 0
  v_mov_b32 v2, 1
  global_atomic_add_u32 v3, v1, v2, s[4:5] glc
  s_waitcnt vmcnt(0)
  global_atomic_add_u32 v6, v1, v2, s[4:5] glc
  s_waitcnt vmcnt(0)
  s_lshl_b32 s8, s2, 5
  v_lshlrev_b32 v4, 3, v5
  v_add_nc_u32 v4, s8, v4
  global_store_b32 v4, v3, s[6:7]
  global_store_b32 v4, v6, s[6:7] offset:4
  s_endpgm
"""
RSRC2 = (2 << 1) | (1 << 7)  # 2 user SGPRs (the kernarg pointer), workgroup id x in s2


def main():
  ci = os.environ.get("CI") == "true"
  directory = os.environ.get("DEVBIN_AMDGPU_EMULATOR")
  compiler = shutil.which("clang-22") or shutil.which("clang")
  if not directory or shutil.which("llvm-mc-22") is None or compiler is None:
    print("SKIP: needs DEVBIN_AMDGPU_EMULATOR, llvm-mc-22 and clang-22")
    return 1 if ci else 77
  os.environ.setdefault("CC", compiler)
  sys.path[:0] = [os.path.join(directory, "tree"), directory, os.path.dirname(os.path.abspath(__file__))]
  import test.mockgpu.amd.emu as emu  # noqa: E402
  import emulator_model  # noqa: E402
  emulator_model.install()

  with tempfile.TemporaryDirectory() as scratch:
    source = os.path.join(scratch, "k.s")
    obj = os.path.join(scratch, "k.bin")
    open(source, "w").write(KERNEL)
    out = subprocess.run(["llvm-mc-22", "-triple=amdgcn-amd-amdhsa", "-mcpu=gfx1100", "-show-encoding", source],
                         capture_output=True, text=True, check=True).stdout
  code = b""
  for line in out.splitlines():
    if "encoding:" in line:
      code += bytes(int(b, 16) for b in line.split("encoding: [")[1].rstrip("]").split(","))
  code += b"\x00" * 64
  program = ctypes.create_string_buffer(code, len(code))
  counter = (ctypes.c_uint32 * 1)()
  tickets = (ctypes.c_uint32 * 64)()
  args = (ctypes.c_uint64 * 2)(ctypes.addressof(counter), ctypes.addressof(tickets))
  failures = []

  def run(seed, groups, group_size):
    counter[0] = 0
    for i in range(64):
      tickets[i] = 0xFFFFFFFF
    emulator_model.set_dispatch(seed, groups, 1, 1, 0, False)
    order = list(emulator_model._dispatch.order)
    emu.run_asm(ctypes.addressof(program), len(code), groups, 1, 1, group_size, 1, 1, ctypes.addressof(args), RSRC2,
                0, "rdna3")
    return order, [tickets[i] for i in range(64)]

  # Workgroups: slot of workgroup g is g * 32 bytes (8 dwords).
  order, got = run(7, 8, 32)
  firsts = [got[g * 8] for g in range(8)]
  if sorted(firsts) != list(range(0, 16, 2)):
    failures.append(f"workgroup tickets {firsts}: expected each workgroup's first ticket, 0, 2, ..., 14")
  ran = [firsts.index(2 * p) for p in range(8)]
  if ran != order:
    failures.append(f"workgroups ran in the order {ran}; the model's schedule (seed 7) is {order}")
  if order == list(range(8)):
    failures.append("seed 7 gave the identity order: nothing was shuffled")
  if run(7, 8, 32)[0] != order:
    failures.append("the same seed gave another workgroup order")
  print(f"seed 7: workgroups ran in the order {ran}")

  # Waves: one workgroup of 4 waves; wave w's slot is w * 8 bytes.
  _, got = run(12, 1, 128)
  waves = list(emulator_model._dispatch.wave_order)
  first = [got[2 * w] for w in range(4)]
  second = [got[2 * w + 1] for w in range(4)]
  if sorted(first) != [0, 1, 2, 3] or sorted(second) != [4, 5, 6, 7]:
    failures.append(f"wave tickets {first} then {second}: expected 0..3 then 4..7 (the waves yield at the wait)")
  if [first.index(p) for p in range(4)] != waves:
    failures.append(f"waves took first tickets {first}; the model's wave order (seed 12) is {waves}")
  if waves == [0, 1, 2, 3]:
    failures.append("seed 12 ran the waves in order: nothing was shuffled")
  print(f"seed 12: waves took their first tickets {first}, their second {second}")
  for failure in failures:
    print("FAIL:", failure)
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
