-- tests/stack/route.lua: Xen's routed set-up on the real stack (run by
-- route.sh from the project's folder, from the demo's snapshot of Domain-0's
-- prompt when there is one). /etc/xen/route.cfg's vif uses Xen's vif-route
-- hotplug script: Domain-0 routes 192.168.1.50 to the vif and answers ARP for it
-- on xenbr0, the DomU takes the address statically; it reaches the LAN's router
-- and www through Domain-0, and the LAN reaches it.
local images = "cache/stack"
local xen = machine{
  kernel = images .. "/xen-4.17-amd64.gz", cmdline = "console=com1 dom0_mem=512M",
  modules = { { path = images .. "/vmlinuz", args = "console=hvc0" }, images .. "/dom0.cpio" },
  mem = "2G", name = "xen", net = "lan",
}
if not xen:restore(images .. "/snapshots/dom0-" .. xen:config_key() .. ".hvsnap") then
  xen:expect("[root@dom0 ~]# ", { timeout = "60s" })
end
local function sh(cmd, timeout)
  xen:type(cmd .. "\n")
  local _, out = xen:expect("(.-)%[root@dom0 ~%]# ", { pattern = true, timeout = timeout or "30s" })
  out = out:gsub("\r", ""):gsub("\27%[6n", "")
  return (out:gsub("^[^\n]*\n", "", 1))
end
-- As the demo does after a restore: the LAN's DHCP learns Domain-0's lease again.
local dom0_ip = sh("/sbin/ip -4 -o addr show dev xenbr0"):match("inet (%d+%.%d+%.%d+%.%d+)")
assert(dom0_ip, "Domain-0 has no address on xenbr0: no LAN")
sh("udhcpc -i xenbr0 -x hostname:dom0 -n -q -t 4 -T 1 -A 1 -r " .. dom0_ip, "60s")

local out = sh("xl create /etc/xen/route.cfg", "120s")
assert(not out:find("[Ee]rror"), "xl create route.cfg failed:\n" .. out)
local routes = sh("ip route")
log("Domain-0's routes:\n" .. routes)
assert(routes:find("192.168.1.50 dev vif%d+%.0"), "vif-route did not route 192.168.1.50 to the vif:\n" .. routes)
xen:type("xl console route\n")
xen:expect("STATIC: eth0 192.168.1.50/24", { timeout = "120s" })
xen:expect("[root@route ~]# ", { timeout = "30s" })
xen:type("ping -c 2 192.168.1.1\n")
local _, ping = xen:expect("(%d+ packets transmitted, %d+ packets received)", { pattern = true, timeout = "60s" })
expect_eq(ping, "2 packets transmitted, 2 packets received", "the routed DomU pings the LAN's router")
xen:expect("[root@route ~]# ", { timeout = "30s" })
xen:type("wget -q -O - http://192.168.1.10/\n")
local _, page = xen:expect("(hello from %S+)", { pattern = true, timeout = "60s" })
expect_eq(page, "hello from www", "the routed DomU fetches www's page")
xen:expect("[root@route ~]# ", { timeout = "30s" })
xen:type("\29")
xen:expect("[root@dom0 ~]# ", { timeout = "30s" })
sh("xl destroy route", "60s")
log("route: " .. ping .. "; " .. page)
