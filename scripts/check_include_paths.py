#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The runtime's private headers (runtime/src) stay private.

  python3 scripts/check_include_paths.py [--build-dir DIR]

Fails (exit 1, one line per finding) when
  - a build file outside runtime/ (CMakeLists.txt, *.cmake, BUILD.bazel, *.bzl)
    names runtime/src outside a comment: white-box tests take it from the
    runtime's own targets (CMake devbin_runtime_white_box, Bazel
    //runtime:white_box), tools, bench and fuzz from none;
  - a C or C++ file outside runtime/ and tests/ includes a header that resolves
    in runtime/src (a quoted include not found beside the including file);
  - with --build-dir, a CMake build's compile_commands.json shows runtime/src on
    the include path of a source outside runtime/ and tests/ compiled in a
    target defined outside runtime/ and tests/ (the object directory says
    where the target is defined).
What tools, bench and fuzz share with the runtime is the internal library,
runtime/internal/include/devbin_internal (devbin::runtime_internal)."""
import argparse
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PRIVATE = ROOT / "runtime" / "src"
BUILD_FILE_NAMES = ("CMakeLists.txt", "BUILD.bazel", "BUILD")
BUILD_FILE_SUFFIXES = (".cmake", ".bzl")
C_SUFFIXES = (".c", ".cc", ".h", ".inl")
OWNERS = ("runtime/", "tests/")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
INCLUDE_FLAGS = ("-I", "-isystem", "-iquote", "-idirafter")


# Folders a walk of a tree without git leaves out: builds, and hidden ones.
SKIPPED_FOLDERS = ("build", "bazel-bin", "bazel-out", "bazel-testlogs")


def tracked_files() -> list[str]:
    """git's tracked files; in a copy of the tree without git (or without a
    repository: a fresh machine's test run), every file but build output."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
        return listed.stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders
                               if not d.startswith(".") and not d.startswith("bazel-") and d not in SKIPPED_FOLDERS)
        relative = os.path.relpath(folder, ROOT)
        for name in files:
            found.append(name if relative == "." else os.path.join(relative, name))
    return found


def strip_comment(line: str) -> str:
    """The line up to a '#' that is outside a string (CMake and Starlark comments)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def check_build_files(names: list[str]) -> list[str]:
    found = []
    for name in names:
        path = pathlib.Path(name)
        if name.startswith("runtime/"):
            continue
        if path.name not in BUILD_FILE_NAMES and not path.name.endswith(BUILD_FILE_SUFFIXES):
            continue
        for number, line in enumerate((ROOT / name).read_text().splitlines(), 1):
            if "runtime/src" in strip_comment(line):
                found.append(f"{name}:{number}: names runtime/src (link devbin::runtime_internal, "
                             f"or devbin_runtime_white_box from tests/): {line.strip()}")
    return found


def check_includes(names: list[str]) -> list[str]:
    found = []
    for name in names:
        if name.startswith(OWNERS) or not name.endswith(C_SUFFIXES):
            continue
        source = ROOT / name
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            header = match.group(1)
            beside = (source.parent / header).is_file()
            private = (PRIVATE / header).is_file() or header.startswith("runtime/src/")
            if private and not beside:
                found.append(f"{name}:{number}: includes the runtime's private header \"{header}\" "
                             f"(runtime/src/{header.removeprefix('runtime/src/')}): {line.strip()}")
    return found


def include_dirs(arguments: list[str], directory: pathlib.Path) -> list[pathlib.Path]:
    dirs = []
    for index, argument in enumerate(arguments):
        if argument in INCLUDE_FLAGS and index + 1 < len(arguments):
            dirs.append(arguments[index + 1])
            continue
        for flag in INCLUDE_FLAGS:
            if argument.startswith(flag) and len(argument) > len(flag):
                dirs.append(argument[len(flag):])
    return [(directory / d).resolve() for d in dirs]


def output_of(arguments: list[str]) -> str | None:
    for index, argument in enumerate(arguments):
        if argument == "-o" and index + 1 < len(arguments):
            return arguments[index + 1]
    return None


def relative_to_root(path: pathlib.Path) -> str | None:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None


def check_compile_commands(build_dir: pathlib.Path) -> tuple[list[str], str]:
    database = build_dir / "compile_commands.json"
    if not database.is_file():
        return [], f"no {database}: include paths of the build not checked"
    found = []
    entries = json.loads(database.read_text())
    for entry in entries:
        directory = pathlib.Path(entry["directory"])
        arguments = entry.get("arguments") or shlex.split(entry["command"])
        # Generated sources (in the build folder, or outside the checkout) are
        # their generator's; the checkout's own sources are checked.
        path = (directory / entry["file"]).resolve()
        source = relative_to_root(path)
        if source is None or path.is_relative_to(build_dir.resolve()) or source.startswith(OWNERS):
            continue
        if PRIVATE.resolve() not in include_dirs(arguments, directory):
            continue
        # The object lies in <build>/<folder of the defining CMakeLists.txt>/CMakeFiles/<target>.dir/.
        output = output_of(arguments)
        defined_in = "?/"
        if output:
            obj = (directory / output).resolve()
            if obj.is_relative_to(build_dir.resolve()):
                defined_in = obj.relative_to(build_dir.resolve()).as_posix().split("CMakeFiles/")[0]
        if defined_in.startswith(OWNERS):
            continue
        found.append(f"{source}: compiled with runtime/src on the include path (object {output})")
    return found, f"{len(entries)} compile commands of {build_dir} checked"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=pathlib.Path, help="a CMake build folder with compile_commands.json")
    args = parser.parse_args()
    names = tracked_files()
    found = check_build_files(names) + check_includes(names)
    note = "no --build-dir: include paths of a build not checked"
    if args.build_dir:
        build_found, note = check_compile_commands(args.build_dir)
        found += build_found
    for line in found:
        print(line)
    if found:
        print(f"check_include_paths: FAIL: {len(found)} uses of runtime/src outside runtime/ ({note})")
        return 1
    print(f"check_include_paths: OK: no build file outside runtime/ names runtime/src, no file outside "
          f"runtime/ and tests/ includes its headers; {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
