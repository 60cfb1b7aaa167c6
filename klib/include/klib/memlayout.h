/* memlayout.h: the one memory and platform map of every freestanding kernel here
 * (QEMU pc machine conventions, see ARCHITECTURE.md "Platform conventions"). */
#ifndef KLIB_MEMLAYOUT_H
#define KLIB_MEMLAYOUT_H

/* Physical memory: kernels are linked and loaded at 1 MiB and run identity-mapped. */
#define KERNEL_LOAD       0x00100000
#define PAGE_SIZE         0x1000
/* The page allocator and the page-table builders stay below this line, so an
 * identity map of [0, IDENTITY_MAP_END) covers every page a kernel touches. */
#define IDENTITY_MAP_END  0x01000000
/* The 64-bit entry maps the first 4 GiB with 2 MiB pages (RAM, LAPIC, I/O APIC). */
#define BOOT_MAP_END      0x100000000

/* Stacks (in .bss): the boot stack runs kmain, the trap stack is TSS.ESP0/RSP0. */
#define BOOT_STACK_SIZE   0x4000
#define TRAP_STACK_SIZE   0x4000

/* BIOS area searched for the ACPI RSDP (ACPI 6.4, 5.2.5.1). */
#define BIOS_ROM_START    0x000e0000
#define BIOS_ROM_END      0x00100000
#define BDA_EBDA_SEGMENT  0x0000040e

/* Memory-mapped devices. */
#define IOAPIC_BASE       0xfec00000
#define LAPIC_BASE        0xfee00000

/* I/O ports. */
#define PORT_PIC1         0x20
#define PORT_PIC2         0xa0
#define PORT_PIT          0x40
#define PORT_CMOS         0x70
#define PORT_DEBUG_EXIT   0xf4
#define PORT_COM1         0x3f8

/* Interrupt vectors: exceptions 0-31, the PICs remapped to 0x20-0x2f. */
#define VEC_IRQ0          0x20
#define VEC_SYSCALL       0x80
#define VEC_SPURIOUS      0xff

#endif
