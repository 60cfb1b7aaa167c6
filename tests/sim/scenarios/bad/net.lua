-- A network hvsim does not have: refused naming the key.
machine{ kernel = "kernels/nic_lan.elf", mem = 16, net = "wan" }
