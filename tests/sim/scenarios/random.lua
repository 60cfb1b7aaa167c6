-- Randomness and clocks, all from the simulation: what this types and when
-- depends on math.random (--seed), os.time, os.clock and os.date.
local m = machine{ kernel = "kernels/scenario_shell.elf", mem = 16 }
m:expect("> ")
local words = { zeta = 1, alpha = 2, mid = 3, [10] = 4, [2] = 5 }
local order = {}
for k in pairs(words) do order[#order + 1] = tostring(k) end
for i = 1, 4 do
  sleep(math.random(1, 20) / 1000)
  m:type(string.format("r=%d f=%.6f t=%d c=%.6f d=%s %s\n", math.random(1000000), math.random(), os.time(),
                       os.clock(), os.date("!%Y-%m-%dT%H:%M:%S"), table.concat(order, ",")))
  m:expect("echo #" .. i)
end
m:type(tostring({}) .. " " .. tostring(print) .. "\n")
m:expect("echo #5: table: #")
log("random", math.random(), os.time{ year = 2026, month = 1, day = 2, hour = 0 })
