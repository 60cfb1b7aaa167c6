#!/usr/bin/env bash
# signals.sh: a signal ends a run and loses nothing. `hvsim boot` of a spinning
# kernel with --record and --trace gets SIGTERM after its first console line:
# status 143, a last line naming SIGTERM, a record log that replays (status 0)
# and a trace that reports; the console reached the file before the signal (not
# held in a buffer until exit). `hvsim run` of a spinning scenario gets SIGINT:
# status 130, the console log whole (as many bytes as the run counted) and its
# --record replays. `hvsim net` with a TAP (paced to the wall clock, so it lasts)
# gets SIGINT: status 130 and pcaps that capinfos reads, and after SIGKILL its
# pcap still reads whole (skipped without TAPs).
# After SIGKILL the record log replays with --salvage and the trace reports
# with --salvage, for boot and for run (whose console log reads up to the kill).
# A reader at the other end of a pipe gets boot's first console line while the
# run goes on. Polls for the first line with a timeout, so a loaded host only makes it slower.
# usage: signals.sh HVSIM SPIN_KERNEL SCENARIO_DIR   (from the build directory)
set -u
hvsim=$1 spin=$2 dir=$3
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0

ok() { echo "ok   $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# wait_for FILE TEXT: poll until FILE holds TEXT (at most 120 s); 0 when it does.
wait_for() {
    for _ in $(seq 1200); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop SIGNAL: send it and wait (at most 120 s) for the exit status in $rc.
stop() {
    kill -"$1" "$pid" 2>/dev/null
    for _ in $(seq 1200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$pid"
    rc=$?
    pid=
}

# check WHAT WANT_RC SIGNAME ERRFILE
check_end() {
    if [ "$rc" -eq "$2" ] && tail -1 "$4" | grep -qF "ended by $3 at t="; then
        ok "$1: status $rc, last line '$(tail -1 "$4")'"
    else
        bad "$1: status $rc (expected $2) or no final 'ended by $3' line"; sed 's/^/  | /' "$4" | tail -8
    fi
}

# --- boot, SIGTERM ---
"$hvsim" boot "$spin" --record "$tmp/boot.hvrec" --trace "$tmp/boot.hvtrace" >"$tmp/boot.out" 2>"$tmp/boot.err" &
pid=$!
if wait_for "$tmp/boot.out" "cli_spin: spinning"; then
    ok "boot: the first console line reached the file while the run went on"
else
    bad "boot: no console line before the run ended (buffered?)"; cat "$tmp/boot.err"
fi
sleep 1 # let it write some checkpoints: correctness does not depend on how many
stop TERM
check_end boot 143 SIGTERM "$tmp/boot.err"
"$hvsim" replay "$tmp/boot.hvrec" --quiet >"$tmp/replay.out" 2>"$tmp/replay.err"
r=$?
if [ "$r" -eq 0 ] && grep -qF "and the end state" "$tmp/replay.err" && cmp -s "$tmp/replay.out" "$tmp/boot.out"; then
    ok "boot: the record log replays to its end state, same console ($(grep -F matched "$tmp/replay.err"))"
else
    bad "boot: replay of the log SIGTERM ended exited $r"; sed 's/^/  | /' "$tmp/replay.err"
fi
if "$hvsim" report "$tmp/boot.hvtrace" >"$tmp/report.out" 2>&1 && grep -qF "Domains" "$tmp/report.out"; then
    ok "boot: the trace reports"
else
    bad "boot: hvsim report of the trace"; sed 's/^/  | /' "$tmp/report.out" | head
fi

# --- boot, SIGHUP (a closed terminal): the same clean end, status 129 ---
"$hvsim" boot "$spin" >"$tmp/hup.out" 2>"$tmp/hup.err" &
pid=$!
wait_for "$tmp/hup.out" "cli_spin: spinning" || bad "boot (to be hung up): no console line"
stop HUP
check_end "boot SIGHUP" 129 SIGHUP "$tmp/hup.err"

# --- boot, SIGKILL: nothing is closed, yet what was written stays usable ---
"$hvsim" boot "$spin" --record "$tmp/kill.hvrec" --trace "$tmp/kill.hvtrace" >"$tmp/kill.out" 2>&1 &
pid=$!
wait_for "$tmp/kill.out" "cli_spin: spinning" || bad "boot (to be killed): no console line"
sleep 1
stop KILL
"$hvsim" replay "$tmp/kill.hvrec" --quiet >/dev/null 2>"$tmp/kreplay.err"
r=$?
if [ "$rc" -eq 137 ] && [ "$r" -ne 0 ] && "$hvsim" replay "$tmp/kill.hvrec" --salvage --quiet >/dev/null \
       2>"$tmp/kreplay.err" && grep -qF "salvaged log" "$tmp/kreplay.err"; then
    ok "SIGKILL: the record log is refused whole and replays with --salvage ($(tail -1 "$tmp/kreplay.err"))"
else
    bad "SIGKILL (status $rc): replay --salvage of the record log"; sed 's/^/  | /' "$tmp/kreplay.err"
fi
if "$hvsim" report "$tmp/kill.hvtrace" --salvage >"$tmp/kreport.out" 2>&1 && grep -qF "Domains" "$tmp/kreport.out"; then
    ok "SIGKILL: the trace reports with --salvage"
else
    bad "SIGKILL: report --salvage of the trace"; sed 's/^/  | /' "$tmp/kreport.out" | head
fi

# --- boot into a pipe: the reader has the first line while hvsim still runs ---
mkfifo "$tmp/pipe"
"$hvsim" boot "$spin" >"$tmp/pipe" 2>"$tmp/pipe.err" &
pid=$!
if timeout 120 head -n 1 <"$tmp/pipe" >"$tmp/pipe.first" && grep -qF "cli_spin: spinning" "$tmp/pipe.first" &&
   kill -0 "$pid" 2>/dev/null; then
    ok "boot into a pipe: the reader got '$(cat "$tmp/pipe.first")' while the run went on"
else
    bad "boot into a pipe: no first line before the run ended (held in a buffer?)"; cat "$tmp/pipe.err"
fi
stop TERM

# --- run, SIGKILL: its record log replays with --salvage, its console log reads ---
"$hvsim" run "$dir/spin.lua" --out "$tmp/krun" --record "$tmp/krun.hvrec" >"$tmp/krun.out" 2>&1 &
pid=$!
wait_for "$tmp/krun/m1/console.log" "cli_spin: spinning" || bad "run (to be killed): no console line"
sleep 1
stop KILL
if [ "$rc" -eq 137 ] && "$hvsim" replay "$tmp/krun.hvrec" --salvage --quiet >"$tmp/krreplay.out" \
       2>"$tmp/krreplay.err" && grep -qF "salvaged log" "$tmp/krreplay.err" &&
   grep -qF "cli_spin: spinning" "$tmp/krun/m1/console.log"; then
    ok "run SIGKILL: the record log replays with --salvage ($(tail -1 "$tmp/krreplay.err")), the console log reads"
else
    bad "run SIGKILL (status $rc): replay --salvage or the console log"; sed 's/^/  | /' "$tmp/krreplay.err"
fi

# --- run, SIGINT ---
"$hvsim" run "$dir/spin.lua" --out "$tmp/run" --record "$tmp/run.hvrec" >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
if wait_for "$tmp/run/m1/console.log" "cli_spin: spinning"; then
    ok "run: the console log had the first line while the run went on"
else
    bad "run: no console line in the log before the run ended"; cat "$tmp/run.err"
fi
stop INT
check_end run 130 SIGINT "$tmp/run.err"
want=$(sed -n 's/.* \([0-9]*\) console bytes in .*/\1/p' "$tmp/run.out")
got=$(stat -c %s "$tmp/run/m1/console.log")
if [ -n "$want" ] && [ "$want" -eq "$got" ]; then
    ok "run: the console log is whole ($got bytes, as the run counted)"
else
    bad "run: the console log has $got bytes, the run counted '$want'"; cat "$tmp/run.out"
fi
"$hvsim" replay "$tmp/run.hvrec" --quiet >/dev/null 2>"$tmp/rreplay.err"
r=$?
if [ "$r" -eq 0 ]; then
    ok "run: its record log replays ($(grep -F matched "$tmp/rreplay.err"))"
else
    bad "run: replay exited $r"; sed 's/^/  | /' "$tmp/rreplay.err"
fi

# --- net, SIGINT (a TAP makes it last: virtual time follows the wall clock) ---
if [ -w /dev/net/tun ] && command -v capinfos >/dev/null; then
    "$hvsim" net --mode nat --tap vif9.0=hvsig$$ --duration 60s --pcap "$tmp/pcap" >"$tmp/net.out" 2>"$tmp/net.err" &
    pid=$!
    if wait_for "$tmp/net.out" "TAP hvsig"; then
        sleep 0.5
        stop INT
        check_end net 130 SIGINT "$tmp/net.err"
        for p in "$tmp"/pcap/*.pcap; do
            if capinfos "$p" >"$tmp/capinfos.out" 2>&1; then
                ok "net: capinfos reads $(basename "$p")"
            else
                bad "net: capinfos $(basename "$p")"; sed 's/^/  | /' "$tmp/capinfos.out"
            fi
        done
        [ -e "$tmp/pcap/virbr0.pcap" ] || bad "net: no virbr0.pcap"
        # SIGKILL: the paced loop keeps the captures flushed, so they read whole.
        "$hvsim" net --mode nat --tap vif9.0=hvsik$$ --duration 60s --pcap "$tmp/kpcap" >"$tmp/knet.out" 2>&1 &
        pid=$!
        wait_for "$tmp/knet.out" "TAP hvsik" || bad "net (to be killed): did not start"
        sleep 1
        stop KILL
        if [ "$rc" -eq 137 ] && capinfos "$tmp/kpcap/virbr0.pcap" >"$tmp/capinfos.out" 2>&1 &&
           ! grep -qi "cut short\|appears to be damaged" "$tmp/capinfos.out"; then
            ok "net SIGKILL: capinfos reads virbr0.pcap whole ($(grep -F -m1 'Number of packets' "$tmp/capinfos.out" | tr -s ' '))"
        else
            bad "net SIGKILL (status $rc): capinfos virbr0.pcap"; sed 's/^/  | /' "$tmp/capinfos.out"
        fi
    else
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
        echo "skip net: no TAP device could be made here"; sed 's/^/  | /' "$tmp/net.err" | head -3
    fi
else
    echo "skip net: /dev/net/tun or capinfos is missing"
fi

[ "$fails" -eq 0 ] && echo "all signal checks passed"
exit $((fails > 0))
