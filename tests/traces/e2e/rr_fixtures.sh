#!/usr/bin/env bash
# rr_fixtures.sh: recordings kept from an older hvsim (tests/traces/fixtures, with
# the kernels they were made from) still replay and match: a change of layout or
# speed must not change what a machine does. A change that is meant to change the
# machine's behaviour re-records them and says so in its commit.
# usage: rr_fixtures.sh HVSIM FIXTURE_DIR
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1
cd "$2" || exit 1
n=0
for log in *.hvrec; do
    "$hvsim" replay "$log" >/dev/null 2>"$rr_dir/$log.err"
    rr_expect_status "replay of $log" $? 0
    rr_expect_grep "replay of $log" "$rr_dir/$log.err" "matched [0-9]+ checkpoints and the end state"
    n=$((n + 1))
done
[ "$n" -ge 3 ] || rr_fail "expected at least 3 recordings in $2, found $n"
rr_done
