#!/usr/bin/env bash
# bench/stack/demo.sh: host seconds from the start of the demo (scenarios/demo.lua,
# what `make demo` runs after its build) to the PV DomU's first console line, cold
# (no snapshot: Xen and Domain-0 boot first) and warm (from the snapshot of
# Domain-0's prompt), beside QEMU TCG booting the same Xen, kernel and Domain-0
# initramfs and typed the same commands (bench/stack/drive.py; QEMU has no VT-x
# for the PVH DomU, and no snapshot: it always boots cold). Medians and ratios.
# usage: bench/stack/demo.sh BUILD_DIR [RUNS]   (RUNS defaults to 3; sides take turns)
set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [RUNS]" >&2; exit 2; }
build=$(cd "$1" && pwd)
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=$project/cache/stack
"$project/tools/stack/images.sh" || { echo "bench/stack/demo: tools/stack/images.sh failed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gzip -dc "$cache/xen-4.17-amd64.gz" >"$work/xen.elf" || exit 1
cd "$project"

# mark FILE NAME: the seconds drive.py reported for NAME.
mark() { awk -v n="$2" '$1 == "MARK" && $2 == n { print $3 }' "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for i in $(seq 1 "$runs"); do
    rm -f "$cache"/snapshots/dom0-*.hvsnap
    for kind in cold warm; do
        "$here/drive.py" --no-input -- timeout 1800 stdbuf -o0 "$build/hvsim" run scenarios/demo.lua \
            --out "$work/out" --console >"$work/hvsim-$kind.$i" || { echo "bench/stack/demo: hvsim $kind run $i failed" >&2; exit 1; }
        echo "hvsim $kind $i: $(mark "$work/hvsim-$kind.$i" domu_first_line) s to the DomU's first line"
    done
    "$here/drive.py" -- timeout 900 qemu-system-x86_64 -accel tcg -cpu max,-smap -m 2048 -nographic -no-reboot \
        -kernel "$work/xen.elf" -append "console=com1 dom0_mem=512M" \
        -initrd "$cache/vmlinuz console=hvc0,$cache/dom0.cpio" >"$work/qemu.$i" ||
        { echo "bench/stack/demo: the QEMU run $i failed" >&2; exit 1; }
    echo "qemu $i: $(mark "$work/qemu.$i" domu_first_line) s to the DomU's first line"
done
cold=$(for i in $(seq 1 "$runs"); do mark "$work/hvsim-cold.$i" domu_first_line; done | median)
warm=$(for i in $(seq 1 "$runs"); do mark "$work/hvsim-warm.$i" domu_first_line; done | median)
qemu=$(for i in $(seq 1 "$runs"); do mark "$work/qemu.$i" domu_first_line; done | median)
echo "bench/stack/demo: to the PV DomU's first console line, medians of $runs:"
echo "  hvsim cold ${cold} s, hvsim warm ${warm} s (target 20 s), QEMU TCG cold ${qemu} s"
awk -v c="$cold" -v w="$warm" -v q="$qemu" 'BEGIN { printf "  ratios: cold hvsim/QEMU %.2f, warm hvsim/QEMU %.2f\n", c / q, w / q }'
