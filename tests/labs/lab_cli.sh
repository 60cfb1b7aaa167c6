#!/usr/bin/env bash
# tests/labs/lab_cli.sh: `hvsim lab` itself. Bad answers files (no '=', a key
# twice, no value, a key that is no question, no file) exit 2 naming the file,
# line and key; a folder that is no lab exits 2; --step without a terminal says so
# and does not pause; two runs of a lab write the same results, record and capture; the
# net table's txqueuelen and burst (a burst drops at txqueuelen 32, not at 1000)
# and their bad input.
# usage: lab_cli.sh HVSIM OUTDIR   (run from anywhere; it works in the project's folder)
set -u
[ $# -eq 2 ] || { echo "usage: $0 HVSIM OUTDIR" >&2; exit 2; }
hvsim=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
fail() { echo "lab_cli: FAIL: $*" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
lab=labs/05-txqueuelen

# One run to grade against (--reuse below reads it).
"$hvsim" lab run $lab --out "$out/a" > "$out/a.txt" 2>&1 || { cat "$out/a.txt"; fail "lab run $lab"; }
res="$out/a/results.txt"
grep -q '^dropped_32 = [1-9]' "$res" || fail "no drop at txqueuelen 32: $(cat "$res")"
grep -q '^dropped_1000 = 0$' "$res" || fail "drops at txqueuelen 1000: $(cat "$res")"

# check ANSWERS-TEXT STATUS MESSAGE-REGEX: grading these answers exits STATUS and says MESSAGE.
check() {
  printf '%b' "$1" > "$out/answers.txt"
  "$hvsim" lab check $lab --answers "$out/answers.txt" --out "$out/a" --reuse > "$out/check.txt" 2>&1
  local status=$?
  [ $status -eq "$2" ] || { cat "$out/check.txt"; fail "answers '$1': exit $status, expected $2"; }
  grep -Eq "$3" "$out/check.txt" || { cat "$out/check.txt"; fail "answers '$1': no message matching '$3'"; }
}
a="$out/answers.txt"
check '# comment\n\ndropped_32 149\n' 2 "$a:3: expected 'key = value', got 'dropped_32 149'"
check 'dropped_32 = 1\n dropped_32=2\n' 2 "$a:2: key 'dropped_32' is given twice \\(first at line 1\\)"
check 'dropped_32 =\n' 2 "$a:1: key 'dropped_32' has no value"
check 'dropped_32 = 149\ndroped_1000 = 0\n' 2 "$a:2: key 'droped_1000' is no question of 05-txqueuelen"
check 'bad key = 1\n' 2 "$a:1: key 'bad key': expected"
# A partial file grades what it answers: the rest fail as unanswered.
check 'dropped_32 = 149\ndropped_1000 = zero\n' 1 "FAIL  dropped_1000: $a:2: your answer 'zero' is not a number"
grep -q "^  pass  dropped_32$" "$out/check.txt" || fail "dropped_32 = 149 did not pass"
grep -q "FAIL  smallest_clean: no answer in $a" "$out/check.txt" || fail "no 'no answer' for smallest_clean"
# A byte-order mark and CRLF line ends, as some editors write them.
check '\xef\xbb\xbfdropped_32 = 149\r\ndropped_1000 = 0\r\n' 1 "^  pass  dropped_1000$"
grep -q "^  pass  dropped_32$" "$out/check.txt" || fail "a byte-order mark spoiled the first key"
"$hvsim" lab check $lab --answers "$out/none.txt" --out "$out/a" > "$out/check.txt" 2>&1
[ $? -eq 2 ] && grep -q "$out/none.txt: no such answers file" "$out/check.txt" || fail "a missing answers file"
"$hvsim" lab check tests --answers "$a" > "$out/check.txt" 2>&1
[ $? -eq 2 ] && grep -q "tests: not a lab: tests/scenario.lua cannot be read" "$out/check.txt" || fail "not a lab"
"$hvsim" lab run $lab --answers "$a" > "$out/check.txt" 2>&1
[ $? -eq 2 ] || fail "lab run took --answers"

# --step without a terminal: said once, no pause; the same results and record as a plain run.
for d in c d; do
  step=; [ $d = d ] && step=--step
  "$hvsim" lab run labs/06-record-replay $step --out "$out/$d" < /dev/null > "$out/$d.txt" 2>&1 ||
    { cat "$out/$d.txt"; fail "lab run labs/06-record-replay $step"; }
done
[ "$(grep -c 'stdin is not a terminal, so the run does not pause' "$out/d.txt")" -eq 1 ] || fail "--step said nothing"
grep -q 'not a terminal' "$out/c.txt" && fail "a run without --step spoke of pausing"
cmp "$out/c/results.txt" "$out/d/results.txt" || fail "two runs of lab 06, different results"
cmp "$out/c/run.hvrec" "$out/d/run.hvrec" || fail "two runs of lab 06, different records"
"$hvsim" lab run $lab --out "$out/b" > "$out/b.txt" 2>&1 || { cat "$out/b.txt"; fail "lab run $lab again"; }
cmp "$out/a/results.txt" "$out/b/results.txt" || fail "two runs of lab 05, different results"
cmp "$out/a/vif1.0.pcap" "$out/b/vif1.0.pcap" || fail "two runs of lab 05, different captures"

# The net table's additions, their bad input.
run_bad() {
  printf '%s\n' "$1" > "$out/bad.lua"
  "$hvsim" run "$out/bad.lua" > "$out/bad.txt" 2>&1
  [ $? -eq 1 ] && grep -q "$2" "$out/bad.txt" || { cat "$out/bad.txt"; fail "'$1' did not fail with '$2'"; }
}
run_bad 'net.start("bridge"); net.txqueuelen("vif1.0", 0)' "bad.lua:1: net.txqueuelen: no port 'vif1.0'"
run_bad 'net.start("bridge"); net.client("vif1.0"); net.txqueuelen("vif1.0", 0)' \
  "bad.lua:1: net.txqueuelen: 0: expected 1 to 1000000 frames"
run_bad 'net.start("bridge"); local g = net.client("vif1.0"); net.burst(g)' \
  "bad.lua:1: net.burst: the client has no address yet (state idle)"
run_bad 'net.start("bridge"); local g = net.client("vif1.0"); sleep("5s"); net.burst(g, {size = 2000})' \
  "bad.lua:1: net.burst: size 2000: expected 0 to 1472 bytes"
echo "lab_cli: ok"
