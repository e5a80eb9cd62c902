#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# compare_code_objects.sh <manifest> <reference dir> <built files...>
# Each built code object must equal the file of the same name in the reference
# directory (device/binaries/prebuilt); when the manifest says the whole target
# map was built, the reference may hold nothing else. Run by
# //device/binaries:source_matches_prebuilt_test.
set -u
manifest=$1 reference=$2
shift 2
whole_set=$(sed -n 's/^whole_set=//p' "$manifest")
failures=0
declare -A built
for file in "$@"; do
  name=$(basename "$file")
  built[$name]=1
  if [ ! -f "$reference/$name" ]; then
    echo "DIFFERS  $name: missing from $reference (built $(stat -L -c %s "$file") bytes)"
    failures=$((failures + 1))
  elif cmp -s "$file" "$reference/$name"; then
    echo "same     $name ($(stat -L -c %s "$file") bytes)"
  else
    echo "DIFFERS  $name: $reference has $(stat -L -c %s "$reference/$name") bytes, the build" \
         "$(stat -L -c %s "$file"); $(cmp "$file" "$reference/$name" 2>&1 | head -1)"
    failures=$((failures + 1))
  fi
done
if [ "$whole_set" = 1 ]; then
  for path in "$reference"/*.so "$reference"/*.cubin "$reference"/*.ptx; do
    [ -f "$path" ] || continue
    name=$(basename "$path")
    if [ -z "${built[$name]:-}" ]; then
      echo "DIFFERS  $name: in $reference but not built from the target map"
      failures=$((failures + 1))
    fi
  done
fi
if [ "$#" -eq 0 ]; then
  echo "nothing was built to compare" >&2
  exit 1
fi
if [ "$failures" -ne 0 ]; then
  echo "$failures difference(s) from $reference"
  exit 1
fi
echo "$# code object(s) identical to $reference$([ "$whole_set" = 1 ] && echo ', and no other there')"
