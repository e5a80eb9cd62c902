#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""libdevbin.so exports exactly the functions devbin/devbin.h declares, and its
SONAME carries the C API's major version.

Usage: exports_test.py LIBDEVBIN_SO DEVBIN_H
"""
import re
import subprocess
import sys


def main() -> int:
    library, header = sys.argv[1], sys.argv[2]
    text = open(header, encoding="utf-8").read()
    # Declarations: a return type, then `devbin_name(` at the start of a
    # line's declarator; comments and macros are not declarations.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    declared = set(re.findall(r"^[A-Za-z_][\w\s\*]*?\b(devbin_\w+)\(", text, flags=re.M))
    major = re.search(r"^#define DEVBIN_API_VERSION_MAJOR (\d+)$", text, flags=re.M).group(1)

    nm = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True, check=True)
    exported = set()
    for line in nm.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TtWi":
            exported.add(fields[2].split("@")[0])
        elif len(fields) == 3 and fields[1] not in "A":
            exported.add(fields[2].split("@")[0])
    failures = []
    if exported - declared:
        failures.append("exported but not in devbin.h: " + ", ".join(sorted(exported - declared)))
    if declared - exported:
        failures.append("declared in devbin.h but not exported: " + ", ".join(sorted(declared - exported)))

    dynamic = subprocess.run(["readelf", "-d", library], capture_output=True, text=True, check=True).stdout
    soname = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic)
    if soname is None or soname.group(1) != f"libdevbin.so.{major}":
        failures.append(f"SONAME is {soname.group(1) if soname else 'missing'}; expected libdevbin.so.{major}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(exported)} exported functions, {len(declared)} declared; SONAME "
          f"{soname.group(1) if soname else '-'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
