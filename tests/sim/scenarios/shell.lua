-- The scenario runner's main test: boot the line shell, type, expect, sleep,
-- snapshot and restore. Run from the build directory (kernels/ is there).
local m = machine{ kernel = "kernels/scenario_shell.elf", name = "shell", mem = 16 }
expect_eq(m.name, "shell", "name")
m:expect("shell: ready", { timeout = "1s" })
m:expect("> ")

m:type("hello\n")
expect_eq(m:expect("echo #1: hello"), "echo #1: hello", "expect's result")

-- sleep advances virtual time by exactly what it is given
local t0 = now_ns()
sleep("10ms")
expect_eq(now_ns() - t0, 10000000, "sleep 10ms")
sleep(0.5)
expect_eq(now_ns() - t0, 510000000, "sleep 0.5")

-- a Lua pattern with a capture
m:type("tsc\n")
local whole, tsc = m:expect("tsc: (%d+)", { pattern = true })
assert(tonumber(tsc) > 500000000, "the TSC counts virtual time: " .. whole)

-- the snapshot holds the shell's line counter (3 lines so far)
local s = m:snapshot()
local t_snap = now_ns()
m:type("count\n")
m:expect("count: 3")
m:type("one more\n")
m:expect("echo #4: one more")
sleep("20ms")

m:restore(s)
expect_eq(now_ns(), t_snap, "the clock after restore")
m:type("count\n")
m:expect("count: 3") -- not 5: the lines after the snapshot are gone
m:type("again\n")
m:expect("echo #4: again")

-- a second restore of the same snapshot works as well
m:restore(s)
m:type("count\n")
m:expect("count: 3")

m:type("exit 5\n")
local status, how = m:wait_exit{ timeout = "1s" }
expect_eq(status, 11, "exit status (5 << 1 | 1)")
expect_eq(how, "exit", "how it ended")
expect_eq(m.ended, true)
log("shell scenario done")
