#!/usr/bin/env bash
# expect_exit.sh: boot one kernel with hvsim and check its exit status and console.
# usage: expect_exit.sh KERNEL EXPECTED-STATUS [HVSIM-ARGS...] [-- SUBSTRING...]
# $HVSIM names the hvsim binary (default: hvsim on PATH). Each SUBSTRING must
# appear in what hvsim printed (stdout and stderr together).
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 KERNEL EXPECTED-STATUS [HVSIM-ARGS...] [-- SUBSTRING...]" >&2
    exit 2
fi
kernel=$1 expected=$2
shift 2
args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    args+=("$1")
    shift
done
[ $# -gt 0 ] && shift
hvsim=${HVSIM:-hvsim}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$hvsim" boot "$kernel" "${args[@]}" >"$out" 2>&1
status=$?
cat "$out"

ok=1
if [ "$status" -ne "$expected" ]; then
    echo "expect_exit: $kernel exited with status $status, expected $expected" >&2
    ok=0
fi
for s in "$@"; do
    if ! grep -qF -- "$s" "$out"; then
        echo "expect_exit: $kernel did not print '$s'" >&2
        ok=0
    fi
done
[ $ok -eq 1 ] && echo "expect_exit: $kernel: status $status as expected"
[ $ok -eq 1 ]
