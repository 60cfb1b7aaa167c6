#!/usr/bin/env bash
# hcalls.sh: hvsim's awareness counts exactly the hypercalls a test kernel of
# known calls makes, per domain, in its summary and in the event trace's report,
# each hypercall record with its virtual time. The counts wanted are in
# want/NAME.summary and want/NAME.bydom (NAME the kernel's base name):
#  - hv_hcalls: domain 0 (the first to call) 5 sched_op, 3 mmu_update, 2
#    xen_version by SYSCALL; domain 1 (another L4 slot 260) 7 event_channel_op by
#    SYSCALL and 2 grant_table_op by INT 0x82; none of its 6 lower-half SYSCALLs.
#    One console_io write from each, into DIR/console-dom0.log and console-pv1.log.
#  - hv_vmcall: two VMCSs, 4 hvm_op + 3 xen_version, 6 event_channel_op + 2
#    sched_op by VMCALL; none of the CPUID exits with RAX = 32; the report's VM
#    exits by domain: hvm1 7 VMCALL, hvm2 8 CPUID and 8 VMCALL.
#  - hv_domctl: dom7's two #UD charged to it (summary, report); Domain-0 4 domctl (a refused createdomain, createdomain of id
#    7, setvcpucontext, destroydomain), each returning through iret, and 1
#    xen_version; dom7 2 event_channel_op and 1 sched_op (shutdown, reboot):
#    dom7 created, shut down (reboot) and destroyed in that order, in the summary
#    and the report; its console ring's 135 bytes (wrapping the ring) in
#    DIR/console-dom7.log, none of the stale bytes before out_cons.
# usage: hcalls.sh HVSIM KERNEL
set -u
hvsim=$1 kernel=$2
name=$(basename "$kernel" .elf)
want=$(cd "$(dirname "$0")" && pwd)/want/$name
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "hcalls: $name: $*" >&2; echo "--- stderr" >&2; cat "$dir/err" >&2; exit 1; }

mkdir "$dir/cons"
"$hvsim" boot "$kernel" --hv --hv-consoles "$dir/cons" --trace "$dir/t.hvtrace" >"$dir/out" 2>"$dir/err"
status=$?
[ $status -eq 33 ] || fail "the kernel's own checks failed (status $status)"
grep -q 'hvsim: hv: .*: Xen 4.17-hvsim-test (from the version banner' "$dir/err" || fail "not recognised as Xen"

# The summary: exactly these lines, in this order.
grep '^hv: ' "$dir/err" | sed 's/  */ /g;s/t=[0-9.]*/t=T/' >"$dir/summary"
diff -u "$want.summary" "$dir/summary" >&2 || fail "the summary differs"

# The report of the trace: hypercalls by domain, named.
"$hvsim" report "$dir/t.hvtrace" >"$dir/report" || fail "report failed"
sed -n '/^Hypercalls by domain/,/^$/p' "$dir/report" | sed '1,2d;/^$/d;s/  */ /g;s/^ //' >"$dir/bydom"
diff -u "$want.bydom" "$dir/bydom" >&2 || fail "the report's hypercalls by domain differ"
# Events charged to domains: VM exits (HVM) and exceptions (PV) by domain.
for t in "VM exits by domain:exits" "Exceptions by domain:exceptions"; do
    sec=${t%%:*} ext=${t##*:}
    [ -f "$want.$ext" ] || continue
    sed -n "/^$sec/,/^\$/p" "$dir/report" | sed '1,2d;/^$/d;s/  */ /g;s/^ //' >"$dir/$ext"
    diff -u "$want.$ext" "$dir/$ext" >&2 || fail "the report's $sec differ"
done

# Each hypercall record has a virtual timestamp, in order, after power-on.
total=$(awk '{ n += $5 } END { print n }' "$want.bydom")
"$hvsim" report "$dir/t.hvtrace" --format chrome -o "$dir/t.json" || fail "chrome report failed"
python3 - "$dir/t.json" "$total" <<'END' || fail "hypercall timestamps"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("cat") == "hypercall"]
ts = [e["ts"] for e in ev]
assert len(ev) == int(sys.argv[2]), (len(ev), sys.argv[2])
assert ts == sorted(ts) and ts[0] > 0, ts
END
# Consoles: hv_hcalls writes one line from domain 0 and 5900 bytes of its
# pattern (a..z, a newline every 61st byte, from offset 100) from domain 1.
if [ "$name" = hv_hcalls ]; then
    printf 'dom0: hello through console_io\n' | cmp - "$dir/cons/console-dom0.log" >&2 || fail "console-dom0.log"
    python3 -c 'import sys; sys.stdout.write("".join("\n" if i % 61 == 60 else chr(97 + i % 26) for i in range(100, 6000)))' |
        cmp - "$dir/cons/console-pv1.log" >&2 || fail "console-pv1.log"
elif [ "$name" = hv_domctl ]; then
    python3 -c 'import sys; sys.stdout.write("dom7: hello from the console ring\r\n" + "".join(chr(65 + i % 26) for i in range(98)) + "\r\n")' |
        cmp - "$dir/cons/console-dom7.log" >&2 || fail "console-dom7.log"
    [ "$(ls "$dir/cons")" = console-dom7.log ] || fail "console files: $(ls "$dir/cons")"
    # created < shutdown < destroyed, the same times in the summary and the report
    ev=$(grep -E '^hv: +event ' "$dir/err" | sed 's/^hv: *event //' | tr '\n' ' ')
    echo "$ev" | grep -Eq '^created t=[0-9.]+ shutdown t=[0-9.]+ reboot destroyed t=[0-9.]+ $' || fail "events: $ev"
    echo "$ev" | awk '{ split($2, a, "="); split($4, b, "="); split($7, c, "="); exit !(a[2] < b[2] && b[2] < c[2]) }' ||
        fail "events out of order: $ev"
    sed -n '/^Domain events/,/^$/p' "$dir/report" | awk '$3 == "Xen:dom7" { print $1, $4, $5 }' | sed 's/ *$//' >"$dir/events"
    printf '%s\n' "$(echo "$ev" | awk '{ sub("t=", "", $2); print $2, "create" }')" \
        "$(echo "$ev" | awk '{ sub("t=", "", $4); print $4, "shutdown reboot" }')" \
        "$(echo "$ev" | awk '{ sub("t=", "", $7); print $7, "destroy" }')" | diff -u - "$dir/events" >&2 ||
        fail "the report's domain events differ from the summary's"
    python3 - "$dir/t.json" <<'END' || fail "chrome domain instants"
import json, sys
ev = [(e["name"], e["args"].get("reason")) for e in json.load(open(sys.argv[1]))["traceEvents"]
      if e.get("cat") == "domain" and e["args"].get("name") == "Xen:dom7"]
assert ev == [("create", None), ("shutdown", "reboot"), ("destroy", None)], ev
END
else
    [ -z "$(ls "$dir/cons")" ] || fail "console files without console_io: $(ls "$dir/cons")"
fi
echo "hcalls: $name: $total hypercalls counted exactly, per domain"
