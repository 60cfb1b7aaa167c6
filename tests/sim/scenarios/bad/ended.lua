-- a machine that ends while expected: line 4
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:type("exit 3\n")
m:expect("never printed")
