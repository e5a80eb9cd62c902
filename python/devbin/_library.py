# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Loads libdevbin.so (the C API, devbin/devbin.h) and declares its functions.

Where the library comes from: $DEVBIN_LIBRARY (a path), else libdevbin.so.1
beside this package (an install tree's lib/ or a build's runtime/ folder),
else the system's loader path. The library's C API major version must be
the one this package was written for.
"""
import ctypes
import os

from . import _abi

API_VERSION_MAJOR = 1
_SONAME = f"libdevbin.so.{API_VERSION_MAJOR}"

P, VP = ctypes.POINTER, ctypes.c_void_p
u32, u64, size_t, i32 = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_int
STATUS = VP  # devbin_status_t: NULL is success

# name: (return type, argument types)
_FUNCTIONS = {
    "devbin_api_version": (u32, []),
    "devbin_kernel_name": (ctypes.c_char_p, [u32]),
    "devbin_status_code": (i32, [STATUS]),
    "devbin_status_message": (ctypes.c_char_p, [STATUS]),
    "devbin_status_free": (None, [STATUS]),
    "devbin_toc_count": (size_t, []),
    "devbin_toc_entry": (STATUS, [size_t, P(_abi.TocEntry)]),
    "devbin_select": (STATUS, [ctypes.c_char_p, P(_abi.Selection), ctypes.c_char_p, size_t]),
    "devbin_device_count": (STATUS, [i32, P(i32)]),
    "devbin_device_open_with_options": (STATUS, [i32, i32, P(_abi.OpenOptions), P(VP)]),
    "devbin_device_free": (None, [VP]),
    "devbin_device_entry_index": (size_t, [VP]),
    "devbin_device_target": (ctypes.c_char_p, [VP]),
    "devbin_buffer_allocate": (STATUS, [VP, u64, P(VP)]),
    "devbin_buffer_allocate_host": (STATUS, [VP, u64, P(VP)]),
    "devbin_buffer_address": (u64, [VP]),
    "devbin_buffer_host_pointer": (VP, [VP]),
    "devbin_buffer_free": (None, [VP]),
    "devbin_queue_create": (STATUS, [VP, P(VP)]),
    "devbin_queue_wrap": (STATUS, [VP, VP, P(VP)]),
    "devbin_recorder_create": (STATUS, [VP, P(_abi.RecordedLaunch), size_t, VP, size_t, P(VP)]),
    "devbin_recorder_count": (STATUS, [VP, P(size_t), P(size_t)]),
    "devbin_recorder_reset": (STATUS, [VP]),
    "devbin_queue_native": (VP, [VP]),
    "devbin_queue_synchronize": (STATUS, [VP]),
    "devbin_queue_free": (None, [VP]),
    "devbin_queue_fill": (STATUS, [VP, VP, u64, u64, VP, size_t]),
    "devbin_queue_copy": (STATUS, [VP, VP, u64, u64, u64]),
    "devbin_queue_copy_rect": (STATUS, [VP, VP, P(_abi.RectRegion), P(_abi.RectRegion), P(_abi.RectExtent)]),
    "devbin_queue_fill_rect": (STATUS, [VP, VP, P(_abi.RectRegion), P(_abi.RectExtent), VP, size_t]),
    "devbin_batch_fill_op": (STATUS, [u64, u64, VP, size_t, P(_abi.BatchOp)]),
    "devbin_batch_copy_op": (STATUS, [u64, u64, u64, P(_abi.BatchOp)]),
    "devbin_batch_number": (STATUS, [P(_abi.BatchOp), size_t, u32, P(u64)]),
    "devbin_batch_copy_table": (STATUS, [P(u64), P(u64), P(u64), size_t, u32, P(_abi.BatchOp), P(u64)]),
    "devbin_queue_batch": (STATUS, [VP, VP, P(_abi.BatchArgs)]),
    "devbin_queue_timestamp": (STATUS, [VP, VP, u64]),
    "devbin_queue_dispatch_patch": (STATUS, [VP, VP, P(_abi.DispatchArgs)]),
    "devbin_queue_update": (STATUS, [VP, VP, u64, VP, size_t]),
    "devbin_calibrate_clock": (STATUS, [VP, VP, u32, P(_abi.ClockCalibration)]),
    "devbin_copy_to_device": (STATUS, [VP, u64, VP, u64]),
    "devbin_copy_to_host": (STATUS, [VP, VP, u64, u64]),
}

STATUS_NAMES = {0: "OK", 1: "INVALID_ARGUMENT", 2: "NOT_FOUND", 3: "FAILED_PRECONDITION", 4: "DATA_LOSS",
                5: "UNAVAILABLE", 6: "INTERNAL"}


class DevbinError(RuntimeError):
    """A devbin_status_t that is not success: `code` (devbin_status_code_t) and the library's message."""

    def __init__(self, code, message):
        super().__init__(f"{STATUS_NAMES.get(code, code)}: {message}")
        self.code = code
        self.message = message


def _candidates():
    explicit = os.environ.get("DEVBIN_LIBRARY")
    if explicit:
        return [explicit]
    here = os.path.dirname(os.path.abspath(__file__))
    beside = [os.path.join(here, "..", "..", "lib", _SONAME), os.path.join(here, _SONAME)]
    return [path for path in beside if os.path.exists(path)] + [_SONAME]


def _load():
    errors = []
    for path in _candidates():
        try:
            library = ctypes.CDLL(path)
            break
        except OSError as error:
            errors.append(f"{path}: {error}")
    else:
        raise ImportError("devbin: cannot load the C library (" + "; ".join(errors) +
                          "); set DEVBIN_LIBRARY to libdevbin.so's path")
    for name, (result, arguments) in _FUNCTIONS.items():
        try:
            function = getattr(library, name)
        except AttributeError:
            raise ImportError(f"devbin: {path} lacks {name}: a libdevbin older than this package") from None
        function.restype = result
        function.argtypes = arguments
    version = library.devbin_api_version()
    if version >> 16 != API_VERSION_MAJOR:
        raise ImportError(f"devbin: {path} implements C API {version >> 16}.{version & 0xffff}; this package "
                          f"needs {API_VERSION_MAJOR}.x")
    return library, path


lib, library_path = _load()


def check(status):
    """Raises DevbinError for a failed call, freeing its status."""
    if status:
        code = lib.devbin_status_code(status)
        message = lib.devbin_status_message(status).decode("utf-8", "replace")
        lib.devbin_status_free(status)
        raise DevbinError(code, message)
