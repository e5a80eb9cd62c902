# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Function calls for the AMDGPU emulator, for devbin's emulated HSA stand-in
(tests/hsa/emulator_executor.cc). On AMDGPU, devbin's kernels call the range
helpers devbin_copy_range and devbin_fill_range out of line
(device/target/amdgpu.h): the caller takes the callee's address with
s_getpc_b64 and a PC-relative offset, jumps with s_swappc_b64 (return address
into an SGPR pair), and the callee returns with s_setpc_b64. The emulator's
pseudocode for these reads a PC variable it does not define, so this module
gives them their ISA meaning (AMD "RDNA3/RDNA4/CDNA3 Instruction Set
Architecture", SOP1):
  s_getpc_b64  sdst       sdst = address of the next instruction
  s_setpc_b64  ssrc0      PC = ssrc0
  s_swappc_b64 sdst ssrc0 sdst = address of the next instruction; PC = ssrc0

The emulator is adapted from outside, as shims.py does: its instruction
handlers are wrapped, never edited. Call install() once, before the first
kernel runs (the emulator caches compiled instructions)."""
import test.mockgpu.amd.emu as emu
from tinygrad.dtype import dtypes
from tinygrad.uop.ops import UOp

_CALL_OPS = ("S_GETPC_B64", "S_SETPC_B64", "S_SWAPPC_B64")


def _compile(name: str, inst, ctx) -> UOp:
  cls = type(inst)
  stores: list[UOp] = []
  if name != "S_SETPC_B64":
    next_lo, next_hi = emu._split64(ctx.rpc() + UOp.const(ctx.inst_size, dtypes.uint64))
    sdst = ctx.inst_field(cls.sdst)
    stores += [ctx.wsgpr_dyn(sdst, next_lo), ctx.wsgpr_dyn(sdst + emu._c(1), next_hi)]
  if name == "S_GETPC_B64":
    return UOp.sink(*stores, *ctx.inc_pc())
  # devbin's code never names overlapping sdst and ssrc0 pairs (LLVM returns
  # through s[30:31] and calls through another pair), so the order of the
  # reads and writes below does not matter.
  ssrc0 = ctx.inst_field(cls.ssrc0)
  target_lo, target_hi = emu._split64(emu._u64(ctx.rsgpr_dyn(ssrc0), ctx.rsgpr_dyn(ssrc0 + emu._c(1))))
  return UOp.sink(*stores, ctx.wsgpr_dyn(emu._c(emu.PC_LO_IDX), target_lo),
                  ctx.wsgpr_dyn(emu._c(emu.PC_HI_IDX), target_hi))


def install() -> None:
  """s_getpc_b64, s_setpc_b64 and s_swappc_b64 run as the ISA defines them."""
  def wrap(original):
    def handler(inst, ctx):
      name = emu._op_name(inst)
      if name in _CALL_OPS:
        return _compile(name, inst, ctx)
      return original(inst, ctx)
    return handler

  for kind, handler in list(emu._INST_HANDLERS.items()):
    emu._INST_HANDLERS[kind] = wrap(handler)
