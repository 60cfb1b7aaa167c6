#!/usr/bin/env bash
# stack_demo.sh: awareness on the demo scenario (label "stack"; after stack_demo,
# whose snapshot of Domain-0's prompt it uses when it exists for this build).
# Run 1 without --hv (cold when there is no snapshot: it saves one), run 2 with
# --hv from the snapshot. Run 2's DIR/xen/hv.txt names three domains: dom0 (with
# the toolstack's domctl and sysctl hypercalls), pv1 (the PV DomU 'linux') and
# hvm1 (the PVH DomU 'pvh': hypercalls by VMCALL and VM exits), each with
# hypercalls; run 2's console is, byte for byte, the end of run 1's (awareness
# changes nothing); DIR/xen/console-dom0.log holds Domain-0's console_io output.
# docs/hv.md says why the names are not xl's.
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
for d in dom0 pv1 hvm1; do
    n=$(awk -v d="$d" '$2 == "domain" && $3 == d { print $5 }' "$h")
    [ -n "$n" ] && [ "$n" -gt 0 ] || fail "domain $d made no hypercall"
done
[ "$(count dom0 domctl)" -gt 0 ] && [ "$(count dom0 sysctl)" -gt 0 ] || fail "Domain-0's toolstack made no domctl/sysctl"
[ "$(count pv1 mmu_update)" -gt 0 ] || fail "the PV DomU made no mmu_update"
[ "$(count hvm1 domctl)" -eq 0 ] && [ "$(count pv1 domctl)" -eq 0 ] || fail "a DomU made domctl calls"
grep -Eq '^hv: domain hvm1 \(HVM\): [0-9]+ hypercalls, [1-9][0-9]* VM exits' "$h" || fail "no VM exits for hvm1"
[ "$(awk '$2 == "domain" && $3 == "hvm1" { on = 1; next } $2 == "domain" { on = 0 } on && $2 == "exit" && $3 == "VMCALL" { print $5 }' "$h")" -gt 0 ] ||
    fail "hvm1 has no VMCALL exits"
a=$out/plain/xen/console.log b=$out/hv/xen/console.log
as=$(stat -c %s "$a") bs=$(stat -c %s "$b")
[ "$bs" -gt 0 ] && [ "$bs" -le "$as" ] || fail "console sizes: plain $as, --hv $bs bytes"
tail -c "$bs" "$a" | cmp -s - "$b" || fail "the --hv run's console is not the end of the plain run's"
# Domain-0's console_io writes (its hvc0): xl list's table among them.
grep -q 'Domain-0 .* 0 ' "$out/hv/xen/console-dom0.log" || fail "console-dom0.log has no xl list output"
grep '^hv: domain' "$h"
echo "stack_demo: PASS: dom0, pv1, hvm1 seen with hypercalls; the console is unchanged by --hv"
