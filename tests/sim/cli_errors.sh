#!/usr/bin/env bash
# cli_errors.sh: `hvsim boot` command-line and input errors exit 2 with a clear
# message; a triple fault exits 3 naming the vector and RIP; the virtual-time
# limit exits 4 (ARCHITECTURE.md, "The command line").
# usage: cli_errors.sh HVSIM SPIN_KERNEL TRIPLE_KERNEL
set -u
hvsim=$1 spin=$2 triple=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

# expect STATUS SUBSTRING -- ARGS...: run hvsim ARGS, check status and output.
expect() {
    local want=$1 text=$2
    shift 3
    checks=$((checks + 1))
    timeout 60 "$hvsim" "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: hvsim $* exited $got, expected $want"; sed 's/^/  | /' "$tmp/out" | head -5
        fails=$((fails + 1))
    elif ! grep -qF -- "$text" "$tmp/out"; then
        echo "FAIL: hvsim $* did not say '$text'"; sed 's/^/  | /' "$tmp/out" | head -5
        fails=$((fails + 1))
    else
        echo "ok   hvsim $* -> $got, '$text'"
    fi
}

printf 'just some text, not a kernel\n' >"$tmp/notes.txt"
head -c 100 /dev/urandom >"$tmp/garbage.bin"
head -c 3145728 /dev/zero >"$tmp/big.mod"

expect 2 "usage: hvsim boot"              --
expect 2 "boot needs exactly one KERNEL" -- boot
expect 2 "unrecognized option"           -- boot --bogus "$spin"
expect 2 "usage: hvsim boot"             -- boot --bogus "$spin"
expect 2 "unknown command 'frobnicate'"  -- frobnicate
expect 2 "$tmp/missing.elf: cannot open" -- boot "$tmp/missing.elf"
expect 2 "$tmp/notes.txt: no multiboot header" -- boot "$tmp/notes.txt"
expect 2 "$tmp/garbage.bin: no multiboot header" -- boot "$tmp/garbage.bin"
# An ELF without a multiboot header: hvsim itself.
expect 2 "$hvsim: no multiboot header"   -- boot "$hvsim"
expect 2 "--mem 1: expected 2 to 3072 MiB" -- boot --mem 1 "$spin"
expect 2 "$tmp/big.mod: module"         -- boot --mem 2 --module "$tmp/big.mod" "$spin"
expect 2 "--mem gives 2 MiB"             -- boot --mem 2 --module "$tmp/big.mod" "$spin"
expect 2 "--mem: expected a number, got 'lots'" -- boot --mem lots "$spin"
expect 2 "--max-time 'soon': expected a virtual time" -- boot --max-time soon "$spin"
expect 2 "--max-time '10 parsecs'"       -- boot --max-time "10 parsecs" "$spin"
expect 2 "$tmp/nomod: cannot open"       -- boot --module "$tmp/nomod" "$spin"
expect 2 "exactly one KERNEL"            -- boot "$spin" "$triple"
expect 2 "does not go with --console-input" -- boot "$spin" --interactive --console-input "$tmp/notes.txt"
expect 0 "usage: hvsim boot"             -- --help
expect 3 "triple fault"                  -- boot "$triple"
expect 3 "last fault vector 13 at RIP 0x" -- boot "$triple"
expect 4 "virtual-time limit reached"    -- boot --max-time 20ms "$spin"

echo "cli_errors: $((checks - fails)) of $checks checks passed"
[ "$fails" -eq 0 ]
