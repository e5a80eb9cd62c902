#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Prints README.md's command N: the Nth "$ " line of its first sh block
# (1: build and run the main job; 2: build and pass the tests). .ci/run and
# scripts/fresh_machine_check.sh take the commands from here, so they test
# exactly what a reader copies.
#   scripts/readme_command.sh 1|2
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/readme_command.sh 1|2}
command=$(awk -v want="$n" '/^```sh/{block++; next} /^```/{if(block==1) exit} block==1 && /^\$ /{n++; if(n==want) {sub(/^\$ /, ""); print}}' README.md)
if [ -z "$command" ]; then
  echo "README.md has no command $n (the '\$ ' lines of its first sh block)" >&2
  exit 1
fi
printf '%s\n' "$command"
