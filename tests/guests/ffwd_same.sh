#!/usr/bin/env bash
# ffwd_same.sh: spin-loop fast-forward (cpu/ffwd.c) is exact and pays: a kernel
# that waits in polling loops prints the same console bytes, ends with the same
# status, virtual time and instruction count with it as with HVSIM_NO_FFWD=1,
# and with it at least PERCENT % of those instructions were skipped, not run.
# usage: ffwd_same.sh HVSIM KERNEL [PERCENT]   (PERCENT defaults to 80)
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 HVSIM KERNEL [PERCENT]" >&2
    exit 2
fi
hvsim=$1 kernel=$2 percent=${3:-80}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

HVSIM_COUNTERS=1 "$hvsim" boot "$kernel" >"$dir/ff.out" 2>"$dir/ff.err"
echo $? >"$dir/ff.status"
HVSIM_COUNTERS=1 HVSIM_NO_FFWD=1 "$hvsim" boot "$kernel" >"$dir/run.out" 2>"$dir/run.err"
echo $? >"$dir/run.status"

ok=1
fail() { echo "ffwd_same: $*" >&2; ok=0; }
cmp -s "$dir/ff.status" "$dir/run.status" ||
    fail "exit status $(cat "$dir/ff.status") with fast-forward, $(cat "$dir/run.status") without"
cmp -s "$dir/ff.out" "$dir/run.out" || { fail "console bytes differ"; diff "$dir/ff.out" "$dir/run.out" | head -20 >&2; }
end_ff=$(grep -E 'virtual time [0-9.]+ s, [0-9]+ instructions' "$dir/ff.err")
end_run=$(grep -E 'virtual time [0-9.]+ s, [0-9]+ instructions' "$dir/run.err")
[ -n "$end_ff" ] || fail "no final virtual time on stderr"
[ "$end_ff" = "$end_run" ] || fail "the end differs: '$end_ff' with fast-forward, '$end_run' without"
total() { sed -n "s/^hvsim: counters: total .*$1=\([0-9]*\).*/\1/p" "$2"; }
insns=$(total instructions "$dir/ff.err") skipped=$(total ffwd_insns "$dir/ff.err")
skipped_off=$(total ffwd_insns "$dir/run.err")
if [ -z "$insns" ] || [ -z "$skipped" ]; then
    fail "no counters total on stderr"
else
    [ "$skipped_off" = 0 ] || fail "HVSIM_NO_FFWD=1 still skipped $skipped_off instructions"
    [ $((skipped * 100)) -ge $((insns * percent)) ] ||
        fail "only $skipped of $insns instructions skipped (want $percent %)"
    echo "ffwd_same: $skipped of $insns instructions skipped; $end_ff"
fi
[ $ok = 1 ] && echo "ffwd_same: same console, status, time and instruction count"
[ $ok = 1 ]
