#!/usr/bin/env python3
"""interactive.py: `hvsim boot --interactive` driven through a pseudo-terminal
as a person would drive it, with the line shell kernel (scenario_shell) that
echoes what it reads.

Checks: the terminal is raw while keys go to the guest (no echo, no line
editing, no signal keys, output processing kept) and cooked at the Ctrl-]
prompt; `status` names virtual time and instructions, and virtual time has not run
ahead of the wall clock while the guest waited for keys; `continue` goes back and
`quit` ends with status 0; the terminal is as it was after every way out (quit,
the guest's own exit, SIGTERM, SIGABRT, an error before the run; SIGTSTP
from outside stops it with the terminal restored and SIGCONT makes it raw
again); `hvsim
replay` of each --record reproduces the session's console byte for byte with
nobody typing (the keys are in the log with their instruction counts); a
SIGKILLed session's log replays with --salvage and its trace reports with
--salvage; `--console-input -` from a terminal is live (keys echo before any
end of input); --interactive from a pipe takes lines as they come.

usage: interactive.py HVSIM SHELL_KERNEL
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time

HVSIM, KERNEL = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="hvsim-interactive-")
TIMEOUT = 120.0  # seconds for anything to show up: a loaded host is only slower
fails = 0


def ok(msg):
    print("ok   " + msg, flush=True)


def bad(msg, detail=""):
    global fails
    fails += 1
    print("FAIL: " + msg, flush=True)
    for line in detail.splitlines()[-12:]:
        print("  | " + line, flush=True)


def path(name):
    return os.path.join(TMP, name)


def read_file(p):
    try:
        with open(p, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


class Session:
    """hvsim boot with stdin and stderr on a pty slave, stdout to a file."""

    def __init__(self, name, extra, stdin_tty=True):
        self.name = name
        self.out = path(name + ".out")
        self.master, self.slave = pty.openpty()
        self.attrs0 = termios.tcgetattr(self.slave)
        self.term = b""  # what the terminal showed (hvsim's stderr)
        with open(self.out, "wb") as out:
            self.p = subprocess.Popen([HVSIM, "boot", KERNEL] + extra,
                                      stdin=self.slave if stdin_tty else subprocess.PIPE,
                                      stdout=out, stderr=self.slave, close_fds=True)

    def pump(self, wait=0.05):
        r, _, _ = select.select([self.master], [], [], wait)
        if r:
            try:
                self.term += os.read(self.master, 65536)
            except OSError:
                pass

    def wait_console(self, text):
        """Poll the console file until it holds text; False on timeout or exit."""
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            if text in read_file(self.out):
                return True
            if self.p.poll() is not None:
                return text in read_file(self.out)
            self.pump()
        return False

    def wait_term(self, text, start=0):
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            if text in self.term[start:]:
                return True
            if self.p.poll() is not None:
                self.pump(0)
                return text in self.term[start:]
            self.pump()
        return False

    def type(self, data):
        os.write(self.master, data)

    def wait_exit(self):
        try:
            rc = self.p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        for _ in range(5):
            self.pump(0.01)
        return rc

    def attrs(self):
        return termios.tcgetattr(self.slave)

    def restored(self):
        return self.attrs() == self.attrs0

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)
        os.close(self.slave)

    def stderr_text(self):
        return self.term.decode(errors="replace")


def is_raw(attrs):
    iflag, oflag, lflag = attrs[0], attrs[1], attrs[3]
    return (not lflag & (termios.ICANON | termios.ECHO | termios.ISIG) and not iflag & (termios.ICRNL | termios.IXON)
            and oflag & termios.OPOST)


def is_cooked(attrs):
    return bool(attrs[3] & termios.ICANON and attrs[3] & termios.ECHO)


def replay_matches(what, rec, console_file, salvage=False, want_end=True):
    """hvsim replay REC: status 0 and its console is console_file's bytes."""
    args = [HVSIM, "replay", rec, "--quiet"] + (["--salvage"] if salvage else [])
    r = subprocess.run(args, capture_output=True, timeout=600)
    err = r.stderr.decode(errors="replace")
    live = read_file(console_file)
    if r.returncode != 0:
        bad(f"{what}: replay exited {r.returncode}", err)
    elif want_end and "and the end state" not in err:
        bad(f"{what}: replay did not check the end state", err)
    elif salvage and not live.startswith(r.stdout):
        bad(f"{what}: the salvaged replay's console is not a prefix of the session's",
            f"replay: {r.stdout[-300:]!r}\nlive: {live[-300:]!r}")
    elif not salvage and r.stdout != live:
        bad(f"{what}: the replay's console differs from the session's",
            f"replay ({len(r.stdout)} bytes): {r.stdout[-300:]!r}\nlive ({len(live)} bytes): {live[-300:]!r}")
    else:
        ok(f"{what}: replay with nobody typing: {err.strip().splitlines()[-1]}; console "
           f"{'a prefix of' if salvage else 'identical to'} the session's ({len(r.stdout)} bytes)")


# --- a whole session: type, escape, status, continue, type, quit ---
s = Session("session", ["--interactive", "--record", path("session.hvrec"), "--trace", path("session.hvtrace")])
if not s.wait_console(b"shell: ready\n> "):
    bad("session: no prompt from the guest", s.stderr_text())
else:
    raw = is_raw(s.attrs())
    if raw and s.wait_term(b"Ctrl-] for the hvsim prompt"):
        ok("session: the terminal is raw (no echo, no line editing, no signal keys; output processing kept)")
    else:
        bad(f"session: the terminal is not raw ({s.attrs()}) or no banner", s.stderr_text())
    s.type(b"hello\r")  # Enter on a raw terminal sends CR
    if s.wait_console(b"echo #1: hello\n> "):
        ok("session: typed 'hello' + Enter reached the guest live and it answered")
    else:
        bad("session: no answer to 'hello'", read_file(s.out).decode(errors="replace"))
    time.sleep(0.5)  # the guest waits for keys, halted: virtual time must not race ahead
    mark = len(s.term)
    s.type(b"\x1d")
    if s.wait_term(b"hvsim> ", mark) and is_cooked(s.attrs()):
        ok("session: Ctrl-] opens the hvsim prompt, the terminal cooked for it")
    else:
        bad("session: no prompt after Ctrl-], or the terminal not cooked", s.stderr_text())
    mark = len(s.term)
    s.type(b"status\n")
    if s.wait_term(b"hvsim> ", mark) and b"instructions" in s.term[mark:] and b" s, " in s.term[mark:]:
        st = s.term[mark:].decode(errors="replace").splitlines()[1].strip()
        ok("session: status: " + st)
        m = re.search(r"t=([0-9.]+) s, .* ([0-9.]+) s of wall time", st)
        if m and 0.05 < float(m.group(1)) <= float(m.group(2)) + 0.002:
            ok(f"session: virtual time ({m.group(1)} s) kept to the wall clock ({m.group(2)} s) while the guest waited")
        else:
            bad("session: virtual time ran ahead of the wall clock (or did not run)", st)
    else:
        bad("session: status did not tell the virtual time and instructions", s.stderr_text())
    mark = len(s.term)
    s.type(b"continue\n")
    if s.wait_term(b"back to the guest", mark):
        time.sleep(0.1)
        if is_raw(s.attrs()):
            ok("session: continue: back to the guest, the terminal raw again")
        else:
            bad("session: continue: the terminal is not raw again")
    else:
        bad("session: continue did not go back", s.stderr_text())
    s.type(b"count\r")
    if s.wait_console(b"count: 2\n> "):
        ok("session: keys after the prompt reach the guest (count: 2)")
    else:
        bad("session: no 'count: 2' after continue", read_file(s.out).decode(errors="replace"))
    mark = len(s.term)
    s.type(b"\x1d")
    s.wait_term(b"hvsim> ", mark)
    s.type(b"quit\n")
    rc = s.wait_exit()
    if rc == 0 and s.restored() and b"quit at the prompt" in s.term:
        ok("session: quit: status 0, the terminal as it was before")
    else:
        bad(f"session: quit: status {rc}, terminal restored {s.restored()}", s.stderr_text())
    if b"\x1d" not in read_file(s.out) and b"status" not in read_file(s.out):
        ok("session: nothing typed at the prompt reached the guest")
    else:
        bad("session: prompt input leaked into the guest", read_file(s.out).decode(errors="replace"))
s.close()
replay_matches("session", path("session.hvrec"), path("session.out"))
r = subprocess.run([HVSIM, "report", path("session.hvtrace")], capture_output=True, timeout=120)
if r.returncode == 0:
    ok("session: the trace reports")
else:
    bad("session: hvsim report of the trace", r.stdout.decode() + r.stderr.decode())

# --- the guest ends the session itself: its own status, terminal restored ---
s = Session("exit", ["--interactive", "--record", path("exit.hvrec")])
if s.wait_console(b"> "):
    s.type(b"one\rexit 3\r")
    rc = s.wait_exit()
    if rc == 7 and s.restored() and b"shell: exit 3" in read_file(s.out):
        ok("guest exit: status 7 (debug exit 3), the terminal as it was")
    else:
        bad(f"guest exit: status {rc}, terminal restored {s.restored()}", s.stderr_text())
else:
    bad("guest exit: no prompt from the guest", s.stderr_text())
s.close()
replay_matches("guest exit", path("exit.hvrec"), path("exit.out"))

# --- SIGTERM during a recorded session: 143, terminal restored, log replays ---
s = Session("term", ["--interactive", "--record", path("term.hvrec")])
if s.wait_console(b"> "):
    s.type(b"before the signal\r")
    s.wait_console(b"echo #1: before the signal\n> ")
    s.type(b"half a li")  # typed, maybe entered, never finished
    time.sleep(0.3)
    s.p.send_signal(signal.SIGTERM)
    rc = s.wait_exit()
    if rc == 143 and s.restored() and b"ended by SIGTERM" in s.term:
        ok("SIGTERM: status 143, the terminal as it was, 'ended by SIGTERM'")
    else:
        bad(f"SIGTERM: status {rc}, terminal restored {s.restored()}", s.stderr_text())
else:
    bad("SIGTERM: no prompt from the guest", s.stderr_text())
s.close()
replay_matches("SIGTERM", path("term.hvrec"), path("term.out"))

# --- a fatal signal (SIGABRT) restores the terminal before the process dies ---
s = Session("abrt", ["--interactive"])
if s.wait_console(b"> ") and is_raw(s.attrs()):
    s.p.send_signal(signal.SIGABRT)
    rc = s.wait_exit()
    if rc == -signal.SIGABRT and s.restored():
        ok("SIGABRT: the process dies of it, the terminal as it was")
    else:
        bad(f"SIGABRT: status {rc}, terminal restored {s.restored()}", s.stderr_text())
else:
    bad("SIGABRT: no prompt or not raw", s.stderr_text())
s.close()

# --- job control from outside: SIGTSTP gives the shell its terminal back, SIGCONT takes it raw again ---
def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def wait_state(pid, want):
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        if proc_state(pid) in want:
            return True
        time.sleep(0.02)
    return False


s = Session("tstp", ["--interactive", "--record", path("tstp.hvrec")])
if s.wait_console(b"> ") and is_raw(s.attrs()):
    s.p.send_signal(signal.SIGTSTP)
    stopped = wait_state(s.p.pid, "T") and s.restored()
    s.p.send_signal(signal.SIGCONT)
    resumed = wait_state(s.p.pid, "RS")
    time.sleep(0.2)
    raw_again = is_raw(s.attrs())
    s.type(b"after\r")
    answered = s.wait_console(b"echo #1: after")
    s.type(b"exit 0\r")
    rc = s.wait_exit()
    if stopped and resumed and raw_again and answered and rc == 1 and s.restored():
        ok("SIGTSTP: stopped with the terminal as it was; SIGCONT: raw again, keys still reach the guest")
    else:
        bad(f"SIGTSTP: stopped+restored {stopped}, resumed {resumed}, raw again {raw_again}, "
            f"answered {answered}, status {rc}", s.stderr_text())
else:
    bad("SIGTSTP: no prompt or not raw", s.stderr_text())
s.close()
replay_matches("SIGTSTP", path("tstp.hvrec"), path("tstp.out"))

# --- an error before the run leaves the terminal alone ---
s = Session("error", ["--interactive", "--record", path("no/such/dir/x.hvrec")])
rc = s.wait_exit()
if rc == 2 and s.restored():
    ok("error: status 2, the terminal untouched")
else:
    bad(f"error: status {rc}, terminal restored {s.restored()}", s.stderr_text())
s.close()

# --- SIGKILL: nothing restores, yet the log and trace are salvageable ---
s = Session("kill", ["--interactive", "--record", path("kill.hvrec"), "--trace", path("kill.hvtrace")])
if s.wait_console(b"> "):
    s.type(b"typed before the kill\r")
    s.wait_console(b"echo #1: typed before the kill\n> ")
    time.sleep(1.5)  # checkpoints after the keys entered, and a trace flush
    s.p.send_signal(signal.SIGKILL)
    s.wait_exit()
    replay_matches("SIGKILL", path("kill.hvrec"), path("kill.out"), salvage=True, want_end=False)
    r = subprocess.run([HVSIM, "replay", path("kill.hvrec"), "--salvage", "--quiet"], capture_output=True,
                       timeout=600)
    if b"echo #1: typed before the kill" in r.stdout:
        ok("SIGKILL: the salvaged replay types what the person typed")
    else:
        bad("SIGKILL: the keys are not in the salvaged log", r.stderr.decode())
    r = subprocess.run([HVSIM, "report", path("kill.hvtrace"), "--salvage"], capture_output=True, timeout=120)
    if r.returncode == 0 and b"Domains" in r.stdout:
        ok("SIGKILL: the trace reports with --salvage")
    else:
        bad("SIGKILL: report --salvage", r.stdout.decode() + r.stderr.decode())
else:
    bad("SIGKILL: no prompt from the guest", s.stderr_text())
s.close()

# --- --console-input - from a terminal is live: keys echo with stdin still open ---
s = Session("dash", ["--console-input", "-", "--record", path("dash.hvrec")])
if s.wait_console(b"> ") and is_raw(s.attrs()):
    s.type(b"live\r")
    if s.wait_console(b"echo #1: live\n> "):
        ok("--console-input - on a terminal: live, raw, answered before any end of input")
    else:
        bad("--console-input - on a terminal: no answer", s.stderr_text())
    s.type(b"exit 0\r")
    rc = s.wait_exit()
    if rc != 1 or not s.restored():
        bad(f"--console-input -: status {rc} (expected 1), terminal restored {s.restored()}")
else:
    bad("--console-input - on a terminal: no prompt, or not raw", s.stderr_text())
s.close()
replay_matches("--console-input -", path("dash.hvrec"), path("dash.out"))

# --- --interactive from a pipe: lines as they come, then Ctrl-] quit ---
s = Session("pipe", ["--interactive", "--record", path("pipe.hvrec")], stdin_tty=False)
if s.wait_console(b"> "):
    s.p.stdin.write(b"first\n")
    s.p.stdin.flush()
    got_first = s.wait_console(b"echo #1: first\n> ")
    s.p.stdin.write(b"second\n")
    s.p.stdin.flush()
    s.wait_console(b"echo #2: second\n> ")
    s.p.stdin.write(b"\x1dstatus\nquit\n")
    s.p.stdin.close()
    rc = s.wait_exit()
    out = read_file(s.out)
    if got_first and rc == 0 and b"echo #2: second" in out and b"instructions" in s.term:
        ok("pipe: each line answered as it came, the prompt read from the pipe, quit status 0")
    else:
        bad(f"pipe: status {rc}", s.stderr_text() + out.decode(errors="replace"))
else:
    bad("pipe: no prompt from the guest", s.stderr_text())
s.close()
replay_matches("pipe", path("pipe.hvrec"), path("pipe.out"))

if fails == 0:
    print("all interactive checks passed")
    subprocess.run(["rm", "-rf", TMP])
sys.exit(1 if fails else 0)
