#!/usr/bin/env bash
# invisible.sh: awareness never changes the run. For each kernel: a boot with
# --hv and --trace gives the same exit status, console bytes and final virtual
# time and instruction count as a boot with neither; a recording made with --hv
# replays (without it) to a match, checkpoint by checkpoint.
# usage: invisible.sh HVSIM KERNEL...
set -u
hvsim=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "invisible: $*" >&2; exit 1; }

for kernel in "$@"; do
    "$hvsim" boot "$kernel" >"$dir/out0" 2>"$dir/err0"
    s0=$?
    "$hvsim" boot "$kernel" --hv --trace "$dir/t.hvtrace" >"$dir/out1" 2>"$dir/err1"
    s1=$?
    [ $s0 -eq $s1 ] || fail "$kernel: status $s0 without awareness, $s1 with it"
    cmp "$dir/out0" "$dir/out1" || fail "$kernel: the console differs"
    e0=$(grep -E 'virtual time [0-9.]+ s, [0-9]+ instructions' "$dir/err0")
    e1=$(grep -E 'virtual time [0-9.]+ s, [0-9]+ instructions' "$dir/err1")
    [ -n "$e0" ] && [ "$e0" = "$e1" ] || fail "$kernel: end differs: '$e0' vs '$e1'"
    "$hvsim" boot "$kernel" --hv --record "$dir/r.hvrec" --checkpoint-every 50us >/dev/null 2>"$dir/err2"
    "$hvsim" replay "$dir/r.hvrec" --quiet >/dev/null 2>"$dir/err3" || {
        cat "$dir/err3" >&2
        fail "$kernel: a recording with --hv does not replay without it"
    }
    echo "invisible: $kernel: same with and without awareness ($e0)"
done
