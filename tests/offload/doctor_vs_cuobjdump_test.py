#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""scripts/doctor_vs_cuobjdump.py's comparison, with the real devbin and a fake cuobjdump.

The input is a host ELF written here whose __nv_relfatbin holds 6 copies of
data/cuda_lz4_sm80_sm90_compute90.fatbin (relocatable code, as nvcc -rdc
leaves in each object) and whose .nv_fatbin holds one (the linked code). The
fake cuobjdump lists what the real one does: by default the executable fat
binary only, with --all-fatbin both.

  doctor_vs_cuobjdump_test.py DEVBIN
"""
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "doctor_vs_cuobjdump.py")
FATBIN = os.path.join(ROOT, "tests", "offload", "data", "cuda_lz4_sm80_sm90_compute90.fatbin")


def write_host_elf(path, sections):
    """An x86-64 ET_DYN with `sections` [(name, bytes)], a section table and .shstrtab."""
    names = b"\0"
    offsets = []
    for name, _ in sections:
        offsets.append(len(names))
        names += name.encode() + b"\0"
    shstrtab_name = len(names)
    names += b".shstrtab\0"
    body, placed, at = b"", [], 64
    for _, data in sections:
        pad = (-at) % 8
        body += b"\0" * pad
        at += pad
        placed.append(at)
        body += data
        at += len(data)
    names_at = at
    body += names
    at += len(names)
    table_at = at + (-at) % 8
    body += b"\0" * (table_at - at)
    count = len(sections) + 2
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, table_at, 0, 64, 0,
                                                             0, 64, count, count - 1)
    table = b"\0" * 64
    for (name, data), name_at, where in zip(sections, offsets, placed):
        table += struct.pack("<IIQQQQIIQQ", name_at, 1, 0, 0, where, len(data), 0, 0, 8, 0)
    table += struct.pack("<IIQQQQIIQQ", shstrtab_name, 3, 0, 0, names_at, len(names), 0, 0, 1, 0)
    with open(path, "wb") as out:
        out.write(header + body + table)


FAKE_CUOBJDUMP = r'''#!/usr/bin/env python3
import sys
args = sys.argv[1:]
every = "--all-fatbin" in args
listing = args[-2]
linked = {"--list-elf": ["ELF file    1: lib.1.sm_80.cubin", "ELF file    2: lib.2.sm_90.cubin"],
          "--list-ptx": ["PTX file    1: lib.1.sm_90.ptx"]}[listing]
relocatable = [line.replace("lib.", "lib.rel%d." % i) for i in range(RELOCATABLE_COPIES) for line in linked]
print("\n".join(linked + (relocatable if every else [])))
'''


def compare(devbin, library, scratch, relocatable_copies):
    tool = os.path.join(scratch, "cuobjdump")
    with open(tool, "w") as out:
        out.write(FAKE_CUOBJDUMP.replace("RELOCATABLE_COPIES", str(relocatable_copies)))
    os.chmod(tool, 0o755)
    result = subprocess.run([sys.executable, SCRIPT, "--devbin", devbin, "--cuobjdump", tool, "--files", library,
                             "--timeout", "60"], capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def main():
    devbin = sys.argv[1]
    with open(FATBIN, "rb") as f:
        fatbin = f.read()
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        library = os.path.join(scratch, "librdc.so")
        write_host_elf(library, [("__nv_relfatbin", fatbin * 6), (".nv_fatbin", fatbin)])

        status, output = compare(devbin, library, scratch, 6)
        row = next((line for line in output.splitlines() if line.startswith("| librdc.so")), "")
        if status != 0 or "| 2/2 | 1/1 | 18/18 | 0 | yes |" not in row or "| 0.1 (0.1) |" not in row:
            failures.append("the loadable code and --all-fatbin should agree:\n" + output)

        # cuobjdump --all-fatbin lists fewer relocatable objects than the doctor finds: a disagreement.
        status, output = compare(devbin, library, scratch, 5)
        if status != 1 or "| NO |" not in output or "cubins (--all-fatbin): cuobjdump sm_80:6 sm_90:6" not in output:
            failures.append("a relocatable count that differs should disagree:\n" + output)

        # Only relocatable code (an -rdc object): cuobjdump's default listing shows it, and so is compared.
        only = os.path.join(scratch, "rdc_only.o")
        write_host_elf(only, [("__nv_relfatbin", fatbin)])
        status, output = compare(devbin, only, scratch, 0)
        row = next((line for line in output.splitlines() if line.startswith("| rdc_only.o")), "")
        if status != 0 or "| 2/2 | 1/1 | 3/- | 0 | yes |" not in row:
            failures.append("relocatable code alone should be compared with the default listing:\n" + output)
    for failure in failures:
        print("FAIL:", failure)
    print("PASS" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
