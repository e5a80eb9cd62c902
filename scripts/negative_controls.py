#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Negative controls for the emulated AMD GPU tests: every kernel of every
executed code object is corrupted in turn, two ways, and each corruption must
make a test fail.

  endpgm  the kernel's first instruction becomes s_endpgm (it does nothing);
  store   the offset of one store the kernel executes moves 16 bytes: the
          first global store of the kernel's own code, else of the first
          helper it calls (llvm-objdump-22 finds it; the offset field is
          dword 0 bits 12:0 on gfx9/gfx11, dword 2 bits 31:8 on gfx12).

The corrupted copies and a manifest go to a temporary folder; the emulated
test binary's EveryKernel.DISABLED_NegativeControls runs EveryKernel.Once
(every kernel, each result compared whole) on each copy, in one process per
agent, and prints CAUGHT or MISSED per corruption.

  negative_controls.py TEST_BINARY PREBUILT_DIR [--objects gfx11-generic,...] [--kinds endpgm,store]

Needs DEVBIN_AMDGPU_EMULATOR (the tests' emulator folder) and llvm-objdump-22
(for store corruptions). Exit 0 when every corruption is caught, 1 otherwise,
77 (skipped) without the emulator, unless CI=true."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "hsa"))
import amdgpu_code  # noqa: E402

# Each executed code object and the agent that runs it (tests/hsa/emulated_agents.h, its full-sweep agent).
EXECUTED = {
    "gfx11-generic": "gfx1100",
    "gfx12-generic": "gfx1201",
    "gfx9-4-generic": "gfx942_sramecc__xnack_",
    "gfx90a": "gfx90a_xnack_",
    "gfx908": "gfx908_sramecc__xnack_",
    "gfx9-generic": "gfx906",
}
ENDPGM = {"gfx9": 0xBF810000, "other": 0xBFB00000}


def entry_name(name):
  return f"amdgcn-amd-amdhsa--{name}.so"


def store_corruption(code, name, kernel, instructions, ranges):
  """(file offset of the byte to change, new byte, description) for one store of `kernel`, or None."""
  for begin, end in ranges[kernel]:
    for address, text, words in instructions:
      if not begin <= address < end or not re.match(r"global_store_", text):
        continue
      m = re.search(r"offset:(-?\d+)", text)
      offset = int(m.group(1)) if m else 0
      if not 0 <= offset + 16 < 2048:
        continue
      at = code.file_offset(address)
      if name.startswith("gfx12"):
        field = int(words[2], 16) >> 8 & 0xFFFFFF
        if field != offset:
          continue
        new = (offset + 16) << 8 | (int(words[2], 16) & 0xFF)
        return [(at + 8 + i, new >> (8 * i) & 0xFF) for i in range(4)], f"{text} -> offset:{offset + 16}"
      word0 = int(words[0], 16)
      if word0 & 0x1FFF != offset & 0x1FFF:
        continue
      new = (word0 & ~0x1FFF) | ((offset + 16) & 0x1FFF)
      return [(at + i, new >> (8 * i) & 0xFF) for i in range(4)], f"{text} -> offset:{offset + 16}"
  return None


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("test_binary")
  parser.add_argument("prebuilt_dir")
  parser.add_argument("--objects", default=",".join(EXECUTED))
  parser.add_argument("--kinds", default="endpgm,store")
  args = parser.parse_args()
  ci = os.environ.get("CI") == "true"
  if not os.environ.get("DEVBIN_AMDGPU_EMULATOR"):
    print("SKIP: DEVBIN_AMDGPU_EMULATOR is not set: the negative controls need the emulated GPU")
    return 1 if ci else 77
  kinds = args.kinds.split(",")
  objects = args.objects.split(",")
  unknown = [o for o in objects if o not in EXECUTED]
  if unknown:
    print(f"unknown objects {unknown}: expected some of {', '.join(EXECUTED)}")
    return 2
  started = time.monotonic()
  with tempfile.TemporaryDirectory(prefix="devbin_negative_controls_") as directory:
    manifest = []
    for name in objects:
      path = os.path.join(args.prebuilt_dir, entry_name(name))
      code = amdgpu_code.CodeObject(path)
      instructions = amdgpu_code.disassemble(path) if "store" in kinds else []
      ranges = amdgpu_code.kernel_ranges(code, instructions) if instructions else {}
      for kernel in code.kernels:
        patches = []
        if "endpgm" in kinds:
          word = ENDPGM["gfx9" if name.startswith("gfx9") else "other"]
          at = code.file_offset(code.entry(kernel))
          patches.append(("endpgm", [(at + i, word >> (8 * i) & 0xFF) for i in range(4)],
                          "first instruction -> s_endpgm"))
        if "store" in kinds:
          found = store_corruption(code, name, kernel, instructions, ranges)
          if found is None:
            print(f"{name} {kernel}: no global store with an offset field to corrupt")
            manifest.append((entry_name(name), "", f"{kernel}: no store found"))
          else:
            patches.append(("store", found[0], found[1]))
        for kind, changes, what in patches:
          data = bytearray(code.data)
          for at, value in changes:
            data[at] = value
          if data == code.data:
            print(f"{name} {kernel} {kind}: the corruption changes nothing")
            return 1
          file = os.path.join(directory, f"{name}.{kernel}.{kind}.so")
          with open(file, "wb") as out:
            out.write(data)
          manifest.append((entry_name(name), file, f"{kernel}: {what}"))
    manifest_path = os.path.join(directory, "manifest.tsv")
    with open(manifest_path, "w") as out:
      for line in manifest:
        out.write("\t".join(line) + "\n")
    test_filter = ":".join(f"Agents/EveryKernel.DISABLED_NegativeControls/{EXECUTED[o]}" for o in objects)
    run = subprocess.run([args.test_binary, "--gtest_also_run_disabled_tests", f"--gtest_filter={test_filter}"],
                         env=dict(os.environ, DEVBIN_NEGATIVE_CONTROLS=manifest_path), capture_output=True,
                         text=True)
  caught = [line for line in run.stdout.splitlines() if line.startswith("CAUGHT\t")]
  missed = [line for line in run.stdout.splitlines() if line.startswith("MISSED\t")]
  unfound = [m for m in manifest if not m[1]]
  for line in caught:
    print(line)
  for line in missed:
    print(line)
  total = len(manifest)
  print(f"negative controls: {len(caught)} of {total} corruptions caught ({len(objects)} code objects, "
        f"kinds {args.kinds}), {time.monotonic() - started:.0f} s")
  if len(caught) + len(missed) != total - len(unfound) or run.returncode not in (0, 1):
    print("the test binary did not report every corruption:")
    print(run.stdout[-3000:], run.stderr[-3000:])
    return 1
  return 0 if not missed and not unfound else 1


if __name__ == "__main__":
  sys.exit(main())
