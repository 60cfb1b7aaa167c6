#!/usr/bin/env bash
# bench/boot/run.sh: wall time of booting the compute-bound kernel boot_bench.elf
# to its verdict, whole process, under hvsim and under QEMU TCG; prints the
# medians and the ratio hvsim/QEMU (target <= 1.0).
# usage: bench/boot/run.sh BUILD_DIR [RUNS]   (RUNS defaults to 5)
# BENCH_KERNEL=boot_bench_2m runs the same work over 2 MiB pages.
# Uses hyperfine when installed, else a bash loop around date +%s.%N.
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [RUNS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
kernel=$build/kernels/${BENCH_KERNEL:-boot_bench}.elf
hvsim=$build/hvsim
qemu=${QEMU:-qemu-system-x86_64}
expected=33                               # debug-exit 0x10: the kernel's self-check passed

hvsim_cmd=("$hvsim" boot "$kernel")
qemu_cmd=("$qemu" -accel tcg -kernel "$kernel" -serial stdio -display none
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -m 128)

for f in "$kernel" "$hvsim"; do
    if [ ! -x "$f" ] && [ ! -f "$f" ]; then
        echo "bench/boot: $f is missing; build first (make build)" >&2
        exit 1
    fi
done

# One untimed run each: the right answer, and warm caches.
verify() {
    local name=$1
    shift
    "$@" >/dev/null 2>&1 </dev/null
    local status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "bench/boot: $name exited with status $status, expected $expected" >&2
        exit 1
    fi
}
verify hvsim "${hvsim_cmd[@]}"
verify qemu "${qemu_cmd[@]}"

# median SECONDS...: the middle value (mean of the two middle ones if even).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# time_runs CMD...: prints the median wall time of $runs whole-process runs.
time_runs() {
    if command -v hyperfine >/dev/null 2>&1; then
        local json
        json=$(mktemp)
        # The kernel's status is 33 by design, so hyperfine must not treat it as failure.
        hyperfine --style none --ignore-failure --runs "$runs" --export-json "$json" \
            "$(printf '%q ' "$@")" >/dev/null 2>&1 </dev/null
        grep -o '"median": *[0-9.eE+-]*' "$json" | head -1 | sed 's/.*: *//'
        rm -f "$json"
    else
        local times=() start end
        for _ in $(seq "$runs"); do
            start=$(date +%s.%N)
            "$@" >/dev/null 2>&1 </dev/null
            end=$(date +%s.%N)
            times+=("$(echo "$end - $start" | awk '{ printf "%.4f", $1 - $3 }')")
        done
        median "${times[@]}"
    fi
}

tool=$(command -v hyperfine >/dev/null 2>&1 && echo hyperfine || echo "a bash loop")
echo "boot benchmark: $kernel, $runs runs each, timed with $tool"
t_hvsim=$(time_runs "${hvsim_cmd[@]}")
t_qemu=$(time_runs "${qemu_cmd[@]}")
# The same hvsim with its fast-store path off (cpu/uc_tlb.c): what that path gains.
t_slow=$(time_runs env HVSIM_SLOW_STORES=1 "${hvsim_cmd[@]}")
awk -v h="$t_hvsim" -v q="$t_qemu" -v s="$t_slow" 'BEGIN {
    printf "  hvsim boot          median %.3f s\n", h
    printf "  hvsim, slow stores  median %.3f s (HVSIM_SLOW_STORES=1: fast stores gain %.2fx)\n", s, s / h
    printf "  qemu-system-x86_64  median %.3f s (-accel tcg)\n", q
    r = h / q
    printf "  ratio hvsim/qemu    %.2f (target <= 1.0: %s)\n", r, r <= 1.0 ? "met" : "NOT met"
}'
