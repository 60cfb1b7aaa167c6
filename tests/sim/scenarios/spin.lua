-- Runs until a signal ends it (tests/sim/signals.sh): a kernel that spins forever.
local m = machine{ kernel = "kernels/cli_spin.elf", mem = 16 }
m:expect("spinning")
m:wait_exit{ timeout = "1000s" }
