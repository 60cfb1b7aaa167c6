#!/usr/bin/env bash
# bench/stack/run.sh: wall time of booting the real stack (Debian's Xen 4.17, Linux
# 6.1 as Domain-0, the busybox initramfs of tools/stack/mkinitrd.sh) to /init and to
# Xen's ACPI S5 power-off, under hvsim and under QEMU TCG; prints the medians and
# the ratios hvsim/QEMU.
# usage: bench/stack/run.sh BUILD_DIR [RUNS]   (RUNS defaults to 3)
# BENCH_SIDES="hvsim qemu" (default) or one of them alone; BENCH_STACK_MEM (MiB,
# default 1024) is the RAM of both machines.
# The two commands take turns, run after run. Each run is timed with bash's
# EPOCHREALTIME: from the start of the process to the console line of /init's
# marker (each line is stamped as it arrives; hvsim's stdout is unbuffered with
# stdbuf, QEMU writes its serial port unbuffered) and to the process's exit. A run
# counts only if its console shows /init's output and Xen's S5 line and it exits 0.
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [RUNS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-3}
sides=${BENCH_SIDES:-hvsim qemu}
mem=${BENCH_STACK_MEM:-1024}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
hvsim=$build/hvsim
qemu=${QEMU:-qemu-system-x86_64}
xen_cmdline="console=com1 dom0_mem=512M"
init_marker="STACK-INIT: /init is running"
off_marker="(XEN) Entering ACPI S5 state"

"$project/tools/stack/fetch.sh" --cache "$cache" --quiet
status=$?
if [ $status -eq 75 ]; then
    echo "bench/stack: skipped: the stack's images are not cached and the Debian archive cannot be reached"
    exit 0
fi
[ $status -eq 0 ] || { echo "bench/stack: tools/stack/fetch.sh failed ($status)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$project/tools/stack/mkinitrd.sh" "$cache/busybox" "$work/initrd.cpio" || exit 1
# QEMU's multiboot loader takes an ELF, not a gzip file; hvsim takes either.
gzip -dc "$cache/xen-4.17-amd64.gz" >"$work/xen.elf" || exit 1

hvsim_cmd=(timeout 1800 stdbuf -o0 "$hvsim" boot "$cache/xen-4.17-amd64.gz" --cmdline "$xen_cmdline"
           --module "$cache/vmlinuz=console=hvc0" --module "$work/initrd.cpio" --mem "$mem" --max-time 1200s)
# QEMU 7.2's multiboot -initrd: modules separated by commas, each "FILE ARGS";
# the module string is the whole of it, as GRUB passes it (Xen drops the file name).
# Plain -cpu max crashes Domain-0 in Xen on QEMU 7.2; -smap avoids it.
qemu_cmd=(timeout 600 "$qemu" -accel tcg -cpu max,-smap -m "$mem" -nographic -no-reboot
          -kernel "$work/xen.elf" -append "$xen_cmdline"
          -initrd "$cache/vmlinuz console=hvc0,$work/initrd.cpio")
if [[ " $sides " == *" hvsim "* ]] && [ ! -x "$hvsim" ]; then
    echo "bench/stack: $hvsim is missing; build first (make build)" >&2
    exit 1
fi

# one_run NAME N CMD...: one timed boot; prints "SECONDS_TO_INIT SECONDS_TO_EXIT",
# or fails naming what was missing (the console is kept in $work/NAME.N.console).
one_run() {
    local name=$1 n=$2
    shift 2
    local log=$work/$name.$n.console start t_init="" line status
    start=$EPOCHREALTIME
    { "$@" </dev/null 2>"$work/$name.$n.stderr"; echo $? >"$work/$name.$n.status"; } |
        while IFS= read -r line; do
            [ -z "$t_init" ] && [[ $line == *"$init_marker"* ]] && { t_init=$EPOCHREALTIME; echo "$t_init" >"$work/$name.$n.tinit"; }
            printf '%s\n' "$line"
        done >"$log"
    local end=$EPOCHREALTIME
    status=$(cat "$work/$name.$n.status")
    if [ "$status" != 0 ] || [ ! -f "$work/$name.$n.tinit" ] || ! grep -q -F "$off_marker" "$log"; then
        {
            echo "bench/stack: $name run $n did not boot to power-off: exit status $status;" \
                 "/init $( [ -f "$work/$name.$n.tinit" ] && echo reached || echo 'not reached');" \
                 "S5 line $(grep -q -F "$off_marker" "$log" && echo seen || echo 'not seen')"
            tail -n 2 "$work/$name.$n.stderr" | sed 's/^/    stderr: /'
            tail -n 8 "$log" | tr -d '\r' | cut -c1-160 | sed 's/^/    console: /'
        } >&2
        return 1
    fi
    awk -v s="$start" -v i="$(cat "$work/$name.$n.tinit")" -v e="$end" 'BEGIN { printf "%.3f %.3f", i - s, e - s }'
}

# median SECONDS...: the middle value (mean of the two middle ones if even).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "stack benchmark: Xen 4.17 + Domain-0 Linux 6.1 + /init to ACPI S5, ${mem} MiB, $runs runs each, interleaved"
hi=() ho=() qi=() qo=()
failed=0
for n in $(seq "$runs"); do
    for side in $sides; do
        if [ "$side" = hvsim ]; then r=$(one_run hvsim "$n" "${hvsim_cmd[@]}") || { failed=1; break 2; }
        else r=$(one_run qemu "$n" "${qemu_cmd[@]}") || { failed=1; break 2; }; fi
        set -- $r
        echo "  run $n $side: /init at $1 s, power-off at $2 s"
        if [ "$side" = hvsim ]; then hi+=("$1"); ho+=("$2"); else qi+=("$1"); qo+=("$2"); fi
    done
done
[ $failed -eq 0 ] || exit 1
if [ ${#hi[@]} -gt 0 ]; then
    printf '  hvsim               median %.3f s to /init, %.3f s to power-off\n' "$(median "${hi[@]}")" "$(median "${ho[@]}")"
fi
if [ ${#qi[@]} -gt 0 ]; then
    printf '  qemu-system-x86_64  median %.3f s to /init, %.3f s to power-off (-accel tcg -cpu max,-smap)\n' \
        "$(median "${qi[@]}")" "$(median "${qo[@]}")"
fi
if [ ${#hi[@]} -gt 0 ] && [ ${#qi[@]} -gt 0 ]; then
    awk -v hi="$(median "${hi[@]}")" -v ho="$(median "${ho[@]}")" -v qi="$(median "${qi[@]}")" -v qo="$(median "${qo[@]}")" \
        'BEGIN { printf "  ratio hvsim/qemu    %.2f to /init, %.2f to power-off\n", hi / qi, ho / qo }'
fi
