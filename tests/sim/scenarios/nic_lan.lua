-- Two machines with an e1000 each on one netsim LAN (net = "lan"): both run
-- the nic_lan driver kernel, each gets its own DHCP lease from the LAN's
-- router and pings it; captures in --out DIR (lan0.pcap, peth0.pcap, m1-peth0.pcap).
local a = machine{ kernel = "kernels/nic_lan.elf", mem = 16, name = "a", net = "lan" }
local b = machine{ kernel = "kernels/nic_lan.elf", mem = 16, name = "b", net = "lan", mac = "52:54:00:00:00:02" }
a:expect("lease 192.168.1.")
b:expect("lease 192.168.1.")
a:expect("echo reply 3")
b:expect("echo reply 3")
expect_eq(a:wait_exit(), 33, "a's driver passed")
expect_eq(b:wait_exit(), 33, "b's driver passed")

-- The cable of a third machine pulled and plugged back (m:link): its driver
-- sees LSC interrupts and STATUS.LU follow.
local c = machine{ kernel = "kernels/nic_lan.elf", cmdline = "linkwait", mem = 16, name = "c", net = "lan",
                   mac = "52:54:00:00:00:03" }
c:expect("waiting for the link to go down")
c:link(false)
c:expect("ok   link down")
c:expect("waiting for the link to come back")
c:link(true)
c:expect("ok   link up again")
expect_eq(c:wait_exit(), 33, "c's driver passed")
local ok, err = pcall(function() machine{ kernel = "kernels/nic_lan.elf", mem = 16, name = "d" }:link(true) end)
assert(not ok and err:find("has no NIC", 1, true), err)
