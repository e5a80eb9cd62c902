#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devbin beside PyTorch on torch's own stream (no host synchronize between
the two), through the Python package, and devbin's operations on its own
stream, on a wrapped stream, recorded and launched by the caller, and
replayed from a captured CUDA graph. Prints one markdown table.

Every figure is a median of REPS repetitions, each timed with CUDA events
recorded on the stream the work runs on; ours and the reference alternate
rep by rep. Large working sets are 1 GiB (256 MiB x 4), beyond any L2.
Every figure is per operation: a rep runs the operation once untimed, then
several times between its two events (large ones 16 times, small ones 100),
so the host's own time per call overlaps the GPU's work as it does in a real
stream, for devbin's Python calls and torch's alike.

Usage: PYTHONPATH=python DEVBIN_LIBRARY=build/.../libdevbin.so python3 bench/torch_bench.py [--reps 21]
"""
import argparse
import ctypes
import statistics
import struct
import sys

import torch

import devbin

GiB = 1 << 30


def timed(stream, work, reps, repeat=16):
    """Milliseconds per call of `work` on `stream` (a torch stream), as a list over reps."""
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        # One untimed call first keeps the GPU busy while the timed calls are
        # enqueued: the events time the operation in a stream, not the
        # latency of the first Python call (devbin's ctypes call or torch's).
        work()
        start.record(stream)
        for _ in range(repeat):
            work()
        end.record(stream)
        end.synchronize()
        times.append(start.elapsed_time(end) / repeat)
    return times


def compare(stream, ours, theirs, reps, repeat=16):
    """Medians (ms per call) of ours and theirs, alternating rep by rep after one warm-up each.

    Each goes first in half of the reps (ours, theirs, theirs, ours, ...), so
    neither always runs on the GPU and host state the other left."""
    ours(); theirs()
    torch.cuda.synchronize()
    mine, reference = [], []
    for rep in range(reps):
        if rep % 2 == 0:
            mine += timed(stream, ours, 1, repeat)
            reference += timed(stream, theirs, 1, repeat)
        else:
            reference += timed(stream, theirs, 1, repeat)
            mine += timed(stream, ours, 1, repeat)
    return statistics.median(mine), statistics.median(reference)


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, ours_text, theirs_text, ratio, target, met):
        self.rows.append((what, ours_text, theirs_text, f"{ratio:.3f}", target, "met" if met else "MISSED"))

    def print(self):
        print("| operation | devbin | reference | ratio | target | |")
        print("|---|---|---|---|---|---|")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


def gbps(nbytes, ms):
    return f"{nbytes / ms / 1e6:.0f} GB/s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=21)
    args = parser.parse_args()
    reps = args.reps
    torch.cuda.init()
    name = torch.cuda.get_device_name()
    device = devbin.Device("cuda", torch.cuda.current_device())
    torch_stream = torch.cuda.current_stream()
    stream = device.wrap(torch_stream.cuda_stream)
    table = Table()
    print(f"device: {name}; devbin code object {device.code_object}; torch {torch.__version__}")

    # --- PyTorch side by side, on torch's stream ----------------------------
    x = torch.empty(GiB // 4, device="cuda")
    pattern = struct.pack("<f", 1.5)
    ours, theirs = compare(torch_stream, lambda: stream.fill(x, pattern), lambda: x.fill_(1.5), reps)
    table.add("fill 1 GiB (float32 1.5)", gbps(GiB, ours), gbps(GiB, theirs) + " (`fill_`)", theirs / ours,
              ">= 1.0", theirs / ours >= 1.0)

    y = torch.empty_like(x)
    x.uniform_()
    ours, theirs = compare(torch_stream, lambda: stream.copy(y, x), lambda: y.copy_(x), reps)
    table.add("copy 1 GiB", gbps(2 * GiB, ours), gbps(2 * GiB, theirs) + " (`copy_`)", theirs / ours, ">= 1.0",
              theirs / ours >= 1.0)

    a = x.view(torch.uint8)
    b = y.view(torch.uint8)
    length = GiB - 64
    ours, theirs = compare(torch_stream, lambda: stream.copy(b.data_ptr() + 3, a.data_ptr() + 1, length),
                           lambda: b[3:3 + length].copy_(a[1:1 + length]), reps)
    table.add("copy 1 GiB, src+1 -> dst+3", gbps(2 * length, ours), gbps(2 * length, theirs) + " (`copy_`)",
              theirs / ours, ">= 1.0", theirs / ours >= 1.0)

    rows, width = 65536, 4097
    source2d = a[:rows * 4099].view(rows, 4099)
    target2d = b[:rows * 4101].view(rows, 4101)
    ours, theirs = compare(torch_stream, lambda: stream.copy_rect(target2d, 4101, source2d, 4099, width, rows),
                           lambda: target2d[:, :width].copy_(source2d[:, :width]), reps)
    table.add("2D copy 65536 x 4097 B, pitches 4099/4101", gbps(2 * rows * width, ours),
              gbps(2 * rows * width, theirs) + " (strided `copy_`)", theirs / ours, ">= 1.0", theirs / ours >= 1.0)

    count = 1000
    sources = [torch.randint(0, 256, (64,), dtype=torch.uint8, device="cuda") for _ in range(count)]
    targets = [torch.empty(64, dtype=torch.uint8, device="cuda") for _ in range(count)]
    batch_table = torch.empty(64 * count, dtype=torch.uint8, device="cuda")
    # The caller's inputs, ready before the timing for both: lists of tensors
    # for torch, their addresses for devbin (what a block table holds).
    target_addresses = [t.data_ptr() for t in targets]
    source_addresses = [t.data_ptr() for t in sources]
    ours, theirs = compare(torch_stream,
                           lambda: stream.batch_copy(target_addresses, source_addresses, 64, batch_table),
                           lambda: torch._foreach_copy_(targets, sources), reps, 4)
    table.add("1000 x 64 B copies (devbin: one batch, table built and uploaded on the stream each time)",
              f"{ours * 1000:.1f} us", f"{theirs * 1000:.1f} us (`torch._foreach_copy_`)", theirs / ours, ">= 1.0",
              theirs / ours >= 1.0)

    update_target = torch.empty(8192, dtype=torch.uint8, device="cuda")
    payload = bytes(range(256)) * 16
    pinned = torch.frombuffer(bytearray(payload), dtype=torch.uint8).pin_memory()
    loop = 100
    ours, theirs = compare(torch_stream, lambda: stream.update(update_target, payload),
                           lambda: update_target[:4096].copy_(pinned, non_blocking=True), reps, loop)
    table.add("4 KiB update, per op in a stream of 100", f"{ours * 1000:.2f} us",
              f"{theirs * 1000:.2f} us (`copy_` from pinned, non_blocking)", theirs / ours, ">= 1.0",
              theirs / ours >= 1.0)

    # --- a captured graph against the same operations one by one -------------
    small = torch.zeros(1000 * 128, dtype=torch.uint8, device="cuda")
    base = small.data_ptr()

    def thousand_small_ops(queue):
        for i in range(500):
            queue.fill(base + i * 128, b"\x01\x02\x03\x04", 64)
            queue.copy(base + i * 128 + 64, base + i * 128, 64)

    graph = torch.cuda.CUDAGraph()
    torch.cuda.synchronize()
    with torch.cuda.graph(graph):
        with device.wrap(torch.cuda.current_stream().cuda_stream) as capture:
            thousand_small_ops(capture)
    ours, theirs = compare(torch_stream, graph.replay, lambda: thousand_small_ops(stream), reps, 1)
    table.add("1000 mixed 64 B fills and copies, replayed from a captured CUDA graph", f"{ours * 1000:.1f} us",
              f"{theirs * 1000:.1f} us (the same enqueued one by one)", theirs / ours, ">= 2.0", theirs / ours >= 2.0)

    # --- devbin's own stream, a wrapped stream, recorded launches -----------
    # The same CUstream both ways: devbin's own, and the caller's wrapper of it.
    own = device.queue()
    own_torch = torch.cuda.ExternalStream(own.native)
    wrapped_own = device.wrap(own.native)
    with torch.cuda.stream(own_torch):
        wrapped_ms, own_ms = compare(own_torch, lambda: wrapped_own.copy(y, x), lambda: own.copy(y, x), reps)
    table.add("copy 1 GiB through a wrapped stream vs devbin's own queue (one CUstream)", gbps(2 * GiB, wrapped_ms),
              gbps(2 * GiB, own_ms) + " (devbin's own queue)", own_ms / wrapped_ms, ">= 0.99", own_ms / wrapped_ms >= 0.99)

    libcuda = ctypes.CDLL("libcuda.so.1")
    launch = libcuda.cuLaunchKernel
    launch.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    recorder = device.recorder(max_launches=4, args_bytes=4096)
    recorder.copy(y, x)
    (record,) = recorder.launches()
    params = (ctypes.c_void_p * 1)(record.args)

    def caller_launch():
        result = launch(record.cuda.function, record.cuda.grid[0], record.cuda.grid[1], record.cuda.grid[2],
                        record.cuda.block[0], record.cuda.block[1], record.cuda.block[2], 0,
                        torch_stream.cuda_stream, params, None)
        assert result == 0, f"cuLaunchKernel: {result}"

    recorded_ms, own_ms = compare(torch_stream, caller_launch, lambda: stream.copy(y, x), reps)
    table.add("copy 1 GiB recorded, launched by the caller (cuLaunchKernel) vs devbin's enqueue",
              gbps(2 * GiB, recorded_ms), gbps(2 * GiB, own_ms) + " (devbin's enqueue, same stream)",
              own_ms / recorded_ms, ">= 0.99", own_ms / recorded_ms >= 0.99)

    fill_target = torch.empty(64, dtype=torch.uint8, device="cuda")

    def small_fill(queue):
        return lambda: queue.fill(fill_target, b"\x05", 64)

    with torch.cuda.stream(own_torch):
        wrapped_small, own_small = compare(own_torch, small_fill(wrapped_own), small_fill(own), reps, loop)
    table.add("64 B fill per op in a stream of 100, through a wrapped stream vs devbin's own queue (one CUstream)",
              f"{wrapped_small * 1000:.2f} us", f"{own_small * 1000:.2f} us (devbin's own queue)",
              own_small / wrapped_small, ">= 0.99", own_small / wrapped_small >= 0.99)

    wrapped_own.close()
    recorder.close()
    own.close()
    stream.close()
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
