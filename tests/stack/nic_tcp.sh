#!/usr/bin/env bash
# tests/stack/nic_tcp.sh: runs tests/stack/nic_tcp.lua (Domain-0's TCP through the
# e1000: a page fetched by name, a 64 KiB upload with TSO) and checks the capture
# of the wire behind the NIC: the upload's data went out in full-size 1460-byte
# segments in order, several sent at one instant (one TSO context each), with
# valid IP and TCP checksums and nothing malformed (tshark, when installed).
# usage: nic_tcp.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (images not cached, archive unreachable).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/nic_tcp.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
fail() { echo "stack nic_tcp: FAIL: $*" >&2; exit 1; }
"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "stack nic_tcp: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || fail "tools/stack/images.sh: status $status"
rm -rf "$out"
cd "$project"
timeout "${HVSIM_STACK_WALL:-900}" "$hvsim" run tests/stack/nic_tcp.lua --out "$out"
status=$?
[ $status -eq 0 ] || fail "hvsim run exited with $status; consoles in $out"
p=$out/peth0.pcap
[ -s "$p" ] || fail "no capture of peth0"
command -v tshark >/dev/null 2>&1 || { echo "stack nic_tcp: ok (tshark not installed: capture not dissected)"; exit 0; }
csum="-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
bad=$(tshark -n $csum -r "$p" -Y '_ws.malformed || _ws.expert.severity == error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"' 2>/dev/null)
[ -z "$bad" ] || fail "tshark flags packets in $p: $bad"
# The upload: frames from Domain-0 to www:80 with data, their times and lengths.
segs=$(tshark -n -r "$p" -Y 'ip.src == 192.168.1.100 && tcp.dstport == 80 && tcp.len > 0' \
       -T fields -e frame.time_epoch -e tcp.len -e tcp.seq 2>/dev/null)
full=$(awk '$2 == 1460' <<<"$segs" | wc -l)
total=$(awk '{ s += $2 } END { print s + 0 }' <<<"$segs")
burst=$(awk '{ n[$1]++ } END { m = 0; for (t in n) if (n[t] > m) m = n[t]; print m }' <<<"$segs")
[ "$full" -ge 40 ] || fail "expected at least 40 full 1460-byte segments of the upload, got $full"
[ "$total" -ge 65536 ] || fail "the upload's segments carry $total bytes, expected at least 65536"
[ "$burst" -ge 2 ] || fail "no two segments left at one instant: TSO was not used"
tshark -n -r "$p" -Y 'ip.src == 192.168.1.100 && tcp.analysis.out_of_order' 2>/dev/null | grep -q . &&
    fail "segments out of order in $p"
echo "stack nic_tcp: ok: $full full segments, $total bytes, up to $burst frames per TSO context"
