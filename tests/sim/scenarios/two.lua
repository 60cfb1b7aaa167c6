-- Two machines on one clock: the shell and console_echo, typed into in turn.
local a = machine{ kernel = "kernels/scenario_shell.elf", mem = 16, name = "a" }
local b = machine{ kernel = "kernels/console_echo.elf", mem = 16, name = "b" }
a:expect("> ")
b:expect("type a line")
a:type("hi\n")
b:type("yo\n")
a:expect("echo #1: hi")
b:expect('read 2 bytes "yo"')
expect_eq(b:wait_exit(), 33, "b's exit status")
expect_eq(b.ended, true, "b ended")
expect_eq(a.ended, false, "a runs on")
a:type("count\n")
a:expect("count: 2")
-- restore needs a world of one machine so far: a clear error, catchable
local ok, err = pcall(function() a:restore(a:snapshot()) end)
assert(not ok and err:find("two.lua:16: restore: restore in a world of 2 machines is not supported yet", 1, true), err)
