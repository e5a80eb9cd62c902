#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds devbin's device code objects from device/*.c with a named toolchain.

    python3 build_tools/device_binaries.py --output-dir device/binaries/prebuilt
    python3 build_tools/device_binaries.py --check

writes (or, with --check, rebuilds into a temporary directory and compares
byte for byte with device/binaries/prebuilt/):

    amdgcn-amd-amdhsa--<code object>.so   one per AMDGPU code object of the target map
    nvptx64-nvidia-cuda--sm_XX.cubin      one per NVIDIA SASS target
    nvptx64-nvidia-cuda--compute_XX.ptx   the PTX (JIT) fallback

The flags live in build_tools/device_flags.json, which the CMake source mode
(cmake/DevbinDeviceSource.cmake) reads too: both produce the same bytes. The
targets come from build_tools/target_map.py. Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SCRIPT_DIR = pathlib.Path(__file__).resolve().parent
ROOT = SCRIPT_DIR.parent
sys.path.insert(0, str(SCRIPT_DIR))
import target_map  # noqa: E402  (lives next to this script)

FLAGS_FILE = SCRIPT_DIR / "device_flags.json"
DEFAULT_DEVICE_DIR = ROOT / "device"
PREBUILT_DIR = ROOT / "device" / "binaries" / "prebuilt"
DEFAULT_CUDA_PATH = pathlib.Path("/usr/local/cuda")
PROG = "device_binaries.py"


class BuildError(Exception):
    """A failure to report in one message and exit 1 (never a traceback)."""


@dataclasses.dataclass(frozen=True)
class Toolchain:
    clang: pathlib.Path
    lld: pathlib.Path
    objcopy: pathlib.Path
    ptxas: pathlib.Path | None
    llvm_major: int


@dataclasses.dataclass(frozen=True)
class Output:
    name: str  # the file name, <triple>--<target>.<ext>
    kind: str  # "amdgpu", "cubin" or "ptx"
    target: str  # the code object or NVIDIA target name


def load_flags() -> dict:
    try:
        return json.loads(FLAGS_FILE.read_text())
    except (OSError, ValueError) as error:
        raise BuildError(f"cannot read {FLAGS_FILE}: {error}") from None


def substitute(args: list[str], **values: str) -> list[str]:
    return [arg.format(**values) for arg in args]


#===------------------------------------------------------------------------===#
# Finding the toolchain
#===------------------------------------------------------------------------===#

def _in_dir(directory: pathlib.Path, tool: str) -> pathlib.Path | None:
    """`tool` in `directory`, also as `tool-NN` (Debian's versioned names), newest first."""
    plain = directory / tool
    if plain.is_file() and os.access(plain, os.X_OK):
        return plain
    versioned = []
    for path in directory.glob(f"{tool}-*"):
        suffix = path.name[len(tool) + 1:]
        if suffix.isdigit() and os.access(path, os.X_OK):
            versioned.append((int(suffix), path))
    return max(versioned)[1] if versioned else None


def _require(path: pathlib.Path | None, what: str, where: str) -> pathlib.Path:
    if path is None or not path.is_file():
        raise BuildError(f"no {what} in {where}")
    return path


def llvm_major_of(clang: pathlib.Path) -> int:
    try:
        result = subprocess.run([str(clang), "--version"], capture_output=True, text=True, check=False)
    except OSError as error:
        raise BuildError(f"cannot run {clang}: {error}") from None
    match = re.search(r"clang version (\d+)\.", result.stdout)
    if result.returncode != 0 or not match:
        raise BuildError(f"{clang} --version printed no 'clang version N.'; found: "
                         f"{(result.stdout + result.stderr).strip()[:200]!r}")
    return int(match.group(1))


def find_toolchain(args: argparse.Namespace, flags: dict, need_ptxas: bool) -> Toolchain:
    if args.rocm_path:
        bin_dir = pathlib.Path(args.rocm_path) / "llvm" / "bin"
        where = f"{bin_dir} (--rocm-path)"
        clang = _require(bin_dir / "clang", "clang", where)
        lld = _require(bin_dir / "ld.lld", "ld.lld", where)
        objcopy = _require(bin_dir / "llvm-objcopy", "llvm-objcopy", where)
    else:
        clang = None
        if args.llvm_path:
            bin_dir = pathlib.Path(args.llvm_path)
            where = f"{bin_dir} (--llvm-path)"
        else:
            # The checked-in set comes from the reference LLVM; prefer it over
            # whatever `clang` on PATH happens to be.
            reference = flags["reference_llvm_major"]
            bin_dir = pathlib.Path(f"/usr/lib/llvm-{reference}/bin")
            where = f"{bin_dir} (the default --llvm-path)"
            if not (bin_dir / "clang").is_file():
                found = shutil.which(f"clang-{reference}") or shutil.which("clang")
                if not found:
                    raise BuildError(f"no clang in {bin_dir} nor clang-{reference}/clang on PATH; "
                                     "pass --llvm-path or --rocm-path")
                clang = pathlib.Path(found)
                bin_dir = clang.parent
                where = f"{bin_dir} (from PATH)"
        clang = clang or _require(_in_dir(bin_dir, "clang"), "clang", where)
        # A tool next to clang-NN is looked for as tool-NN first, so a
        # directory of several LLVMs keeps one version together.
        suffix = clang.name[len("clang"):]
        lld = _require((bin_dir / f"ld.lld{suffix}") if (bin_dir / f"ld.lld{suffix}").is_file()
                       else _in_dir(bin_dir, "ld.lld"), "ld.lld", where)
        objcopy = _require((bin_dir / f"llvm-objcopy{suffix}") if (bin_dir / f"llvm-objcopy{suffix}").is_file()
                           else _in_dir(bin_dir, "llvm-objcopy"), "llvm-objcopy", where)

    ptxas = None
    if need_ptxas:
        cuda = pathlib.Path(args.cuda_path) if args.cuda_path else DEFAULT_CUDA_PATH
        candidate = cuda / "bin" / "ptxas"
        if candidate.is_file():
            ptxas = candidate
        elif not args.cuda_path and shutil.which("ptxas"):
            ptxas = pathlib.Path(shutil.which("ptxas"))
        else:
            raise BuildError(f"no ptxas at {candidate}: pass --cuda-path, or --nvidia-targets "
                             "without sm_XX targets (e.g. --nvidia-targets '')")
    return Toolchain(clang, lld, objcopy, ptxas, llvm_major_of(clang))


#===------------------------------------------------------------------------===#
# What to build
#===------------------------------------------------------------------------===#

def select_amdgpu(text: str | None) -> list[str]:
    if text is None:
        return [c.name for c in target_map.AMDGPU_CODE_OBJECTS]
    if not text.replace(",", ";").replace(";", "").strip():
        return []
    try:
        return target_map.code_objects_for(target_map.expand_amdgpu_targets(text))
    except ValueError as error:
        raise BuildError(f"--targets: {error}") from None


def select_nvidia(text: str | None) -> list:
    known = {t.name: t for t in target_map.NVIDIA_TARGETS}
    if text is None:
        return list(target_map.NVIDIA_TARGETS)
    wanted = [w.strip() for w in text.replace(",", ";").split(";") if w.strip()]
    if "all" in wanted:
        wanted += list(known)
    unknown = [w for w in wanted if w not in known and w != "all"]
    if unknown:
        raise BuildError(f"--nvidia-targets: unknown NVIDIA target(s) {', '.join(unknown)}; "
                         f"the target map has all, {', '.join(known)}")
    return [t for t in target_map.NVIDIA_TARGETS if t.name in wanted]


def sm_of(target: str) -> str:
    """The SM clang compiles for: the compute_75 PTX is clang's PTX for sm_75."""
    return target.replace("compute_", "sm_", 1)


def check_versions(toolchain: Toolchain, code_objects: list[str], nvidia: list, flags: dict) -> None:
    minimum = {c.name: c.min_llvm_major for c in target_map.AMDGPU_CODE_OBJECTS}
    too_old = [c for c in code_objects if toolchain.llvm_major < minimum[c]]
    if too_old:
        needs = ", ".join(f"{c} needs LLVM {minimum[c]}" for c in too_old)
        raise BuildError(f"{toolchain.clang} is LLVM {toolchain.llvm_major}, too old: {needs} or newer. "
                         "Use a newer LLVM/ROCm, or leave these out with --targets")
    if not nvidia:
        return
    pinned = flags["nvptx"]["ptx_isa"]
    unpinned = sorted({sm_of(t.name) for t in nvidia if sm_of(t.name) not in pinned})
    if unpinned:
        raise BuildError(f"no PTX ISA pinned for {', '.join(unpinned)}: add the lowest +ptxNN "
                         f"clang accepts to nvptx.ptx_isa in {FLAGS_FILE}")
    # An old clang lacks new SMs: say so up front rather than mid-build.
    result = subprocess.run([str(toolchain.clang), f"--target={flags['nvptx']['triple']}",
                             "--print-supported-cpus"], capture_output=True, text=True, check=False)
    cpus = set(re.findall(r"^\s+(sm_\w+)\s*$", result.stdout + result.stderr, re.MULTILINE))
    unknown = sorted({sm_of(t.name) for t in nvidia if sm_of(t.name) not in cpus})
    if unknown:
        raise BuildError(f"{toolchain.clang} (LLVM {toolchain.llvm_major}) does not know "
                         f"{', '.join(unknown)}: use a newer LLVM, or leave them out with --nvidia-targets")


def plan(code_objects: list[str], nvidia: list, flags: dict) -> list[Output]:
    outputs = [Output(f"{flags['amdgpu']['triple']}--{c}.so", "amdgpu", c) for c in code_objects]
    for target in nvidia:
        ext = "ptx" if target.ptx else "cubin"
        outputs.append(Output(f"{flags['nvptx']['triple']}--{target.name}.{ext}",
                              "ptx" if target.ptx else "cubin", target.name))
    return outputs


#===------------------------------------------------------------------------===#
# Building
#===------------------------------------------------------------------------===#

def run(command: list, verbose: bool) -> None:
    text = " ".join(shlex.quote(str(c)) for c in command)
    if verbose:
        print(text, flush=True)
    try:
        result = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False)
    except OSError as error:
        raise BuildError(f"cannot run {text}: {error}") from None
    if result.returncode != 0:
        raise BuildError(f"command failed (exit {result.returncode}): {text}\n"
                         f"{(result.stdout + result.stderr).rstrip()}")
    if result.stderr.strip():
        print(result.stderr.rstrip(), file=sys.stderr)


def one_unit(sources: list[pathlib.Path]) -> list:
    """clang arguments that make the sorted sources one translation unit (see device_flags.json)."""
    return [*(arg for source in sources[1:] for arg in ("-include", source)), sources[0]]


def build_one(output: Output, sources: list[pathlib.Path], toolchain: Toolchain, flags: dict,
              work: pathlib.Path, out_dir: pathlib.Path, verbose: bool) -> None:
    scratch = work / output.target
    scratch.mkdir(parents=True, exist_ok=True)
    final = out_dir / output.name
    if output.kind == "amdgpu":
        amdgpu = flags["amdgpu"]
        version_script = scratch / "kernels.map"
        version_script.write_text("\n".join(amdgpu["version_script"]) + "\n")
        obj = scratch / "device.o"
        linked = scratch / "linked.so"
        run([toolchain.clang, *substitute(amdgpu["clang"], target=output.target),
             "-c", "-o", obj, *one_unit(sources)], verbose)
        run([toolchain.lld, *substitute(amdgpu["lld"], version_script=str(version_script)),
             obj, "-o", linked], verbose)
        run([toolchain.objcopy, *amdgpu["objcopy"], linked, final], verbose)
        return
    nvptx = flags["nvptx"]
    sm = sm_of(output.target)
    ptx = final if output.kind == "ptx" else scratch / "device.ptx"
    run([toolchain.clang, *substitute(nvptx["clang"], target=sm, ptx_isa=str(nvptx["ptx_isa"][sm])),
         "-S", "-o", ptx, *one_unit(sources)], verbose)
    if output.kind == "cubin":
        run([toolchain.ptxas, *substitute(nvptx["ptxas"], target=sm), ptx, "-o", final], verbose)


def build_all(outputs: list[Output], device_dir: pathlib.Path, toolchain: Toolchain, flags: dict,
              work: pathlib.Path, out_dir: pathlib.Path, jobs: int, verbose: bool) -> None:
    sources = sorted(device_dir.glob("*.c"))
    if not sources:
        raise BuildError(f"no device sources: {device_dir}/*.c matches nothing")
    out_dir.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(build_one, o, sources, toolchain, flags, work, out_dir, verbose)
                   for o in outputs]
        errors = [str(f.exception()) for f in futures if f.exception() is not None]
    if errors:
        raise BuildError("\n".join(errors))


#===------------------------------------------------------------------------===#
# Reporting and comparing
#===------------------------------------------------------------------------===#

def print_table(outputs: list[Output], out_dir: pathlib.Path) -> None:
    width = max(len(o.name) for o in outputs)
    amdgpu_total = total = 0
    for o in sorted(outputs, key=lambda o: o.name):
        size = (out_dir / o.name).stat().st_size
        total += size
        amdgpu_total += size if o.kind == "amdgpu" else 0
        print(f"  {o.name:<{width}}  {size:>8}")
    print(f"  {'total (' + str(len(outputs)) + ' files)':<{width}}  {total:>8}")
    if amdgpu_total:
        print(f"  {'of which AMDGPU':<{width}}  {amdgpu_total:>8}  ({amdgpu_total / 1024:.1f} KiB)")


def first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


def compare(outputs: list[Output], built: pathlib.Path, reference: pathlib.Path,
            whole_set: bool) -> list[str]:
    differences = []
    for o in outputs:
        new = (built / o.name).read_bytes()
        ref_path = reference / o.name
        if not ref_path.is_file():
            differences.append(f"{o.name}: missing from {reference} (built {len(new)} bytes)")
            continue
        old = ref_path.read_bytes()
        if old != new:
            differences.append(f"{o.name}: differs: {reference} has {len(old)} bytes, the rebuild "
                               f"{len(new)}; first difference at byte {first_difference(old, new)}")
    if whole_set:
        names = {o.name for o in outputs}
        for path in sorted(reference.glob("*")):
            if path.is_file() and path.name not in names:
                differences.append(f"{path.name}: in {reference} but not built from the target map")
    return differences


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Build devbin's device code objects from device/*.c (flags: "
        "build_tools/device_flags.json; targets: build_tools/target_map.py).")
    # The options that take a value: (flag, metavar, help). The two places
    # to find LLVM exclude each other.
    where = parser.add_mutually_exclusive_group()
    for group, flag, metavar, help_text in [
        (where, "--llvm-path", "DIR", "directory holding clang, ld.lld and llvm-objcopy "
         "(default /usr/lib/llvm-22/bin, else clang-22/clang on PATH)"),
        (where, "--rocm-path", "DIR", "a ROCm install: uses DIR/llvm/bin/{clang,ld.lld,llvm-objcopy}"),
        (parser, "--cuda-path", "DIR", "CUDA toolkit holding bin/ptxas (default /usr/local/cuda, else ptxas on PATH)"),
        (parser, "--targets", "SELECTORS", "AMDGPU processors, code objects or family selectors, ';'/',' "
         "separated (default: every code object of the target map; '' for none)"),
        (parser, "--nvidia-targets", "TARGETS", "NVIDIA targets of the map, e.g. 'sm_90;compute_75', or all "
         "(the default); '' for none"),
        (parser, "--output-dir", "DIR", "where to write the code objects (required unless --check)"),
    ]:
        group.add_argument(flag, metavar=metavar, help=help_text)
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary directory and compare names and bytes with "
                             "device/binaries/prebuilt (or --output-dir); exit 1 on any difference")
    parser.add_argument("--device-dir", metavar="DIR", default=str(DEFAULT_DEVICE_DIR),
                        help="the device sources (default: device/ of this repository)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="code objects built in parallel (default: CPU count)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every command")
    args = parser.parse_args(argv)
    if not args.check and not args.output_dir:
        parser.error("--output-dir DIR is required (or --check)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        flags = load_flags()
        code_objects = select_amdgpu(args.targets)
        nvidia = select_nvidia(args.nvidia_targets)
        if not code_objects and not nvidia:
            raise BuildError("nothing to build: --targets and --nvidia-targets select no target")
        toolchain = find_toolchain(args, flags, need_ptxas=any(not t.ptx for t in nvidia))
        check_versions(toolchain, code_objects, nvidia, flags)
        outputs = plan(code_objects, nvidia, flags)
        print(f"{PROG}: clang {toolchain.llvm_major} ({toolchain.clang})"
              + (f", ptxas {toolchain.ptxas}" if toolchain.ptxas else ""))
        with tempfile.TemporaryDirectory(prefix="devbin-device-") as temp:
            built = pathlib.Path(temp) / "out"
            build_all(outputs, pathlib.Path(args.device_dir), toolchain, flags,
                      pathlib.Path(temp) / "work", built, args.jobs, args.verbose)
            print_table(outputs, built)
            whole_set = (len(code_objects) == len(target_map.AMDGPU_CODE_OBJECTS)
                         and len(nvidia) == len(target_map.NVIDIA_TARGETS))
            if args.check:
                reference = pathlib.Path(args.output_dir) if args.output_dir else PREBUILT_DIR
                differences = compare(outputs, built, reference, whole_set)
                for line in differences:
                    print(f"{PROG}: {line}", file=sys.stderr)
                if differences:
                    if toolchain.llvm_major != flags["reference_llvm_major"]:
                        print(f"{PROG}: note: the checked-in set is built with LLVM "
                              f"{flags['reference_llvm_major']}; this is LLVM {toolchain.llvm_major}",
                              file=sys.stderr)
                    print(f"{PROG}: {len(differences)} difference(s) from {reference}", file=sys.stderr)
                    return 1
                print(f"{PROG}: {len(outputs)} code object(s) identical to {reference}")
                return 0
            out_dir = pathlib.Path(args.output_dir)
            out_dir.mkdir(parents=True, exist_ok=True)
            for o in outputs:
                # Replace whole files only, so a reader never sees half a code object.
                staged = out_dir / f".{o.name}.tmp"
                shutil.copyfile(built / o.name, staged)
                os.replace(staged, out_dir / o.name)
            if whole_set:
                names = {o.name for o in outputs}
                for path in sorted(out_dir.glob("*")):
                    if path.is_file() and path.name not in names:
                        print(f"{PROG}: warning: {path} is not built from the target map any more")
            print(f"{PROG}: wrote {len(outputs)} code object(s) to {out_dir}")
            return 0
    except BuildError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
