#!/usr/bin/env bash
# tools/stack/mkinitrd.sh: builds the stack test's initramfs, a cpio "newc" archive
# holding a static busybox and an /init that mounts proc and sys, prints a marker
# line, `uname -a` and the /proc/cpuinfo flags line, and powers the machine off.
#
# usage: tools/stack/mkinitrd.sh BUSYBOX OUT.cpio
#
# The archive is written by this script itself (newc headers are ASCII hex; bash's
# printf writes them), so no cpio tool is needed, and its bytes depend only on the
# busybox binary and this script: entries in a fixed sorted order, every mtime 0,
# owner root:root, inode numbers counted from 1 (a test builds it twice and compares).
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 BUSYBOX OUT.cpio" >&2
    exit 2
fi
busybox=$1
out=$2
[ -f "$busybox" ] || { echo "mkinitrd: $busybox: no such file" >&2; exit 1; }

# The markers the end-to-end test and the benchmark look for (tests/stack/xen_boot.sh).
init_script='#!/bin/busybox sh
# /init of the hvsim stack test (tools/stack/mkinitrd.sh): report, then power off.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
echo "STACK-INIT: /init is running"
/bin/busybox uname -a
/bin/busybox grep -m1 "^flags" /proc/cpuinfo
echo "STACK-INIT: powering off"
/bin/busybox poweroff -f
'

ino=0
# entry NAME MODE SIZE RDEVMAJOR RDEVMINOR: one newc header and the padded name.
entry() {
    local name=$1 mode=$2 size=$3 rmaj=$4 rmin=$5 nlink=1 namesize pad
    ino=$((ino + 1))
    [ $((mode & 0170000)) -eq $((0040000)) ] && nlink=2
    namesize=$(( ${#name} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$ino" "$mode" 0 0 "$nlink" 0 "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0
    printf '%s\0' "$name"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
}
# data FILE SIZE: the file's bytes padded to four.
data() {
    cat "$1"
    head -c $(( (4 - $2 % 4) % 4 )) /dev/zero
}

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp" "$tmp.init"' EXIT
printf '%s' "$init_script" >"$tmp.init"
bb_size=$(stat -L -c %s "$busybox")
init_size=$(stat -c %s "$tmp.init")
{
    # Sorted by name; a parent before its children.
    entry bin 040755 0 0 0
    entry bin/busybox 0100755 "$bb_size" 0 0
    data "$busybox" "$bb_size"
    entry dev 040755 0 0 0
    entry dev/console 020600 0 5 1        # the kernel opens it for /init's stdio
    entry init 0100755 "$init_size" 0 0
    data "$tmp.init" "$init_size"
    entry proc 040755 0 0 0
    entry sys 040755 0 0 0
    entry TRAILER!!! 0 0 0 0
} >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
rm -f "$tmp.init"
