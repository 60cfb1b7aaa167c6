-- tests/stack/nic_tcp.lua: TCP through Linux's e1000 driver and hvsim's NIC (run
-- by nic_tcp.sh from the project's folder, with --out). Domain-0 leases xenbr0's
-- address from netsim's LAN, resolves www.example.test with the router's DNS and
-- fetches its page, then uploads 64 KiB to it: Linux hands the NIC TCP
-- segmentation (TSO) contexts, which the NIC cuts into MSS-sized frames
-- (nic_tcp.sh checks them in the capture). netsim's server answers a POST with
-- 400, which is fine: the upload's frames are what is looked at.
local images = "cache/stack"
local xen = machine{
  kernel = images .. "/xen-4.17-amd64.gz", cmdline = "console=com1 dom0_mem=512M",
  modules = { { path = images .. "/vmlinuz", args = "console=hvc0" }, images .. "/dom0.cpio" },
  mem = "2G", name = "xen", net = "lan",
}
local PROMPT = "[root@dom0 ~]# "
xen:expect("DOM0-INIT: xenbr0 192.168.1.1", { timeout = "30s" })
xen:expect(PROMPT, { timeout = "20s" })

local function sh(cmd)
  xen:type(cmd .. "\n")
  local _, out = xen:expect("(.-)%[root@dom0 ~%]# ", { pattern = true, timeout = "30s" })
  return out:gsub("\r", ""):gsub("\27%[6n", "")
end

local page = sh("wget -q -O - http://www.example.test/; echo GET=$?")
assert(page:find("hello from www", 1, true) and page:find("GET=0", 1, true), "the page from www: " .. page)
local up = sh("dd if=/dev/zero bs=1k count=64 2>/dev/null | tr '\\0' x > /tmp/z; " ..
              "wget -q -O - --post-file /tmp/z http://192.168.1.10/ 2>&1; echo POST=$?")
assert(up:find("400 Bad Request", 1, true), "the upload reached www's server: " .. up)
local dev = sh("cat /proc/net/dev")
local tx = tonumber(dev:match("peth0:%s+%d+%s+%d+%s+%d+%s+%d+%s+%d+%s+%d+%s+%d+%s+%d+%s+(%d+)"))
assert(tx and tx > 65536, "peth0 sent the upload's bytes: " .. dev)
log("peth0 transmitted " .. tx .. " bytes")
