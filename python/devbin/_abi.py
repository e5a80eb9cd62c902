# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""device/abi.h and devbin/recording.h as ctypes structs (the C API's types).

Each struct mirrors its C definition field by field; tests/python holds every
size to device/abi.h's DEVBIN_ABI_LAYOUT lines, so a change there that is not
made here fails the tests.
"""
import ctypes

c_u16, c_u32, c_u64 = ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64


class RectRegion(ctypes.Structure):
    """devbin_rect_region_t: row r of slice s starts at base + s * slice_pitch + r * row_pitch."""
    _fields_ = [("base", c_u64), ("row_pitch", c_u64), ("slice_pitch", c_u64)]


class RectExtent(ctypes.Structure):
    """devbin_rect_extent_t: width in bytes, height in rows, depth in slices (1: 2D)."""
    _fields_ = [("width", c_u64), ("height", c_u32), ("depth", c_u32)]


class BatchOp(ctypes.Structure):
    """devbin_batch_op_t: one fill or copy of a batch table."""
    _fields_ = [("target", c_u64), ("source", c_u64), ("length", c_u64), ("first_chunk", c_u64),
                ("pattern", c_u32 * 4), ("kind", c_u32), ("pattern_width", c_u32), ("chunk_bytes", c_u32),
                ("reserved0", c_u32)]


class BatchArgs(ctypes.Structure):
    """devbin_batch_args_t."""
    _fields_ = [("ops", c_u64), ("chunk_count", c_u64), ("op_count", c_u32), ("chunk_bytes", c_u32),
                ("status", c_u64)]


class DispatchArgs(ctypes.Structure):
    """devbin_dispatch_args_t."""
    _fields_ = [("workgroup_counts", c_u64), ("packet", c_u64), ("status", c_u64),
                ("workgroup_size", c_u32 * 3), ("max_workgroup_count", c_u32 * 3), ("header", c_u16),
                ("setup", c_u16), ("hidden_block_count_offset", c_u32), ("target_kernargs", c_u64)]


class AqlKernelDispatchPacket(ctypes.Structure):
    """devbin_aql_kernel_dispatch_packet_t."""
    _fields_ = [("header", c_u16), ("setup", c_u16), ("workgroup_size_x", c_u16), ("workgroup_size_y", c_u16),
                ("workgroup_size_z", c_u16), ("reserved0", c_u16), ("grid_size_x", c_u32), ("grid_size_y", c_u32),
                ("grid_size_z", c_u32), ("private_segment_size", c_u32), ("group_segment_size", c_u32),
                ("kernel_object", c_u64), ("kernarg_address", c_u64), ("reserved2", c_u64),
                ("completion_signal", c_u64)]


class RecordedCudaLaunch(ctypes.Structure):
    """devbin_recorded_cuda_launch_t: what cuLaunchKernel / cuGraphAddKernelNode take."""
    _fields_ = [("function", ctypes.c_void_p), ("grid", c_u32 * 3), ("block", c_u32 * 3)]


class RecordedHsaDispatch(ctypes.Structure):
    """devbin_recorded_hsa_dispatch_t: a complete AQL packet, header and setup to publish last."""
    _fields_ = [("header", c_u16), ("setup", c_u16), ("reserved", c_u32), ("packet", AqlKernelDispatchPacket)]


class RecordedLaunch(ctypes.Structure):
    """devbin_recorded_launch_t: one launch written into caller memory."""
    _fields_ = [("kernel", c_u32), ("args_size", c_u32), ("args", ctypes.c_void_p),
                ("cuda", RecordedCudaLaunch), ("hsa", RecordedHsaDispatch)]


class TocEntry(ctypes.Structure):
    """devbin_toc_entry_t."""
    _fields_ = [("name", ctypes.c_char_p), ("triple", ctypes.c_char_p), ("target", ctypes.c_char_p),
                ("features", ctypes.c_char_p), ("data", ctypes.c_void_p), ("size", ctypes.c_size_t),
                ("sha256", ctypes.c_char_p)]


class Selection(ctypes.Structure):
    """devbin_selection_t."""
    _fields_ = [("entry_index", ctypes.c_size_t), ("kind", ctypes.c_int), ("jit", ctypes.c_int)]


class OpenOptions(ctypes.Structure):
    """devbin_open_options_t."""
    _fields_ = [("wait_timeout_ms", c_u32)]


class ClockCalibration(ctypes.Structure):
    """devbin_clock_calibration_t."""
    _fields_ = [("host_ns_at", c_u64), ("ticks_at", c_u64), ("frequency_hz", c_u64), ("uncertainty_ns", c_u64),
                ("samples", c_u32)]


# The structs device/abi.h pins with DEVBIN_ABI_LAYOUT, by their C names.
ABI_STRUCTS = {
    "devbin_batch_op_t": BatchOp,
    "devbin_batch_args_t": BatchArgs,
    "devbin_rect_region_t": RectRegion,
    "devbin_rect_extent_t": RectExtent,
    "devbin_dispatch_args_t": DispatchArgs,
    "devbin_aql_kernel_dispatch_packet_t": AqlKernelDispatchPacket,
}
