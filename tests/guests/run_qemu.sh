#!/usr/bin/env bash
# run_qemu.sh: boot every test kernel (or the named ones) under QEMU, the
# reference, and check the exit status listed in kernels.txt.
# usage: tests/guests/run_qemu.sh BUILD_DIR [NAME...]
# Kernels get "tcg-quirks" on their command line: they then tolerate the few
# documented ways QEMU 7.2's TCG differs from hardware (README.md).
# A QEMU status of "-" in kernels.txt means QEMU cannot run the kernel (the
# VT-x test hypervisors: TCG has no VMX); it is skipped and says so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [NAME...]" >&2
    exit 2
fi
kernels=$1/kernels
shift
qemu=${QEMU:-qemu-system-x86_64}
failed=0 ran=0 skipped=0

while read -r name bits _ _ qemu_status _; do
    case $name in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
        continue
    fi
    if [ "$qemu_status" = "-" ]; then
        echo "skip $name ($bits-bit): QEMU cannot run it (QEMU status \"-\" in kernels.txt)"
        skipped=$((skipped + 1))
        continue
    fi
    log=$(mktemp)
    timeout 120 "$qemu" -accel tcg -kernel "$kernels/$name.elf" -append tcg-quirks \
        -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -no-reboot -m 128 >"$log" 2>&1 </dev/null
    status=$?
    ran=$((ran + 1))
    if [ "$status" -eq "$qemu_status" ]; then
        echo "ok   $name ($bits-bit): status $status"
    else
        echo "FAIL $name ($bits-bit): status $status, expected $qemu_status"
        sed 's/^/     | /' "$log"
        failed=$((failed + 1))
    fi
    rm -f "$log"
done <"$here/kernels.txt"

echo "$ran kernels under QEMU, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((ran + skipped)) -gt 0 ]
