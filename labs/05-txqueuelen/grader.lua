-- labs/05-txqueuelen's grader: counts against the run's results; times against
-- Ethernet's arithmetic (each frame costs its bytes plus 14 of Ethernet header,
-- 4 of FCS, 8 of preamble and 12 of inter-frame gap on the wire).
local frame_wire = results.burst_size + 8 + 20 + 14 + 4 + 8 + 12     -- bytes a datagram costs on the wire
local vif_us = frame_wire * 8 / 100e6 * 1e6
local lan_us = frame_wire * 8 / 1e9 * 1e6
local drained = results.delivered_32 - 32

question{ key = "default_txqueuelen", expect = results.default_txqueuelen,
  hint = "the vif's txqueuelen before the lab changes it: the log prints it (netback's default)" }
question{ key = "dropped_32", expect = results.dropped_32,
  hint = "the table's row for txqueuelen 32" }
question{ key = "dropped_1000", expect = results.dropped_1000,
  hint = "the table's row for txqueuelen 1000" }
question{ key = "vif_frame_us", expect = vif_us, tolerance = 0.5,
  hint = "bytes on the wire for one datagram (UDP, IP, Ethernet headers, FCS, preamble, gap) x 8 / 100 Mbit/s" }
question{ key = "burst_arrival_us", expect = results.burst_count * lan_us, tolerance = results.burst_count * lan_us * 0.02,
  hint = "the whole burst back to back at 1 Gbit/s on the LAN" }
question{ key = "drained_during_burst", expect = drained, tolerance = 2,
  hint = "with txqueuelen 32, how many delivered frames were not in the queue? Compare with the two times above" }
question{ key = "smallest_clean", expect = results.smallest_clean,
  hint = "the smallest txqueuelen of the table with no drop" }
question{ key = "min_queue", expect = results.burst_count - drained, tolerance = 10,
  hint = "a queue must hold what arrives minus what leaves during the burst" }
