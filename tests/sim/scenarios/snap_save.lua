-- Saves a snapshot file after one typed line (scenario_run.sh, then snap_load.lua).
local m = machine{ kernel = "kernels/scenario_shell.elf", name = "shell", mem = 16 }
expect_eq(m:restore("snapfile/shell.hvsnap"), false, "restore of a file that does not exist")
m:expect("shell: ready", { timeout = "1s" })
m:expect("> ")
m:type("one\n")
m:expect("echo #1: one")
m:expect("> ")
m:save_snapshot("snapfile/shell.hvsnap")
print("saved at " .. now_ns() .. " key " .. m:config_key())
m:type("two\n")
m:expect("echo #2: two")
