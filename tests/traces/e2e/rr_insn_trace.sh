#!/usr/bin/env bash
# rr_insn_trace.sh: --trace-insns FROM:TO records every instruction retired in
# that window of virtual time with its disassembly, and nothing outside it; the
# traced run is the same run (console and final time).
# usage: rr_insn_trace.sh HVSIM PIT_TIMER_KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir

"$hvsim" boot "$kernel" >"$d/plain.out" 2>"$d/plain.err"
"$hvsim" boot "$kernel" --trace "$d/i.hvtrace" --trace-insns 100us:101us >"$d/i.out" 2>"$d/i.err"
rr_expect_status "traced boot" $? 33
cmp -s "$d/plain.out" "$d/i.out" || rr_fail "the instruction trace changed the console"
[ "$(rr_vtime "$d/plain.err")" = "$(rr_vtime "$d/i.err")" ] || rr_fail "the instruction trace changed the final time"
"$hvsim" report "$d/i.hvtrace" -o "$d/report.txt"
rr_expect_status "report" $? 0
# 1 us at 1 GHz is about 1000 instructions, within a block either side.
n=$(sed -nE 's/^Instruction trace \(([0-9]+) instructions\)$/\1/p' "$d/report.txt")
[ -n "$n" ] && [ "$n" -ge 900 ] && [ "$n" -le 1100 ] || rr_fail "expected about 1000 traced instructions, got '$n'"
rr_expect_grep "text report" "$d/report.txt" "^0\.0001[0-9]+ +0x[0-9a-f]{16} [a-z]+"
awk '/^Instruction trace/ {on = 1; next} on && $1 ~ /^[0-9]/ {t = $1 + 0; if (t < 0.0000999 || t > 0.0001011) bad = 1} END {exit bad}' \
    "$d/report.txt" || rr_fail "an instruction outside the 100us:101us window was traced"
"$hvsim" boot "$kernel" --trace "$d/x.hvtrace" --trace-insns 2ms:1ms >/dev/null 2>"$d/bad.err"
rr_expect_status "reversed window" $? 2
rr_done
