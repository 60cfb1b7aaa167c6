/* arch/pc.h: the PC platform's address map as hvsim lays out QEMU's "pc"
 * machine (i440FX/PIIX, QEMU hw/i386/pc.c), one copy for the board (machine/),
 * the device models (devices/) and the freestanding kernels (klib/): I/O ports
 * of the legacy ISA devices, the APICs' MMIO pages (Intel SDM vol. 3A 11.4.1;
 * 82093AA datasheet) and where firmware tables live (ACPI 6.4, 5.2.5.1).
 * Values only, usable from C and from assembly. */
#ifndef ARCH_PC_H
#define ARCH_PC_H

/* A 64-bit physical address in C, a plain number in assembly. */
#ifdef __ASSEMBLER__
#define PC_ADDR(x) x
#else
#define PC_ADDR(x) x##ULL
#endif

/* I/O ports (the first port of each device). */
#define PIC_MASTER_PORT 0x20 /* 8259A master: command 0x20, data 0x21 */
#define PIT_PORT 0x40        /* 8254: counters 0-2 at 0x40-0x42, control 0x43 */
#define SYS_CTRL_B_PORT 0x61 /* system control port B: PIT gate 2, speaker, refresh */
#define CMOS_RTC_PORT 0x70   /* index (bit 7: NMI disable), data at 0x71 */
#define PIC_SLAVE_PORT 0xa0  /* 8259A slave: command 0xa0, data 0xa1 */
#define DEBUG_EXIT_PORT 0xf4 /* QEMU isa-debug-exit, as the test kernels use it */
#define COM1_PORT 0x3f8      /* 16550A UART, IRQ 4 */
#define PIC_ELCR_PORT 0x4d0  /* PIIX edge/level control: 0x4d0 master, 0x4d1 slave */
#define FW_CFG_PORT 0x510    /* QEMU fw_cfg: selector 0x510, data 0x511 */
#define BIOS_CALL_PORT 0x530 /* hvsim's BIOS: a ROM stub writes its vector here (docs/bios.md) */
#define ACPI_PM_BASE_DEFAULT 0x600 /* PIIX4 PM: PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 */
#define PCI_HOST_PORT 0xcf8  /* CONFIG_ADDRESS 0xcf8, reset control 0xcf9, CONFIG_DATA 0xcfc */
#define ACPI_RESET_PORT 0xcf9 /* the FADT's RESET_REG: the PIIX reset control register */
#define ACPI_RESET_VALUE 0x06 /* and its RESET_VALUE: full reset, reset the CPU */

/* Memory. */
#define BDA_EBDA_SEGMENT 0x40e /* BIOS data area: real-mode segment of the EBDA */
#define VGA_MEM_BASE PC_ADDR(0xa0000)         /* legacy video memory: conventional RAM ends here */
#define BIOS_ROM_BASE PC_ADDR(0xf0000)        /* the BIOS ROM segment F000h */
#define HIGH_MEM_BASE PC_ADDR(0x100000)       /* 1 MiB: extended memory starts here */
#define ACPI_RSDP_AREA_START PC_ADDR(0xe0000) /* BIOS area searched for the RSDP; */
#define ACPI_RSDP_AREA_END PC_ADDR(0x100000)  /* hvsim's ACPI tables live here */
#define IOAPIC_MMIO_BASE PC_ADDR(0xfec00000)
#define LAPIC_MMIO_BASE PC_ADDR(0xfee00000) /* IA32_APIC_BASE's reset value; hvsim
                                                 * logs moves of it, does not follow them */

#endif
