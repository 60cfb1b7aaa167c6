-- tests/stack/lifecycle.lua: what Xen's xl does with a DomU's life and with bad
-- input, on the real stack (run by lifecycle.sh from the project's folder; it
-- starts from the demo's snapshot of Domain-0's prompt when there is one).
--   on_reboot=restart: a reboot inside the DomU gives the same name, a new id;
--   on_crash=preserve: a crash leaves the domain listed as crashed, until xl destroy;
--   bad input: a config xl cannot parse, more memory than Xen has, and the
--   seeds' winxp.cfg (HVM with a device model hvsim's image lacks): Xen's own errors,
--   and nothing left behind in xl list.
local images = "cache/stack"
local xen = machine{
  kernel = images .. "/xen-4.17-amd64.gz", cmdline = "console=com1 dom0_mem=512M",
  modules = { { path = images .. "/vmlinuz", args = "console=hvc0" }, images .. "/dom0.cpio" },
  mem = "2G", name = "xen", net = "lan", -- as the demo's machine: its snapshot serves
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
local function domains()
  local rows = {}
  for name, id, state in sh("xl list"):gmatch("\n?(%S+)%s+(%d+)%s+%d+%s+%d+%s+(%S+)%s+[%d.]+") do
    rows[name] = { id = tonumber(id), state = state }
  end
  return rows
end
local function names(rows)
  local t = {}
  for n in pairs(rows) do t[#t + 1] = n end
  table.sort(t)
  return table.concat(t, ",")
end

-- Bad input first: each is refused with xl's own message, and leaves no domain.
sh("printf 'name = \"bad\"\\nmemory = = 64\\n' > /tmp/bad.cfg")
local out = sh("xl create /tmp/bad.cfg")
log("xl create /tmp/bad.cfg said: " .. out)
assert(out:find("[Ff]ailed to parse config") or out:find("parsing error") or out:find("syntax error"),
  "xl accepted a config with a syntax error:\n" .. out)
out = sh("xl create /etc/xen/linux.cfg memory=4096 'name=\"big\"'", "120s")
log("xl create memory=4096 said: " .. out)
assert(out:find("Out of memory") or out:find("Cannot allocate memory"),
  "xl created a 4 GiB domain on a 2 GiB machine, or failed for another reason:\n" .. out)
out = sh("xl create /etc/xen/winxp.cfg", "120s")
log("xl create winxp.cfg said: " .. out)
assert(out:find("libxl: error"), "xl created winxp without its disks, hvmloader or qemu-dm:\n" .. out)
expect_eq(names(domains()), "Domain-0", "xl list after the refused creates")

-- on_reboot=restart: same name, new id.
out = sh("xl create /etc/xen/linux.cfg", "120s")
assert(not out:find("[Ee]rror"), "xl create linux.cfg failed:\n" .. out)
local first = domains().linux
assert(first, "no 'linux' after xl create")
xen:type("xl console linux\n")
xen:expect("[root@linux ~]# ", { timeout = "120s" })
xen:type("reboot -f\n")
xen:expect("[root@dom0 ~]# ", { timeout = "60s" })  -- xl console ends with the old domain
local again
for _ = 1, 60 do
  again = domains().linux
  if again and again.id ~= first.id then break end
  sleep("1s")
end
assert(again and again.id > first.id, "on_reboot=restart gave no new 'linux' domain")
log(string.format("linux rebooted: id %d -> %d", first.id, again.id))

-- on_crash=preserve: a panic leaves it listed as crashed.
xen:type("xl console linux\n")
xen:expect("[root@linux ~]# ", { timeout = "120s" })
xen:type("echo c > /proc/sysrq-trigger\n")
xen:expect("Kernel panic", { timeout = "60s" })
xen:type("\29")
xen:expect("[root@dom0 ~]# ", { timeout = "30s" })
local crashed
for _ = 1, 30 do
  crashed = domains().linux
  if crashed and crashed.state:find("c") then break end
  sleep("1s")
end
assert(crashed and crashed.state:find("c"), "on_crash=preserve: 'linux' is not listed as crashed (" ..
  (crashed and crashed.state or "gone") .. ")")
expect_eq(crashed.id, again.id, "the crashed domain keeps its id")
sh("xl destroy linux", "60s")
expect_eq(names(domains()), "Domain-0", "xl list after xl destroy")
print(string.format("lifecycle: reboot %d -> %d, crash preserved as %s, destroyed; bad input refused",
  first.id, again.id, crashed.state))
