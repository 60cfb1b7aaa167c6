-- labs/05-txqueuelen: a burst through a vif, on netsim's simulated network.
-- xenbr0 bridges a guest's vif1.0 onto the LAN (Xen's network-bridge); the
-- guest leases an address, resolves www, pings it and fetches its page. Then the
-- server www sends bursts of 200 UDP datagrams of 1400 bytes to the guest, at
-- 1 Gbit/s on the LAN, while the vif toward the guest drains at 100 Mbit/s (a
-- guest slow to take frames off its ring). The vif's transmit queue holds what
-- waits; what does not fit is dropped. One burst per txqueuelen, one second apart.
net.start("bridge")
local g = net.client("vif1.0", { name = "domu" })
net.capture("vif1.0")                                  -- out/labs/05-txqueuelen/vif1.0.pcap
for _ = 1, 100 do
  if g.state == "done" or g.state == "failed" then break end
  sleep("100ms")
end
expect_eq(g.state, "done", "the guest's DHCP, DNS, ping and HTTP")
log(string.format("guest domu leased %s, fetched '%s'", g.ip, (g.body:gsub("%s+$", ""))))
log(string.format("vif1.0: txqueuelen %d", net.counters("vif1.0").txqueuelen))
lab.record("guest_ip", g.ip)
lab.record("default_txqueuelen", net.counters("vif1.0").txqueuelen)

net.link("vif1.0", { rate = "100M" })
local COUNT, SIZE = 200, 1400
lab.record("burst_count", COUNT)
lab.record("burst_size", SIZE)
print("")
print(string.format("burst of %d x %d-byte UDP datagrams, www -> %s, vif1.0 at 100 Mbit/s", COUNT, SIZE, g.ip))
print("  txqueuelen   dropped   delivered")
local smallest_clean
for _, q in ipairs({ 16, 32, 64, 128, 256, 512, 1000 }) do
  net.txqueuelen("vif1.0", q)                           -- ip link set dev vif1.0 txqueuelen q
  local before, rx0 = net.counters("vif1.0"), g.rx_packets
  net.burst(g, { count = COUNT, size = SIZE })
  sleep("1s")
  local after = net.counters("vif1.0")
  local dropped, delivered = after.tx_dropped - before.tx_dropped, g.rx_packets - rx0
  print(string.format("  %10d %9d %11d", q, dropped, delivered))
  lab.record("dropped_" .. q, dropped)
  lab.record("delivered_" .. q, delivered)
  if dropped == 0 and not smallest_clean then smallest_clean = q end
end
print("")
lab.record("smallest_clean", smallest_clean or 0)
