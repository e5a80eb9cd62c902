#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Installs a built devbin into a temporary prefix and builds + tests the
# consumer project against it. Usage: tests/consumer/run.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
ctest --test-dir "$work/build" --output-on-failure

# The C API's program again, compiled as C and linked through pkg-config.
if ! command -v pkg-config >/dev/null; then
  echo "run.sh: pkg-config not found (apt-get install pkgconf): cannot check the installed devbin.pc" >&2
  exit 1
fi
pc=$(find "$work/prefix" -name devbin.pc)
[ -n "$pc" ] || { echo "run.sh: the install tree has no devbin.pc" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $(pkg-config --cflags devbin) \
  "$here/../c_api/c_api_test.c" -o "$work/c_api_pkg_config" $(pkg-config --libs devbin)
# pkg-config links libdevbin.so; the loader finds it in the prefix's libdir.
LD_LIBRARY_PATH="$(pkg-config --variable=libdir devbin)" "$work/c_api_pkg_config"
echo "pkg-config: devbin $(pkg-config --modversion devbin) links libdevbin.so and runs from C"
# The static library still serves a C program: pkg-config --static adds the C++ runtime.
libdir=$(pkg-config --variable=libdir devbin)
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $(pkg-config --cflags devbin) \
  "$here/../c_api/c_api_test.c" -o "$work/c_api_static" \
  $(pkg-config --libs --static devbin | sed "s|-ldevbin|$libdir/libdevbin.a|")
"$work/c_api_static"
echo "pkg-config --static: libdevbin.a links and runs from C"
