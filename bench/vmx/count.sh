#!/usr/bin/env bash
# bench/vmx/count.sh: host instructions per VM exit round trip, counted by
# valgrind's callgrind (repeatable to the instruction, unlike wall time on a
# shared machine): vmx_cpuid_loop with n CPUID exits minus the same boot with
# none, divided by n.
# usage: bench/vmx/count.sh BUILD_DIR [N]   (N defaults to 20000)
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [N]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
n=${2:-20000}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench/vmx/count.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
fi
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$build/hvsim" boot \
        "$build/kernels/vmx_cpuid_loop.elf" --cmdline "n=$1 mode=vmx" 2>&1 >/dev/null |
        awk '/Collected/ { print $4 }'
}
with=$(count "$n")
without=$(count 0)
if [ -z "$with" ] || [ -z "$without" ]; then
    echo "bench/vmx/count.sh: callgrind printed no totals" >&2
    exit 1
fi
echo "vmx count: $n CPUID exits, callgrind"
echo "  host instructions per exit round trip   $(( (with - without) / n ))"
