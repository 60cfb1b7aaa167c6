#!/usr/bin/env bash
# rr_diverge.sh: logs edited behind hvsim's back are caught. A flipped hash at
# checkpoint N is reported at checkpoint N with its component; a changed RTC
# epoch in the header (the guest reads another date at once) diverges at the
# first checkpoint; both exit 5.
# usage: rr_diverge.sh HVSIM HVREC_EDIT KERNEL RTC_KERNEL (KERNEL is checkpointed every 100 us)
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 edit=$2 kernel=$3 rtc_kernel=$4
d=$rr_dir

"$hvsim" boot "$kernel" --record "$d/a.hvrec" --checkpoint-every 100us --quiet >/dev/null 2>&1
n=$(( $("$hvsim" replay "$d/a.hvrec" 2>&1 >/dev/null | sed -En 's/.*matched ([0-9]+) checkpoints.*/\1/p') ))
[ "$n" -ge 8 ] || rr_fail "expected at least 8 checkpoints in the log, the replay matched $n"

for edit_at in 0:cpu 5:memory 5:devices 5:console $((n - 1)):memory; do
    cp=${edit_at%%:*} comp=${edit_at#*:}
    "$edit" "$d/a.hvrec" "$d/flip.hvrec" flip "$cp" "$comp" || rr_fail "hvrec_edit failed"
    "$hvsim" replay "$d/flip.hvrec" >/dev/null 2>"$d/flip.err"
    rr_expect_status "flipped $comp at checkpoint $cp" $? 5
    rr_expect_grep "flipped $comp at checkpoint $cp" "$d/flip.err" \
        "diverged at checkpoint $cp \(t=[0-9.]+ s\): component '$comp' hash 0x[0-9a-f]+ != recorded 0x[0-9a-f]+"
done

"$hvsim" boot "$rtc_kernel" --record "$d/rtc.hvrec" --quiet >/dev/null 2>&1
"$edit" "$d/rtc.hvrec" "$d/epoch.hvrec" set rtc_epoch 1700000000 || rr_fail "hvrec_edit failed"
"$hvsim" replay "$d/epoch.hvrec" >/dev/null 2>"$d/epoch.err"
rr_expect_status "changed rtc_epoch" $? 5
rr_expect_grep "changed rtc_epoch" "$d/epoch.err" "diverged at checkpoint 0 \(t=0\.0100[0-9]+ s\): component '(cpu|devices|memory)' hash"
rr_done
