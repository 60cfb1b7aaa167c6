#!/usr/bin/env bash
# rr_refuse.sh: damaged logs and changed binaries. A truncated log is refused
# (exit 2) with the reader's message naming the file, chunk and offset; with
# --salvage it replays up to its last good checkpoint and matches (exit 0). A
# log with a corrupted byte is refused the same way. A kernel that changed since
# the recording is refused with both hashes.
# usage: rr_refuse.sh HVSIM KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1
d=$rr_dir
cp "$2" "$d/kernel.elf"

"$hvsim" boot "$d/kernel.elf" --record "$d/a.hvrec" --quiet >/dev/null 2>&1
size=$(stat -c %s "$d/a.hvrec")

head -c $((size / 2)) "$d/a.hvrec" >"$d/cut.hvrec"
"$hvsim" replay "$d/cut.hvrec" >/dev/null 2>"$d/cut.err"
rr_expect_status "truncated log" $? 2
rr_expect_grep "truncated log" "$d/cut.err" "cut\.hvrec: chunk [0-9]+ at offset [0-9]+"
rr_expect_grep "truncated log" "$d/cut.err" "the log is refused"
"$hvsim" replay --salvage "$d/cut.hvrec" >"$d/salv.out" 2>"$d/salv.err"
rr_expect_status "salvaged log" $? 0
rr_expect_grep "salvaged log" "$d/salv.err" "salvaged [0-9]+ chunks \([0-9]+ of $((size / 2)) bytes\)"
rr_expect_grep "salvaged log" "$d/salv.err" "matched [1-9][0-9]* checkpoints \(salvaged log: no end state to check\)"

cp "$d/a.hvrec" "$d/bad.hvrec"
printf '\xff' | dd of="$d/bad.hvrec" bs=1 seek=$((size / 3)) conv=notrunc status=none
"$hvsim" replay "$d/bad.hvrec" >/dev/null 2>"$d/bad.err"
rr_expect_status "corrupted log" $? 2
rr_expect_grep "corrupted log" "$d/bad.err" "bad\.hvrec: chunk [0-9]+ at offset [0-9]+"

printf 'x' >>"$d/kernel.elf"
"$hvsim" replay "$d/a.hvrec" >/dev/null 2>"$d/bin.err"
rr_expect_status "changed kernel" $? 2
rr_expect_grep "changed kernel" "$d/bin.err" "a\.hvrec: binary 0: .*kernel\.elf has changed since the recording"
rr_done
