# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devbin from Python: the builtin device library's operations (fill, copy,
copy_rect, fill_rect, update, batch, timestamp, dispatch_patch) on raw
device addresses or on objects that carry one (a torch tensor's data_ptr(),
__cuda_array_interface__), enqueued on devbin's own queue, on the caller's
native stream or queue (torch.cuda.current_stream().cuda_stream), or
recorded as data. Standard library only: ctypes over libdevbin.so
(devbin/devbin.h).

    import devbin, torch
    device = devbin.Device("cuda", 0)
    stream = device.wrap(torch.cuda.current_stream().cuda_stream)
    stream.fill(tensor, b"\\x00\\x00\\x80\\x3f")   # 1.0f in every float
    stream.copy(other, tensor)

Ordering: operations on a wrapped stream run in the stream's order with the
caller's own work (and are captured into a CUDA graph while the stream is
being captured); nothing here synchronizes unless asked (Queue.synchronize).
"""
import array
import ctypes

from . import _abi
from ._abi import RecordedLaunch, RectExtent, RectRegion
from ._library import DevbinError, check, lib, library_path

__all__ = ["Device", "Queue", "Recorder", "Buffer", "DevbinError", "address_of", "nbytes_of", "toc", "select",
           "device_count", "kernel_name", "library_path", "RecordedLaunch"]

_BACKENDS = {"cuda": 0, "hsa": 1}
BATCH_CHUNK_BYTES = 16384
_CU_STREAM_LEGACY = 0x1
UPDATE_MAX_BYTES = 65536


def address_of(target):
    """A device address: an int, an object's data_ptr() (torch), __cuda_array_interface__, or a Buffer."""
    if isinstance(target, int):
        return target
    if isinstance(target, Buffer):
        return target.address
    data_ptr = getattr(target, "data_ptr", None)
    if callable(data_ptr):
        return int(data_ptr())
    interface = getattr(target, "__cuda_array_interface__", None)
    if interface is not None:
        return int(interface["data"][0])
    raise TypeError(f"expected a device address (int), a Buffer, an object with data_ptr() or "
                    f"__cuda_array_interface__; found {type(target).__name__}")


def nbytes_of(target):
    """The bytes an object covers, or None for a bare address."""
    if isinstance(target, int):
        return None
    if isinstance(target, Buffer):
        return target.size
    if callable(getattr(target, "data_ptr", None)):
        if hasattr(target, "untyped_storage") and hasattr(target, "is_contiguous") and not target.is_contiguous():
            raise ValueError("a non-contiguous tensor has no single byte range; pass .contiguous() or an address")
        nbytes = getattr(target, "nbytes", None)
        if nbytes is not None:
            return int(nbytes)
        return int(target.numel() * target.element_size())
    interface = getattr(target, "__cuda_array_interface__", None)
    if interface is not None:
        if interface.get("strides") is not None:
            raise ValueError("a strided __cuda_array_interface__ has no single byte range")
        count = 1
        for extent in interface["shape"]:
            count *= int(extent)
        return count * int(interface["typestr"][2:])
    return None


def _length(length, *objects):
    if length is not None:
        return int(length)
    sizes = [size for size in (nbytes_of(obj) for obj in objects) if size is not None]
    if not sizes:
        raise ValueError("length is required for bare addresses")
    return min(sizes)


def _bytes(pattern):
    if isinstance(pattern, (bytes, bytearray, memoryview)):
        return bytes(pattern)
    raise TypeError(f"a pattern is 1, 2, 4, 8 or 16 bytes (bytes); found {type(pattern).__name__}")


def kernel_name(kernel):
    return lib.devbin_kernel_name(kernel).decode()


def device_count(backend):
    count = ctypes.c_int(0)
    check(lib.devbin_device_count(_BACKENDS[backend], ctypes.byref(count)))
    return count.value


def toc():
    """The embedded table of contents: (name, target, size) per code object."""
    entries = []
    for index in range(lib.devbin_toc_count()):
        entry = _abi.TocEntry()
        check(lib.devbin_toc_entry(index, ctypes.byref(entry)))
        entries.append((entry.name.decode(), entry.target.decode(), entry.size))
    return entries


def select(isa):
    """The TOC entry devbin chooses for a device ISA, and why: (name, reason, jit)."""
    selection = _abi.Selection()
    reason = ctypes.create_string_buffer(512)
    check(lib.devbin_select(isa.encode(), ctypes.byref(selection), reason, len(reason)))
    entry = _abi.TocEntry()
    check(lib.devbin_toc_entry(selection.entry_index, ctypes.byref(entry)))
    return entry.name.decode(), reason.value.decode(), bool(selection.jit)


class _Handle:
    """A C handle this object frees once: on close(), at the end of a with block, or when collected
    (also when its constructor failed before it had one)."""

    _handle = ctypes.c_void_p(None)
    _free = ""  # the C API's function that frees the handle

    def close(self):
        if self._handle:
            getattr(lib, self._free)(self._handle)
            self._handle = ctypes.c_void_p(None)

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Buffer(_Handle):
    """Memory devbin allocated: device memory, or host memory the GPU reaches (host_pointer)."""

    _free = "devbin_buffer_free"

    def __init__(self, handle, size):
        self._handle = ctypes.c_void_p(handle)
        self.size = size
        self.address = lib.devbin_buffer_address(self._handle)
        self.host_pointer = lib.devbin_buffer_host_pointer(self._handle)

    free = _Handle.close


class Queue(_Handle):
    """Where operations go: devbin's own queue, a wrapped native one, or a Recorder."""

    _free = "devbin_queue_free"

    def __init__(self, device, handle):
        self.device = device
        self._handle = ctypes.c_void_p(handle)

    @property
    def native(self):
        """The CUstream or hsa_queue_t* (an int), None for a recorder."""
        return lib.devbin_queue_native(self._handle)

    def synchronize(self):
        check(lib.devbin_queue_synchronize(self._handle))

    def _device(self):
        return self.device._handle

    def fill(self, target, pattern, length=None):
        """Fills `length` bytes (default: the target's size) with `pattern` (1, 2, 4, 8 or 16 bytes)."""
        pattern = _bytes(pattern)
        check(lib.devbin_queue_fill(self._device(), self._handle, address_of(target), _length(length, target),
                                    pattern, len(pattern)))

    def copy(self, target, source, length=None):
        """Copies `length` bytes (default: the smaller object's size), any alignment."""
        check(lib.devbin_queue_copy(self._device(), self._handle, address_of(target), address_of(source),
                                    _length(length, target, source)))

    def copy_rect(self, target, target_pitch, source, source_pitch, width, height, depth=1, target_slice_pitch=0,
                  source_slice_pitch=0):
        """Copies `height` rows of `width` bytes (and `depth` slices) between pitched regions."""
        to = RectRegion(address_of(target), target_pitch, target_slice_pitch)
        source_region = RectRegion(address_of(source), source_pitch, source_slice_pitch)
        extent = RectExtent(width, height, depth)
        check(lib.devbin_queue_copy_rect(self._device(), self._handle, ctypes.byref(to),
                                         ctypes.byref(source_region), ctypes.byref(extent)))

    def fill_rect(self, target, pitch, width, height, pattern, depth=1, slice_pitch=0):
        """Fills `height` rows of `width` bytes (and `depth` slices) at `pitch` with `pattern`."""
        pattern = _bytes(pattern)
        region = RectRegion(address_of(target), pitch, slice_pitch)
        extent = RectExtent(width, height, depth)
        check(lib.devbin_queue_fill_rect(self._device(), self._handle, ctypes.byref(region), ctypes.byref(extent),
                                         pattern, len(pattern)))

    def update(self, target, data):
        """Writes host bytes (up to 64 KiB) at `target` when the queue reaches it; `data` may be reused at once."""
        data = bytes(data)
        check(lib.devbin_queue_update(self._device(), self._handle, address_of(target), data, len(data)))

    def batch(self, ops, table, chunk_bytes=0):
        """Runs many fills and copies as one launch. `ops`: ("fill", target, pattern, length) and
        ("copy", target, source, length) tuples. `table`: device memory for the table (64 bytes an op),
        written on this queue first (inline updates), so no host synchronize is needed."""
        table_ops = (_abi.BatchOp * len(ops))()
        for i, op in enumerate(ops):
            if op[0] == "fill":
                _, target, pattern, length = op
                pattern = _bytes(pattern)
                check(lib.devbin_batch_fill_op(address_of(target), length, pattern, len(pattern),
                                               ctypes.byref(table_ops[i])))
            elif op[0] == "copy":
                _, target, source, length = op
                check(lib.devbin_batch_copy_op(address_of(target), address_of(source), length,
                                               ctypes.byref(table_ops[i])))
            else:
                raise ValueError(f"op {i}: {op[0]!r}; expected 'fill' or 'copy'")
        chunks = ctypes.c_uint64(0)
        check(lib.devbin_batch_number(table_ops, len(ops), chunk_bytes, ctypes.byref(chunks)))
        self._run_table(table_ops, chunks.value, table, chunk_bytes)

    def batch_copy(self, targets, sources, lengths, table, chunk_bytes=0):
        """Many copies as one launch, from sequences of addresses (ints: array('Q') or lists) and lengths
        (a sequence, or one length for all); the table is built in one C call, then as batch()."""
        count = len(targets)
        if isinstance(lengths, int):
            lengths = array.array("Q", [lengths]) * count
        if len(sources) != count or len(lengths) != count:
            raise ValueError(f"{count} targets, {len(sources)} sources, {len(lengths)} lengths; expected one each")
        table_ops = (_abi.BatchOp * count)()
        chunks = ctypes.c_uint64(0)
        # array('Q') converts a list of ints in one C loop; ctypes views it in place.
        columns = [values if isinstance(values, array.array) and values.typecode == "Q" else array.array("Q", values)
                   for values in (targets, sources, lengths)]
        pointers = [(ctypes.c_uint64 * count).from_buffer(column) for column in columns]
        check(lib.devbin_batch_copy_table(*pointers, count, chunk_bytes, table_ops, ctypes.byref(chunks)))
        self._run_table(table_ops, chunks.value, table, chunk_bytes)

    def _run_table(self, table_ops, chunk_count, table, chunk_bytes):
        table_address = address_of(table)
        size = ctypes.sizeof(table_ops)
        if nbytes_of(table) is not None and nbytes_of(table) < size:
            raise ValueError(f"the table takes {size} bytes; the memory given has {nbytes_of(table)}")
        raw = (ctypes.c_uint8 * size).from_buffer(table_ops)
        for done in range(0, size, UPDATE_MAX_BYTES):
            piece = min(UPDATE_MAX_BYTES, size - done)
            check(lib.devbin_queue_update(self._device(), self._handle, table_address + done,
                                          ctypes.byref(raw, done), piece))
        args = _abi.BatchArgs(table_address, chunk_count, len(table_ops), chunk_bytes)
        check(lib.devbin_queue_batch(self._device(), self._handle, ctypes.byref(args)))

    def timestamp(self, record):
        """Writes a 16-byte timestamp record (steady clock, cycles) at `record` (8-byte aligned)."""
        check(lib.devbin_queue_timestamp(self._device(), self._handle, address_of(record)))

    def dispatch_patch(self, args):
        """devbin_dispatch_patch with an _abi.DispatchArgs."""
        check(lib.devbin_queue_dispatch_patch(self._device(), self._handle, ctypes.byref(args)))


class Recorder(Queue):
    """A Queue whose operations are written as data (devbin/recording.h) for the caller to submit."""

    def __init__(self, device, max_launches, args_bytes):
        self._records = (RecordedLaunch * max_launches)()
        self._args = device.allocate_host(args_bytes)
        handle = ctypes.c_void_p()
        check(lib.devbin_recorder_create(device._handle, self._records, max_launches,
                                         ctypes.c_void_p(self._args.host_pointer), args_bytes,
                                         ctypes.byref(handle)))
        super().__init__(device, handle.value)

    def launches(self):
        """The launches recorded so far (views into the recorder's memory)."""
        count = ctypes.c_size_t(0)
        check(lib.devbin_recorder_count(self._handle, ctypes.byref(count), None))
        return list(self._records[:count.value])

    def reset(self):
        check(lib.devbin_recorder_reset(self._handle))


class Device(_Handle):
    """One GPU: devbin selected, validated and loaded its code object."""

    _free = "devbin_device_free"

    def __init__(self, backend="cuda", index=0, wait_timeout_ms=0):
        if backend not in _BACKENDS:
            raise ValueError(f"backend {backend!r}; expected 'cuda' or 'hsa'")
        handle = ctypes.c_void_p()
        options = _abi.OpenOptions(wait_timeout_ms)
        check(lib.devbin_device_open_with_options(_BACKENDS[backend], index, ctypes.byref(options),
                                                  ctypes.byref(handle)))
        self._handle = handle
        self.backend = backend
        self.target = lib.devbin_device_target(handle).decode()
        entry = _abi.TocEntry()
        check(lib.devbin_toc_entry(lib.devbin_device_entry_index(handle), ctypes.byref(entry)))
        self.code_object = entry.name.decode()

    def allocate(self, size):
        handle = ctypes.c_void_p()
        check(lib.devbin_buffer_allocate(self._handle, size, ctypes.byref(handle)))
        return Buffer(handle.value, size)

    def allocate_host(self, size):
        handle = ctypes.c_void_p()
        check(lib.devbin_buffer_allocate_host(self._handle, size, ctypes.byref(handle)))
        return Buffer(handle.value, size)

    def queue(self):
        """A queue devbin creates (a CUDA stream, an AQL queue)."""
        handle = ctypes.c_void_p()
        check(lib.devbin_queue_create(self._handle, ctypes.byref(handle)))
        return Queue(self, handle.value)

    def wrap(self, native):
        """The caller's CUstream or hsa_queue_t* (an int or a ctypes pointer), which stays the caller's.

        CUDA: 0 is taken as CU_STREAM_LEGACY (0x1), the legacy default stream the driver API means by a
        NULL stream: torch reports its default stream as cuda_stream == 0. (The C API refuses NULL and
        asks for the default stream by name.)"""
        if isinstance(native, int):
            if native == 0 and self.backend == "cuda":
                native = _CU_STREAM_LEGACY
            native = ctypes.c_void_p(native)
        handle = ctypes.c_void_p()
        check(lib.devbin_queue_wrap(self._handle, native, ctypes.byref(handle)))
        return Queue(self, handle.value)

    def recorder(self, max_launches=64, args_bytes=65536):
        return Recorder(self, max_launches, args_bytes)

    def copy_to_device(self, target, data):
        data = bytes(data)
        check(lib.devbin_copy_to_device(self._handle, address_of(target), data, len(data)))

    def copy_to_host(self, source, length):
        out = ctypes.create_string_buffer(length)
        check(lib.devbin_copy_to_host(self._handle, out, address_of(source), length))
        return out.raw

    def calibrate_clock(self, queue, samples=16):
        calibration = _abi.ClockCalibration()
        check(lib.devbin_calibrate_clock(self._handle, queue._handle, samples, ctypes.byref(calibration)))
        return calibration
