#!/usr/bin/env python3
"""step.py: `hvsim lab run LAB --step` on a terminal (a pseudo-terminal), as a
student would run it: it stops before the first expect, saying what it waits
for, and stays stopped until Enter; each Enter lets it go on to the next
expect; the run then ends as a run without --step does (status 0, the same
results.txt).

usage: step.py HVSIM OUTDIR   (run from anywhere; it works in the project's folder)
"""
import os
import pty
import select
import subprocess
import sys
import time

HVSIM, OUT = sys.argv[1], sys.argv[2]
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LAB = "labs/06-record-replay"
TIMEOUT = 60.0


def fail(msg, seen=b""):
    print("step: FAIL: " + msg)
    for line in seen.decode(errors="replace").splitlines()[-10:]:
        print("  | " + line)
    sys.exit(1)


pid, fd = pty.fork()
if pid == 0:
    os.execv(HVSIM, [HVSIM, "lab", "run", LAB, "--step", "--out", OUT + "/step"])
seen = b""


def read_until(text, timeout=TIMEOUT):
    global seen
    end = time.monotonic() + timeout
    while text not in seen:
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return text in seen
            if not data:
                return text in seen
            seen += data
    return True


first = b"[step] flaky waits for 'flaky: ready': press Enter to go on"
if not read_until(first):
    fail("no step prompt before the first expect", seen)
# Stopped: nothing more comes until Enter.
before = len(seen)
read_until(b"job 1:", timeout=2.0)
if b"[step]" in seen[before:]:
    fail("it went on to the next expect without Enter", seen)
os.write(fd, b"\n")
if not read_until(b"[step] flaky waits for 'job 1: "):
    fail("Enter did not take it to the next expect", seen)
print("ok   stops before each expect, saying what it waits for, until Enter")
# Enter for every remaining expect, until the run ends.
status = None
for _ in range(200):
    os.write(fd, b"\n")
    time.sleep(0.05)
    done, st = os.waitpid(pid, os.WNOHANG)
    r, _, _ = select.select([fd], [], [], 0)
    if r:
        try:
            seen += os.read(fd, 65536)
        except OSError:
            pass
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status != 0:
    fail("the stepped run ended with %r, expected 0" % status, seen)
plain = subprocess.run([HVSIM, "lab", "run", LAB, "--out", OUT + "/plain"], capture_output=True)
if plain.returncode != 0:
    fail("the plain run: exit %d" % plain.returncode, plain.stderr)
with open(OUT + "/step/results.txt", "rb") as a, open(OUT + "/plain/results.txt", "rb") as b:
    if a.read() != b.read():
        fail("the stepped run's results differ from the plain run's")
print("ok   the stepped run ends as the plain one: status 0, the same results")
