#!/usr/bin/env bash
# tests/stack/route.sh: runs tests/stack/route.lua (Xen's routed set-up,
# network-route/vif-route, with the machine's NIC on netsim's LAN) on the real
# stack, from the demo's snapshot of Domain-0's prompt when stack_demo left one,
# and checks the capture of the NIC's wire: the routed DomU's address on the LAN,
# answered by proxy ARP, and nothing malformed.
# usage: route.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (images not cached, archive unreachable).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/route.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
fail() { echo "route: FAIL: $*" >&2; exit 1; }
"$project/tools/stack/images.sh"
status=$?
[ $status -eq 75 ] && { echo "route: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || fail "tools/stack/images.sh: status $status"
rm -rf "$out"
cd "$project"
timeout "${HVSIM_STACK_WALL:-900}" "$hvsim" run tests/stack/route.lua --out "$out" || fail "hvsim run exited with $?; consoles in $out"
p=$out/peth0.pcap
[ -s "$p" ] || fail "no capture of the NIC's wire in $p"
if command -v tshark >/dev/null; then
    bad=$(tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE -r "$p" \
          -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head -3)
    [ -z "$bad" ] || fail "malformed or erroneous frames in $p: $bad"
    tshark -n -r "$p" -Y 'arp.opcode == 2 && arp.src.proto_ipv4 == 192.168.1.50' 2>/dev/null | grep -q . ||
        fail "no proxy-ARP answer for 192.168.1.50 on the LAN in $p"
    tshark -n -r "$p" -Y 'ip.src == 192.168.1.50 && icmp.type == 8' 2>/dev/null | grep -q . ||
        fail "the routed DomU's pings do not leave through peth0 with its own address"
fi
echo "route: PASS"
