-- Starts from snap_save.lua's file: the clock and the shell's line count go on from it.
local m = machine{ kernel = "kernels/scenario_shell.elf", name = "shell", mem = 16 }
expect_eq(m:restore("snapfile/shell.hvsnap"), true, "restore from the file")
print("restored at " .. now_ns() .. " key " .. m:config_key())
m:type("count\n")
m:expect("count: 2") -- "one" and this line: the counter comes from the snapshot
m:type("two\n")
m:expect("echo #3: two")
