#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Every source file of devbin carries the licence's SPDX line (LICENSE).

  python3 scripts/spdx.py --check   lists the tracked source files without it (exit 1 if any;
                                    77, skipped, outside a git checkout)
  python3 scripts/spdx.py --add     adds it to those, as a comment in the file's own syntax,
                                    first or right after a '#!' line

Generated files get theirs from their generators (build_tools/target_map.py,
cmake/devbin_embed_files.cmake), which --check covers too. Data is left out:
code objects, fuzz corpora, JSON (no comments), Markdown, LICENSE itself."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINE = "SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception"
SLASH = (".c", ".cc", ".h", ".inl")
HASH = (".py", ".sh", ".cmake", ".bazel", ".bzl", ".in")
HASH_NAMES = ("CMakeLists.txt", "BUILD", ".bazelrc", "run")
SKIPPED_PREFIXES = ("device/binaries/prebuilt/", "fuzz/corpus/")


def comment(path: pathlib.Path) -> str | None:
    """The SPDX line as a comment of the file's syntax; None for files that take none."""
    if path.name.endswith(SLASH):
        return f"// {LINE}"
    if path.name.endswith(HASH) or path.name in HASH_NAMES:
        return f"# {LINE}"
    return None


def sources() -> list[pathlib.Path] | None:
    """The tracked files that take the line; None outside a git checkout."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    if listed.returncode != 0:
        return None
    tracked = listed.stdout
    return [ROOT / name for name in tracked.splitlines()
            if not name.startswith(SKIPPED_PREFIXES) and comment(ROOT / name) is not None]


def main() -> int:
    add = "--add" in sys.argv[1:]
    files = sources()
    if files is None:
        print("spdx.py: SKIP: not a git checkout (or no git): the tracked files cannot be listed")
        return 77
    missing = []
    for path in files:
        text = path.read_text()
        if LINE in "\n".join(text.splitlines()[:3]):
            continue
        if not add:
            missing.append(path.relative_to(ROOT))
            continue
        lines = text.splitlines(keepends=True)
        at = 1 if lines and lines[0].startswith("#!") else 0
        lines.insert(at, comment(path) + "\n")
        path.write_text("".join(lines))
    for path in missing:
        print(f"no SPDX line in its first three lines: {path}")
    if missing:
        print(f"spdx.py: {len(missing)} file(s) lack '{LINE}'; run python3 scripts/spdx.py --add")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
