# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devbin from PyTorch on a real GPU (scripts/gpu_check.sh runs it): every
operation on torch's current stream, with torch's own work before and after
it and no host synchronize in between, also inside torch.cuda.graph capture;
every result checked with torch. Skips, saying why, without torch or a GPU.

Usage: PYTHONPATH=python DEVBIN_LIBRARY=.../libdevbin.so python3 tests/python/torch_gpu_test.py -v
"""
import struct
import unittest

try:
    import torch
    HAVE_CUDA = torch.cuda.is_available()
    WHY = "" if HAVE_CUDA else "torch sees no CUDA GPU"
except ImportError as error:
    torch, HAVE_CUDA, WHY = None, False, f"no torch ({error})"

import devbin


@unittest.skipUnless(HAVE_CUDA, WHY)
class TorchStreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.device = devbin.Device("cuda", torch.cuda.current_device())

    def stream(self):
        return self.device.wrap(torch.cuda.current_stream().cuda_stream)

    def test_fill_and_copy_tensors_in_stream_order(self):
        with self.stream() as stream:
            x = torch.empty(1 << 20, device="cuda")
            x.fill_(3.0)  # torch's work first: devbin's fill must come after it
            stream.fill(x, struct.pack("<f", 1.5))
            y = torch.empty_like(x)
            stream.copy(y, x)
            y.mul_(2)  # torch's work after devbin's copy
            self.assertTrue(torch.equal(x, torch.full_like(x, 1.5)))
            self.assertTrue(torch.equal(y, torch.full_like(x, 3.0)))

    def test_misaligned_copy_and_update(self):
        with self.stream() as stream:
            source = torch.randint(0, 256, (1 << 20,), dtype=torch.uint8, device="cuda")
            target = torch.zeros(1 << 20, dtype=torch.uint8, device="cuda")
            stream.copy(target.data_ptr() + 3, source.data_ptr() + 1, 1000001)
            self.assertTrue(torch.equal(target[3:1000004], source[1:1000002]))
            self.assertEqual(int(target[1000004]), 0)
            payload = bytes((i * 7 + 3) % 256 for i in range(4096))
            stream.update(target.data_ptr() + 5, payload)
            expected = torch.tensor(list(payload), dtype=torch.uint8, device="cuda")
            self.assertTrue(torch.equal(target[5:5 + 4096], expected))

    def test_rect_copy_at_odd_pitches_matches_a_strided_copy(self):
        with self.stream() as stream:
            rows, width = 4096, 4097
            source = torch.randint(0, 256, (rows * 4099,), dtype=torch.uint8, device="cuda")
            target = torch.zeros(rows * 4101, dtype=torch.uint8, device="cuda")
            stream.copy_rect(target, 4101, source, 4099, width, rows)
            want = torch.zeros_like(target)
            want.view(rows, 4101)[:, :width].copy_(source.view(rows, 4099)[:, :width])
            self.assertTrue(torch.equal(target, want))
            stream.fill_rect(target, 4352 // 4 * 4, 4096, 3, b"\x11\x22\x33\x44")
            self.assertTrue(torch.equal(target[:4096].view(torch.int32),
                                        torch.full((1024,), 0x44332211, dtype=torch.int32, device="cuda")))

    def test_a_thousand_small_copies_as_one_batch(self):
        with self.stream() as stream:
            sources = torch.randint(0, 256, (1000, 64), dtype=torch.uint8, device="cuda")
            targets = torch.zeros(1000, 64, dtype=torch.uint8, device="cuda")
            table = torch.empty(1000 * 64, dtype=torch.uint8, device="cuda")
            ops = [("copy", targets[i].data_ptr(), sources[i].data_ptr(), 64) for i in range(1000)]
            stream.batch(ops, table)
            self.assertTrue(torch.equal(targets, sources))

    def test_operations_inside_torch_cuda_graph_capture(self):
        x = torch.zeros(1 << 16, device="cuda")
        y = torch.zeros_like(x)
        table = torch.empty(64 * 2, dtype=torch.uint8, device="cuda")
        small = torch.zeros(256, dtype=torch.uint8, device="cuda")
        graph = torch.cuda.CUDAGraph()
        torch.cuda.synchronize()
        with torch.cuda.graph(graph):
            # Inside capture the current stream is the capture stream.
            with self.stream() as stream:
                stream.fill(x, struct.pack("<f", 2.0))
                x.add_(1)  # torch's own captured work between devbin's
                stream.copy(y, x)
                stream.update(small, bytes(range(128)))
                stream.batch([("fill", small.data_ptr() + 128, b"\x09", 64),
                              ("copy", small.data_ptr() + 192, small.data_ptr(), 64)], table)
                with self.assertRaises(devbin.DevbinError):
                    stream.synchronize()  # would end the capture: refused
        for replay in range(10):
            x.zero_()
            y.zero_()
            small.zero_()
            graph.replay()
            self.assertTrue(torch.equal(y, torch.full_like(y, 3.0)), f"replay {replay}")
            want = torch.tensor(list(range(128)) + [9] * 64 + list(range(64)), dtype=torch.uint8, device="cuda")
            self.assertTrue(torch.equal(small, want), f"replay {replay}")


if __name__ == "__main__":
    unittest.main()
