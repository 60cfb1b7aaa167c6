#!/usr/bin/env bash
# scenario_run.sh: `hvsim run` end to end, from the build directory (the
# scenarios name kernels/...). A scenario that types, expects, sleeps,
# snapshots and restores passes; each bad input fails with its message, the
# script's file and line, and status 1 (usage errors 2); the same scenario twice
# gives byte-identical console logs and the same final virtual time, with
# math.random and os.time in play, and another --seed changes them; a --record
# replays with `hvsim replay` and the replay's console is the run's.
# usage: scenario_run.sh HVSIM SCENARIO_DIR
set -u
hvsim=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

ok() { echo "ok   $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run STATUS TEXT -- ARGS...: hvsim ARGS exits STATUS and says TEXT (stdout or stderr).
run() {
    local want=$1 text=$2
    shift 3
    checks=$((checks + 1))
    timeout 120 "$hvsim" "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "hvsim $* exited $got, expected $want"; sed 's/^/  | /' "$tmp/out" | tail -12
    elif ! grep -qF -- "$text" "$tmp/out"; then
        bad "hvsim $* did not say '$text'"; sed 's/^/  | /' "$tmp/out" | tail -12
    else
        ok "hvsim $* -> $got, '$text'"
    fi
}

# The scenario of every call passes.
run 0 "shell.lua passed: 18 expectations held" -- run "$dir/shell.lua" --out "$tmp/shell"
run 0 "shell: debug exit, status 11" -- run "$dir/shell.lua"
checks=$((checks + 1))
if grep -qF "count: 3" "$tmp/shell/shell/console.log" && ! grep -qF "count: 5" "$tmp/shell/shell/console.log" &&
   grep -qF "restored the snapshot" "$tmp/shell/scenario.log"; then
    ok "the console log and scenario.log show the restore"
else
    bad "the console log or scenario.log of shell.lua"; cat "$tmp/shell/shell/console.log"
fi
run 0 "echo.lua passed" -- run "$dir/echo.lua"
run 0 "two.lua passed: 9 expectations held" -- run "$dir/two.lua" --out "$tmp/two"
run 0 '[b] console_echo: read 2 bytes "yo"' -- run "$dir/two.lua" --console
checks=$((checks + 1))
if grep -qF 'read 2 bytes "yo"' "$tmp/two/b/console.log" && grep -qF "count: 2" "$tmp/two/a/console.log" &&
   ! grep -qF "count" "$tmp/two/b/console.log"; then
    ok "two machines: a console log each"
else
    bad "two machines: the console logs"
fi

# Two machines with a NIC each on one LAN (net = "lan"): two leases, one capture per wire.
run 0 "nic_lan.lua passed: 12 expectations held" -- run "$dir/nic_lan.lua" --out "$tmp/nic"
checks=$((checks + 1))
la=$(grep -o 'lease 192\.168\.1\.[0-9]*' "$tmp/nic/a/console.log") lb=$(grep -o 'lease 192\.168\.1\.[0-9]*' "$tmp/nic/b/console.log")
if [ -n "$la" ] && [ -n "$lb" ] && [ "$la" != "$lb" ] && [ -s "$tmp/nic/peth0.pcap" ] && [ -s "$tmp/nic/m1-peth0.pcap" ] &&
   [ -s "$tmp/nic/lan0.pcap" ]; then
    ok "two NICs on one LAN: $la and $lb, captures of both wires"
else
    bad "two NICs on one LAN: leases '$la' '$lb', captures: $(ls "$tmp/nic")"
fi
run 1 "machine{}: net: expected" -- run "$dir/bad/net.lua"
# A machine's NIC on net.start's LAN, beside a simulated guest.
run 0 "nic_net.lua passed: 5 expectations held" -- run "$dir/nic_net.lua"

# Snapshot files: saved by one run, the next starts from them; the clock goes on
# from the snapshot's time and the guest from its state; another configuration,
# or a file cut short, is refused naming the file.
rm -rf snapfile
run 0 "snap_save.lua passed" -- run "$dir/snap_save.lua"
run 0 "snap_load.lua passed" -- run "$dir/snap_load.lua" --out "$tmp/snap"
checks=$((checks + 1))
rm -rf snapfile
saved=$(timeout 60 "$hvsim" run "$dir/snap_save.lua" 2>/dev/null | sed -n 's/^saved at //p')
loaded=$(timeout 60 "$hvsim" run "$dir/snap_load.lua" 2>/dev/null | sed -n 's/^restored at //p')
if [ -n "$saved" ] && [ "$saved" = "$loaded" ] && ! grep -qF "shell: ready" "$tmp/snap/shell/console.log"; then
    ok "the restored run starts at the snapshot's time and key ($saved), its console after it"
else
    bad "saved '$saved', restored '$loaded'"
fi
run 1 "$dir/bad/snap_other.lua:3: restore: snapfile/shell.hvsnap: made for another configuration" -- \
    run "$dir/bad/snap_other.lua"
head -c 1000 snapfile/shell.hvsnap >snapfile/cut.hvsnap && mv snapfile/cut.hvsnap snapfile/shell.hvsnap
run 1 "snapfile/shell.hvsnap: not a scenario snapshot of this hvsim (layout 1), or cut short" -- \
    run "$dir/snap_load.lua"
rm -rf snapfile

# Bad input: file:line and status 1.
b=$dir/bad
run 1 "$b/syntax.lua:5: ')' expected (to close '(' at line 4) near 'end'" -- run "$b/syntax.lua"
run 1 "$b/unknown.lua:2: unknown name 'bootmachine'" -- run "$b/unknown.lua"
run 1 "$b/method.lua:3: machine 'm1' has no method or field 'typo'" -- run "$b/method.lua"
run 1 "$b/timeout.lua:4: expect 'never printed' on 'm1' timed out after 0.050000000 s" -- run "$b/timeout.lua"
run 1 "the console of 'm1' last showed:" -- run "$b/timeout.lua"
run 1 "    | > " -- run "$b/timeout.lua"
run 1 "$b/missing.lua:2: machine{}: kernels/no_such_kernel.elf: cannot open" -- run "$b/missing.lua"
run 1 "$b/runaway.lua:3: the script ran more than 100000 Lua instructions (--budget) without ending" \
    -- run "$b/runaway.lua" --budget 100000
run 1 "$b/runaway.lua:3: the script ran more than 100000000 Lua instructions" -- run "$b/runaway.lua"
run 1 "$b/pattern.lua:3: expect: pattern 'ready%': malformed pattern" -- run "$b/pattern.lua"
run 1 "$b/badarg.lua:3: bad argument #1 to 'type' (string expected, got table)" -- run "$b/badarg.lua"
run 1 "$b/helper.lua:3: expect_eq: the answer: got 1 (number), expected 2 (number)" -- run "$b/helper.lua"
run 1 "called from $b/helper.lua:5" -- run "$b/helper.lua"
run 1 "$b/io.lua:2: unknown name 'io'" -- run "$b/io.lua"
run 1 "$b/exec.lua:2: attempt to call a nil value (field 'execute')" -- run "$b/exec.lua"
run 1 "$b/ended.lua:4: expect 'never printed' on 'm1': the machine ended first (debug exit, status 7" \
    -- run "$b/ended.lua"
run 1 "$b/restore_record.lua:4: restore: --record cannot record a restore yet" \
    -- run "$b/restore_record.lua" --record "$tmp/rr.hvrec"
run 1 "failed at t=" -- run "$b/timeout.lua"

# Usage errors: status 2.
run 2 "run needs exactly one SCENARIO.lua" -- run
run 2 "$tmp/none.lua: cannot open the scenario" -- run "$tmp/none.lua"
run 2 "unrecognized option" -- run --bogus "$dir/echo.lua"
run 2 "--seed: expected a number, got 'x'" -- run "$dir/echo.lua" --seed x
run 0 "usage: hvsim run SCENARIO.lua" -- run --help

# Determinism: twice the same, byte for byte; another seed differs.
for i in 1 2; do
    "$hvsim" run "$dir/random.lua" --seed 7 --out "$tmp/r$i" 2>&1 | sed "s|$tmp/r$i|OUT|" >"$tmp/r$i.stdout"
done
"$hvsim" run "$dir/random.lua" --seed 8 --out "$tmp/r3" >"$tmp/r3.stdout" 2>&1
checks=$((checks + 1))
if cmp -s "$tmp/r1/m1/console.log" "$tmp/r2/m1/console.log" && cmp -s "$tmp/r1.stdout" "$tmp/r2.stdout" &&
   cmp -s "$tmp/r1/scenario.log" "$tmp/r2/scenario.log" && [ -s "$tmp/r1/m1/console.log" ]; then
    ok "random.lua twice with --seed 7: identical consoles, summaries (final time) and scenario logs"
else
    bad "random.lua twice differs"; diff "$tmp/r1/m1/console.log" "$tmp/r2/m1/console.log" | head
fi
checks=$((checks + 1))
if ! cmp -s "$tmp/r1/m1/console.log" "$tmp/r3/m1/console.log" && grep -q "passed" "$tmp/r3.stdout"; then
    ok "random.lua with --seed 8 types other numbers"
else
    bad "--seed does not reach math.random"
fi
checks=$((checks + 1))
if grep -qF "t=1767225600 c=0.0" "$tmp/r1/m1/console.log" && grep -qF "d=2026-01-01T00:00:00 2,10,alpha,mid,zeta" \
       "$tmp/r1/m1/console.log"; then
    ok "os.time, os.clock and os.date are simulation time; pairs runs in key order"
else
    bad "os.time/os.clock/os.date or pairs"; head -3 "$tmp/r1/m1/console.log"
fi
for i in 1 2; do
    "$hvsim" run "$dir/shell.lua" --out "$tmp/s$i" 2>&1 | sed "s|$tmp/s$i|OUT|" >"$tmp/s$i.stdout"
done
checks=$((checks + 1))
if cmp -s "$tmp/s1/shell/console.log" "$tmp/s2/shell/console.log" && cmp -s "$tmp/s1.stdout" "$tmp/s2.stdout"; then
    ok "shell.lua (with restores) twice: identical"
else
    bad "shell.lua twice differs"
fi

# --record, then `hvsim replay` matches; its console is the run's.
for s in echo running random; do
    run 0 "passed" -- run "$dir/$s.lua" --record "$tmp/$s.hvrec" --out "$tmp/rec_$s" --seed 3
    run 0 "hvsim: replay: matched" -- replay "$tmp/$s.hvrec" --out "$tmp/rp_$s"
    checks=$((checks + 1))
    name=$(ls "$tmp/rec_$s" | grep -v scenario.log)
    if cmp -s "$tmp/rec_$s/$name/console.log" "$tmp/rp_$s/console.log"; then
        ok "$s: the replay's console is the run's"
    else
        bad "$s: the replay's console differs"
    fi
done
echo "scenario_run: $((checks - fails)) of $checks checks passed"
[ "$fails" -eq 0 ]
