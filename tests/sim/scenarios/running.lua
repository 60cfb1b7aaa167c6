-- Ends while the shell still runs: a record of it must replay to the same end.
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:expect("> ")
for i = 1, 5 do
  sleep(string.format("%dms", 3 * i))
  m:type("line " .. i .. "\n")
  m:expect("echo #" .. i)
end
m:type("tsc\n")
m:expect("tsc: %d+\n", { pattern = true })
sleep("7ms")
