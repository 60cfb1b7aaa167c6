#!/usr/bin/env bash
# same_twice.sh: determinism. Boots a kernel twice with hvsim and requires the
# same exit status, the same console bytes and the same final virtual time.
# usage: same_twice.sh HVSIM KERNEL [HVSIM-ARGS...]
# hvsim ends with a stderr line such as "hvsim: debug exit, status 33, virtual
# time 0.002327169 s, 2327169 instructions"; the lines matching $VTIME_PATTERN
# (an extended regex, default "virtual time <seconds> s" or "t=<seconds> s")
# must be equal.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 HVSIM KERNEL [HVSIM-ARGS...]" >&2
    exit 2
fi
hvsim=$1 kernel=$2
shift 2
pattern=${VTIME_PATTERN:-(virtual time |t=)[0-9]+\.[0-9]+ s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for run in 1 2; do
    "$hvsim" boot "$kernel" "$@" >"$dir/out$run" 2>"$dir/err$run"
    echo $? >"$dir/status$run"
    grep -E -- "$pattern" "$dir/err$run" >"$dir/vtime$run"
done

ok=1
if ! cmp -s "$dir/status1" "$dir/status2"; then
    echo "same_twice: exit status differs: $(cat "$dir/status1") then $(cat "$dir/status2")" >&2
    ok=0
fi
if ! cmp "$dir/out1" "$dir/out2" >&2; then
    echo "same_twice: console bytes differ" >&2
    diff "$dir/out1" "$dir/out2" | head -20 >&2
    ok=0
fi
if [ ! -s "$dir/vtime1" ]; then
    echo "same_twice: hvsim printed no line matching '$pattern' on stderr" >&2
    ok=0
elif ! cmp -s "$dir/vtime1" "$dir/vtime2"; then
    echo "same_twice: final virtual time differs:" >&2
    cat "$dir/vtime1" "$dir/vtime2" >&2
    ok=0
fi
[ $ok -eq 1 ] && echo "same_twice: $(wc -c <"$dir/out1") identical bytes, status $(cat "$dir/status1"), $(cat "$dir/vtime1")"
[ $ok -eq 1 ]
