-- an unknown API call on line 2
bootmachine{ kernel = "kernels/scenario_shell.elf" }
