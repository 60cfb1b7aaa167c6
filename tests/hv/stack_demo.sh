#!/usr/bin/env bash
# stack_demo.sh: awareness on the demo scenario (label "stack"; after stack_demo,
# whose snapshot of Domain-0's prompt it uses when it exists for this build).
# Run 1 without --hv (cold when there is no snapshot: it saves one), run 2 with
# --hv from the snapshot. Run 2's DIR/xen/hv.txt names three domains by Xen's
# ids, which must be those xl list printed: dom0 (with the toolstack's domctl
# and sysctl hypercalls), dom<N> (the PV DomU 'linux': created, destroyed) and
# dom<M> (the PVH DomU 'pvh': hypercalls by VMCALL, VM exits; created, shut down
# with reason poweroff, destroyed), each with hypercalls; each DomU's
# console-dom<N>.log is what `xl console` showed of it (tests/hv/xlconsole.py);
# run 2's console is, byte for byte, the end of run 1's (awareness changes
# nothing); DIR/xen/console-dom0.log holds Domain-0's console_io output.
# usage: stack_demo.sh HVSIM [OUTDIR]. Exit 0 pass, 1 fail, 77 images not cached.
set -u
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/stack_demo.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
wall=${HVSIM_STACK_WALL:-900}
fail() { echo "stack_demo: FAIL: $*" >&2; exit 1; }

"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "stack_demo: SKIP: the stack's images are not cached" >&2; exit 77; }
[ $status -eq 0 ] || fail "tools/stack/images.sh exited with status $status"
rm -rf "$out"
mkdir -p "$out"
cd "$project"
run() { # run NAME [ARGS...]
    local name=$1
    shift
    timeout "$wall" "$hvsim" run scenarios/demo.lua --out "$out/$name" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"
    local st=$?
    [ $st -eq 0 ] || fail "the $name run exited with status $st: $(tail -20 "$out/$name.stderr")"
}
run plain
run hv --hv
grep -q "restored the snapshot" "$out/hv.stdout" || fail "the --hv run did not start from the snapshot"
h=$out/hv/xen/hv.txt
[ -s "$h" ] || fail "no $h"
grep -q '^hv: Xen 4\.17\..*: 3 domain(s) seen' "$h" || fail "not 3 domains: $(head -1 "$h")"
count() { # count DOMAIN NAME: that domain's count of hypercall NAME (0 if none)
    awk -v d="$1" -v n="$2" '$2 == "domain" { cur = $3 } cur == d && $2 == n { print $4; f = 1 } END { if (!f) print 0 }' "$h"
}
# The DomUs' ids as xl list printed them in the demo's summary.
pv=$(awk '$1 == "linux" && $2 == "id" { print $3 }' "$out/hv.stdout")
pvh=$(awk '$1 == "pvh" && $2 == "id" { print $3 }' "$out/hv.stdout")
[ -n "$pv" ] && [ -n "$pvh" ] || fail "no ids for linux and pvh in the demo's xl list"
for d in dom0 "dom$pv" "dom$pvh"; do
    n=$(awk -v d="$d" '$2 == "domain" && $3 == d { print $5 }' "$h")
    [ -n "$n" ] && [ "$n" -gt 0 ] || fail "domain $d made no hypercall"
done
grep -q "^hv: domain dom$pv (PV): " "$h" || fail "linux (id $pv) is not the PV domain dom$pv"
grep -q "^hv: domain dom$pvh (HVM): " "$h" || fail "pvh (id $pvh) is not the HVM domain dom$pvh"
[ "$(count dom0 domctl)" -gt 0 ] && [ "$(count dom0 sysctl)" -gt 0 ] || fail "Domain-0's toolstack made no domctl/sysctl"
[ "$(count "dom$pv" mmu_update)" -gt 0 ] || fail "the PV DomU made no mmu_update"
[ "$(count "dom$pvh" domctl)" -eq 0 ] && [ "$(count "dom$pv" domctl)" -eq 0 ] || fail "a DomU made domctl calls"
grep -Eq "^hv: domain dom$pvh \(HVM\): [0-9]+ hypercalls, [1-9][0-9]* VM exits" "$h" || fail "no VM exits for dom$pvh"
[ "$(awk -v d="dom$pvh" '$2 == "domain" && $3 == d { on = 1; next } $2 == "domain" { on = 0 } on && $2 == "exit" && $3 == "VMCALL" { print $5 }' "$h")" -gt 0 ] ||
    fail "dom$pvh has no VMCALL exits"
# Lifecycle: linux created, then destroyed by xl destroy (no shutdown); pvh
# created, shut down by xl shutdown (poweroff), then destroyed.
events() { # events DOMAIN: its event lines as "NAME TIME [REASON]"
    awk -v d="$1" '$2 == "domain" && $3 == d { on = 1; next } $2 == "domain" { on = 0 } on && $2 == "event" { sub("t=", "", $4); print $3, $4, $5 }' "$h"
}
ev=$(events "dom$pv" | awk '{ print $1 }' | tr '\n' ' ')
[ "$ev" = "created destroyed " ] || fail "dom$pv events: '$ev', not created, destroyed"
ev=$(events "dom$pvh" | awk '{ print $1, $3 }' | tr '\n' ' ' | sed 's/  */ /g')
[ "$ev" = "created shutdown poweroff destroyed " ] || fail "dom$pvh events: '$ev', not created, shutdown poweroff, destroyed"
for d in "dom$pv" "dom$pvh"; do
    events "$d" | awk '{ if (NR > 1 && $2 <= last) exit 1; last = $2 }' || fail "$d: events out of time order"
done
a=$out/plain/xen/console.log b=$out/hv/xen/console.log
as=$(stat -c %s "$a") bs=$(stat -c %s "$b")
[ "$bs" -gt 0 ] && [ "$bs" -le "$as" ] || fail "console sizes: plain $as, --hv $bs bytes"
tail -c "$bs" "$a" | cmp -s - "$b" || fail "the --hv run's console is not the end of the plain run's"
# Domain-0's console_io writes (its hvc0): xl list's table among them.
grep -q 'Domain-0 .* 0 ' "$out/hv/xen/console-dom0.log" || fail "console-dom0.log has no xl list output"
# Each DomU's console ring, byte for byte what xl console showed of it.
python3 "$here/../hv/xlconsole.py" "$out/hv/xen/console.log" linux "$out/hv/xen/console-dom$pv.log" ||
    fail "console-dom$pv.log is not what xl console linux showed"
python3 "$here/../hv/xlconsole.py" "$out/hv/xen/console.log" pvh "$out/hv/xen/console-dom$pvh.log" ||
    fail "console-dom$pvh.log is not what xl console pvh showed"
grep '^hv: domain' "$h"
echo "stack_demo: PASS: dom0, dom$pv (linux), dom$pvh (pvh) with xl's ids, hypercalls, lifecycle events and console rings; the console is unchanged by --hv"
