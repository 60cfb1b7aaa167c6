#!/usr/bin/env bash
# bench/hv/run.sh: the cost of hypervisor awareness and the event trace together
# (docs/hv.md; issue 15: <= 15%). Boots Debian's Xen with Linux 6.1 as Domain-0 to
# its busybox /init and S5 (10 s of virtual time, ~85,000 hypercalls) with
# neither, then with `--hv --trace`, interleaved RUNS times each; prints each
# run's wall and CPU (user+sys) seconds, the medians and the ratios. CPU time is
# the steadier figure on a loaded host. One real-stack boot at a time.
# usage: bench/hv/run.sh BUILD_DIR [RUNS]   (RUNS defaults to 3)
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [RUNS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
hvsim=$build/hvsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$hvsim" "$cache/xen-4.17-amd64.gz" "$cache/vmlinuz" "$cache/busybox"; do
    [ -e "$f" ] || { echo "bench/hv: $f is missing (build, then tools/stack/fetch.sh)" >&2; exit 1; }
done
"$project/tools/stack/mkinitrd.sh" "$cache/busybox" "$tmp/initrd.cpio" || exit 1

boot() { # boot KIND [ARGS...] -> "wall cpu" on stdout
    local kind=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$hvsim" boot "$cache/xen-4.17-amd64.gz" \
        --cmdline "console=com1 dom0_mem=512M" --module "$cache/vmlinuz=console=hvc0" \
        --module "$tmp/initrd.cpio" --mem 1024 --max-time 60s --quiet "$@" >"$tmp/$kind.out" 2>"$tmp/$kind.err" ||
        { echo "bench/hv: the $kind boot failed" >&2; cat "$tmp/$kind.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" '{ printf "%.2f %.2f\n", b - a, $1 + $2 }' "$tmp/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$tmp/plain" ; : >"$tmp/hv"
for i in $(seq "$runs"); do
    r=$(boot plain) || exit 1
    echo "$r" >>"$tmp/plain"
    echo "run $i neither:      wall $(echo "$r" | cut -d' ' -f1) s, cpu $(echo "$r" | cut -d' ' -f2) s"
    r=$(boot hv --hv --trace "$tmp/t.hvtrace") || exit 1
    echo "$r" >>"$tmp/hv"
    echo "run $i --hv --trace: wall $(echo "$r" | cut -d' ' -f1) s, cpu $(echo "$r" | cut -d' ' -f2) s"
    cmp -s "$tmp/plain.out" "$tmp/hv.out" || { echo "bench/hv: the consoles differ" >&2; exit 1; }
done
pw=$(cut -d' ' -f1 "$tmp/plain" | median) pc=$(cut -d' ' -f2 "$tmp/plain" | median)
hw=$(cut -d' ' -f1 "$tmp/hv" | median) hc=$(cut -d' ' -f2 "$tmp/hv" | median)
echo "median neither:      wall $pw s, cpu $pc s"
echo "median --hv --trace: wall $hw s, cpu $hc s"
awk -v pw="$pw" -v hw="$hw" -v pc="$pc" -v hc="$hc" \
    'BEGIN { printf "overhead: wall %+.1f%%, cpu %+.1f%% (target <= 15%%)\n", (hw / pw - 1) * 100, (hc / pc - 1) * 100 }'
