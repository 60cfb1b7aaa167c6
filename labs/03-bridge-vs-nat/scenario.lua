-- labs/03-bridge-vs-nat: Xen's bridge (xenbr0) against libvirt's NAT (virbr0),
-- on the real stack (Xen 4.17, Linux 6.1 as Domain-0, docs/stack.md) with the
-- machine's e1000 NIC on netsim's LAN 192.168.1.0/24. From Domain-0's shell:
-- two PV DomUs, `linux` with its vif on xenbr0 (/etc/xen/linux.cfg) and `nat`
-- with its vif on virbr0 (/etc/xen/nat.cfg); in each, its lease, its MAC and a
-- page fetched from www.example.test on the LAN. The NIC's wire is captured in
-- the lab's out folder (peth0.pcap). Run from the project's folder: the images
-- are in cache/stack. It starts from the demo's snapshot of Domain-0's prompt
-- when there is one for this hvsim, and leaves one when it booted cold.
local images = "cache/stack"
local xen = machine{
  kernel = images .. "/xen-4.17-amd64.gz", cmdline = "console=com1 dom0_mem=512M",
  modules = { { path = images .. "/vmlinuz", args = "console=hvc0" }, images .. "/dom0.cpio" },
  mem = "2G", name = "xen", net = "lan", -- as the demo's machine: its snapshot serves
}
local PROMPT = "[root@dom0 ~]# "
local snapfile = images .. "/snapshots/dom0-" .. xen:config_key() .. ".hvsnap"
if not xen:restore(snapfile) then
  xen:expect("DOM0-INIT: toolstack ready", { timeout = "90s" })
  xen:expect(PROMPT, { timeout = "10s" })
  xen:save_snapshot(snapfile)
end

-- sh(cmd): run cmd at Domain-0's prompt, return what it printed.
local function sh(cmd, timeout)
  xen:type(cmd .. "\n")
  local _, out = xen:expect("(.-)%[root@dom0 ~%]# ", { pattern = true, timeout = timeout or "30s" })
  out = out:gsub("\r", ""):gsub("\27%[6n", "")
  local body = out:gsub("^[^\n]*\n", "", 1)
  print("# " .. cmd)
  for line in body:gmatch("[^\n]+") do print("  " .. line) end
  return body
end

-- Domain-0 on both networks. netsim's LAN is not in the snapshot: Domain-0
-- renews its lease first, so the LAN's DHCP knows the address is taken.
local dom0_ip = sh("/sbin/ip -4 -o addr show dev xenbr0"):match("inet (%d+%.%d+%.%d+%.%d+)")
assert(dom0_ip, "Domain-0 has no address on xenbr0: the NIC is not on the LAN")
sh("udhcpc -i xenbr0 -x hostname:dom0 -n -q -t 4 -T 1 -A 1 -r " .. dom0_ip, "60s")
lab.record("dom0_xenbr0_ip", dom0_ip)
lab.record("dom0_virbr0_ip", sh("/sbin/ip -4 -o addr show dev virbr0"):match("inet (%d+%.%d+%.%d+%.%d+)"))

local out = sh("xl create /etc/xen/linux.cfg memory=128", "120s")
assert(not out:find("[Ee]rror"), "xl create linux.cfg failed:\n" .. out)
out = sh("xl create /etc/xen/nat.cfg memory=128", "120s")
assert(not out:find("[Ee]rror"), "xl create nat.cfg failed:\n" .. out)

-- Inside a DomU: its lease, its MAC, www's page. Ctrl-] back to Domain-0.
local function visit(name)
  xen:type("xl console " .. name .. "\n")
  local _, ip, router, dns = xen:expect("DHCP: eth0 ([%d.]+)/[%d.]+ router (%S+) dns (%S+)",
    { pattern = true, timeout = "120s" })
  xen:expect("[root@" .. name .. " ~]# ", { timeout = "60s" })
  xen:type("cat /sys/class/net/eth0/address\n")
  local _, mac = xen:expect("\n(%x%x:%x%x:%x%x:%x%x:%x%x:%x%x)", { pattern = true, timeout = "30s" })
  xen:expect("[root@" .. name .. " ~]# ", { timeout = "30s" })
  xen:type("wget -q -O - http://www.example.test/\n")
  local _, page = xen:expect("(hello from %S+)", { pattern = true, timeout = "60s" })
  xen:expect("[root@" .. name .. " ~]# ", { timeout = "30s" })
  xen:type("\29")
  xen:expect(PROMPT, { timeout = "30s" })
  lab.record(name .. "_ip", ip)
  lab.record(name .. "_router", router)
  lab.record(name .. "_dns", dns)
  lab.record(name .. "_mac", mac)
  lab.record(name .. "_page", page)
end
visit("linux")
visit("nat")

-- Which bridge each vif joined (Xen's hotplug scripts put them there).
for bridge in ("xenbr0 virbr0"):gmatch("%S+") do
  local ports = {}
  for vif in sh("ls /sys/class/net/" .. bridge .. "/brif"):gmatch("%S+") do ports[#ports + 1] = vif end
  table.sort(ports)
  lab.record(bridge .. "_ports", table.concat(ports, " "))
end
sh("xl destroy linux", "60s")
sh("xl destroy nat", "60s")
