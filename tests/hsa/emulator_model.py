# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""What devbin's emulated AMD GPU models beyond the emulator's one wave at a
time, for tests/hsa/emulator_executor.cc. Loaded after shims.py,
emulator_clock.py and emulator_calls.py; adapted from outside, as they are:
the emulator's functions and handlers are wrapped, never edited.

  * Messages: s_sendmsg_rtn answers MSG_RTN_GET_REALTIME only (the one
    message emulator_clock.py models); any other message fails the kernel
    when it is compiled, naming the message.
  * Schedule: the workgroups of a dispatch run in an order shuffled by a seed,
    and so do the waves of each workgroup; a wave yields to the others of its
    workgroup at s_barrier (as the emulator does) and at every wait for
    memory counters (s_waitcnt, s_wait_*), so a missing barrier or an LDS
    hand-off that relies on wave order sees the other waves run first.
  * Release ordering (AMDGPUUsage, "Memory Model", release at system scope):
    a store that changes the watched word (the header of the AQL packet a
    kernel publishes) is the release store. Before it, every earlier store of
    the wave must be complete (s_waitcnt vmcnt(0) on gfx9, s_waitcnt_vscnt 0
    on gfx10/11, s_wait_storecnt 0 on gfx12) and, where the L2 is not
    coherent with the packet processor (gfx90a, gfx942/gfx950, gfx12), written
    back from L2 (buffer_wbl2, global_wb) before that wait. Otherwise the
    kernel fails, saying which.

Call install() once, before the first kernel runs; set_dispatch() before
each."""
import ctypes
import random
import types

import test.mockgpu.amd.emu as emu

MESSAGES = {128: "MSG_RTN_GET_DOORBELL", 129: "MSG_RTN_GET_DDID", 130: "MSG_RTN_GET_TMA",
            131: "MSG_RTN_GET_REALTIME", 132: "MSG_RTN_SAVE_WAVE", 133: "MSG_RTN_GET_TBA"}
MODELLED_MESSAGES = {131}
_WRITE_BACKS = ("BUFFER_WBL2", "GLOBAL_WB")


class _Dispatch:
  seed = 0
  grid = (1, 1, 1)
  watched = 0               # address of the 32-bit word whose change is a release; 0: none
  needs_write_back = False  # the agent's L2 must be written back before a system-scope release
  order = []                # workgroup schedule: position -> linear workgroup id
  position = 0              # workgroups started so far
  current = (0, 0, 0)       # the workgroup whose waves are being started
  wave_order = None         # its waves' schedule: slot -> wave index
  rng = random.Random(0)


_dispatch = _Dispatch()
_waves = {}  # a wave's SGPR file address -> {"outstanding": stores not yet complete, "dirty": stores not written back}


def set_dispatch(seed, gx, gy, gz, watched, needs_write_back):
  """The next run_asm: its schedule seed and grid (workgroups), the watched word, the agent's L2."""
  _dispatch.seed = seed
  _dispatch.grid = (gx, gy, gz)
  _dispatch.watched = watched
  _dispatch.needs_write_back = bool(needs_write_back)
  _dispatch.rng = random.Random(seed)
  count = gx * gy * gz
  _dispatch.order = list(range(count))
  _dispatch.rng.shuffle(_dispatch.order)
  _dispatch.position = 0
  _dispatch.wave_order = None
  _waves.clear()


def _name(inst):
  return emu._op_name(inst)


def _is_store(name):
  return name.startswith(("GLOBAL_", "FLAT_", "BUFFER_", "SCRATCH_")) and ("STORE" in name or "ATOMIC" in name)


def _store_wait(inst, name, arch):
  """The number of stores a wait leaves outstanding, or None if it does not wait for stores."""
  if name == "S_WAITCNT" and arch == "cdna":  # gfx9: vmcnt counts stores, simm16[3:0] | simm16[15:14] << 4
    imm = int(inst.simm16) & 0xFFFF
    return (imm & 0xF) | ((imm >> 14) << 4)
  if name == "S_WAITCNT_VSCNT":  # gfx10/11: sdst null, simm16 is the count
    return int(inst.simm16) & 0x3F
  if name == "S_WAIT_STORECNT":  # gfx12
    return int(inst.simm16) & 0x3F
  if name == "S_WAIT_STORECNT_DSCNT":  # gfx12: storecnt in simm16[13:8]
    return (int(inst.simm16) >> 8) & 0x3F
  return None


def _word(address):
  return ctypes.c_uint32.from_address(address).value


def _wrap(fxn, globals_list, step):
  """fxn, with step(wave_state, run) around each execution; the wave is keyed by its SGPR file (global 0)."""
  position = globals_list.index(0) if 0 in globals_list else None

  def run(*args):
    if position is None:
      return fxn(*args)
    state = _waves.setdefault(args[position].value, {"outstanding": 0, "dirty": False})
    return step(state, lambda: fxn(*args))
  return run


def _message_check(handler):
  def checked(inst, ctx):
    name = _name(inst)
    if name.startswith("S_SENDMSG_RTN_B"):
      message = inst.ssrc0.offset
      if not name.endswith("B64") or message not in MODELLED_MESSAGES:
        raise ValueError(f"{name.lower()} {MESSAGES.get(message, 'message')} ({message}): the emulated GPU models "
                         f"only s_sendmsg_rtn_b64 MSG_RTN_GET_REALTIME")
    return handler(inst, ctx)
  return checked


def install():
  for kind, handler in list(emu._INST_HANDLERS.items()):
    emu._INST_HANDLERS[kind] = _message_check(handler)

  # Waves yield at waits as they do at s_barrier (the emulator's run loop
  # pauses a wave at the instructions in _BARRIER_OPS).
  for isa in (emu.ir3, emu.ir4, emu.irc):
    for op in ("S_WAITCNT", "S_WAIT_LOADCNT", "S_WAIT_STORECNT", "S_WAIT_KMCNT", "S_WAIT_DSCNT",
               "S_WAIT_LOADCNT_DSCNT", "S_WAIT_STORECNT_DSCNT"):
      if hasattr(isa.SOPPOp, op):
        emu._BARRIER_OPS.add(getattr(isa.SOPPOp, op))

  original_init_wave = emu._init_wave

  def init_wave(lib, wave_start, total_threads, lx, ly, lz, args_ptr, rsrc2, scratch_size, arch, gidx, gidy, gidz,
                user_data, wave_size=32):
    gx, gy, _ = _dispatch.grid
    if wave_start == 0:  # the first wave of the next workgroup the emulator starts: take the schedule's next one
      linear = _dispatch.order[_dispatch.position % len(_dispatch.order)] if _dispatch.order else 0
      _dispatch.position += 1
      _dispatch.current = (linear % gx, linear // gx % gy, linear // (gx * gy))
      waves = (total_threads + wave_size - 1) // wave_size
      _dispatch.wave_order = list(range(waves))
      _dispatch.rng.shuffle(_dispatch.wave_order)
    gidx, gidy, gidz = _dispatch.current
    start = _dispatch.wave_order[wave_start // wave_size] * wave_size
    st = original_init_wave(lib, start, total_threads, lx, ly, lz, args_ptr, rsrc2, scratch_size, arch, gidx, gidy,
                            gidz, user_data, wave_size)
    _waves.pop(st.sgpr_buf._buf.va_addr, None)
    return st
  emu._init_wave = init_wave

  original_decode_at = emu._decode_at

  def decode_at(pc, arch):
    (prg, runtime), inst = original_decode_at(pc, arch)
    name = _name(inst)
    globals_list = prg.arg.globals
    if _is_store(name):
      def store(state, execute):
        watched = _dispatch.watched
        before = _word(watched) if watched else None
        result = execute()
        if watched and _word(watched) != before:
          missing = []
          if state["outstanding"]:
            missing.append(f"{state['outstanding']} earlier stores of the wave are not complete (no wait for the "
                           "store counter to reach 0)")
          if state["dirty"] and _dispatch.needs_write_back:
            missing.append("its earlier stores are not written back from L2 (no buffer_wbl2/global_wb, or no "
                           "wait after it)")
          if missing:
            raise RuntimeError(f"release ordering: {name.lower()} at pc {pc:#x} publishes the packet header at "
                               f"{watched:#x}, but " + "; ".join(missing) + f" (schedule seed {_dispatch.seed})")
        state["outstanding"] += 1
        state["dirty"] = True
        return result
      runtime = types.SimpleNamespace(fxn=_wrap(runtime.fxn, globals_list, store))
    elif name in _WRITE_BACKS:
      def write_back(state, execute):
        result = execute()
        if state["dirty"]:
          state["dirty"] = False
          state["outstanding"] += 1  # the write-back completes like a store: a wait must follow it
        return result
      runtime = types.SimpleNamespace(fxn=_wrap(runtime.fxn, globals_list, write_back))
    else:
      left = _store_wait(inst, name, arch)
      if left is not None:
        def wait(state, execute):
          state["outstanding"] = min(state["outstanding"], left)
          return execute()
        runtime = types.SimpleNamespace(fxn=_wrap(runtime.fxn, globals_list, wait))
    return (prg, runtime), inst
  emu._decode_at = decode_at
