-- an unknown method on line 3
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:typo("x")
