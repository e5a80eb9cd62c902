#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Writes cuda_lz4_sm80_sm90_compute90.fatbin: the entries of
cuda_sm80_sm90_compute90.fatbin (nvcc 13.0's output), each compressed as
nvcc --compress-mode / -Xfatbin -compress-all did before CUDA 12.8: one LZ4
block per payload, flag 0x2000, u32 compressed size at +16, the slot (u64 at
+8) that size padded to 8, the uncompressed size at +56. The LZ4 block is
the lz4 CLI's (Debian's lz4), taken out of its frame; zstd payloads are
decompressed first with the zstd CLI. No nvcc needed.

  tests/offload/data/make_lz4_fatbin.py [DIR]   (reads and writes DIR; default: this folder)
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = "cuda_sm80_sm90_compute90.fatbin"
OUTPUT = "cuda_lz4_sm80_sm90_compute90.fatbin"
FLAG_LZ4 = 0x2000
FLAG_ZSTD = 0x8000


def lz4_block(raw):
    """One LZ4 block: the lz4 frame's only block (64 KiB blocks, no checksums)."""
    if len(raw) > 65536:
        raise SystemExit(f"payload of {len(raw)} bytes: expected at most one 64 KiB LZ4 block")
    frame = subprocess.run(["lz4", "-12", "-B4", "-BI", "--no-frame-crc", "-c", "-q"], input=raw,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    if struct.unpack_from("<I", frame, 0)[0] != 0x184D2204:
        raise SystemExit("lz4 wrote no LZ4 frame")
    flg = frame[4]
    at = 4 + 2 + (8 if flg & 0x08 else 0) + 1  # FLG, BD, content size, header checksum
    size = struct.unpack_from("<I", frame, at)[0]
    if size & 0x80000000:
        raise SystemExit("lz4 stored the payload uncompressed: expected a compressed block")
    block = frame[at + 4:at + 4 + size]
    if struct.unpack_from("<I", frame, at + 4 + size)[0] != 0:
        raise SystemExit("lz4 wrote more than one block")
    return block


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else HERE
    data = open(os.path.join(out_dir, SOURCE), "rb").read()
    magic, version, header_size, body_size = struct.unpack_from("<IHHQ", data, 0)
    assert magic == 0xBA55ED50 and version == 1 and header_size == 16
    entries = b""
    position = 16
    while position < 16 + body_size:
        entry_header_size = struct.unpack_from("<I", data, position + 4)[0]
        slot, stored = struct.unpack_from("<QI", data, position + 8)
        flags = struct.unpack_from("<Q", data, position + 40)[0]
        header = bytearray(data[position:position + entry_header_size])
        payload = data[position + entry_header_size:position + entry_header_size + slot]
        if flags & FLAG_ZSTD:
            payload = subprocess.run(["zstd", "-d", "-c", "-q"], input=payload[:stored], stdout=subprocess.PIPE,
                                     check=True).stdout
        raw = bytes(payload)
        block = lz4_block(raw)
        padded = (len(block) + 7) & ~7
        struct.pack_into("<QI", header, 8, padded, len(block))
        struct.pack_into("<Q", header, 40, (flags & ~FLAG_ZSTD) | FLAG_LZ4)
        struct.pack_into("<Q", header, 56, len(raw))
        entries += bytes(header) + block + b"\0" * (padded - len(block))
        position += entry_header_size + slot
    out = struct.pack("<IHHQ", magic, version, header_size, len(entries)) + entries
    with open(os.path.join(out_dir, OUTPUT), "wb") as f:
        f.write(out)
    print(f"{OUTPUT}: {len(out)} bytes")


if __name__ == "__main__":
    main()
