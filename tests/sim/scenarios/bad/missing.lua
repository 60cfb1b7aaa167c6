-- a missing kernel on line 2
local m = machine{ kernel = "kernels/no_such_kernel.elf" }
