#!/usr/bin/env bash
# unknown.sh: a kernel that is no hypervisor hvsim knows: --hv says so and the
# run goes on, with the status and console it has without --hv.
# usage: unknown.sh HVSIM KERNEL
set -u
hvsim=$1 kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$hvsim" boot "$kernel" >"$dir/out0" 2>/dev/null
s0=$?
"$hvsim" boot "$kernel" --hv >"$dir/out1" 2>"$dir/err1"
s1=$?
grep -q "hypervisor not recognised; the run goes on without awareness" "$dir/err1" || {
    echo "unknown: no 'not recognised' message" >&2; cat "$dir/err1" >&2; exit 1; }
! grep -q '^hv: ' "$dir/err1" || { echo "unknown: a summary for an unrecognised image" >&2; exit 1; }
[ $s0 -eq $s1 ] && cmp -s "$dir/out0" "$dir/out1" || { echo "unknown: the run changed ($s0, $s1)" >&2; exit 1; }
echo "unknown: not recognised, run unchanged (status $s1)"
