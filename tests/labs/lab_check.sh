#!/usr/bin/env bash
# tests/labs/lab_check.sh: a lab's grader passes on its reference answers
# (labs/LAB/solution.txt) and fails on tests/labs/LAB.wrong.txt, on exactly the
# question FAILKEY; the second check grades the first run's results (--reuse).
# usage: lab_check.sh HVSIM LAB FAILKEY OUTDIR
# Run from the project's folder (labs use paths such as cache/stack from there).
set -u
[ $# -eq 4 ] || { echo "usage: $0 HVSIM LAB FAILKEY OUTDIR" >&2; exit 2; }
hvsim=$1 lab=$2 key=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cd "$project"
fail() { echo "lab_check $lab: FAIL: $*" >&2; exit 1; }

rm -rf "$out"
"$hvsim" lab check "labs/$lab" --answers "labs/$lab/solution.txt" --out "$out" > "$out.pass.txt" 2>&1
status=$?
cat "$out.pass.txt"
[ $status -eq 0 ] || fail "the reference answers: exit $status, expected 0"
grep -q "FAIL" "$out.pass.txt" && fail "a question failed on the reference answers"
n=$(grep -c "^  pass  " "$out.pass.txt")
grep -q "hvsim: lab: $lab: $n of $n questions pass" "$out.pass.txt" || fail "no '$n of $n questions pass' line"

"$hvsim" lab check "labs/$lab" --answers "tests/labs/$lab.wrong.txt" --out "$out" --reuse > "$out.wrong.txt" 2>&1
status=$?
cat "$out.wrong.txt"
[ $status -eq 1 ] || fail "the wrong answers: exit $status, expected 1"
grep -q "grading .* of an earlier run (--reuse)" "$out.wrong.txt" || fail "--reuse ran the scenario again"
grep -q "^  FAIL  $key: tests/labs/$lab.wrong.txt:[0-9]*: your answer" "$out.wrong.txt" ||
  fail "no 'FAIL  $key: FILE:LINE: your answer' line"
[ "$(grep -c '^  FAIL  ' "$out.wrong.txt")" -eq 1 ] || fail "more questions than $key failed"
echo "lab_check $lab: ok ($n questions; the wrong answers fail on $key)"
