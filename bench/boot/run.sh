#!/usr/bin/env bash
# bench/boot/run.sh: wall time of booting the compute-bound kernel boot_bench.elf
# to its verdict, whole process, under hvsim and under QEMU TCG; prints the
# medians and the ratio hvsim/QEMU (target <= 1.0).
# usage: bench/boot/run.sh BUILD_DIR [RUNS]   (RUNS defaults to 5)
# BENCH_KERNEL=boot_bench_2m runs the same work over 2 MiB pages.
# Runs are timed with date +%s.%N around each whole process, interleaved.
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

# one_run CMD...: wall seconds of one whole-process run.
one_run() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 </dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | awk '{ printf "%.4f", $1 - $3 }'
}

# The four commands take turns, run after run, so a machine whose load drifts
# slows them alike and the ratio of the medians stays fair.
echo "boot benchmark: $kernel, $runs runs each, interleaved"
th=() tq=() ts=() tc=()
for _ in $(seq "$runs"); do
    th+=("$(one_run "${hvsim_cmd[@]}")")
    tq+=("$(one_run "${qemu_cmd[@]}")")
    # The same hvsim with its fast-store path off (cpu/uc_tlb.c): what that path gains.
    ts+=("$(one_run env HVSIM_SLOW_STORES=1 "${hvsim_cmd[@]}")")
    # And with Unicorn's exit check after every load and store kept (cpu/uc_stop.c).
    tc+=("$(one_run env HVSIM_UC_EXIT_CHECKS=1 "${hvsim_cmd[@]}")")
done
t_hvsim=$(median "${th[@]}")
t_qemu=$(median "${tq[@]}")
t_slow=$(median "${ts[@]}")
t_checks=$(median "${tc[@]}")
awk -v h="$t_hvsim" -v q="$t_qemu" -v s="$t_slow" -v c="$t_checks" 'BEGIN {
    printf "  hvsim boot          median %.3f s\n", h
    printf "  hvsim, slow stores  median %.3f s (HVSIM_SLOW_STORES=1: fast stores gain %.2fx)\n", s, s / h
    printf "  hvsim, exit checks  median %.3f s (HVSIM_UC_EXIT_CHECKS=1: leaving them out gains %.2fx)\n", c, c / h
    printf "  qemu-system-x86_64  median %.3f s (-accel tcg)\n", q
    r = h / q
    printf "  ratio hvsim/qemu    %.2f (target <= 1.0: %s)\n", r, r <= 1.0 ? "met" : "NOT met"
}'
