#!/usr/bin/env bash
# rr_input.sh: console input is an outside input. A line fed with
# --console-input reaches the guest; recorded, it replays from the log alone
# (no input file), also from snapshots before and after the input; the same
# input gives a byte-identical log; and the log with one input moved by one
# instruction is caught as a divergence (exit 5).
# usage: rr_input.sh HVSIM HVREC_EDIT CONSOLE_ECHO_KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 edit=$2 kernel=$3
d=$rr_dir

printf 'hello, hvsim\n' >"$d/in.txt"
"$hvsim" boot "$kernel" --console-input "$d/in.txt" >"$d/live.out" 2>"$d/live.err"
rr_expect_status "live boot" $? 33
rr_expect_grep "console" "$d/live.out" 'read 12 bytes "hello, hvsim", checksum 0xd900e703'

"$hvsim" boot "$kernel" --console-input "$d/in.txt" --record "$d/a.hvrec" --checkpoint-every 100us \
    >"$d/rec.out" 2>"$d/rec.err"
rr_expect_status "recorded boot" $? 33
cmp -s "$d/live.out" "$d/rec.out" || rr_fail "recording changed the console"
"$hvsim" boot "$kernel" --console-input - --record "$d/b.hvrec" --checkpoint-every 100us <"$d/in.txt" \
    >/dev/null 2>&1
cmp -s "$d/a.hvrec" "$d/b.hvrec" || rr_fail "the same input (file and stdin) gave different logs"

mv "$d/in.txt" "$d/in.txt.keep"
"$hvsim" replay "$d/a.hvrec" --out "$d/replay" >"$d/replay.txt" 2>&1
rr_expect_status "replay" $? 0
cmp -s "$d/live.out" "$d/replay/console.log" || rr_fail "the replay's console differs"

# From a snapshot before the input and from one after it.
"$hvsim" boot "$kernel" --console-input - --record "$d/s.hvrec" --checkpoint-every 100us --snapshot-every 2 \
    <"$d/in.txt.keep" >/dev/null 2>&1
for t in 500us 1001us; do
    "$hvsim" replay "$d/s.hvrec" --seek "$t" >"$d/seek.txt" 2>&1
    rr_expect_status "replay --seek $t" $? 0
done

# The line enters in one go: moving its first byte one instruction later moves
# the rest with it (inputs keep their order), and the guest's TSC reading shows it.
"$edit" "$d/a.hvrec" "$d/moved.hvrec" move 0 1 || rr_fail "hvrec_edit move failed"
"$hvsim" replay "$d/moved.hvrec" >"$d/moved.txt" 2>&1
rr_expect_status "replay of the moved input" $? 5
rr_expect_grep "moved input" "$d/moved.txt" "diverged (at|after)"
rr_done
