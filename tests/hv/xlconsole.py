#!/usr/bin/env python3
"""xlconsole.py: a DomU's console log from hv/ (its console ring) holds, byte for
byte, what `xl console NAME` showed on Domain-0's console.

usage: xlconsole.py CONSOLE_LOG NAME RING_LOG [NTH]
CONSOLE_LOG is the machine's COM1 log (Xen's and Domain-0's console), NAME the
domain as typed after `xl console`, RING_LOG hv/'s console-dom<N>.log, NTH which
`xl console NAME` session (1 = the first). What xl console printed runs from
the echoed command line to Domain-0's next prompt. Two things on that screen are
not the DomU's:
 - Domain-0's tty turns each LF into CR LF (ONLCR), so the DomU's "\\r\\n" shows
   as "\\r\\r\\n": undone here;
 - Domain-0's own kernel messages ("[   14.18] vif vif-2-0 ...") print on the
   same console between the DomU's lines: whole lines of the form
   "[ seconds] text" that are nowhere in the ring are left out, and their
   number printed.
What remains must be one contiguous run of the ring's bytes. Exit 0 when it is."""
import re
import sys

con = open(sys.argv[1], 'rb').read()
name = sys.argv[2].encode()
ring = open(sys.argv[3], 'rb').read()
nth = int(sys.argv[4]) if len(sys.argv) > 4 else 1
cmd = b'xl console ' + name + b'\r\r\n'
i = -1
for _ in range(nth):
    i = con.find(cmd, i + 1)
    if i < 0:
        sys.exit('xlconsole: no "xl console %s" number %d in %s' % (name.decode(), nth, sys.argv[1]))
i += len(cmd)
j = con.find(b'[root@dom0 ~]# ', i)
if j < 0:
    sys.exit('xlconsole: no Domain-0 prompt after xl console %s' % name.decode())
shown = con[i:j].replace(b'\r\n', b'\n')
lines = shown.splitlines(keepends=True)
# Where in the ring the session starts: its first line (the DomU's output may
# have begun before xl console attached; xenconsoled replays nothing).
start = ring.find(lines[0]) if lines else 0
if start < 0:
    sys.exit('xlconsole: the first line xl console showed is not in the ring: %r' % lines[0][:80])
pos, dropped = start, 0
for ln in lines:
    if ring.startswith(ln, pos):
        pos += len(ln)
        continue
    if re.match(rb'^\[ *\d+\.\d+\] ', ln) and ln not in ring:
        dropped += 1
        continue
    k = 0
    while k < len(ln) and pos + k < len(ring) and ring[pos + k] == ln[k]:
        k += 1
    sys.exit('xlconsole: %s: at ring byte %d xl console showed %r, the ring has %r' %
             (name.decode(), pos + k, ln[k:k + 60], ring[pos + k:pos + k + 60]))
print('xlconsole: %s: %d bytes shown by xl console = ring bytes %d..%d (%d Domain-0 kernel lines between)' %
      (name.decode(), pos - start, start, pos, dropped))
