-- The default scenario of `make demo`: boot hvsim's demo kernel (guests/demo)
-- on the simulated PC, follow its console and sum it up. Its console is in
-- out/demo/demo/console.log. (The stack issue will make this boot Xen and
-- Domain-0 and start DomUs.)
local demo = machine{ kernel = "build/kernels/demo.elf", name = "demo", mem = 128 }

demo:expect("hvsim demo kernel", { timeout = "1s" })
local _, vendor = demo:expect("vendor +(%w+)", { pattern = true })
local _, date = demo:expect("Real%-time clock.-(%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d)", { pattern = true })
local _, mhz = demo:expect("TSC runs at about (%d+) MHz", { pattern = true })
local t_timer = now()
local _, iterations = demo:expect("(%d+) iterations", { pattern = true })
demo:expect("Powering off")
local status, how = demo:wait_exit{ timeout = "1s" }
expect_eq(how, "poweroff", "how the demo kernel ended")
expect_eq(status, 0, "exit status")

print("")
print("hvsim demo: a multiboot kernel on a simulated PC, in virtual time")
print(string.format("  CPU vendor          %s", vendor))
print(string.format("  RTC at power-on     %s (the simulation's epoch)", date))
print(string.format("  TSC                 about %s MHz, as the kernel measured it against the PIT", mhz))
print(string.format("  timer done at       t=%.3f s", t_timer))
print(string.format("  Mandelbrot          %s iterations", iterations))
print(string.format("  powered off at      t=%.3f s of virtual time", now()))
print("")
