-- The default scenario of `make demo`: Debian 12's Xen 4.17 boots on the simulated
-- PC with Linux 6.1 as Domain-0 and Xen's own xl toolstack; from Domain-0's shell
-- it starts a PV DomU and a PVH DomU from /etc/xen, lists them, runs commands in
-- one over `xl console`, shuts the PVH one down and destroys the PV one.
-- The machine has an e1000 NIC on netsim's LAN 192.168.1.0/24 (its router has
-- DHCP and DNS for example.test, its server www a web page). Domain-0 enslaves
-- the NIC to xenbr0 as peth0. The PV DomU's vif is on xenbr0: the LAN's DHCP
-- leases it an address, and it pings the router, resolves www and fetches its
-- page. The PVH DomU's vif is on libvirt's NAT network virbr0 in Domain-0:
-- dnsmasq leases it a 192.168.122.x address; it pings Domain-0, resolves names
-- through dnsmasq, and reaches the PV DomU and www masqueraded. Captures of the
-- NIC's wire (peth0.pcap) and of the LAN (lan0.pcap) are in out/demo/.
-- `make demo` builds the images first (tools/stack/images.sh, into cache/stack).
-- The first run boots Xen and Domain-0 and leaves a snapshot of Domain-0's prompt
-- in cache/stack/snapshots (its name carries a key of the images, command lines,
-- memory and hvsim's version), so later runs start there. Consoles: out/demo/.
local images = "cache/stack"
local xen = machine{
  kernel = images .. "/xen-4.17-amd64.gz", cmdline = "console=com1 dom0_mem=512M",
  modules = { { path = images .. "/vmlinuz", args = "console=hvc0" }, images .. "/dom0.cpio" },
  mem = "2G", name = "xen", net = "lan",
}
local PROMPT = "[root@dom0 ~]# "
local snapfile = images .. "/snapshots/dom0-" .. xen:config_key() .. ".hvsnap"

local warm = xen:restore(snapfile)
if not warm then
  xen:expect("Xen version 4.17", { timeout = "5s" })
  xen:expect("DOM0-INIT: toolstack ready", { timeout = "60s" })
  xen:expect(PROMPT, { timeout = "10s" })
  xen:save_snapshot(snapfile)
end
local t_prompt = now()

-- sh(cmd): runs cmd at Domain-0's prompt and returns what it printed (without the
-- echoed command line, the terminal's carriage returns and its cursor query).
local function sh(cmd, timeout)
  xen:type(cmd .. "\n")
  local _, out = xen:expect("(.-)%[root@dom0 ~%]# ", { pattern = true, timeout = timeout or "30s" })
  out = out:gsub("\r", ""):gsub("\27%[6n", "")
  return (out:gsub("^[^\n]*\n", "", 1))
end

-- xl_list(): Xen's table as rows {name, id, mem, vcpus, state, time}, by name.
local function xl_list()
  local text = sh("xl list")
  local rows, order = {}, {}
  for line in text:gmatch("[^\n]+") do
    local name, id, mem, vcpus, state, time =
      line:match("^(%S+)%s+(%d+)%s+(%d+)%s+(%d+)%s+(%S+)%s+([%d.]+)$")
    if name then
      rows[name] = { id = tonumber(id), mem = tonumber(mem), vcpus = tonumber(vcpus), state = state, time = time }
      order[#order + 1] = name
    end
  end
  return rows, order, text
end

-- netsim's state is not in the snapshot: after a restore, the LAN's DHCP server
-- has forgotten Domain-0's lease and would offer its address to the next
-- client. Domain-0 renews it first, as after a resume (in cold runs too, so
-- both go on the same way).
local dom0_ip = sh("/sbin/ip -4 -o addr show dev xenbr0"):match("inet (%d+%.%d+%.%d+%.%d+)")
if dom0_ip then
  sh("udhcpc -i xenbr0 -x hostname:dom0 -n -q -t 4 -T 1 -A 1 -r " .. dom0_ip, "60s")
end

local before, _, table_before = xl_list()
assert(before["Domain-0"], "xl list shows no Domain-0:\n" .. table_before)
expect_eq(before["Domain-0"].id, 0, "Domain-0's id")

local out = sh("xl create /etc/xen/linux.cfg", "120s")
assert(not out:find("[Ee]rror"), "xl create linux.cfg failed:\n" .. out)
local t_created = now()
out = sh("xl create /etc/xen/pvh.cfg", "120s")
local pvh_ok = not out:find("[Ee]rror")
if not pvh_ok then log("xl create pvh.cfg said:\n" .. out) end

local during, order, table_during = xl_list()
assert(during.linux, "xl list shows no 'linux' after xl create:\n" .. table_during)
expect_eq(during.linux.id, 1, "the first DomU's id")

-- Into the PV DomU's console: its first line, a shell, two commands, Ctrl-] out.
xen:type("xl console linux\n")
xen:expect("DOMU-INIT: linux is up", { timeout = "120s" })
local t_domu = now()
local _, linux_dhcp, linux_ip = xen:expect("DHCP: (eth0 ([%d.]*)[^\r\n]*)\r*\n", { pattern = true, timeout = "60s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
xen:type("uptime\n")
local _, uptime = xen:expect("(%d+:%d+:%d+ up [^\r\n]*)\r*\n", { pattern = true, timeout = "30s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
xen:type("uname -a\n")
local _, uname = xen:expect("(Linux linux [^\r\n]*)\r*\n", { pattern = true, timeout = "30s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
-- On the LAN: the router answers, its DNS names www, www serves its page.
xen:type("ping -c 2 192.168.1.1\n")
local _, linux_ping = xen:expect("(%d+ packets transmitted, %d+ packets received)", { pattern = true, timeout = "60s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
xen:type("nslookup www.example.test\n")
local _, linux_dns = xen:expect("Name:%s+www%.example%.test%s+Address:? *(%S+)", { pattern = true, timeout = "60s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
xen:type("wget -q -O - http://www.example.test/\n")
local _, linux_page = xen:expect("(hello from %S+)", { pattern = true, timeout = "60s" })
xen:expect("[root@linux ~]# ", { timeout = "30s" })
xen:type("\29")
xen:expect(PROMPT, { timeout = "30s" })

-- The PVH DomU shuts down cleanly (Linux powers off in VMX non-root mode); the
-- PV one is destroyed.
local pvh_boot, pvh_dhcp, pvh_ping, pvh_dns, pvh_ping_linux, pvh_page
if pvh_ok then
  xen:type("xl console pvh\n")
  _, pvh_boot = xen:expect("(Booting kernel on [^\r\n]*)\r*\n", { pattern = true, timeout = "120s" })
  xen:expect("DOMU-INIT: pvh is up", { timeout = "120s" })
  _, pvh_dhcp = xen:expect("DHCP: (eth0 [^\r\n]*)\r*\n", { pattern = true, timeout = "60s" })
  xen:expect("[root@pvh ~]# ", { timeout = "30s" })
  xen:type("ping -c 2 192.168.122.1\n")
  _, pvh_ping = xen:expect("(%d+ packets transmitted, %d+ packets received)", { pattern = true, timeout = "60s" })
  xen:expect("[root@pvh ~]# ", { timeout = "30s" })
  xen:type("nslookup dom0\n")
  _, pvh_dns = xen:expect("Name:%s+dom0%s+Address:? *(%S+)", { pattern = true, timeout = "60s" })
  xen:expect("[root@pvh ~]# ", { timeout = "30s" })
  -- Out through the NAT: the PV DomU on the LAN, and www by name (dnsmasq
  -- forwards to the LAN's DNS, which Domain-0's own lease named).
  if linux_ip ~= "" then
    xen:type("ping -c 2 " .. linux_ip .. "\n")
    _, pvh_ping_linux = xen:expect("(%d+ packets transmitted, %d+ packets received)", { pattern = true, timeout = "60s" })
    xen:expect("[root@pvh ~]# ", { timeout = "30s" })
  end
  xen:type("wget -q -O - http://www.example.test/\n")
  _, pvh_page = xen:expect("(hello from %S+)", { pattern = true, timeout = "60s" })
  xen:expect("[root@pvh ~]# ", { timeout = "30s" })
  xen:type("\29")
  xen:expect(PROMPT, { timeout = "30s" })
  out = sh("xl shutdown -w pvh", "120s")
  assert(out:find("Waiting for 1 domains") and not out:find("[Ee]rror"), "xl shutdown -w pvh:\n" .. out)
end
sh("xl destroy linux", "60s")
local after, _, table_after = xl_list()
assert(not after.linux, "'linux' is still listed after xl destroy:\n" .. table_after)
if pvh_ok then assert(not after.pvh, "'pvh' is still listed after xl shutdown:\n" .. table_after) end

print("")
print("hvsim demo: Xen 4.17 and Linux 6.1 (Debian 12) on a simulated PC, in virtual time")
print(string.format("  Domain-0 prompt     t=%.3f s%s", t_prompt, warm and " (restored from " .. snapfile .. ")" or ""))
print(string.format("  DomU linux created  t=%.3f s, first console line at t=%.3f s", t_created, t_domu))
print("  xl list with the DomUs:")
for _, name in ipairs(order) do
  local r = during[name]
  print(string.format("    %-12s id %-2d %5d MiB  %d vCPU  %s", name, r.id, r.mem, r.vcpus, r.state))
end
if not pvh_ok then print("  PVH DomU: xl create pvh.cfg failed (see out/demo/xen/console.log)") end
if pvh_boot then print("  in pvh:   " .. pvh_boot .. " (VMX non-root)") end
if pvh_dhcp then
  print("  pvh on virbr0 (NAT): DHCP: " .. pvh_dhcp)
  print("  pvh: ping 192.168.122.1: " .. pvh_ping .. "; nslookup dom0: " .. pvh_dns)
  if pvh_ping_linux then print("  pvh: ping linux (" .. linux_ip .. ") through the NAT: " .. pvh_ping_linux) end
  print("  pvh: wget http://www.example.test/ through the NAT: " .. pvh_page)
end
print("  linux on xenbr0 (the LAN): DHCP: " .. linux_dhcp)
print("  linux: ping 192.168.1.1: " .. linux_ping .. "; nslookup www.example.test: " .. linux_dns ..
  "; wget: " .. linux_page)
print("  in linux: " .. uname)
print("  in linux: " .. uptime)
print(string.format("  %slinux destroyed; xl list then shows %s", pvh_ok and "pvh shut down, " or "",
  table.concat((function() local t = {} for n in pairs(after) do t[#t + 1] = n end table.sort(t) return t end)(), ", ")))
print(string.format("  done at             t=%.3f s of virtual time", now()))
print("")
