/* The PC memory map of the simulated machine (ACPI spec 6.x, sec. 15, "E820"):
 * one source for the multiboot memory map and the BIOS's INT 15h E820 answers,
 * so a kernel that asks both (Xen) sees the same map. */
#ifndef MACHINE_E820_H
#define MACHINE_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2

#define E820_EBDA_BASE 0x9fc00u   /* 1 KiB extended BIOS data area, as SeaBIOS */
#define E820_MAX 8

struct e820_entry {
    uint64_t base, len;
    uint32_t type;
};

/* The map for ram_size bytes of RAM, in ascending order: the number of entries
 * (at most E820_MAX) written to out. */
int e820_build(uint64_t ram_size, struct e820_entry out[E820_MAX]);

/* KiB of RAM from 1 MiB up to the first hole (below 4 GiB), as mem_upper and
 * the BIOS's extended-memory calls count it. */
uint64_t e820_extended_kib(uint64_t ram_size);

#endif
