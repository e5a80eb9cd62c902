# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The Python package (python/devbin) against the stand-in runtimes: every
operation on the HSA runtime stand-in (which runs the kernels' host build),
on devbin's own queue, a wrapped native queue and a recorder, each result
checked; the wrap rules and graph-capture refusals on the CUDA stand-in driver.

Run by CTest with DEVBIN_LIBRARY, DEVBIN_HSA_RUNTIME_PATH, DEVBIN_STAND_IN_HSA_AGENTS
and DEVBIN_CUDA_DRIVER_PATH set (tests/python/CMakeLists.txt).
"""
import ctypes
import os
import re
import unittest

import devbin
from devbin import _abi


class FakeTensor:
    """What a torch tensor offers devbin: data_ptr(), nbytes."""

    def __init__(self, address, nbytes):
        self._address, self.nbytes = address, nbytes

    def data_ptr(self):
        return self._address


class FakeArray:
    """An object with __cuda_array_interface__ (CuPy, Numba)."""

    def __init__(self, address, count):
        self.__cuda_array_interface__ = {"data": (address, False), "shape": (count,), "typestr": "<f4",
                                         "strides": None, "version": 3}


class AbiTest(unittest.TestCase):
    def test_struct_sizes_follow_device_abi_h(self):
        abi_h = os.path.join(os.path.dirname(__file__), "..", "..", "device", "abi.h")
        text = open(abi_h, encoding="utf-8").read()
        sizes = {name: int(size) for name, size, _ in re.findall(r"DEVBIN_ABI_LAYOUT\((\w+), (\d+), (\d+)\)", text)}
        sizes.update({name: int(size) for name, size in re.findall(r"sizeof\((\w+)\) == (\d+)", text)})
        for name, struct in _abi.ABI_STRUCTS.items():
            self.assertIn(name, sizes, f"device/abi.h pins no size for {name}")
            self.assertEqual(ctypes.sizeof(struct), sizes[name], name)

    def test_addresses_from_objects(self):
        self.assertEqual(devbin.address_of(0x1000), 0x1000)
        self.assertEqual(devbin.address_of(FakeTensor(0x2000, 64)), 0x2000)
        self.assertEqual(devbin.nbytes_of(FakeTensor(0x2000, 64)), 64)
        self.assertEqual(devbin.address_of(FakeArray(0x3000, 10)), 0x3000)
        self.assertEqual(devbin.nbytes_of(FakeArray(0x3000, 10)), 40)
        with self.assertRaisesRegex(TypeError, "expected a device address"):
            devbin.address_of("0x1000")

    def test_toc_and_selection(self):
        names = [name for name, _, _ in devbin.toc()]
        self.assertIn("amdgcn-amd-amdhsa--gfx11-generic.so", names)
        name, reason, jit = devbin.select("gfx1151")
        self.assertEqual(name, "amdgcn-amd-amdhsa--gfx11-generic.so")
        self.assertFalse(jit)
        self.assertTrue(reason)
        with self.assertRaises(devbin.DevbinError) as caught:
            devbin.select("gfx9999")
        self.assertEqual(caught.exception.code, 2)  # NOT_FOUND
        self.assertEqual(devbin.kernel_name(0), "devbin_fill")


class HsaStandInTest(unittest.TestCase):
    def setUp(self):
        self.device = devbin.Device("hsa", 0)
        self.buffer = self.device.allocate(1 << 16)
        self.base = self.buffer.address
        self.queue = self.device.queue()
        self.queue.fill(self.buffer, b"\x00")

    def tearDown(self):
        self.queue.close()
        self.buffer.free()
        self.device.close()

    def read(self, offset, length):
        self.queue.synchronize()
        return self.device.copy_to_host(self.base + offset, length)

    def run_every_operation(self, queue):
        tensor = FakeTensor(self.base, 4096)
        queue.fill(tensor, b"\x01\x02\x03\x04")
        queue.copy(self.base + 4096 + 3, self.base, 1001)
        queue.fill_rect(self.base + 8192, 64, 48, 3, b"\xab\xcd")
        queue.copy_rect(self.base + 12288 + 1, 41, self.base + 4096 + 3, 37, 33, 5)
        queue.update(self.base + 20001, bytes(range(200)))
        table = self.device.allocate(64 * 2)
        queue.batch([("fill", self.base + 24576, b"\x77", 300), ("copy", self.base + 28000 + 5, self.base, 77)],
                    table)
        copies = self.device.allocate(64 * 3)
        queue.batch_copy([self.base + 30001 + 100 * i for i in range(3)], [self.base + i for i in range(3)], 50,
                         copies)
        self.tables = [table, copies]
        return table

    def check_every_operation(self):
        self.assertEqual(self.read(0, 4096), b"\x01\x02\x03\x04" * 1024)
        self.assertEqual(self.read(4096 + 3, 1001), (b"\x01\x02\x03\x04" * 251)[:1001])
        self.assertEqual(self.read(4096 + 3 + 1001, 1), b"\x00")
        for row in range(3):
            self.assertEqual(self.read(8192 + row * 64, 64), b"\xab\xcd" * 24 + b"\x00" * 16)
        source = self.read(4096 + 3, 37 * 5)
        for row in range(5):
            self.assertEqual(self.read(12288 + 1 + row * 41, 33), source[row * 37:row * 37 + 33])
            self.assertEqual(self.read(12288 + 1 + row * 41 + 33, 8), b"\x00" * 8)
        self.assertEqual(self.read(20001, 200), bytes(range(200)))
        self.assertEqual(self.read(24576, 301), b"\x77" * 300 + b"\x00")
        self.assertEqual(self.read(28005, 77), self.read(0, 77))
        for i in range(3):
            self.assertEqual(self.read(30001 + 100 * i, 50), self.read(i, 50))
        with self.assertRaisesRegex(devbin.DevbinError, "copy 1"):
            self.queue.batch_copy([self.base, self.base + 100], [self.base + 1000, self.base + 120], 40,
                                  self.tables[1])

    def test_every_operation_on_devbins_queue(self):
        table = self.run_every_operation(self.queue)
        self.check_every_operation()
        table.free()

    def test_every_operation_on_a_wrapped_native_queue(self):
        native = self.queue.native
        self.assertTrue(native)
        with self.device.wrap(native) as wrapped:
            self.assertEqual(wrapped.native, native)
            table = self.run_every_operation(wrapped)
            wrapped.synchronize()
        # The native queue outlives its wrapper.
        self.check_every_operation()
        table.free()

    def test_a_recording_is_data_until_submitted(self):
        recorder = self.device.recorder(max_launches=8, args_bytes=16384)
        recorder.fill(self.base, b"\x05" * 4, 256)
        recorder.update(self.base + 1000, b"x" * 5000)
        launches = recorder.launches()
        self.assertEqual([devbin.kernel_name(launch.kernel) for launch in launches],
                         ["devbin_fill", "devbin_update", "devbin_update"])
        for launch in launches:
            self.assertEqual(launch.hsa.header & 0xff, 2)  # KERNEL_DISPATCH
            self.assertEqual(launch.hsa.packet.kernarg_address, launch.args)
        self.assertEqual(self.read(0, 4), b"\x00" * 4)
        with self.assertRaisesRegex(devbin.DevbinError, "nothing was recorded"):
            recorder.update(self.base, b"y" * 40000)
        with self.assertRaisesRegex(devbin.DevbinError, "runs nothing"):
            recorder.synchronize()
        recorder.reset()
        self.assertEqual(recorder.launches(), [])
        recorder.close()

    def test_bad_input_is_a_clear_error(self):
        with self.assertRaises(devbin.DevbinError) as caught:
            self.queue.fill(self.base + 1, b"\x00\x00\x00\x00", 8)
        self.assertEqual(caught.exception.code, 1)
        with self.assertRaisesRegex(devbin.DevbinError, "null hsa_queue_t"):
            self.device.wrap(0)
        with self.assertRaisesRegex(ValueError, "length is required"):
            self.queue.copy(self.base, self.base + 100)
        with self.assertRaisesRegex(TypeError, "pattern"):
            self.queue.fill(self.base, 7, 4)
        with self.assertRaisesRegex(devbin.DevbinError, "at most 65536"):
            self.queue.update(self.base, b"z" * 65537)


class CudaStandInTest(unittest.TestCase):
    """The stand-in driver runs nothing: only the rules and messages are checked."""

    def setUp(self):
        os.environ.pop("DEVBIN_STAND_IN_CUDA_MODE", None)
        self.device = devbin.Device("cuda", 0)

    def tearDown(self):
        os.environ.pop("DEVBIN_STAND_IN_CUDA_MODE", None)
        self.device.close()

    def test_wrapping_a_stream(self):
        with self.device.wrap(0x4000) as stream:  # the stand-in's created stream
            self.assertEqual(stream.native, 0x4000)
            stream.fill(0x7f0000000000, b"\x00\x00\x80\x3f", 4096)
            stream.synchronize()
        with self.device.wrap(0x1) as legacy:  # CU_STREAM_LEGACY
            legacy.copy(0x7f0000000000, 0x7f0000100000, 64)
        with self.device.wrap(0) as default:  # torch's default stream: CU_STREAM_LEGACY
            self.assertEqual(default.native, 0x1)
        handle = ctypes.c_void_p()
        status = devbin._library.lib.devbin_queue_wrap(self.device._handle, None, ctypes.byref(handle))
        with self.assertRaisesRegex(devbin.DevbinError, "a null CUstream"):
            devbin._library.check(status)
        with self.assertRaisesRegex(devbin.DevbinError, "belongs to CUDA context"):
            self.device.wrap(0x6000)
        with self.assertRaisesRegex(devbin.DevbinError, "does not know CUstream"):
            self.device.wrap(0x9999)

    def test_a_stream_being_captured_takes_operations_and_refuses_waits(self):
        stream = self.device.wrap(0x4000)
        os.environ["DEVBIN_STAND_IN_CUDA_MODE"] = "capturing"
        stream.fill(0x7f0000000000, b"\x01", 64)
        stream.update(0x7f0000000000, b"abc")
        with self.assertRaisesRegex(devbin.DevbinError, "being captured"):
            stream.synchronize()
        with self.assertRaisesRegex(devbin.DevbinError, "being captured"):
            self.device.calibrate_clock(stream, 2)
        stream.close()

    def test_host_transfers_are_checked_before_the_driver(self):
        with self.assertRaisesRegex(devbin.DevbinError, "host pointer is null"):
            devbin._library.check(devbin._library.lib.devbin_copy_to_device(self.device._handle, 0x7f0000000000,
                                                                            None, 8))
        with self.assertRaisesRegex(devbin.DevbinError, "wrap the address space"):
            self.device.copy_to_device((1 << 64) - 4, b"12345678")

    def test_a_cuda_recording_names_the_function_grid_and_block(self):
        recorder = self.device.recorder(max_launches=4, args_bytes=8192)
        recorder.copy(0x7f0000000000, 0x7f0000100000, 1 << 20)
        (launch,) = recorder.launches()
        self.assertEqual(devbin.kernel_name(launch.kernel), "devbin_copy")
        self.assertTrue(launch.cuda.function)
        self.assertGreater(launch.cuda.grid[0], 0)
        self.assertEqual(launch.cuda.block[0], 256)
        self.assertEqual(launch.args_size, 24)
        self.assertEqual(launch.hsa.header, 0)
        recorder.close()


if __name__ == "__main__":
    unittest.main()
