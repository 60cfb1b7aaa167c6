#!/usr/bin/env bash
# rr_slow_stores.sh: the fast-store path (cpu/uc_tlb.c) is invisible to the
# guest: a run recorded with it replays, checkpoint by checkpoint, with it off
# (HVSIM_SLOW_STORES=1), and the reverse, with the same console bytes. Meant
# for kernels that rewrite their code (random_user, smc).
# usage: rr_slow_stores.sh HVSIM KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir

"$hvsim" boot "$kernel" --record "$d/fast.hvrec" >"$d/fast.out" 2>"$d/fast.err"
fast=$?
HVSIM_SLOW_STORES=1 "$hvsim" boot "$kernel" --record "$d/slow.hvrec" >"$d/slow.out" 2>"$d/slow.err"
slow=$?
rr_expect_status "slow-store boot" "$slow" "$fast"
cmp -s "$d/fast.out" "$d/slow.out" || rr_fail "slow stores printed other console bytes than fast ones"
cmp -s "$d/fast.hvrec" "$d/slow.hvrec" || rr_fail "the two recordings differ"
HVSIM_SLOW_STORES=1 "$hvsim" replay "$d/fast.hvrec" >"$d/rep.out" 2>"$d/rep.err"
rr_expect_status "slow replay of the fast recording" $? 0
rr_expect_grep "slow replay" "$d/rep.err" '^hvsim: replay: matched [0-9]+ checkpoints and the end state$'
"$hvsim" replay "$d/slow.hvrec" >"$d/rep2.out" 2>"$d/rep2.err"
rr_expect_status "fast replay of the slow recording" $? 0
cmp -s "$d/fast.out" "$d/rep.out" || rr_fail "the replay printed other console bytes"
rr_done
