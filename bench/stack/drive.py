#!/usr/bin/env python3
# bench/stack/drive.py: runs a command whose stdout is a serial console (QEMU's
# -nographic, or `hvsim run --console`), types the demo's steps into its stdin
# when their prompts appear, and prints the host seconds from start at which each
# marker was first seen: "MARK NAME SECONDS". Used by bench/stack/demo.sh so that
# hvsim and QEMU TCG are timed the same way on the same images.
# usage: drive.py [--no-input] -- COMMAND...
#   --no-input: only watch (the command drives itself, as `hvsim run` does).
import os, subprocess, sys, time

args = sys.argv[1:]
drive = True
if args and args[0] == "--no-input":
    drive, args = False, args[1:]
if args and args[0] == "--":
    args = args[1:]

# (text that must appear, what to type then, marker name to report)
steps = [
    (b"[root@dom0 ~]# ", b"xl create /etc/xen/linux.cfg\n", "dom0_prompt"),
    (b"Parsing config from /etc/xen/linux.cfg", None, "xl_create"),
    # The PVH DomU as the demo makes it (QEMU's TCG has no VT-x: xl says so and
    # goes on), then the PV DomU's console.
    (b"[root@dom0 ~]# ", b"xl create /etc/xen/pvh.cfg\n", "created"),
    (b"[root@dom0 ~]# ", b"xl list\n", "pvh_created"),
    (b"[root@dom0 ~]# ", b"xl console linux\n", "listed"),
    (b"Linux version", None, "domu_first_line"),
    (b"DOMU-INIT: linux is up", None, "domu_init"),
]
start = time.monotonic()
p = subprocess.Popen(args, stdin=subprocess.PIPE if drive else subprocess.DEVNULL,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
buf, pos, step = b"", 0, 0
while step < len(steps):
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
        break
    buf += chunk
    while step < len(steps):
        want, typed, name = steps[step]
        at = buf.find(want, pos)
        if at < 0:
            break
        pos = at + len(want)
        print(f"MARK {name} {time.monotonic() - start:.2f}", flush=True)
        if typed and drive:
            p.stdin.write(typed)
            p.stdin.flush()
        step += 1
p.kill()
p.wait()
sys.exit(0 if step == len(steps) else 1)
