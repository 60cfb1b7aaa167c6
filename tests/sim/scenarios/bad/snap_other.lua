-- A snapshot file of another configuration (16 MiB, here 32) is refused.
local m = machine{ kernel = "kernels/scenario_shell.elf", name = "shell", mem = 32 }
m:restore("snapfile/shell.hvsnap")
