-- a syntax error: the call opened on line 4 is not closed (Lua finds it on line 5)
local m = machine{ kernel = "kernels/scenario_shell.elf" }
if m then
  log("x"
end
