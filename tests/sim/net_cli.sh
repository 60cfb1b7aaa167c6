#!/usr/bin/env bash
# `hvsim net` end to end: each mode's simulated guest gets its lease, name,
# pings and page; captures are byte-identical across runs and tshark finds
# DHCP, ARP, DNS, ICMP and TCP in them with no malformed packet; and
# --replay-pcap plays the guest's own frames (cut out of a capture) into a new
# port, so the network answers them again: a lease, ARP, DNS, pings, the page.
# Bad input: a missing or damaged capture and a lone --port name the problem
# and exit 2. The scenario API's `net` table (scenarios/net.lua) too.
# usage: net_cli.sh HVSIM SCENARIO_DIR
set -u
hvsim=$1 scen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
have_tshark=0
command -v tshark >/dev/null && have_tshark=1
# No malformed packet and no expert error (bad checksums included) in a capture.
tshark_clean() {
    [ $have_tshark = 1 ] || return 0
    [ -z "$(tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
            -r "$1" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null)" ]
}
protos() { tshark -r "$1" -T fields -e frame.protocols 2>/dev/null | tr ':' '\n' | sort -u | tr '\n' ' '; }

for mode in nat bridge route; do
    "$hvsim" net --mode $mode --pcap "$tmp/$mode.1" --duration 5s >"$tmp/$mode.out" 2>&1
    check "$mode: exit 0" "[ $? = 0 ]"
    check "$mode: guest done with 3/3 pings and the page" \
        "grep -q 'done at' '$tmp/$mode.out' && grep -q 'ping       3/3 answered' '$tmp/$mode.out' && grep -q 'http       200' '$tmp/$mode.out'"
    "$hvsim" net --mode $mode --pcap "$tmp/$mode.2" --duration 5s >/dev/null 2>&1
    for f in "$tmp/$mode.1"/*.pcap; do
        check "$mode: $(basename "$f") byte-identical across runs" "cmp -s '$f' '$tmp/$mode.2/$(basename "$f")'"
        check "$mode: $(basename "$f") has no malformed packet" "tshark_clean '$f'"
    done
done
if [ $have_tshark = 1 ]; then
    p=$(protos "$tmp/nat.1/virbr0.pcap")
    for want in dhcp arp dns icmp tcp http; do
        check "nat: virbr0.pcap holds $want" "case ' $p' in *' $want '*) true;; *) false;; esac"
    done
fi

# The guest's own frames (source MAC 00:16:3e:00:01:01) cut out of virbr0.pcap.
python3 - "$tmp/nat.1/virbr0.pcap" "$tmp/guest.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out, i = [d[:24]], 24
while i < len(d):
    cl = struct.unpack('<I', d[i + 8:i + 12])[0]
    if d[i + 16 + 6:i + 16 + 12] == bytes([0, 0x16, 0x3e, 0, 1, 1]):
        out.append(d[i:i + 16 + cl])
    i += 16 + cl
open(sys.argv[2], 'wb').write(b''.join(out))
PY
for r in 1 2; do
    "$hvsim" net --mode nat --replay-pcap "$tmp/guest.pcap" --port vif9.0 --pcap "$tmp/replay.$r" \
        --duration 5s >"$tmp/replay.$r.out" 2>&1
    check "replay $r: exit 0" "[ $? = 0 ]"
done
check "replay: 12 frames sent, 11 came back" "grep -q '12 frames sent, 0 dropped, 11 received back' '$tmp/replay.1.out'"
check "replay: captures byte-identical across runs" "cmp -s '$tmp/replay.1/virbr0.pcap' '$tmp/replay.2/virbr0.pcap'"
check "replay: capture has no malformed packet" "tshark_clean '$tmp/replay.1/virbr0.pcap'"
if [ $have_tshark = 1 ]; then
    tshark -r "$tmp/replay.1/virbr0.pcap" 2>/dev/null >"$tmp/replay.txt"
    check "replay: the network leased again (Offer, ACK)" "grep -q 'DHCP Offer' '$tmp/replay.txt' && grep -q 'DHCP ACK' '$tmp/replay.txt'"
    check "replay: ARP answered" "grep -q '192.168.122.1 is at' '$tmp/replay.txt'"
    check "replay: DNS answered" "grep -q 'Standard query response.*A 192.168.1.10' '$tmp/replay.txt'"
    check "replay: 3 ping replies" "[ \$(grep -c 'Echo (ping) reply' '$tmp/replay.txt') = 3 ]"
    check "replay: the page came back" "grep -q 'HTTP/1.0 200 OK' '$tmp/replay.txt'"
fi

# The scenario API's network (tests/sim/scenarios/net.lua), twice: the same
# captures and log; and its mistakes, named with the script's file and line.
for r in 1 2; do
    "$hvsim" run "$scen/net.lua" --out "$tmp/scen.$r" >"$tmp/scen.$r.out" 2>&1
    check "scenario net.lua run $r passes" "[ $? = 0 ] && grep -q 'passed' '$tmp/scen.$r.out'"
done
for f in virbr0.pcap guest1-port.pcap scenario.log; do
    check "scenario: $f byte-identical across runs" "cmp -s '$tmp/scen.1/$f' '$tmp/scen.2/$f'"
done
check "scenario: virbr0.pcap has no malformed packet" "tshark_clean '$tmp/scen.1/virbr0.pcap'"
printf 'net.capture("virbr0")\n' >"$tmp/nonet.lua"
"$hvsim" run "$tmp/nonet.lua" >"$tmp/e6" 2>&1
check "net.capture before net.start: status 1, file and line" "[ $? = 1 ] && grep -q 'nonet.lua:1: net.capture: no network yet' '$tmp/e6'"
printf 'net.start("nat")\nnet.link("vif7.0", {loss = 0.5})\n' >"$tmp/noport.lua"
"$hvsim" run "$tmp/noport.lua" >"$tmp/e7" 2>&1
check "net.link of a missing port: file and line" "[ $? = 1 ] && grep -q \"noport.lua:2: net.link: no port 'vif7.0'\" '$tmp/e7'"
printf 'net.start("nat")\nnet.client("vif1.0")\nnet.link("vif1.0", {loss = 2})\n' >"$tmp/badloss.lua"
"$hvsim" run "$tmp/badloss.lua" >"$tmp/e8" 2>&1
check "net.link loss out of range: file and line" "[ $? = 1 ] && grep -q 'badloss.lua:3: net.link: loss' '$tmp/e8'"

# Bad input.
"$hvsim" net --mode nat --replay-pcap "$tmp/none.pcap" --port vif9.0 >/dev/null 2>"$tmp/e1"
check "missing capture: exit 2 naming it" "[ $? = 2 ] && grep -q 'none.pcap' '$tmp/e1'"
head -c 200 "$tmp/guest.pcap" >"$tmp/cut.pcap"
"$hvsim" net --mode nat --replay-pcap "$tmp/cut.pcap" --port vif9.0 >"$tmp/o3" 2>"$tmp/e3"
check "damaged capture: exit 2 naming file and record" "[ $? = 2 ] && grep -q 'cut.pcap: record [0-9]' '$tmp/e3'"
"$hvsim" net --mode nat --port vif9.0 >/dev/null 2>"$tmp/e4"
check "--port alone: exit 2" "[ $? = 2 ] && grep -q 'go together' '$tmp/e4'"
"$hvsim" net --mode nat --replay-pcap "$tmp/guest.pcap" --port vif1.0x >/dev/null 2>&1
"$hvsim" net --mode nat --replay-pcap "$tmp/guest.pcap" --port virbr0 >/dev/null 2>"$tmp/e5"
check "--port taken: exit 2" "[ $? = 2 ] && grep -q 'cannot add that port' '$tmp/e5'"
exit $fail
