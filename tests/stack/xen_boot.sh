#!/usr/bin/env bash
# tests/stack/xen_boot.sh: the real stack end to end. Debian 12's Xen 4.17 boots on
# hvsim with Linux 6.1 as Domain-0 and a busybox initramfs whose /init reports and
# powers the machine off through Xen's ACPI S5; the boot is deterministic and replays.
#
# usage: xen_boot.sh HVSIM [OUTDIR]     (OUTDIR keeps the consoles; default ./xen_boot.out)
# Steps: tools/stack/fetch.sh (once; cached in cache/stack), tools/stack/mkinitrd.sh
# twice (the bytes must match), then three runs of
#   hvsim boot xen-4.17-amd64.gz --cmdline "console=com1 dom0_mem=512M"
#         --module vmlinuz=console=hvc0 --module initrd.cpio --mem 1024
# (1024 MiB as QEMU's run in bench/stack: with hvsim's default 128 MiB Xen panics
# "Domain 0 allocation is too small for kernel image", since dom0_mem=512M asks for more);
# 1: plain; each console must show the lines in `expected` below, exit status 0,
#    and no "hvsim: warning" on stderr;
# 2: the same under --record: the same console bytes and final virtual time as 1
#    (so recording changes nothing, and two runs agree);
# 3: `hvsim replay` of run 2's log: exit status 0 and run 2's console bytes.
# Exit status: 0 pass, 1 fail, 77 skipped (only when the images are not cached and
# the Debian archive cannot be reached; fetch.sh says so with its status 75).
# Environment: HVSIM_STACK_MAX_TIME (virtual time limit per boot, default 1200s),
# HVSIM_STACK_WALL (host seconds per boot before it is killed, default 600),
# HVSIM_STACK_QUIET_WALL (host seconds a boot may print nothing, default 120).
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 HVSIM [OUTDIR]" >&2
    exit 2
fi
hvsim=$1
out=${2:-$PWD/xen_boot.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
max_time=${HVSIM_STACK_MAX_TIME:-1200s}
wall=${HVSIM_STACK_WALL:-600}
quiet_wall=${HVSIM_STACK_QUIET_WALL:-120}
vtime_pattern='(virtual time |t=)[0-9]+\.[0-9]+ s'

fail() { echo "xen_boot: FAIL: $*" >&2; exit 1; }

# 1. The images: fetched once, then from the cache (offline).
"$project/tools/stack/fetch.sh" --cache "$cache" --quiet
status=$?
if [ $status -eq 75 ]; then
    echo "xen_boot: SKIP: the stack's images are not cached and the Debian archive cannot be reached" >&2
    exit 77
fi
[ $status -eq 0 ] || fail "tools/stack/fetch.sh exited with status $status"

# 2. The initramfs, built twice: a deterministic build gives the same bytes.
rm -rf "$out"
mkdir -p "$out"
"$project/tools/stack/mkinitrd.sh" "$cache/busybox" "$out/initrd.cpio" || fail "mkinitrd.sh failed"
"$project/tools/stack/mkinitrd.sh" "$cache/busybox" "$out/initrd2.cpio" || fail "mkinitrd.sh failed"
cmp "$out/initrd.cpio" "$out/initrd2.cpio" >&2 || fail "two builds of the initramfs differ"
rm -f "$out/initrd2.cpio"

# What the console must show, in boot order: a description, then an extended regex.
expected=(
    "Xen's banner"                  '\(XEN\) Xen version 4\.17'
    "Xen built Domain-0"            'Dom0 has maximum'
    "Linux's banner"                'Linux version 6\.1\.0-[0-9]+-amd64'
    "/init's marker"                'STACK-INIT: /init is running'
    "uname -a from /init"           '^Linux .* 6\.1\.0-[0-9]+-amd64 .*x86_64'
    "the cpuinfo flags from /init"  'flags[[:space:]]*: .*fpu'
    "/init's power-off marker"      'STACK-INIT: powering off'
    "Xen's ACPI S5 power-off"       '\(XEN\) Entering ACPI S5 state'
)

# boot NAME [HVSIM-ARGS...]: one boot; NAME.console, NAME.stderr, NAME.status.
# A watchdog on host time ends a boot that prints nothing for $quiet_wall s (Xen's
# banner comes within a second of virtual time; a silent hvsim is stuck before it)
# or that runs longer than $wall s; its status is then "silent" or "wall". hvsim's
# stdout is unbuffered (stdbuf) so the console file shows what was printed so far.
boot() {
    local name=$1
    shift
    local start=$SECONDS pid why=""
    stdbuf -o0 "$hvsim" boot "$cache/xen-4.17-amd64.gz" --cmdline "console=com1 dom0_mem=512M" \
        --module "$cache/vmlinuz=console=hvc0" --module "$out/initrd.cpio" --mem 1024 --max-time "$max_time" "$@" \
        >"$out/$name.console" 2>"$out/$name.stderr" </dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if [ ! -s "$out/$name.console" ] && [ $((SECONDS - start)) -ge "$quiet_wall" ]; then why=silent; fi
        if [ $((SECONDS - start)) -ge "$wall" ]; then why=wall; fi
        if [ -n "$why" ]; then kill "$pid" 2>/dev/null; break; fi
    done
    wait "$pid"
    local status=$?
    [ -n "$why" ] && status=$why
    echo "$status" >"$out/$name.status"
    echo "xen_boot: $name: status $status after $((SECONDS - start)) s;" \
         "$(grep -E -o -- "$vtime_pattern" "$out/$name.stderr" | tail -1)"
}

# check NAME: the run's console, status and stderr against what is expected;
# on failure it names every missing line and shows the console's tail.
check() {
    local name=$1 ok=1 i status
    for ((i = 0; i < ${#expected[@]}; i += 2)); do
        if ! tr -d '\r' <"$out/$name.console" | grep -E -q -- "${expected[i + 1]}"; then
            echo "xen_boot: $name: missing ${expected[i]}: no console line matches '${expected[i + 1]}'" >&2
            ok=0
        fi
    done
    status=$(cat "$out/$name.status")
    if [ "$status" != 0 ]; then
        case "$status" in
            silent) echo "xen_boot: $name: killed: no console output in $quiet_wall s of host time (HVSIM_STACK_QUIET_WALL)" >&2 ;;
            wall) echo "xen_boot: $name: killed after $wall s of host time (HVSIM_STACK_WALL)" >&2 ;;
            3) echo "xen_boot: $name: exit status 3, a triple fault (expected 0, ACPI power-off)" >&2 ;;
            4) echo "xen_boot: $name: exit status 4, the virtual-time limit $max_time reached or the CPU hung (expected 0)" >&2 ;;
            *) echo "xen_boot: $name: exit status $status (expected 0, ACPI power-off)" >&2 ;;
        esac
        ok=0
    fi
    if grep -q 'hvsim: warning' "$out/$name.stderr"; then
        echo "xen_boot: $name: hvsim warned ($(grep -c 'hvsim: warning' "$out/$name.stderr") lines); the first:" >&2
        grep 'hvsim: warning' "$out/$name.stderr" | head -5 | sed 's/^/    /' >&2
        ok=0
    fi
    if [ $ok -eq 0 ]; then
        echo "xen_boot: $name: hvsim's last stderr line: $(grep -v 'hvsim: warning' "$out/$name.stderr" | tail -1)" >&2
        echo "xen_boot: $name: the console's last 25 lines ($(wc -c <"$out/$name.console") bytes; all in $out/$name.console):" >&2
        tail -n 25 "$out/$name.console" | tr -d '\r' | cut -c1-200 | sed 's/^/    | /' >&2
        return 1
    fi
}

boot run1
check run1 || fail "run 1 did not boot the stack to power-off"
boot run2 --record "$out/run2.hvrec"
check run2 || fail "run 2 (--record) did not boot the stack to power-off"
cmp "$out/run1.console" "$out/run2.console" >&2 ||
    fail "the console bytes of run 1 and run 2 (--record) differ: diff $out/run1.console $out/run2.console"
vt1=$(grep -E -o -- "$vtime_pattern" "$out/run1.stderr" | tail -1)
vt2=$(grep -E -o -- "$vtime_pattern" "$out/run2.stderr" | tail -1)
[ -n "$vt1" ] || fail "run 1 printed no final virtual time on stderr"
[ "$vt1" = "$vt2" ] || fail "the final virtual time differs: run 1 $vt1, run 2 $vt2"

start=$SECONDS
timeout "$wall" "$hvsim" replay "$out/run2.hvrec" >"$out/replay.console" 2>"$out/replay.stderr" </dev/null
status=$?
echo "xen_boot: replay: status $status after $((SECONDS - start)) s"
if [ $status -ne 0 ]; then
    tail -5 "$out/replay.stderr" | sed 's/^/    /' >&2
    fail "hvsim replay of run 2 exited with status $status (0 means it matched the record)"
fi
cmp "$out/run2.console" "$out/replay.console" >&2 || fail "the replay's console differs from run 2's"
echo "xen_boot: PASS: Xen 4.17, Domain-0 Linux 6.1 and /init to ACPI S5; $(wc -c <"$out/run1.console") console bytes" \
     "identical in two runs and the replay; $vt1"
