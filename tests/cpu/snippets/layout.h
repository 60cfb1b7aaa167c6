/* Physical memory layout shared by the CPU test harness (C) and the snippets
 * (assembly): where the descriptor tables, stacks, page tables and test pages
 * live in the 4 MiB of RAM a test machine has. Paging, when on, is identity. */
#ifndef TESTS_CPU_LAYOUT_H
#define TESTS_CPU_LAYOUT_H

#define RAM_SIZE 0x400000
#define SCRATCH_PAGE 0x1000 /* cpu_enter_multiboot_state's GDT */
#define GDT_BASE 0x2000
#define GDTR_PTR 0x2f00     /* pseudo-descriptors the snippets load */
#define IDTR_PTR 0x2f10
#define IDT_BASE 0x3000     /* 256 gates of 16 bytes at most */
#define TSS_BASE 0x4000     /* TSS, then its I/O bitmap at TSS_BASE + 0x68 */
#define TSS_IOMAP 0x68
#define TSS_LIMIT (TSS_IOMAP + 0x2000) /* the bitmap and its final 0xff byte */
#define RESULT 0x7000       /* words a snippet leaves for the test */
#define SAVE_AREA 0x7800    /* registers the entry macros preserve */
#define STACK0_TOP 0x9000   /* ring 0 (TSS ESP0/RSP0) */
#define STACK3_TOP 0xa000   /* ring 3 */
#define IST1_TOP 0xb000
#define SYSENTER_STACK 0xc000

#define PML4 0x10000        /* 4-level: PML4, PDPT, PD, two PTs for 0-4 MiB */
#define PDPT 0x11000
#define PD64 0x12000
#define PT64 0x13000
#define PD32 0x18000        /* 2-level: PD, two PTs for 0-4 MiB */
#define PT32 0x19000

#define CODE_BASE 0x100000

/* Test pages, mapped specially by both page-table sets. */
#define PG_NP 0x300000      /* not present */
#define PG_RO 0x301000      /* present, read-only, user */
#define PG_SUP 0x302000     /* present, writable, supervisor only */
#define PG_NX 0x303000      /* present, writable, user, no-execute (4-level only) */

/* GDT selectors: the SYSCALL/SYSRET and SYSENTER/SYSEXIT layouts of the SDM. */
#define SEL_KCODE32 0x08    /* SYSENTER_CS; SYSEXIT: +16 code, +24 stack */
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20      /* SYSRET: STAR[63:48]=0x18 -> SS 0x20, CS 0x28 */
#define SEL_UCODE64 0x28
#define SEL_KCODE64 0x30    /* SYSCALL: STAR[47:32]=0x30 -> SS 0x38 */
#define SEL_KDATA64 0x38
#define SEL_TSS 0x40        /* 16 bytes in 64-bit mode */
#define SEL_NP_DATA 0x50    /* a data segment marked not present */
#define GDT_LIMIT 0x57

/* Vectors with a default handler h_<vector> in every snippet (HANDLERS). */
#define VEC_IRQ 0x30
#define VEC_INT 0x40

#endif
