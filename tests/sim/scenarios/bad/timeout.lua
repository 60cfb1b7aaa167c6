-- an expect that times out on line 4
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:expect("ready")
m:expect("never printed", { timeout = "50ms" })
