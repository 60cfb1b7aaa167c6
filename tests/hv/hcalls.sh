#!/usr/bin/env bash
# hcalls.sh: hvsim's awareness counts exactly the hypercalls tests/guests/hv_hcalls
# makes, per domain, in its summary and in the event trace's report: domain 0
# (the first to call) 5 sched_op, 3 mmu_update, 2 xen_version by SYSCALL;
# domain 1 (other L4 slot 260) 7 event_channel_op by SYSCALL and 2 grant_table_op
# by INT 0x82; none of the 6 lower-half SYSCALLs (4 of them with RAX = 29).
# usage: hcalls.sh HVSIM KERNEL
set -u
hvsim=$1 kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "hcalls: $*" >&2; echo "--- stderr" >&2; cat "$dir/err" >&2; exit 1; }

"$hvsim" boot "$kernel" --hv --trace "$dir/t.hvtrace" >"$dir/out" 2>"$dir/err"
status=$?
[ $status -eq 33 ] || fail "the kernel's own checks failed (status $status)"
grep -q 'hvsim: hv: .*: Xen 4.17-hvsim-test (from the version banner' "$dir/err" || fail "not recognised as Xen"

# The summary: exactly these lines, in this order.
grep '^hv: ' "$dir/err" | sed 's/  */ /g' >"$dir/summary"
cat >"$dir/want_summary" <<'END'
hv: Xen 4.17-hvsim-test: 2 domain(s) seen
hv: domain dom0 (PV): 10 hypercalls
hv: mmu_update 1 3
hv: xen_version 17 2
hv: sched_op 29 5
hv: domain pv1 (PV): 9 hypercalls
hv: grant_table_op 20 2
hv: event_channel_op 32 7
END
diff -u "$dir/want_summary" "$dir/summary" >&2 || fail "the summary differs"

# The report of the trace: hypercalls by domain, named.
"$hvsim" report "$dir/t.hvtrace" >"$dir/report" || fail "report failed"
sed -n '/^Hypercalls by domain/,/^$/p' "$dir/report" | tail -n +3 | sed 's/  */ /g;s/^ //' >"$dir/bydom"
cat >"$dir/want_bydom" <<'END'
1 Xen:dom0 1 mmu_update 3
1 Xen:dom0 17 xen_version 2
1 Xen:dom0 29 sched_op 5
2 Xen:pv1 20 grant_table_op 2
2 Xen:pv1 32 event_channel_op 7

END
diff -u "$dir/want_bydom" "$dir/bydom" >&2 || fail "the report's hypercalls by domain differ"
# Hypercall records carry increasing virtual timestamps within the run.
"$hvsim" report "$dir/t.hvtrace" --format chrome -o "$dir/t.json" || fail "chrome report failed"
python3 - "$dir/t.json" <<'END' || fail "hypercall timestamps"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("cat") == "hypercall"]
ts = [e["ts"] for e in ev]
assert len(ev) == 19, len(ev)
assert ts == sorted(ts) and ts[0] > 0, ts
END
echo "hcalls: 19 hypercalls counted exactly, per domain"
