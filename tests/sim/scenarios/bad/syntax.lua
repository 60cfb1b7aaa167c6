-- a syntax error on line 3
local m = machine{ kernel = "kernels/scenario_shell.elf" }
if m then
  log("x"
end
