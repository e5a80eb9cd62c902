# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The AMDGPU emulator's real-time counter, for devbin's emulated HSA stand-in
(tests/hsa/emulator_executor.cc). The emulator has no clock; ../shared's
shims.py makes the clock instructions return fixed values, which no host-time
calibration can use. This module, loaded after shims.py, makes them read a
64-bit tick count from a host address instead: the executor writes the host's
CLOCK_MONOTONIC there, in ticks of the rate the stand-in reports
(HSA_AMD_AGENT_INFO_TIMESTAMP_FREQUENCY), before it runs each kernel. So a
kernel's clock reads the time its dispatch started, one value per dispatch.

The emulator is adapted from outside, as shims.py does: its instruction
handlers are wrapped, never edited. Call install(address) once, before the
first kernel runs (the emulator caches compiled instructions)."""
import test.mockgpu.amd.emu as emu
from tinygrad.dtype import dtypes
from tinygrad.uop.ops import UOp


def install(address: int) -> None:
  """Clock instructions read the little-endian uint64 at `address` (8-byte aligned host memory)."""
  if address % 8 != 0: raise ValueError(f"clock address {address:#x} is not 8-byte aligned")
  # The emulator's global memory is an array of dwords from address 0.
  lo_index, hi_index = address // 4, address // 4 + 1

  def read_clock(ctx, reg: UOp) -> list[UOp]:
    lo = ctx.vmem.index(UOp.const(lo_index, dtypes.uint64)).load()
    hi = ctx.vmem.index(UOp.const(hi_index, dtypes.uint64)).load()
    return [ctx.wsgpr_dyn(reg, lo), ctx.wsgpr_dyn(reg + emu._c(1), hi)]

  def wrap(original):
    def handler(inst, ctx):
      name = emu._op_name(inst)
      if name == "S_MEMREALTIME":  # gfx9, gfx10
        return UOp.sink(*read_clock(ctx, ctx.inst_field(type(inst).sdata)), *ctx.inc_pc())
      if name == "S_SENDMSG_RTN_B64":  # gfx11, gfx12: devbin's only use is MSG_RTN_GET_REALTIME
        return UOp.sink(*read_clock(ctx, ctx.inst_field(type(inst).sdst)), *ctx.inc_pc())
      return original(inst, ctx)
    return handler

  for kind, handler in list(emu._INST_HANDLERS.items()):
    emu._INST_HANDLERS[kind] = wrap(handler)
