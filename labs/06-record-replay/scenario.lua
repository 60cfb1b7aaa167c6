-- labs/06-record-replay: a job runner that fails now and then. The kernel
-- (tests/guests/lab_flaky.c) takes jobs from its console, each a number of 10 ms
-- timer ticks to sleep, and prints the job's rate in ticks per RTC second. The
-- scenario types jobs of random length at random moments (math.random on the
-- run's seed), as a test harness would, and records the whole run in
-- out/labs/06-record-replay/run.hvrec with a snapshot every 100 ms of virtual time.
local rec = lab.record_run{ file = "run.hvrec", snapshot_every = 10 }
local m = machine{ kernel = lab.kernel("lab_flaky"), name = "flaky", mem = 16 }
m:expect("flaky: ready", { timeout = "1s" })

local JOBS = 12
local failed_job, failed_ticks = 0, 0
for job = 1, JOBS do
  local ticks = math.random(20, 150)          -- 0.2 s to 1.5 s of sleep
  sleep(math.random(0, 400) / 1000)           -- the harness is not in a hurry
  m:type(ticks .. "\n")
  m:expect("job " .. job .. ": " .. ticks .. " ticks", { timeout = "1s" })
  sleep(ticks / 100 + 0.05)
  if m.ended then                             -- it died on this job
    failed_job, failed_ticks = job, ticks
    break
  end
  m:expect("job " .. job .. " done", { timeout = "1s" })
end
if failed_job == 0 then m:type("q\n") end
local status, how = m:wait_exit{ timeout = "2s" }
log(string.format("the kernel ended (%s, status %d) %s", how, status,
  failed_job > 0 and "on job " .. failed_job or "after every job"))
log("the run is recorded in " .. rec)
lab.record("failed_job", failed_job)
lab.record("failed_ticks", failed_ticks)
lab.record("status", status)
lab.record("jobs_typed", failed_job > 0 and failed_job or JOBS)
