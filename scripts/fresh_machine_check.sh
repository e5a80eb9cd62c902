#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Proves README.md's two commands on a fresh Debian 12: makes a minimal
# bookworm root with debootstrap, copies a clean clone of HEAD into it, and
# runs each command (scripts/readme_command.sh) through chroot as root, each
# in its own untouched copy of the root, so neither leans on what the other
# installed. Prints each command's exit status and time; fails if either fails.
#
#   scripts/fresh_machine_check.sh [1|2 ...]     (default: both)
# Environment: DEVBIN_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEVBIN_FRESH_KEEP=1 keeps the work folder (printed) for a look afterwards.
# Needs root, debootstrap and the network to the Debian archive.
#
# Rule: a root is copied or deleted only when nothing is mounted inside it
# (a bind mount of /dev removed with rm -rf would empty the host's /dev).
set -euo pipefail
cd "$(dirname "$0")/.."

commands=("$@")
[ ${#commands[@]} -eq 0 ] && commands=(1 2)
mirror=${DEVBIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
for tool in debootstrap chroot git mount umount; do
  command -v "$tool" >/dev/null || { echo "fresh_machine_check: $tool not found (apt-get install debootstrap)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "fresh_machine_check: must run as root (debootstrap, chroot)" >&2; exit 1; }

work=$(mktemp -d /tmp/devbin-fresh.XXXXXX)
mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}"; done
  mounts=()
}
mounted_inside() { awk -v root="$1" '$2 == root || index($2, root "/") == 1 {found=1} END {exit !found}' /proc/mounts; }
cleanup() {
  unmount_all
  if mounted_inside "$work"; then
    echo "fresh_machine_check: something is still mounted under $work; not deleting it" >&2
  elif [ "${DEVBIN_FRESH_KEEP:-0}" = 1 ]; then
    echo "fresh_machine_check: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

echo "== debootstrap bookworm (minbase) from $mirror"
start=$(date +%s)
debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }
cp /etc/resolv.conf "$work/base/etc/resolv.conf"
git clone -q . "$work/base/root/devbin"
echo "   $(($(date +%s) - start)) s"

failed=0
for n in "${commands[@]}"; do
  command=$(scripts/readme_command.sh "$n")
  root="$work/root$n"
  mounted_inside "$work" && { echo "fresh_machine_check: a mount is left under $work" >&2; exit 1; }
  cp -a "$work/base" "$root"
  mount -t proc proc "$root/proc" && mounts+=("$root/proc")
  mount --bind /dev "$root/dev" && mounts+=("$root/dev")
  echo "== README command $n in a fresh root: $command"
  start=$(date +%s)
  status=0
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 /bin/bash -c "cd /root/devbin && $command" \
    >"$work/command$n.log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  unmount_all
  tail -15 "$work/command$n.log" | sed 's/^/   | /'
  echo "README command $n: exit $status, $elapsed s"
  [ "$status" -eq 0 ] || failed=1
done
exit $failed
