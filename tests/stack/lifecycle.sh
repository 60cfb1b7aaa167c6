#!/usr/bin/env bash
# tests/stack/lifecycle.sh: runs tests/stack/lifecycle.lua (a DomU's reboot and
# crash under its xl.cfg's on_reboot/on_crash, and bad input to xl) on the real
# stack, from the demo's snapshot of Domain-0's prompt when stack_demo left one.
# usage: lifecycle.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (images not cached, archive unreachable).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/lifecycle.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "lifecycle: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || { echo "lifecycle: FAIL: tools/stack/images.sh: status $status" >&2; exit 1; }
rm -rf "$out"
cd "$project"
timeout "${HVSIM_STACK_WALL:-900}" "$hvsim" run tests/stack/lifecycle.lua --out "$out"
status=$?
[ $status -eq 0 ] || { echo "lifecycle: FAIL: hvsim run exited with $status; consoles in $out" >&2; exit 1; }
