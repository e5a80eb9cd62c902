#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devbin doctor against NVIDIA's cuobjdump on the CUDA libraries people ship.

For each file (by default PyTorch's libtorch_cuda.so, libc10_cuda.so, every
other library in torch/lib, and every library in the nvidia wheels beside it,
site-packages/nvidia/*/lib), runs

  devbin doctor --json FILE --gpu <the GPU present> --gpu sm_70 --gpu sm_87 --gpu sm_101 --gpu sm_103
  cuobjdump --list-elf FILE      cuobjdump --list-ptx FILE

and checks that both find the same set of targets with the same number of
code objects per target, cubins and PTX apart (cuobjdump names each
"<file>.<n>.sm_90a.cubin" / ".ptx"; the doctor's compute_90a is PTX for
sm_90a). cuobjdump lists by default only the executable fat binaries
(.nv_fatbin), or, where a file has none, the relocatable ones (__nv_relfatbin,
nvcc -rdc's input to nvlink); --all-fatbin lists both. So the doctor's code
objects outside __nv_relfatbin (all of them where there are none) are compared
with the default listing, and, where the doctor found relocatable code beside
them, all of its code objects with cuobjdump --all-fatbin --list-elf/--list-ptx
too (column "relocatable doctor/cuobjdump": cubins+PTX in __nv_relfatbin, and
cuobjdump's --all-fatbin count less its default one).

Time and memory are those of what a user runs, `devbin doctor FILE` (text, the
GPU the CUDA backend shows): "doctor s" with the file's pages dropped from the
page cache first (posix_fadvise DONTNEED: cold, unless another process maps
the file), "again s" right after (warm); "--json s" is the --json run above
(warm), which reads every code object whole. "max RSS MiB" is the largest of
the three runs' own maximum resident set (each started from a small Python
process, so nothing under about 10 MiB shows). Also recorded: the bytes of
code found (and how many of them were compressed), the answer for each --gpu,
and, for the GPU the CUDA backend shows (no --gpu), what it says on this
machine.

Prints one table (Markdown) and, for each file where the two disagree, the
counts side by side. Standard library only; every command has a timeout; a
missing tool (torch, cuobjdump, nvidia-smi) is reported and skipped.
Exit status: 1 when the doctor failed (crashed, timed out, wrote no JSON) or
disagreed with cuobjdump on some file; else 0.

  scripts/doctor_vs_cuobjdump.py --devbin build/tools/devbin/devbin [--cuobjdump PATH]
      [--python PYTHON_WITH_TORCH] [--files FILE...] [--timeout S] [--deadline S] [--max-files N]
"""
import argparse
import collections
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GPUS = ["sm_70", "sm_87", "sm_101", "sm_103"]
LISTED = re.compile(r"^(ELF|PTX) file\s+\d+:\s*(\S+)\s*$")
ARCH = re.compile(r"\.(sm_\d+[a-z]?)\.(?:cubin|ptx)$")


# Runs argv[2:] and writes "<seconds> <max RSS KiB>" of that process alone to argv[1]: a child of this small
# interpreter starts with its few MiB (Linux keeps a process's maximum RSS across exec, so a child of the
# comparison itself would show the comparison's), and its time leaves out the interpreter's start.
MEASURE = r"""
import os, sys, time
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.monotonic() - start} {usage.ru_maxrss}\n")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run(command, timeout, capture=True, measure=False):
    """(exit status or None on timeout/failure to start, stdout, stderr, seconds, max RSS KiB). With `measure`,
    seconds and RSS are the command's own (MEASURE)."""
    if measure:
        with tempfile.NamedTemporaryFile("r", suffix=".measure") as record:
            status, out, err, seconds, rss = run([sys.executable, "-c", MEASURE, record.name] + command, timeout,
                                                 capture)
            fields = record.read().split()
            if len(fields) == 2:
                seconds, rss = float(fields[0]), int(fields[1])
            return status, out, err, seconds, rss
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        except OSError as error:
            return None, "", f"cannot run {command[0]}: {error}", 0.0, 0
        status, rss = None, 0
        while True:
            pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid != 0:
                status = os.waitstatus_to_exitcode(wait_status)
                rss = usage.ru_maxrss
                break
            if time.monotonic() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                status = None
                break
            time.sleep(0.02)
        process.returncode = status if status is not None else -9
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace") if capture else ""
        stderr = err.read().decode("utf-8", "replace")
        if status is None:
            stderr += f"\ntimed out after {timeout} s"
        return status, stdout, stderr, seconds, rss


def torch_libraries(python, timeout, notes):
    status, out, err, _, _ = run([python, "-c", "import torch, os; print(os.path.dirname(torch.__file__))"], timeout)
    if status != 0 or not out.strip():
        notes.append(f"torch not importable with {python}: {(err.strip().splitlines() or ['?'])[-1]}")
        return []
    torch_dir = out.strip().splitlines()[-1]
    lib = os.path.join(torch_dir, "lib")
    first = [os.path.join(lib, name) for name in ("libtorch_cuda.so", "libc10_cuda.so")]
    for path in first:
        if not os.path.exists(path):
            notes.append(f"{path}: not found")
    site = os.path.dirname(torch_dir)
    rest = sorted(glob.glob(os.path.join(lib, "*.so*")))
    for pattern in ("nvidia/*/lib/*.so*", "nvidia/*/*/lib/*.so*"):
        rest += sorted(glob.glob(os.path.join(site, pattern)))
    notes.append(f"torch at {torch_dir}; nvidia wheels under {os.path.join(site, 'nvidia')}")
    return first + rest


def unique_files(paths):
    seen, out = set(), []
    for path in paths:
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        out.append(path)
    return out


def present_gpu(timeout, notes):
    tool = shutil.which("nvidia-smi")
    if tool is None:
        notes.append("nvidia-smi not found: no --gpu for the GPU present")
        return None
    status, out, err, _, _ = run([tool, "--query-gpu=compute_cap,name", "--format=csv,noheader"], timeout)
    match = re.match(r"\s*(\d+)\.(\d+)\s*,\s*(.*)", out) if status == 0 else None
    if not match:
        notes.append(f"nvidia-smi gave no compute capability: {out.strip() or err.strip()}")
        return None
    notes.append(f"GPU present: {match.group(3).strip()} (compute capability {match.group(1)}.{match.group(2)})")
    return f"sm_{match.group(1)}{match.group(2)}"


def cuobjdump_counts(tool, path, flag, timeout, all_fatbin=False):
    """({target: count}, error or None)."""
    status, out, err, _, _ = run([tool] + (["--all-fatbin"] if all_fatbin else []) + [flag, path], timeout)
    text = out + err
    if "does not contain device code" in text or "no device code" in text.lower():
        return {}, None
    if status != 0:
        return None, f"cuobjdump {flag} exit {status}: {(err.strip().splitlines() or ['?'])[-1]}"
    counts = collections.Counter()
    for line in out.splitlines():
        listed = LISTED.match(line.strip())
        if listed:
            arch = ARCH.search(listed.group(2))
            counts[arch.group(1) if arch else "?" + listed.group(2)] += 1
    return dict(counts), None


RELOCATABLE_SECTION = "__nv_relfatbin"
ARCH_SPECIFIC_FLAG = 0x100000


def in_relocatable_section(code):
    return code.get("location", "").startswith(RELOCATABLE_SECTION)


def doctor_counts(report, which="default"):
    """({cubin target: count}, {PTX target as sm_: count}) of the NVIDIA code objects: those cuobjdump lists by
    default (outside __nv_relfatbin, or all where every one is in it), "all", or "relocatable" (in it)."""
    nvidia = [code for code in report.get("code_objects", []) if code.get("vendor") == "NVIDIA"]
    if which == "relocatable":
        nvidia = [code for code in nvidia if in_relocatable_section(code)]
    elif which == "default" and any(not in_relocatable_section(code) for code in nvidia):
        nvidia = [code for code in nvidia if not in_relocatable_section(code)]
    cubins, ptx = collections.Counter(), collections.Counter()
    for code in nvidia:
        target = code.get("target", "")
        if target.startswith("compute_"):
            ptx["sm_" + target[len("compute_"):]] += 1
        else:
            cubins[target] += 1
    return dict(cubins), dict(ptx)


def verdict(report, gpu_label):
    for diagnosis in report.get("diagnoses", []):
        if diagnosis.get("gpu") == gpu_label:
            if not diagnosis.get("loads"):
                return "nothing loads"
            code = report["code_objects"][diagnosis["code_object"]]
            return f"{code['target']} ({diagnosis.get('kind', '?')})"
    return "-"


def drop_from_page_cache(path):
    """Whether the kernel was asked to drop the file's cached pages (clean, unmapped ones go)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    except (OSError, AttributeError):
        return False
    finally:
        os.close(fd)


def doctor_text(devbin, path, timeout):
    """`devbin doctor FILE` as a user runs it: (error or None, seconds, max RSS KiB)."""
    status, _, err, seconds, rss = run([devbin, "doctor", path], timeout, capture=False, measure=True)
    if status is None or status not in (0, 1):
        return f"doctor (text) exit {status}: {(err.strip().splitlines() or ['?'])[-1]}", seconds, rss
    return None, seconds, rss


def doctor(devbin, path, gpus, timeout):
    """(report dict or None, error or None, seconds, max RSS KiB)."""
    command = [devbin, "doctor", "--json", path] + [arg for gpu in gpus for arg in ("--gpu", gpu)]
    status, out, err, seconds, rss = run(command, timeout, measure=True)
    if status is None or status not in (0, 1):
        return None, f"doctor exit {status}: {(err.strip().splitlines() or ['?'])[-1]}", seconds, rss
    try:
        parsed = json.loads(out)
    except ValueError as error:
        return None, f"doctor wrote invalid JSON ({error})", seconds, rss
    files = parsed.get("files", [])
    if len(files) != 1:
        return None, "doctor's JSON has no file", seconds, rss
    if "error" in files[0]:
        return None, "doctor: " + files[0]["error"], seconds, rss
    return files[0], None, seconds, rss


def counts_text(counts):
    return " ".join(f"{target}:{n}" for target, n in sorted(counts.items())) or "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devbin", required=True)
    parser.add_argument("--cuobjdump", default=shutil.which("cuobjdump") or "/usr/local/cuda/bin/cuobjdump")
    parser.add_argument("--python", default=os.environ.get("DEVBIN_TORCH_PYTHON", sys.executable))
    parser.add_argument("--files", nargs="*", help="these files instead of PyTorch's")
    parser.add_argument("--timeout", type=int, default=300, help="seconds for each command (default 300)")
    parser.add_argument("--max-files", type=int, default=200)
    parser.add_argument("--deadline", type=int, default=0,
                        help="seconds: start no file after this long (0: no deadline); the rest are listed unchecked")
    args = parser.parse_args()

    notes = []
    if not (os.path.isfile(args.devbin) and os.access(args.devbin, os.X_OK)):
        print(f"SKIPPED: devbin not built ({args.devbin})")
        return 0
    cuobjdump = args.cuobjdump if os.path.isfile(args.cuobjdump) and os.access(args.cuobjdump, os.X_OK) else None
    if cuobjdump is None:
        notes.append(f"cuobjdump not found ({args.cuobjdump}): the doctor's results only, nothing compared")
    files = unique_files(args.files if args.files else torch_libraries(args.python, 120, notes))[: args.max_files]
    present = present_gpu(30, notes)
    gpus = ([present] if present and present not in GPUS else []) + GPUS

    rows, details, disagree, failed = [], [], 0, 0
    header = ["file", "MB", "doctor s", "again s", "--json s", "code MB (compressed MB)", "max RSS MiB", "cubins doctor/cuobjdump", "PTX doctor/cuobjdump",
              "relocatable doctor/cuobjdump", "arch flag differs", "agree", "problems"] + [f"--gpu {gpu}" for gpu in gpus] + ["GPU present (no --gpu)"]
    started = time.monotonic()
    unchecked = []
    for path in files:
        if args.deadline and time.monotonic() - started > args.deadline:
            unchecked.append(path)
            continue
        name = os.path.basename(path)
        size_mb = os.path.getsize(path) / 1e6
        # The user's command cold, then warm: the first's extra time is reading the file from disk.
        dropped = drop_from_page_cache(path)
        cold_error, seconds, cold_rss = doctor_text(args.devbin, path, args.timeout)
        warm_error, again, warm_rss = doctor_text(args.devbin, path, args.timeout)
        report, error, json_seconds, json_rss = doctor(args.devbin, path, gpus, args.timeout)
        machine, machine_error, _, _ = doctor(args.devbin, path, [], args.timeout)
        rss = max(cold_rss, warm_rss, json_rss)
        cold_text = f"{seconds:.2f}" if dropped else f"{seconds:.2f} (not dropped)"
        error = error or cold_error or warm_error
        if report is None or cold_error or warm_error:
            failed += 1
            rows.append([name, f"{size_mb:.1f}", cold_text, f"{again:.2f}", f"{json_seconds:.2f}", "-",
                         f"{rss / 1024:.0f}", "-", "-", "-", "-", "DOCTOR FAILED",
                         error] + ["-"] * (len(gpus) + 1))
            continue
        cubins, ptx = doctor_counts(report)
        rel_cubins, rel_ptx = doctor_counts(report, "relocatable")
        relocatable = sum(rel_cubins.values()) + sum(rel_ptx.values())
        relocatable_text = f"{relocatable}/-"
        agree = "not compared"
        theirs_elf = theirs_ptx = None
        if cuobjdump:
            theirs_elf, elf_error = cuobjdump_counts(cuobjdump, path, "--list-elf", args.timeout)
            theirs_ptx, ptx_error = cuobjdump_counts(cuobjdump, path, "--list-ptx", args.timeout)
            compared = [("", cubins, ptx, theirs_elf, theirs_ptx)]
            default_lists_relocatable = relocatable == sum(cubins.values()) + sum(ptx.values())
            if relocatable and not default_lists_relocatable and not (elf_error or ptx_error):
                all_elf, elf_error = cuobjdump_counts(cuobjdump, path, "--list-elf", args.timeout, all_fatbin=True)
                all_ptx, ptx_error = cuobjdump_counts(cuobjdump, path, "--list-ptx", args.timeout, all_fatbin=True)
                if not (elf_error or ptx_error):
                    relocatable_text = (f"{relocatable}/"
                                        f"{sum(all_elf.values()) + sum(all_ptx.values()) - sum(theirs_elf.values()) - sum(theirs_ptx.values())}")
                    compared.append((" (--all-fatbin)",) + doctor_counts(report, "all") + (all_elf, all_ptx))
            if elf_error or ptx_error:
                agree = "cuobjdump failed: " + (elf_error or ptx_error)
            elif all(theirs_c == ours_c and theirs_p == ours_p for _, ours_c, ours_p, theirs_c, theirs_p in compared):
                agree = "yes"
            else:
                agree = "NO"
                disagree += 1
                details.append(f"### {path}\n" + "".join(
                    f"- cubins{label}: doctor {counts_text(ours_c)}\n- cubins{label}: cuobjdump {counts_text(theirs_c)}\n"
                    f"- PTX{label}: doctor {counts_text(ours_p)}\n- PTX{label}: cuobjdump {counts_text(theirs_p)}\n"
                    for label, ours_c, ours_p, theirs_c, theirs_p in compared)
                    + "".join(f"- doctor problem: {p}\n" for p in report.get("problems", [])[:10]))
        problems = report.get("problems", [])
        machine_answer = (machine_error or "-") if machine is None else (
            "; ".join(f"{d['gpu']}: {verdict(machine, d['gpu'])}" for d in machine.get("diagnoses", [])) or
            "no GPU shown")
        codes = report.get("code_objects", [])
        # Whether the fat binary entry's flag 0x100000 (sm_XXa, nvcc 13.0) matches the target the code object's
        # own header gives: the flags alone would then do for a --gpu verdict.
        flag_differs = sum(1 for code in codes if "fatbin_flags" in code and
                           bool(code["fatbin_flags"] & ARCH_SPECIFIC_FLAG) != code.get("target", "").endswith("a"))
        code_mb = sum(code.get("size", 0) for code in codes) / 1e6
        compressed_mb = sum(code.get("size", 0) for code in codes if code.get("compression")) / 1e6
        rows.append([name, f"{size_mb:.1f}", cold_text, f"{again:.2f}", f"{json_seconds:.2f}",
                     f"{code_mb:.1f} ({compressed_mb:.1f})",
                     f"{rss / 1024:.0f}",
                     f"{sum(cubins.values())}/{'-' if theirs_elf is None else sum(theirs_elf.values())}",
                     f"{sum(ptx.values())}/{'-' if theirs_ptx is None else sum(theirs_ptx.values())}", relocatable_text,
                     str(flag_differs),
                     agree,
                     str(len(problems)) + (f" ({problems[0][:80]})" if problems else "")]
                    + [verdict(report, f"--gpu {gpu}") for gpu in gpus] + [machine_answer])

    print("# devbin doctor vs cuobjdump\n")
    for note in notes:
        print(f"- {note}")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    print()
    for detail in details:
        print(detail)
    if unchecked:
        print(f"Not checked (past the {args.deadline} s deadline): " + " ".join(unchecked) + "\n")
    print(f"RESULT: {len(files) - len(unchecked)} files checked, {len(unchecked)} past the deadline; {disagree} disagree with cuobjdump; {failed} doctor failures"
          + ("" if cuobjdump else "; cuobjdump not found, nothing compared"))
    return 1 if disagree or failed else 0


if __name__ == "__main__":
    sys.exit(main())
