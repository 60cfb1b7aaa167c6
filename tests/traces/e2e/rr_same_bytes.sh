#!/usr/bin/env bash
# rr_same_bytes.sh: determinism of the log itself. Recording the same boot twice
# gives byte-identical .hvrec files (header, checkpoints, end). Snapshots are
# left out: cpu_save() carries 8 bytes of a host address from Unicorn's context
# (reported to cpu/), so snapshot chunks differ between processes.
# usage: rr_same_bytes.sh HVSIM KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir

for run in 1 2; do
    "$hvsim" boot "$kernel" --record "$d/$run.hvrec" --checkpoint-every 5ms --quiet >/dev/null 2>&1
done
[ -s "$d/1.hvrec" ] || rr_fail "no log was written"
cmp "$d/1.hvrec" "$d/2.hvrec" >&2 || rr_fail "two recordings of the same boot differ"
rr_done
