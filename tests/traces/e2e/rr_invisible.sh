#!/usr/bin/env bash
# rr_invisible.sh: a speed path of cpu/ is invisible to the guest: a run
# recorded with it replays, checkpoint by checkpoint, with it turned off by its
# environment variable, and the reverse; both recordings are the same bytes and
# print the same console bytes. VAR is HVSIM_SLOW_STORES (fast stores,
# cpu/uc_tlb.c: meant for kernels that rewrite their code) or
# HVSIM_UC_EXIT_CHECKS (no per-access exit checks, cpu/uc_stop.c: meant for
# kernels whose intercept sites stop or skip instructions) or
# HVSIM_VMX_NO_NESTED_RUN (VM entries from the #UD hook, cpu/vcpu.c: meant for
# the VT-x kernels) or HVSIM_NO_FFWD (spin-loop fast-forward, cpu/ffwd.c:
# meant for kernels that poll).
# usage: rr_invisible.sh HVSIM KERNEL VAR
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2 var=$3
d=$rr_dir

"$hvsim" boot "$kernel" --record "$d/fast.hvrec" >"$d/fast.out" 2>"$d/fast.err"
fast=$?
env "$var=1" "$hvsim" boot "$kernel" --record "$d/slow.hvrec" >"$d/slow.out" 2>"$d/slow.err"
slow=$?
rr_expect_status "boot with $var=1" "$slow" "$fast"
cmp -s "$d/fast.out" "$d/slow.out" || rr_fail "$var=1 printed other console bytes"
cmp -s "$d/fast.hvrec" "$d/slow.hvrec" || rr_fail "the two recordings differ"
env "$var=1" "$hvsim" replay "$d/fast.hvrec" >"$d/rep.out" 2>"$d/rep.err"
rr_expect_status "replay with $var=1 of the default recording" $? 0
rr_expect_grep "replay with $var=1" "$d/rep.err" '^hvsim: replay: matched [0-9]+ checkpoints and the end state$'
"$hvsim" replay "$d/slow.hvrec" >"$d/rep2.out" 2>"$d/rep2.err"
rr_expect_status "default replay of the $var=1 recording" $? 0
cmp -s "$d/fast.out" "$d/rep.out" || rr_fail "the replay printed other console bytes"
rr_done
