-- restore under --record: line 4
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
local s = m:snapshot()
m:restore(s)
