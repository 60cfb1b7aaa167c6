-- labs/06-record-replay's grader: the answers against what the scenario saw
-- (results) and against the recording itself (run.hvrec, read back).
local rec = recording("run.hvrec")
assert(results.failed_job > 0, "this run of the lab did not fail: nothing to find (was the seed changed?)")

-- The snapshot `hvsim replay --seek` restores for the failure: the last at or before the end.
local snap
for _, s in ipairs(rec.snapshots) do
  if s.time_ns <= rec.end_ns then snap = s end
end
assert(snap, "the recording has no snapshot before its end")

question{ key = "failed_job", expect = results.failed_job,
  hint = "the console (out/labs/06-record-replay/flaky/console.log, or hvsim replay's) numbers the jobs" }
question{ key = "failed_ticks", expect = results.failed_ticks,
  hint = "the kernel prints each job's ticks as it starts it" }
question{ key = "status", expect = rec.status,
  hint = "hvsim replay prints how the machine ended; tests/guests/README.md explains the statuses" }
question{ key = "end_time", expect = rec.end_s, tolerance = 1e-6,
  hint = "the virtual time, in seconds, at which the machine stopped: hvsim replay prints it" }
-- Instruction counts within 0.1%: the reference answers then survive a small
-- change of hvsim's CPU model or of klib, which moves them by a few dozen.
question{ key = "end_instructions", expect = rec.end_instructions, tolerance = rec.end_instructions // 1000,
  hint = "the instruction count at the end: hvsim replay prints it" }
question{ key = "seek_snapshot", expect = snap.time_s, tolerance = 1e-6,
  hint = "hvsim replay --seek T says which snapshot it restored; seek to the failure's time" }
question{ key = "instructions_after_seek", expect = rec.end_instructions - snap.instructions,
  tolerance = (rec.end_instructions - snap.instructions) // 100,
  hint = "replay with --seek and --trace, then hvsim report: the machine's instructions column" }
question{ key = "vector", expect = { 0, "#DE", "DE", "divide error" },
  hint = "hvsim report's Exceptions table of the traced replay" }
question{ key = "elapsed", expect = 0,
  hint = "rate = ticks / elapsed RTC seconds: what must elapsed have been for that exception?" }
