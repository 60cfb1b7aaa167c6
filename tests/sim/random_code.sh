#!/usr/bin/env bash
# random_code.sh: a misbehaving guest never crashes hvsim. Boots kernels made of
# random bytes (a valid multiboot a.out header, then 4 KiB of noise run in ring 0
# at 1 MiB) for a few milliseconds each: whatever the code does (wild jumps,
# fetches from nothing, unbacked memory, privileged instructions, faults), hvsim
# must end with one of its architectural statuses, never an internal error or a
# signal. The seeds are fixed, so the test is deterministic.
# usage: random_code.sh HVSIM [COUNT]
set -u
hvsim=$1 count=${2:-60}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
for seed in $(seq 1 "$count"); do
    python3 - "$seed" "$d/k.bin" <<'PY'
import random, struct, sys
random.seed(int(sys.argv[1]))
load, flags, magic = 0x100000, 0x00010000, 0x1BADB002
hdr = struct.pack('<IIIIIIII', magic, flags, (-(magic + flags)) & 0xffffffff, load, load, 0, load + 0x20000, load + 48)
open(sys.argv[2], 'wb').write(hdr + bytes(48 - len(hdr)) + bytes(random.getrandbits(8) for _ in range(4096)))
PY
    timeout 60 "$hvsim" boot "$d/k.bin" --max-time 5ms >/dev/null 2>"$d/err"
    rc=$?
    case $rc in
        0|3|4) ;;                                  # power-off, triple fault, time limit
        *) [ $((rc & 1)) -eq 1 ] && [ $rc -lt 124 ] && [ $rc -ne 1 ] && continue   # debug exit (v<<1)|1
           echo "random_code: seed $seed: hvsim exited $rc: $(grep -v 'reads all-ones' "$d/err" | tail -2)" >&2
           fail=1 ;;
    esac
done
[ $fail -eq 0 ] && echo "random_code: $count random kernels, hvsim survived every one"
exit $fail
