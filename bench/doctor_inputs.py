#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Inputs for timing `devbin doctor` on the files people ship (bench/RESULTS.md).

Writes an x86-64 shared library whose .nv_fatbin holds fat binaries of the
prebuilt cubins (sm_75 to sm_120, device/binaries/prebuilt), one after
another as a linker concatenates one fat binary per translation unit, until
the file reaches --size; the rest of the file is a .text section left as a
hole (the doctor never reads it). Payloads are stored as they are, or
compressed as nvcc does: --compression zstd (one zstd frame, flag 0x8000,
CUDA 12.8+) or lz4 (one LZ4 block, flag 0x2000, CUDA 11-12), with the zstd
and lz4 CLIs. --at-end puts .nv_fatbin at the end of the file, as in an
8 GiB library, the bytes before it a hole (sparse: no disk).

  bench/doctor_inputs.py OUT --size 456M [--compression none|zstd|lz4] [--at-end]
  /usr/bin/time -v build/default/tools/devbin/devbin doctor OUT --gpu sm_90 >/dev/null
"""
import argparse
import os
import struct
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREBUILT = os.path.join(ROOT, "device", "binaries", "prebuilt")
SMS = [75, 80, 86, 89, 90, 100, 120]
FLAG_64BIT = 0x1
FLAGS = {"none": 0, "zstd": 0x8000, "lz4": 0x2000}


def size_arg(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(text)


def compress(raw, codec):
    if codec == "none":
        return raw
    if codec == "zstd":
        return subprocess.run(["zstd", "-19", "-c", "-q"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    # lz4: the frame's one block (4 MiB blocks, no checksums), as the fat binary holds it.
    frame = subprocess.run(["lz4", "-12", "-B7", "-BI", "--no-frame-crc", "-c", "-q"], input=raw,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    assert struct.unpack_from("<I", frame, 0)[0] == 0x184D2204
    at = 4 + 2 + (8 if frame[4] & 0x08 else 0) + 1
    size = struct.unpack_from("<I", frame, at)[0]
    assert not size & 0x80000000 and struct.unpack_from("<I", frame, at + 4 + size)[0] == 0
    return frame[at + 4:at + 4 + size]


def entry(sm, raw, codec):
    """A 64-byte cubin entry header and its payload, padded to 8."""
    stored = compress(raw, codec)
    padded = (len(stored) + 7) & ~7
    header = bytearray(64)
    struct.pack_into("<HHIQ", header, 0, 2, 0x0101, 64, padded)
    struct.pack_into("<I", header, 16, len(stored) if codec != "none" else 0)
    struct.pack_into("<HHI", header, 24, 7, 1, sm)  # code version 1.7, the SM
    struct.pack_into("<Q", header, 40, FLAG_64BIT | FLAGS[codec])
    struct.pack_into("<Q", header, 56, len(raw) if codec != "none" else 0)
    return bytes(header) + stored + b"\0" * (padded - len(stored))


def elf(file_size, fatbin_offset, fatbin_size, text_offset, text_size):
    """ELF header, .shstrtab at 0x100, section table at 0x200."""
    names = b"\0.text\0.nv_fatbin\0.shstrtab\0"
    header = bytearray(64)
    header[0:8] = b"\x7fELF\x02\x01\x01\x00"
    struct.pack_into("<HHIQQQIHHHHHH", header, 16, 3, 62, 1, 0, 0, 0x200, 0, 64, 0, 0, 64, 4, 3)
    table = bytearray(4 * 64)
    for i, (name, kind, offset, size) in enumerate(
            [(1, 1, text_offset, text_size), (7, 1, fatbin_offset, fatbin_size), (18, 3, 0x100, len(names))], 1):
        struct.pack_into("<IIQQQQIIQQ", table, i * 64, name, kind, 0, 0, offset, size, 0, 0, 8, 0)
    return bytes(header), names, bytes(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--size", type=size_arg, default=456142457)
    parser.add_argument("--compression", choices=sorted(FLAGS), default="zstd")
    parser.add_argument("--at-end", action="store_true")
    parser.add_argument("--fatbin-bytes", type=size_arg, default=None,
                        help="bytes of fat binaries (default: 85%% of --size, or 64M with --at-end)")
    args = parser.parse_args()
    entries = b""
    for sm in SMS:
        with open(os.path.join(PREBUILT, f"nvptx64-nvidia-cuda--sm_{sm}.cubin"), "rb") as f:
            entries += entry(sm, f.read(), args.compression)
    one = struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(entries)) + entries
    wanted = args.fatbin_bytes or (64 << 20 if args.at_end else args.size * 85 // 100)
    count = max(1, wanted // len(one))
    fatbin_size = count * len(one)
    fatbin_offset = (args.size - fatbin_size) & ~0xfff if args.at_end else 0x1000
    text_offset = fatbin_offset + fatbin_size if not args.at_end else 0x1000
    text_size = (args.size - text_offset) if not args.at_end else fatbin_offset - 0x1000
    header, names, table = elf(args.size, fatbin_offset, fatbin_size, text_offset, text_size)
    with open(args.out, "wb") as f:
        f.truncate(args.size)
        f.write(header)
        f.seek(0x100)
        f.write(names)
        f.seek(0x200)
        f.write(table)
        f.seek(fatbin_offset)
        for _ in range(count):
            f.write(one)
    print(f"{args.out}: {args.size} bytes, .nv_fatbin of {count} fat binaries x {len(SMS)} cubins "
          f"({args.compression}, {fatbin_size} bytes at {fatbin_offset:#x})")


if __name__ == "__main__":
    main()
