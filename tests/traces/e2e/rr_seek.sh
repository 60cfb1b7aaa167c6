#!/usr/bin/env bash
# rr_seek.sh: restoring a snapshot mid-run and running on gives the same
# checkpoints and final hashes as the uninterrupted run (replay --seek exits 0
# after checking the end state), from several snapshots; seeking before the
# first snapshot is refused.
# usage: rr_seek.sh HVSIM KERNEL CHECKPOINT-EVERY SEEK-TIME...
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2 every=$3
shift 3
d=$rr_dir

"$hvsim" boot "$kernel" --record "$d/a.hvrec" --checkpoint-every "$every" --snapshot-every 3 --quiet >"$d/full.out" 2>&1
for t in "$@"; do
    "$hvsim" replay "$d/a.hvrec" --seek "$t" --out "$d/seek" >/dev/null 2>"$d/seek.err"
    rr_expect_status "seek $t" $? 0
    rr_expect_grep "seek $t" "$d/seek.err" "restored snapshot [0-9]+ at t="
    rr_expect_grep "seek $t" "$d/seek.err" "matched [0-9]+ checkpoints and the end state"
    # What the guest printed after the snapshot ends the full run's console.
    tail -c "$(stat -c %s "$d/seek/console.log")" "$d/full.out" | cmp -s - "$d/seek/console.log" ||
        rr_fail "seek $t: the console after the snapshot is not the end of the full run's console"
done
"$hvsim" replay "$d/a.hvrec" --seek 1us >/dev/null 2>"$d/early.err"
rr_expect_status "seek before the first snapshot" $? 2
rr_expect_grep "seek before the first snapshot" "$d/early.err" "no snapshot at or before t=0\.000001000 s"
rr_done
