/* ACPI tables for the pc-like machine: RSDP (revision 2), RSDT, XSDT, FADT,
 * FACS, MADT and a DSDT (devices/dsdt.asl: PCI root bridge, ISA devices, \_S5),
 * built into guest RAM. Follows the ACPI 6.4 specification, chapter 5. */
#ifndef DEVICES_ACPI_H
#define DEVICES_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Where kernels scan for "RSD PTR " (16-byte aligned in the BIOS area,
 * ACPI_RSDP_AREA_*), the PM and reset ports: arch/pc.h. */
#include "arch/pc.h"

#define ACPI_SCI_IRQ_DEFAULT 9
#define ACPI_SLP_TYP_S5 0          /* the DSDT's \_S5 SLP_TYP, as QEMU's PIIX4 PM */
#define ACPI_PCI_MMIO_BASE_DEFAULT 0xc0000000u /* above the most RAM hvsim maps below 4 GiB */

struct acpi_config {
    unsigned ncpus;        /* one MADT local APIC per CPU, APIC IDs 0..ncpus-1; 0 means 1 */
    uint32_t lapic_addr;   /* 0: 0xfee00000 */
    uint32_t ioapic_addr;  /* 0: 0xfec00000 */
    uint8_t ioapic_id;
    uint16_t pm_base;      /* 0: ACPI_PM_BASE_DEFAULT */
    uint8_t sci_irq;       /* 0: ACPI_SCI_IRQ_DEFAULT */
    int reset_reg;         /* advertise the 0xcf9 reset register in the FADT */
    uint32_t pci_mmio_base; /* PCI0's MMIO window: here (0: the default) to ioapic_addr - 1 */
};

/* Write the RSDP at mem_gpa (16-byte aligned, below 4 GiB) and every table
 * after it in [mem_gpa, mem_gpa + len); mem is the host view of that range.
 * Returns the number of bytes used, or HV_EINVAL / HV_ERANGE. Put the range
 * inside ACPI_RSDP_AREA_START..END so kernels find the RSDP. */
int acpi_build(uint8_t *mem, uint64_t mem_gpa, size_t len, const struct acpi_config *cfg);

#endif
