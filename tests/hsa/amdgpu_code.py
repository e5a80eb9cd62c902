# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""AMDGPU code objects read for the register-use test and the negative
controls (python3 stdlib and llvm-objdump-22 only): the ELF's PT_LOAD
segments and .dynsym, each kernel's 64-byte descriptor, and its machine code
as llvm-objdump-22 disassembles it, with the out-of-line helpers it calls.

A kernel's code is its own symbol's bytes plus every function it reaches with
s_swappc_b64 (LLVM calls them after s_getpc_b64 sN and a 64-bit add of a
PC-relative literal to sN, sN+1); a helper is not in .dynsym, so it runs from
its call target to the next function's start."""
import re
import struct
import subprocess

OBJDUMP = "llvm-objdump-22"


class CodeObject:
  def __init__(self, path):
    self.path = path
    self.data = open(path, "rb").read()
    b = self.data
    if b[:4] != b"\x7fELF" or b[4] != 2:
      raise ValueError(f"{path}: not an ELF64 file")
    phoff, shoff = struct.unpack_from("<QQ", b, 0x20)
    phnum, = struct.unpack_from("<H", b, 0x38)
    shnum, = struct.unpack_from("<H", b, 0x3C)
    self.segments = [struct.unpack_from("<IIQQQQQQ", b, phoff + i * 56) for i in range(phnum)]
    sections = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * 64) for i in range(shnum)]
    self.symbols = {}  # name -> (address, size, type)
    for s in sections:
      if s[1] != 11:  # SHT_DYNSYM
        continue
      strtab = sections[s[6]][4]
      for i in range(s[5] // 24):
        name, info, _, _, value, size = struct.unpack_from("<IBBHQQ", b, s[4] + i * 24)
        end = b.index(b"\0", strtab + name)
        self.symbols[b[strtab + name:end].decode()] = (value, size, info & 0xF)
    self.text = next(((s[3], s[3] + s[5]) for s in sections if s[2] & 0x4), (0, 0))  # SHF_EXECINSTR
    self.kernels = sorted(n for n, (_, _, t) in self.symbols.items() if t == 2 and n + ".kd" in self.symbols)

  def file_offset(self, address):
    for p_type, _, offset, vaddr, _, filesz, _, _ in self.segments:
      if p_type == 1 and vaddr <= address < vaddr + filesz:
        return offset + address - vaddr
    raise ValueError(f"{self.path}: address {address:#x} is in no PT_LOAD segment")

  def descriptor(self, kernel):
    at = self.file_offset(self.symbols[kernel + ".kd"][0])
    return self.data[at:at + 64]

  def entry(self, kernel):
    """The address of the kernel's first instruction (descriptor + kernel_code_entry_byte_offset)."""
    kd = self.symbols[kernel + ".kd"][0]
    offset, = struct.unpack_from("<q", self.descriptor(kernel), 16)
    return kd + offset


_ADDRESS = re.compile(r"//\s*([0-9A-Fa-f]{12,16}):")


def disassemble(path, mcpu=None):
  """[(address, text, raw bytes as hex words)] of every instruction in .text."""
  command = [OBJDUMP, "-d", "--no-leading-addr", path]
  if mcpu:
    command.insert(1, f"--mcpu={mcpu}")
  out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
  instructions = []
  for line in out.splitlines():
    m = _ADDRESS.search(line)
    if not m or not line.startswith("\t"):
      continue
    text = line[:m.start()].strip()
    words = line[m.end():].split()
    instructions.append((int(m.group(1), 16), text, words))
  return instructions


_REG = re.compile(r"(?<![\w.])([vsa])(?:(\d+)|\[(\d+):(\d+)\])(?![\w])")


def registers(text):
  """{'v': highest, 's': ..., 'a': ...} named by one instruction's operands, and whether it names VCC."""
  ops = text.split(None, 1)[1] if " " in text else ""
  ops = re.sub(r"<[^>]*>", "", ops)
  top = {}
  for kind, single, lo, hi in _REG.findall(ops):
    n = int(single) if single else int(hi)
    top[kind] = max(top.get(kind, -1), n)
  return top, bool(re.search(r"\bvcc(_lo|_hi)?\b", ops))


def _literal(token):
  token = token.strip().rstrip(",")
  m = re.fullmatch(r"(?:lit\()?(-?(?:0x[0-9a-fA-F]+|\d+))\)?", token)
  return int(m.group(1), 0) & 0xFFFFFFFF if m else None


def call_targets(instructions, begin, end):
  """The addresses s_swappc_b64 (gfx1250: s_swap_pc_i64) calls from [begin, end).
  A call or jump it cannot resolve, other than the return through s[30:31], is an error."""
  targets = set()
  base = {}  # SGPR pair's low register -> (pc after s_getpc, lo, hi)
  for address, text, _ in instructions:
    if not begin <= address < end:
      continue
    m = re.match(r"s_get_?pc_(?:b|i)64 s\[(\d+):\d+\]", text)
    if m:
      base[int(m.group(1))] = [address + 4, None, None]
      continue
    m = re.match(r"s_add_nc_u64 s\[(\d+):\d+\], s\[(\d+):\d+\], (\S+)$", text)  # gfx1250: one 64-bit add
    if m and m.group(1) == m.group(2) and int(m.group(1)) in base:
      value = int(m.group(3).removeprefix("lit64(").removeprefix("lit(").rstrip(")"), 0) & (1 << 64) - 1
      base[int(m.group(1))][1:] = [value & 0xFFFFFFFF, value >> 32]
      continue
    m = re.match(r"s_add(?:_co)?_u32 s(\d+), s(\d+), (\S+)$", text)
    if m and int(m.group(1)) == int(m.group(2)) and int(m.group(1)) in base:
      base[int(m.group(1))][1] = _literal(m.group(3))
      continue
    m = re.match(r"s_addc(?:_co_ci)?_u32 s(\d+), s(\d+), (\S+)$", text) or \
        re.match(r"s_add_co_ci_u32 s(\d+), s(\d+), (\S+)$", text)
    if m and int(m.group(1)) == int(m.group(2)) and int(m.group(1)) - 1 in base:
      base[int(m.group(1)) - 1][2] = _literal(m.group(3))
      continue
    m = re.match(r"s_swap_?pc_(?:b|i)64 s\[\d+:\d+\], s\[(\d+):\d+\]", text)
    if not m and re.match(r"s_(swap_?pc|call|set_?pc)_", text) and not text.startswith(("s_setpc_b64 s[30:31]",
                                                                                          "s_set_pc_i64 s[30:31]")):
      raise ValueError(f"{text!r} at {address:#x}: a call or jump this reader does not follow")
    if m:
      pc, lo, hi = base.get(int(m.group(1)), (None, None, None))
      if pc is None or lo is None or hi is None:
        raise ValueError(f"s_swappc_b64 at {address:#x}: no s_getpc_b64 + literal add sets its target")
      offset = lo | (hi << 32)
      if offset >= 1 << 63:
        offset -= 1 << 64
      targets.add(pc + offset)
  return targets


def kernel_ranges(code, instructions):
  """{kernel: [(begin, end), ...]}: its own code and every helper it reaches."""
  starts = sorted({a for a, _, t in code.symbols.values() if t == 2})
  helper_starts = set()
  for name in code.kernels:
    a, size, _ = code.symbols[name]
    helper_starts |= call_targets(instructions, a, a + size)
  bounds = sorted(set(starts) | helper_starts | {code.text[1]})

  def function_end(start):
    return next(b for b in bounds if b > start)

  result = {}
  for name in code.kernels:
    a, size, _ = code.symbols[name]
    ranges = [(a, a + size)]
    todo = list(call_targets(instructions, a, a + size))
    seen = set()
    while todo:
      t = todo.pop()
      if t in seen:
        continue
      seen.add(t)
      if not code.text[0] <= t < code.text[1]:
        raise ValueError(f"{code.path}: {name} calls {t:#x}, outside .text")
      ranges.append((t, function_end(t)))
      todo += call_targets(instructions, t, function_end(t))
    result[name] = ranges
  return result
