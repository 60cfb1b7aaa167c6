/* The machine's memory map, as SeaBIOS reports it on QEMU's pc machine: RAM
 * below the EBDA, the EBDA and the legacy video hole reserved, the BIOS area
 * reserved, RAM from 1 MiB to the I/O APIC, the I/O APIC and local APIC pages. */
#include "machine/e820.h"

#include "arch/pc.h"

/* RAM below 4 GiB ends where the I/O APIC's page starts. */
#define RAM_TOP_BELOW_4G IOAPIC_MMIO_BASE

static uint64_t ram_below_hole(uint64_t ram_size)
{
    return ram_size > RAM_TOP_BELOW_4G ? RAM_TOP_BELOW_4G : ram_size;
}

int e820_build(uint64_t ram_size, struct e820_entry out[E820_MAX])
{
    const struct e820_entry map[] = {
        { 0, E820_EBDA_BASE, E820_RAM },
        { E820_EBDA_BASE, VGA_MEM_BASE - E820_EBDA_BASE, E820_RESERVED },
        /* ACPI tables and the BIOS ROM, up to 1 MiB */
        { ACPI_RSDP_AREA_START, HIGH_MEM_BASE - ACPI_RSDP_AREA_START, E820_RESERVED },
        { HIGH_MEM_BASE, ram_below_hole(ram_size) - HIGH_MEM_BASE, E820_RAM },
        { IOAPIC_MMIO_BASE, 0x1000, E820_RESERVED },
        { LAPIC_MMIO_BASE, 0x1000, E820_RESERVED },
    };
    int n = (int)(sizeof map / sizeof map[0]);
    for (int i = 0; i < n; i++)
        out[i] = map[i];
    return n;
}

uint64_t e820_extended_kib(uint64_t ram_size)
{
    return (ram_below_hole(ram_size) - HIGH_MEM_BASE) / 1024;
}
