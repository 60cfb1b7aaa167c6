-- a malformed pattern on line 3
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:expect("ready%", { pattern = true })
