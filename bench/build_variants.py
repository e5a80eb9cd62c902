#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Builds tuning variants of the device library: sm_90 (or --sm) cubins of
device/*.c with other compile-time knobs, for `cuda_bench --variants DIR`.

    python3 bench/build_variants.py OUTDIR NAME[=KNOB=VALUE,...] ...

Each NAME becomes OUTDIR/NAME.cubin, built exactly as the shipped cubin
(build_tools/device_flags.json) plus -DKNOB=VALUE for each knob, e.g.
    copy4-t256-b500=DEVBIN_COPY_WORDS_PER_ITEM=4
cuda_bench reads launch shapes from the name: "-tNNN" sets the copy's
threads per block and "-bNNN" its blocks per multiprocessor. Nothing here is
shipped; bench/RESULTS.md records what the variants measured.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("variants", nargs="+", help="NAME[=KNOB=VALUE,...]")
    parser.add_argument("--sm", default="sm_90")
    parser.add_argument("--clang", default=shutil.which("clang-22") or "clang")
    parser.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    args = parser.parse_args()

    flags = json.loads((ROOT / "build_tools" / "device_flags.json").read_text())["nvptx"]
    if args.sm not in flags["ptx_isa"]:
        print(f"build_variants: --sm {args.sm} is not in device_flags.json "
              f"(expected one of {', '.join(flags['ptx_isa'])})", file=sys.stderr)
        return 2
    sources = sorted((ROOT / "device").glob("*.c"))
    unit = [arg for source in sources[1:] for arg in ("-include", str(source))] + [str(sources[0])]
    clang_flags = [f.replace("{target}", args.sm).replace("{ptx_isa}", str(flags["ptx_isa"][args.sm]))
                   for f in flags["clang"]]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for variant in args.variants:
            name, _, knobs = variant.partition("=")
            if not name or "/" in name:
                print(f"build_variants: bad variant '{variant}': expected NAME[=KNOB=VALUE,...]", file=sys.stderr)
                return 2
            defines = [f"-D{knob}" for knob in knobs.split(",") if knob]
            ptx = pathlib.Path(work) / f"{name}.ptx"
            cubin = args.out_dir / f"{name}.cubin"
            for command in ([args.clang, *clang_flags, *defines, "-S", "-o", str(ptx), *unit],
                            [args.ptxas, f"-arch={args.sm}", str(ptx), "-o", str(cubin)]):
                result = subprocess.run(command, capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    print(f"build_variants: {name}: {' '.join(command)}\n{result.stderr}", file=sys.stderr)
                    return 1
            print(f"{cubin} ({' '.join(defines) or 'shipped knobs'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
