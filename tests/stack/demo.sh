#!/usr/bin/env bash
# tests/stack/demo.sh: `make demo`'s scenario end to end on the real stack: Xen 4.17,
# Domain-0 with Xen's xl, a PV and a PVH DomU from /etc/xen (scenarios/demo.lua
# asserts xl list before and after, the ids, the DomU's uname -a, the PVH DomU's
# lease from dnsmasq on virbr0 (NAT), its ping and name lookup, the PV DomU's
# lease, ping, lookup and page from netsim's LAN through Domain-0's e1000 on
# xenbr0, the PVH DomU reaching both through the NAT, the NIC's capture, the shutdown and
# the destroy). Run twice: cold (no snapshot: it boots Xen and Domain-0 and saves
# the snapshot of Domain-0's prompt) and warm (from that snapshot). The warm run's
# console must be, byte for byte, the end of the cold run's: a restored snapshot
# goes on exactly as the machine it was taken from.
#
# usage: demo.sh HVSIM [OUTDIR]
# Exit status: 0 pass, 1 fail, 77 skipped (the images are not cached and the Debian
# archive cannot be reached). Environment: HVSIM_STACK_WALL (host seconds per run, default 900).
set -u
[ $# -ge 1 ] || { echo "usage: $0 HVSIM [OUTDIR]" >&2; exit 2; }
hvsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=${2:-$PWD/demo.out}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
wall=${HVSIM_STACK_WALL:-900}
fail() { echo "demo: FAIL: $*" >&2; exit 1; }

"$project/tools/stack/images.sh"
status=$?
if [ $status -eq 75 ]; then
    echo "demo: SKIP: the stack's images are not cached and the Debian archive cannot be reached" >&2
    exit 77
fi
[ $status -eq 0 ] || fail "tools/stack/images.sh exited with status $status"

rm -rf "$out"
mkdir -p "$out"
cd "$project"    # the scenario names its images relative to the project
rm -f cache/stack/snapshots/dom0-*.hvsnap

# run NAME: the demo into $out/NAME; its stdout in $out/NAME.stdout.
run() {
    timeout "$wall" "$hvsim" run scenarios/demo.lua --out "$out/$1" >"$out/$1.stdout" 2>"$out/$1.stderr"
    local st=$?
    [ $st -eq 0 ] || fail "the $1 run exited with status $st (timeout $wall s: 124): $(tail -20 "$out/$1.stderr")"
    ! grep -q "hvsim: warning" "$out/$1.stderr" || fail "the $1 run warned: $(grep "hvsim: warning" "$out/$1.stderr")"
}
run cold
ls cache/stack/snapshots/dom0-*.hvsnap >/dev/null 2>&1 || fail "the cold run left no snapshot in cache/stack/snapshots"
grep -q "restored the snapshot" "$out/cold.stdout" && fail "the cold run restored a snapshot"
run warm
grep -q "restored the snapshot" "$out/warm.stdout" || fail "the warm run did not start from the snapshot"

# The NIC's wire: tshark reads it whole, with DHCP, DNS, ICMP and HTTP on it.
for f in cold warm; do
    p=$out/$f/peth0.pcap
    [ -s "$p" ] || fail "$f: no capture of the NIC's wire in $p"
    if command -v tshark >/dev/null; then
        bad=$(tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE -r "$p" \
              -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head -3)
        [ -z "$bad" ] || fail "$f: malformed or erroneous frames in $p: $bad"
        protos=" $(tshark -n -r "$p" -T fields -e frame.protocols 2>/dev/null | tr ':' '\n' | sort -u | tr '\n' ' ')"
        for want in dhcp dns icmp http arp; do
            case "$protos" in *" $want "*) ;; *) fail "$f: no $want in $p ($protos)" ;; esac
        done
    fi
done

# The summary: both DomUs listed with their ids, the DomU's kernel, the end state.
for f in cold warm; do
    s=$out/$f.stdout
    grep -Eq '^    Domain-0 +id 0 ' "$s" || fail "$f: the summary lists no Domain-0 with id 0"
    grep -Eq '^    linux +id 1 ' "$s" || fail "$f: the summary lists no PV DomU 'linux' with id 1"
    grep -Eq '^    pvh +id 2 ' "$s" || fail "$f: the summary lists no PVH DomU 'pvh' with id 2"
    grep -q 'in linux: Linux linux 6\.1\.0-.*x86_64' "$s" || fail "$f: no uname -a from the DomU"
    grep -q 'in pvh:   Booting kernel on Xen PVH' "$s" || fail "$f: the PVH DomU's console does not show Linux booting on Xen PVH"
    grep -Eq 'pvh on virbr0 \(NAT\): DHCP: eth0 192\.168\.122\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])/255\.255\.255\.0 router 192\.168\.122\.1 dns 192\.168\.122\.1$' "$s" ||
        fail "$f: the PVH DomU on virbr0 got no lease from Domain-0's dnsmasq"
    grep -q 'pvh: ping 192.168.122.1: 2 packets transmitted, 2 packets received; nslookup dom0: 192.168.122.1$' "$s" ||
        fail "$f: the PVH DomU did not ping Domain-0 on virbr0 or resolve dom0 through dnsmasq"
    grep -Eq 'linux on xenbr0 \(the LAN\): DHCP: eth0 192\.168\.1\.1[0-9][0-9]/255\.255\.255\.0 router 192\.168\.1\.1 dns 192\.168\.1\.1$' "$s" ||
        fail "$f: the PV DomU on xenbr0 got no lease from the LAN's DHCP through Domain-0's e1000"
    grep -q 'linux: ping 192.168.1.1: 2 packets transmitted, 2 packets received; nslookup www.example.test: 192.168.1.10; wget: hello from www$' "$s" ||
        fail "$f: the PV DomU did not ping the LAN's router, resolve www or fetch its page"
    grep -Eq 'pvh: ping linux \(192\.168\.1\.1[0-9][0-9]\) through the NAT: 2 packets transmitted, 2 packets received$' "$s" ||
        fail "$f: the PVH DomU did not reach the PV DomU through the NAT"
    grep -q 'pvh: wget http://www.example.test/ through the NAT: hello from www$' "$s" ||
        fail "$f: the PVH DomU did not fetch www's page through the NAT"
    grep -q 'pvh shut down, linux destroyed; xl list then shows Domain-0$' "$s" ||
        fail "$f: not 'pvh shut down, linux destroyed' with Domain-0 alone in xl list afterwards"
done

# The warm console is the cold one's end, byte for byte.
cold=$out/cold/xen/console.log warm=$out/warm/xen/console.log
cs=$(stat -c %s "$cold") ws=$(stat -c %s "$warm")
[ "$ws" -gt 0 ] && [ "$ws" -lt "$cs" ] || fail "console sizes: cold $cs, warm $ws bytes"
tail -c "$ws" "$cold" | cmp -s - "$warm" ||
    fail "the warm run's console is not the end of the cold run's ($out/cold/xen/console.log, $out/warm/xen/console.log)"
echo "demo: cold and warm runs passed; the warm console ($ws bytes) is the cold one's end"
