#!/usr/bin/env bash
# bench/traces/run.sh: what recording and tracing cost. Wall time of `hvsim boot`
# on the compute kernel boot_bench.elf, whole process, plain vs --record (default
# checkpoint period) vs --trace, and of `hvsim replay` of that record; medians of
# RUNS runs taken round-robin so drift hits every variant alike. Prints the ratios
# against the targets of issue 5: record <= 1.10, trace <= 1.30 of plain, replay
# speed >= 0.90 of the recorded run. Exit 1 when a run gives a wrong answer.
# usage: bench/traces/run.sh BUILD_DIR [RUNS]   (RUNS defaults to 5)
# BENCH_KERNEL=NAME picks another kernel of BUILD_DIR/kernels; EXTRA="--snapshot-every 10"
# adds options to the recorded run.
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [RUNS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
kernel=$build/kernels/${BENCH_KERNEL:-boot_bench}.elf
hvsim=$build/hvsim
for f in "$kernel" "$hvsim"; do
    if [ ! -f "$f" ]; then
        echo "bench/traces: $f is missing; build first" >&2
        exit 1
    fi
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Each variant as one command line; $dir holds what they write.
plain=("$hvsim" boot "$kernel" --quiet)
# shellcheck disable=SC2206
record=("$hvsim" boot "$kernel" --quiet --record "$dir/bench.hvrec" ${EXTRA:-})
trace=("$hvsim" boot "$kernel" --quiet --trace "$dir/bench.hvtrace")
replay=("$hvsim" replay "$dir/bench.hvrec" --quiet)

# The right answer first (and warm caches): the same status for every boot, 0 for the replay.
"${plain[@]}" >/dev/null 2>&1
expected=$?
for v in record trace; do
    eval "cmd=(\"\${$v[@]}\")"
    "${cmd[@]}" >/dev/null 2>&1
    s=$?
    if [ "$s" -ne "$expected" ]; then
        echo "bench/traces: $v boot exited with $s, the plain boot with $expected" >&2
        exit 1
    fi
done
if ! "${replay[@]}" >/dev/null 2>"$dir/replay.err"; then
    echo "bench/traces: the replay did not match:" >&2
    cat "$dir/replay.err" >&2
    exit 1
fi

now() { date +%s.%N; }
declare -A times
for ((i = 0; i < runs; i++)); do
    for v in plain record trace replay; do
        eval "cmd=(\"\${$v[@]}\")"
        t0=$(now)
        "${cmd[@]}" >/dev/null 2>&1
        t1=$(now)
        times[$v]+="$(echo "$t1 - $t0" | bc -l) "
    done
done

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2086
{
    mp=$(median ${times[plain]})
    mr=$(median ${times[record]})
    mt=$(median ${times[trace]})
    my=$(median ${times[replay]})
}
printf 'bench/traces: %s, %d runs each, median wall seconds\n' "$(basename "$kernel")" "$runs"
printf '  plain   %8.3f\n  record  %8.3f   (%s bytes of log)\n  trace   %8.3f   (%s bytes of trace)\n  replay  %8.3f\n' \
    "$mp" "$mr" "$(stat -c %s "$dir/bench.hvrec")" "$mt" "$(stat -c %s "$dir/bench.hvtrace")" "$my"
awk -v p="$mp" -v r="$mr" -v t="$mt" -v y="$my" 'BEGIN {
    printf "  record/plain  %.3f  (target <= 1.10)\n", r / p
    printf "  trace/plain   %.3f  (target <= 1.30)\n", t / p
    printf "  replay speed  %.3f of the recorded run (target >= 0.90)\n", r / y
}'
