-- console_echo (tests/guests) reads one line and exits 33: type into it.
local m = machine{ kernel = "kernels/console_echo.elf", name = "echo" }
m:expect("type a line")
sleep("3ms")
m:type("abc\n")
m:expect('read 3 bytes "abc"')
expect_eq(m:wait_exit(), 33, "exit status")
