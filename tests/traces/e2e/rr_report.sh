#!/usr/bin/env bash
# rr_report.sh: an event trace of fault_storm (2500 each of #DE, #BP, #UD, #GP,
# #PF) reports exactly those counts, in text and JSON; the instruction count of
# the run slices equals the run's; tracing does not change the run; two traces
# of the same boot are byte-identical.
# usage: rr_report.sh HVSIM FAULT_STORM_KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir

"$hvsim" boot "$kernel" >"$d/plain.out" 2>"$d/plain.err"
"$hvsim" boot "$kernel" --trace "$d/a.hvtrace" >"$d/a.out" 2>"$d/a.err"
rr_expect_status "traced boot" $? 33
"$hvsim" boot "$kernel" --trace "$d/b.hvtrace" --quiet >/dev/null 2>&1
cmp -s "$d/a.hvtrace" "$d/b.hvtrace" || rr_fail "two traces of the same boot differ"
cmp -s "$d/plain.out" "$d/a.out" || rr_fail "tracing changed the console"
[ "$(rr_vtime "$d/plain.err")" = "$(rr_vtime "$d/a.err")" ] || rr_fail "tracing changed the final time"

"$hvsim" report "$d/a.hvtrace" -o "$d/report.txt"
rr_expect_status "report" $? 0
for row in "0 +#DE" "3 +#BP" "6 +#UD" "13 +#GP" "14 +#PF"; do
    rr_expect_grep "text report" "$d/report.txt" "^ +$row +2500$"
done
[ "$(grep -Ec '^ +[0-9]+ +#[A-Z]+ +[0-9]+$' "$d/report.txt")" -eq 5 ] || rr_fail "expected exactly 5 exception rows"
instr=$(rr_vtime "$d/a.err" | sed -E 's/.*, ([0-9]+) instructions/\1/')
rr_expect_grep "text report" "$d/report.txt" "^ +0 +machine +1 +$instr "

"$hvsim" report "$d/a.hvtrace" --format json -o "$d/report.json"
rr_expect_status "json report" $? 0
for v in 0 3 6 13 14; do
    rr_expect_grep "json report" "$d/report.json" "\{\"vector\": $v, \"name\": \"#[A-Z]+\", \"count\": 2500\}"
done
for f in chrome svg-exits svg-cpu; do
    "$hvsim" report "$d/a.hvtrace" --format "$f" -o "$d/r.$f" && [ -s "$d/r.$f" ] || rr_fail "--format $f failed"
done
"$hvsim" report "$d/a.hvtrace" --format pdf >/dev/null 2>"$d/fmt.err"
rr_expect_status "unknown format" $? 2
rr_done
