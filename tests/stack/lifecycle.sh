#!/usr/bin/env bash
# tests/stack/lifecycle.sh: runs tests/stack/lifecycle.lua (a DomU's reboot and
# crash under its xl.cfg's on_reboot/on_crash, and bad input to xl) on the real
# stack, from the demo's snapshot of Domain-0's prompt when stack_demo left one,
# with hypervisor awareness (--hv, docs/hv.md): Xen's domain ids in hv.txt are
# those xl list printed; the first 'linux' is created, shut down (reboot) and
# destroyed, the second created, shut down (crash) and destroyed, in time order;
# each refused create that reached Xen left a domain created and destroyed; and
# each `xl console linux` session shows that domain's console-dom<N>.log bytes
# (tests/hv/xlconsole.py).
# usage: lifecycle.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (images not cached, archive unreachable).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/lifecycle.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "lifecycle: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || { echo "lifecycle: FAIL: tools/stack/images.sh: status $status" >&2; exit 1; }
rm -rf "$out"
cd "$project"
mkdir -p "$out"
timeout "${HVSIM_STACK_WALL:-900}" "$hvsim" run tests/stack/lifecycle.lua --out "$out" --hv | tee "$out/stdout"
status=${PIPESTATUS[0]}
[ $status -eq 0 ] || { echo "lifecycle: FAIL: hvsim run exited with $status; consoles in $out" >&2; exit 1; }
fail() { echo "lifecycle: FAIL: $*; consoles and hv.txt in $out/xen" >&2; exit 1; }
h=$out/xen/hv.txt
[ -s "$h" ] || fail "no hv.txt"
ids=$(sed -n 's/^lifecycle: reboot \([0-9]*\) -> \([0-9]*\), .*/\1 \2/p' "$out/stdout")
set -- $ids
first=${1:-} second=${2:-}
[ -n "$first" ] && [ -n "$second" ] || fail "no ids in the scenario's summary"
events() { # events DOMAIN: "created", "shutdown REASON", "destroyed", one a line
    awk -v d="$1" '$2 == "domain" && $3 == d { on = 1; next } $2 == "domain" { on = 0 } on && $2 == "event" { print $3, $5 }' "$h" | sed 's/ *$//'
}
times() { # times DOMAIN: the events' times in order, strictly increasing
    awk -v d="$1" '$2 == "domain" && $3 == d { on = 1; next } $2 == "domain" { on = 0 } on && $2 == "event" { sub("t=", "", $4); if (n++ && $4 <= last) bad = 1; last = $4 } END { exit bad || !n }' "$h"
}
grep -q "^hv: domain dom$first (PV): " "$h" || fail "the first linux (id $first) is not the PV domain dom$first"
grep -q "^hv: domain dom$second (PV): " "$h" || fail "the rebooted linux (id $second) is not the PV domain dom$second"
[ "$(events "dom$first" | tr '\n' ,)" = "created,shutdown reboot,destroyed," ] ||
    fail "dom$first: events $(events "dom$first" | tr '\n' ,), not created, shutdown reboot, destroyed"
[ "$(events "dom$second" | tr '\n' ,)" = "created,shutdown crash,destroyed," ] ||
    fail "dom$second: events $(events "dom$second" | tr '\n' ,), not created, shutdown crash, destroyed"
times "dom$first" && times "dom$second" || fail "events out of time order"
# Every domain but Domain-0 that Xen created here was destroyed again.
alive=$(awk '$2 == "domain" && $3 != "dom0" { d = $3; c[d] = 0; x[d] = 0 } $2 == "event" && $3 == "created" { c[d] = 1 } $2 == "event" && $3 == "destroyed" { x[d] = 1 } END { for (k in c) if (c[k] && !x[k]) print k }' "$h")
[ -z "$alive" ] || fail "created and never destroyed: $alive"
python3 "$here/../hv/xlconsole.py" "$out/xen/console.log" linux "$out/xen/console-dom$first.log" 1 ||
    fail "console-dom$first.log is not what the first xl console linux showed"
python3 "$here/../hv/xlconsole.py" "$out/xen/console.log" linux "$out/xen/console-dom$second.log" 2 ||
    fail "console-dom$second.log is not what the second xl console linux showed"
grep '^hv: domain\|^hv:   event' "$h"
echo "lifecycle: PASS: dom$first and dom$second with xl's ids, their lifecycle events and consoles"
