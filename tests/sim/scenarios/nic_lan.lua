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
