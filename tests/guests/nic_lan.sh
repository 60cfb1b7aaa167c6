#!/usr/bin/env bash
# nic_lan.sh: the e1000 driver kernel (nic_lan.c) on netsim's LAN, end to end.
# usage: nic_lan.sh HVSIM KERNEL WORKDIR
# 1. `hvsim boot KERNEL --net lan --pcap A --record R`: status 33 and the lease,
#    the router's answers and the counters on the console;
# 2. the same boot again: A/*.pcap and B/*.pcap byte-identical;
# 3. `hvsim replay R` matches (the network is rebuilt, its frames are the same);
#    `--seek` is refused (snapshots do not hold netsim's state);
# 4. tshark (when installed) finds DHCP, ARP and ICMP in peth0.pcap, with no
#    malformed packet and no expert error, IP/UDP checksums checked.
set -u
hvsim=$1 kernel=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "nic_lan: $*" >&2; exit 1; }

"$hvsim" boot "$kernel" --net lan --pcap "$dir/a" --record "$dir/run.hvrec" --max-time 10s >"$dir/out1" 2>&1
status=$?
cat "$dir/out1"
[ "$status" -eq 33 ] || fail "exited with status $status, expected 33"
for s in "offer 192.168.1.100" "server 192.168.1.1" "lease 192.168.1.100" "router mac 02:00:5e:01:00:01" \
         "echo reply 3 (checksum and payload)" "GPTC 7 GPRC 7" "on GSI 19" "PASS: "; do
    grep -qF "$s" "$dir/out1" || fail "the console lacks '$s'"
done

"$hvsim" boot "$kernel" --net lan --pcap "$dir/b" --max-time 10s >"$dir/out2" 2>&1
[ $? -eq 33 ] || fail "second run: status $?"
for f in peth0.pcap lan0.pcap; do
    [ -s "$dir/a/$f" ] || fail "$f is missing or empty"
    cmp "$dir/a/$f" "$dir/b/$f" || fail "$f differs between two runs"
done
cmp <(grep -v '^hvsim:' "$dir/out1") <(grep -v '^hvsim:' "$dir/out2") || fail "the console differs between two runs"

"$hvsim" replay "$dir/run.hvrec" --out "$dir/replay" >"$dir/replay.log" 2>&1
status=$?
cat "$dir/replay.log"
[ "$status" -eq 0 ] || fail "replay: status $status, expected 0 (matched)"

"$hvsim" replay "$dir/run.hvrec" --seek 1ms >"$dir/seek.log" 2>&1
status=$?
[ "$status" -eq 2 ] && grep -q "snapshots do not hold yet" "$dir/seek.log" ||
    fail "replay --seek of a networked record: status $status, expected 2 and the reason: $(cat "$dir/seek.log")"

if command -v tshark >/dev/null 2>&1; then
    csum="-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
    p=$dir/a/peth0.pcap
    bad=$(tshark -n $csum -r "$p" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null)
    [ -z "$bad" ] || fail "tshark flags packets in $p: $bad"
    tshark -n $csum -r "$p" -q -z expert,error 2>/dev/null | grep -qE 'Malformed|Errors \(' &&
        fail "tshark's expert finds errors in $p"
    protos=$(tshark -n -r "$p" -T fields -e frame.protocols 2>/dev/null)
    for want in dhcp arp icmp; do
        grep -q ":$want" <<<"$protos" || fail "no $want in $p: $protos"
    done
    [ "$(grep -c ':icmp' <<<"$protos")" -eq 8 ] || fail "expected 4 echo requests and 4 replies in $p"
    echo "nic_lan: tshark: DHCP, ARP and ICMP present, nothing malformed"
else
    echo "nic_lan: tshark not installed: dissection skipped"
fi
echo "nic_lan: ok"
