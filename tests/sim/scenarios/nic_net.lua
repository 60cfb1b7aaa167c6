-- A machine's NIC on the scenario's network: net.start("bridge") first, then a
-- machine with net = "lan" joins that network's LAN (lan0, with its router and
-- www) beside a simulated guest on xenbr0; both get leases from the one DHCP
-- server, and the switch port's counters show the machine's frames.
net.start("bridge")
local g = net.client("vif1.0")
local m = machine{ kernel = "kernels/nic_lan.elf", mem = 16, name = "m", net = "lan" }
net.capture("lan0")
local _, ip = m:expect("lease (192%.168%.1%.%d+)", { pattern = true })
expect_eq(m:wait_exit(), 33, "the driver passed")
sleep("8s")
expect_eq(g.state, "done", "the simulated guest's session")
assert(g.ip ~= ip, "two leases: " .. tostring(g.ip) .. " and " .. ip)
local c = net.counters("sw-peth0")
assert(c.rx_packets == 7 and c.tx_packets >= 7, "sw-peth0 saw the machine's 7 frames: " .. c.rx_packets .. " in, " .. c.tx_packets .. " out")
