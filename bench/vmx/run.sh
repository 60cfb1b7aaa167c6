#!/usr/bin/env bash
# bench/vmx/run.sh: host time per VT-x exit round trip. Boots vmx_cpuid_loop
# under hvsim (whole process, median of RUNS) with n CPUIDs and with n = 0,
# once with every CPUID exiting to a minimal root-mode handler (mode=vmx) and
# once natively (mode=native); prints
#   host ns per round trip = (t_vmx(n) - t_vmx(0)) / n      (target <= 1000 ns)
#   host ns per native CPUID = (t_native(n) - t_native(0)) / n, and their ratio.
# usage: bench/vmx/run.sh BUILD_DIR [N [RUNS]]   (N defaults to 1000000, RUNS to 5)
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [N [RUNS]]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
n=${2:-1000000}
runs=${3:-5}
kernel=$build/kernels/vmx_cpuid_loop.elf
hvsim=$build/hvsim
for f in "$kernel" "$hvsim"; do
    if [ ! -f "$f" ]; then
        echo "bench/vmx: $f is missing; build first (make build)" >&2
        exit 1
    fi
done

# run MODE N: one boot; fails unless the kernel's self-check passed (status 33).
run() {
    "$hvsim" boot "$kernel" --cmdline "n=$2 mode=$1" >/dev/null 2>&1 </dev/null
}
# median SECONDS...
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# time_runs MODE N: the median wall time of $runs boots, in seconds.
time_runs() {
    local times=() start end
    for _ in $(seq "$runs"); do
        start=$(date +%s.%N)
        run "$1" "$2"
        local status=$?
        end=$(date +%s.%N)
        if [ "$status" -ne 33 ]; then
            echo "bench/vmx: hvsim boot vmx_cpuid_loop n=$2 mode=$1 exited with status $status, expected 33" >&2
            exit 1
        fi
        times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }')")
    done
    median "${times[@]}"
}

echo "vmx benchmark: $kernel, n = $n CPUIDs, median of $runs whole-process runs each"
t_vmx_n=$(time_runs vmx "$n") || exit 1
t_vmx_0=$(time_runs vmx 0) || exit 1
t_nat_n=$(time_runs native "$n") || exit 1
t_nat_0=$(time_runs native 0) || exit 1
# The kernel's own view in virtual time (TSC cycles), for reference.
"$hvsim" boot "$kernel" --cmdline "n=$n mode=both" 2>/dev/null </dev/null | grep -E '^(vmx|native):' | sed 's/^/  kernel: /'
awk -v vn="$t_vmx_n" -v v0="$t_vmx_0" -v nn="$t_nat_n" -v n0="$t_nat_0" -v n="$n" 'BEGIN {
    printf "  hvsim boot, mode=vmx     n=%d: %.3f s, n=0: %.3f s\n", n, vn, v0
    printf "  hvsim boot, mode=native  n=%d: %.3f s, n=0: %.3f s\n", n, nn, n0
    rt = (vn - v0) / n * 1e9
    nat = (nn - n0) / n * 1e9
    printf "  host time per exit round trip   %.0f ns (target <= 1000 ns: %s)\n", rt, rt <= 1000 ? "met" : "NOT met"
    printf "  host time per native CPUID      %.1f ns\n", nat
    if (nat > 0)
        printf "  ratio round trip / native       %.1f\n", rt / nat
    else
        printf "  ratio round trip / native       n/a (the native loop is below the timer resolution)\n"
}'
