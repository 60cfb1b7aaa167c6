#!/usr/bin/env bash
# tests/stack/nic_lan.sh: the real Linux e1000 driver on hvsim's NIC. Xen 4.17 and
# Domain-0 (cache/stack/dom0.cpio) boot with `--net lan`; Domain-0's /init loads
# e1000.ko, renames eth0 to peth0, enslaves it to xenbr0 and runs udhcpc on xenbr0
# against netsim's LAN, printing "DOM0-INIT: xenbr0 ADDR". The console must show
# the driver finding the 82540EM with its EEPROM's MAC, the link up at 1000 Mb/s
# and the lease; the capture of the wire (peth0.pcap) must hold the DHCP exchange,
# and tshark (when installed) must find nothing malformed in it. The boot is
# recorded and `hvsim replay` must match it: the LAN is rebuilt from the record's
# header and the same frames reach the NIC at the same instructions.
# usage: nic_lan.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (images not cached, archive unreachable).
# Environment: HVSIM_STACK_WALL (host seconds before the boot is killed, default 600).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/nic_lan.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
fail() { echo "stack nic_lan: FAIL: $*" >&2; exit 1; }

"$project/tools/stack/images.sh" --cache "$cache"
status=$?
[ $status -eq 75 ] && { echo "stack nic_lan: SKIP: images not cached, archive unreachable" >&2; exit 77; }
[ $status -eq 0 ] || fail "tools/stack/images.sh: status $status"
rm -rf "$out"
mkdir -p "$out"

# 12 s of virtual time: Domain-0 has its lease at about 10.4 s (/init's udhcpc).
timeout "${HVSIM_STACK_WALL:-600}" "$hvsim" boot "$cache/xen-4.17-amd64.gz" --cmdline "console=com1 dom0_mem=512M" \
    --module "$cache/vmlinuz=console=hvc0" --module "$cache/dom0.cpio" --mem 2048 \
    --net lan --pcap "$out" --max-time 12s --record "$out/boot.hvrec" --checkpoint-every 1s \
    >"$out/console.log" 2>"$out/stderr.log"
status=$?
[ $status -eq 4 ] || fail "hvsim boot exited with $status, expected 4 (the time limit); console in $out"
expected=(
    "the driver found the NIC"      'e1000 0000:00:03\.0 eth0: \(PCI:33MHz:32-bit\) 52:54:00:12:34:56'
    "renamed to peth0"              'peth0: renamed from eth0'
    "the link came up"              'e1000: peth0 NIC Link is Up 1000 Mbps Full Duplex'
    "xenbr0 forwards peth0"         'xenbr0: port 1\(peth0\) entered forwarding state'
    "the LAN's DHCP lease"          'DOM0-INIT: xenbr0 192\.168\.1\.1[0-9][0-9]/24'
)
for ((i = 0; i < ${#expected[@]}; i += 2)); do
    grep -qE "${expected[i + 1]}" "$out/console.log" || fail "${expected[i]}: no line matching '${expected[i + 1]}' in $out/console.log"
done
grep -q 'hvsim: warning: e1000' "$out/stderr.log" && fail "the device logged a guest mistake: $(grep e1000 "$out/stderr.log")"
[ -s "$out/peth0.pcap" ] || fail "no capture of peth0"
if command -v tshark >/dev/null 2>&1; then
    csum="-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
    bad=$(tshark -n $csum -r "$out/peth0.pcap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null)
    [ -z "$bad" ] || fail "tshark flags packets in peth0.pcap: $bad"
    dhcp=$(tshark -n -r "$out/peth0.pcap" -Y dhcp -T fields -e dhcp.option.dhcp 2>/dev/null | tr '\n' ' ')
    [ "$dhcp" = "1 2 3 5 " ] || fail "expected DHCP DISCOVER, OFFER, REQUEST, ACK on the wire; got '$dhcp'"
fi
timeout "${HVSIM_STACK_WALL:-600}" "$hvsim" replay "$out/boot.hvrec" --out "$out/replay" >"$out/replay.log" 2>&1
status=$?
[ $status -eq 0 ] || fail "hvsim replay exited with $status, expected 0 (matched): $(tail -3 "$out/replay.log")"
cmp -s "$out/console.log" "$out/replay/console.log" || fail "the replay's console differs from the boot's"
echo "stack nic_lan: ok: $(grep -oE 'DOM0-INIT: xenbr0 [0-9./]+' "$out/console.log")"
