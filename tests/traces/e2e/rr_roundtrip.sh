#!/usr/bin/env bash
# rr_roundtrip.sh: record then replay one kernel. The recorded run must give the
# same status, console bytes and final virtual time as an unrecorded one (the
# checkpoints do not perturb the guest), and the replay must match (exit 0)
# with the same console bytes.
# usage: rr_roundtrip.sh HVSIM KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir

"$hvsim" boot "$kernel" >"$d/plain.out" 2>"$d/plain.err"
plain=$?
"$hvsim" boot "$kernel" --record "$d/run.hvrec" --snapshot-every 8 >"$d/rec.out" 2>"$d/rec.err"
rec=$?
"$hvsim" replay "$d/run.hvrec" >"$d/rep.out" 2>"$d/rep.err"
rep=$?

rr_expect_status "recorded boot" "$rec" "$plain"
cmp -s "$d/plain.out" "$d/rec.out" || rr_fail "the recorded boot printed other console bytes than the plain one"
[ "$(rr_vtime "$d/plain.err")" = "$(rr_vtime "$d/rec.err")" ] ||
    rr_fail "final time differs: plain '$(rr_vtime "$d/plain.err")', recorded '$(rr_vtime "$d/rec.err")'"
rr_expect_status "replay" "$rep" 0
rr_expect_grep "replay" "$d/rep.err" '^hvsim: replay: matched [0-9]+ checkpoints and the end state$'
cmp -s "$d/plain.out" "$d/rep.out" || rr_fail "the replay printed other console bytes than the recorded boot"
[ "$(rr_vtime "$d/rec.err")" = "$(rr_vtime "$d/rep.err")" ] || rr_fail "the replay ended at another time"
rr_done
