#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# run_python_test.sh <test.py>: a stdlib unittest module with the runfiles tree
# (which mirrors the repository) as DEVBIN_SOURCE_DIR, as CTest runs it.
DEVBIN_SOURCE_DIR=$(pwd) exec python3 -B "$1" -v
