#!/usr/bin/env bash
# tests/labs/stack_lab.sh: lab_check.sh for a lab on the real stack, once the
# stack's images are in cache/stack (tools/stack/images.sh; status 77 when they
# are not cached and the archive cannot be reached). It starts from the demo's
# snapshot of Domain-0's prompt when stack_demo left one for this hvsim.
# usage: stack_lab.sh HVSIM LAB FAILKEY OUTDIR
set -u
[ $# -eq 4 ] || { echo "usage: $0 HVSIM LAB FAILKEY OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "stack_lab $2: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || { echo "stack_lab $2: FAIL: tools/stack/images.sh: status $status" >&2; exit 1; }
exec timeout "${HVSIM_STACK_WALL:-900}" "$here/lab_check.sh" "$@"
