-- The scenario network (net.*): two simulated guests on libvirt's NAT, one
-- behind a slow link; a third whose cable is pulled gets no lease until it is
-- plugged back; a lossy link loses frames the counters show; captures of the
-- bridge and of one port under --out.
net.start("nat")
local bridge = net.capture("virbr0")
local g1 = net.client("vif1.0")
local port = net.capture("vif1.0", "guest1-port.pcap")
local g2 = net.client("vif2.0", {name = "slow", mac = "00:16:3e:00:02:22"})
net.link("vif2.0", {latency = "20ms", rate = "10M"})
sleep("5s")
expect_eq(g1.state, "done")
expect_eq(g1.answered, 3)
expect_eq(g1.http, 200)
expect_eq(g1.router, "192.168.122.1")
expect_eq(g1.resolved, "192.168.1.10")
expect_eq(g2.state, "done")
assert(g2.done_at > g1.done_at + 0.1, "the slow link is slower: " .. g1.done_at .. " " .. g2.done_at)
assert(g1.ip ~= g2.ip, "two leases")
local c = net.counters("vif1.0")
assert(c.tx_packets > 10 and c.rx_packets > 10 and c.carrier, "vif1.0 counters")
expect_eq(c.txqueuelen, 32)

local g3 = net.client("vif3.0", {at = "1s"})
net.link("vif3.0", {up = false})
sleep("3s")
assert(g3.state ~= "done", "no lease without a cable: " .. g3.state)
c = net.counters("vif3.0")
expect_eq(c.carrier, false)
expect_eq(c.rx_packets, 0)
net.link("vif3.0", {up = true})

local g4 = net.client("vif4.0")
net.link("vif4.0", {loss = 0.3})
sleep("20s")
local lost = net.counters("vif4.0").lost
assert(lost > 0, "a 30% lossy link loses frames")
expect_eq(g3.state, "done") -- plugged back at 4 s, its DHCP retries got through
local names = table.concat(net.ports(), " ")
assert(names:find("vif4.0") and names:find("lan0") == nil and names:find("peth0"), names)
log("g1 " .. g1.ip .. " g2 " .. g2.ip .. " at " .. g2.done_at .. " g3 " .. g3.state .. " g4 " .. g4.state ..
    " lost " .. lost .. " ports " .. names)
assert(bridge:find("virbr0.pcap$") and port:find("guest1%-port.pcap$"), "capture paths under --out")
