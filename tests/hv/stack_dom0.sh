#!/usr/bin/env bash
# stack_dom0.sh: awareness on the real stack (label "stack"). Debian's Xen 4.17
# boots Linux 6.1 as Domain-0 with the busybox initramfs (as tests/stack/
# xen_boot.sh) under `hvsim boot --hv --trace`: the image is recognised as Xen
# 4.17 with its Debian version; Domain-0 is the one PV domain seen (every Dom0
# process's page tables carry the same per-domain slot), with non-zero counts of
# the hypercalls a PV Linux cannot boot without (mmu_update, mmuext_op, multicall,
# update_va_mapping, vcpu_op, iret, console_io, event_channel_op) and traps (#GP,
# #PF) charged to it in the trace as in the summary; the report of
# the trace agrees with the summary; and the run's console and end are those of
# the same boot without awareness.
# usage: stack_dom0.sh HVSIM [OUTDIR]. Exit 0 pass, 1 fail, 77 images not cached.
set -u
hvsim=$1
out=${2:-$PWD/stack_dom0.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
fail() { echo "stack_dom0: FAIL: $*" >&2; exit 1; }

"$project/tools/stack/fetch.sh" --cache "$cache" --quiet
status=$?
[ $status -eq 75 ] && { echo "stack_dom0: SKIP: the stack's images are not cached" >&2; exit 77; }
[ $status -eq 0 ] || fail "tools/stack/fetch.sh exited with status $status"
rm -rf "$out"
mkdir -p "$out"
"$project/tools/stack/mkinitrd.sh" "$cache/busybox" "$out/initrd.cpio" || fail "mkinitrd.sh failed"

boot() { # boot OUTPREFIX [ARGS...]
    local p=$1
    shift
    timeout 900 "$hvsim" boot "$cache/xen-4.17-amd64.gz" --cmdline "console=com1 dom0_mem=512M" \
        --module "$cache/vmlinuz=console=hvc0" --module "$out/initrd.cpio" --mem 1024 --max-time 60s \
        "$@" >"$p.out" 2>"$p.err"
    echo $? >"$p.status"
}
boot "$out/hv" --hv --trace "$out/hv.hvtrace"
[ "$(cat "$out/hv.status")" = 0 ] || fail "the boot with --hv ended with status $(cat "$out/hv.status")"
grep -q 'hvsim: hv: .*: Xen 4\.17\.[0-9].*deb12' "$out/hv.err" || fail "Xen 4.17 not recognised"
grep -q '^hv: Xen .*: 1 domain(s) seen' "$out/hv.err" || fail "not exactly one domain seen: $(grep '^hv: Xen' "$out/hv.err")"
for name in mmu_update mmuext_op multicall update_va_mapping vcpu_op iret console_io event_channel_op; do
    n=$(awk -v n="$name" '$1 == "hv:" && $2 == n { print $4 }' "$out/hv.err")
    [ -n "$n" ] && [ "$n" -gt 0 ] || fail "Domain-0 made no $name hypercall"
    r=$("$hvsim" report "$out/hv.hvtrace" | awk -v n="$name" '/^Hypercalls by domain/ { on = 1 }
        on && $2 == "Xen:dom0" && $4 == n { print $5 }')
    [ "$r" = "$n" ] || fail "$name: the summary says $n, the report of the trace '$r'"
done
# Domain-0's traps (a PV kernel's #GP on privileged instructions, #PF, ...):
# charged to it in the trace as in the summary.
for v in 13 14; do
    n=$(awk -v v="$v" '$1 == "hv:" && $2 == "trap" && $4 == v { print $5 }' "$out/hv.err")
    [ -n "$n" ] && [ "$n" -gt 0 ] || fail "Domain-0 took no trap of vector $v"
    r=$("$hvsim" report "$out/hv.hvtrace" | awk -v v="$v" '/^Exceptions by domain/ { on = 1 }
        on && $2 == "Xen:dom0" && $3 == v { print $5 }')
    [ "$r" = "$n" ] || fail "trap $v: the summary says $n, the report's exceptions by domain '$r'"
done
boot "$out/plain"
cmp -s "$out/hv.out" "$out/plain.out" || fail "the console differs without awareness"
e0=$(grep -E 'virtual time' "$out/plain.err") e1=$(grep -E 'virtual time' "$out/hv.err")
[ "$e0" = "$e1" ] || fail "the end differs: '$e0' without, '$e1' with awareness"
grep '^hv: ' "$out/hv.err"
echo "stack_dom0: PASS ($e1)"
