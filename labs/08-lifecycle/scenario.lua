-- labs/08-lifecycle: a DomU's life under Xen's xl, on the real stack (Xen 4.17,
-- Linux 6.1 as Domain-0, docs/stack.md). From Domain-0's shell: xl info and
-- xl list (Domain-0's memory, Xen's free memory), xl create of a PV DomU from
-- /etc/xen/linux.cfg (on_reboot='restart', on_crash='preserve'; its memory of
-- 256 MiB overridden with memory=128 on xl's command line, a quicker build),
-- xl pause and unpause, a reboot inside the DomU, a kernel panic inside it,
-- xl destroy, and a new domain after that (created paused). Run from the project's folder: the
-- images are in cache/stack. It starts from the demo's snapshot of Domain-0's
-- prompt when there is one for this hvsim, and leaves one when it booted cold.
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
-- xl list as rows by name: id, mem (MiB), state.
local function domains()
  local rows = {}
  for name, id, mem, state in sh("xl list"):gmatch("\n?(%S+)%s+(%d+)%s+(%d+)%s+%d+%s+(%S+)%s+[%d.]+") do
    rows[name] = { id = tonumber(id), mem = tonumber(mem), state = state }
  end
  return rows
end
local function xl_info(key)
  return tonumber(sh("xl info"):match("\n?" .. key .. "%s*:%s*(%d+)"))
end

-- Memory: what Domain-0 has (dom0_mem=512M on Xen's command line) and what Xen has free.
local d = domains()
assert(d["Domain-0"], "xl list shows no Domain-0")
lab.record("dom0_mem", d["Domain-0"].mem)
lab.record("total_memory", xl_info("total_memory"))
local free_before = xl_info("free_memory")
lab.record("free_before", free_before)

-- A DomU, paused and unpaused.
local out = sh("xl create /etc/xen/linux.cfg memory=128", "120s")
assert(not out:find("[Ee]rror"), "xl create linux.cfg failed:\n" .. out)
local first = domains().linux
assert(first, "no 'linux' after xl create")
lab.record("first_id", first.id)
lab.record("domu_mem", first.mem)
lab.record("free_with_domu", xl_info("free_memory"))
sh("xl pause linux")
local paused = domains().linux
lab.record("paused_state", paused.state)
sh("xl unpause linux")
lab.record("unpaused_state", domains().linux.state)

-- on_reboot='restart': a reboot inside the DomU.
xen:type("xl console linux\n")
xen:expect("[root@linux ~]# ", { timeout = "120s" })
xen:type("reboot -f\n")
xen:expect(PROMPT, { timeout = "60s" })      -- xl console ends with the old domain
local again
for _ = 1, 60 do
  again = domains().linux
  if again and again.id ~= first.id then break end
  sleep("1s")
end
assert(again and again.id ~= first.id, "on_reboot=restart gave no new 'linux' domain")
lab.record("rebooted_id", again.id)

-- on_crash='preserve': a kernel panic inside the DomU.
xen:type("xl console linux\n")
xen:expect("[root@linux ~]# ", { timeout = "120s" })
xen:type("echo c > /proc/sysrq-trigger\n")
xen:expect("Kernel panic", { timeout = "60s" })
xen:type("\29")
xen:expect(PROMPT, { timeout = "30s" })
local crashed
for _ = 1, 30 do
  crashed = domains().linux
  if crashed and crashed.state:find("c") then break end
  sleep("1s")
end
assert(crashed and crashed.state:find("c"), "on_crash=preserve: 'linux' is not listed as crashed")
lab.record("crashed_state", crashed.state)
lab.record("crashed_id", crashed.id)
sh("xl destroy linux", "60s")

-- A new domain after all that: which id? (-p: built but left paused, never run)
out = sh("xl create -p /etc/xen/linux.cfg memory=128", "120s")
assert(not out:find("[Ee]rror"), "xl create linux.cfg failed:\n" .. out)
lab.record("next_id", domains().linux.id)
sh("xl destroy linux", "60s")
