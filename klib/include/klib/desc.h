/* desc.h: the GDT, IDT and TSS shared by 32- and 64-bit kernels (Intel SDM vol. 3A
 * chapters 3, 6 and 7). The selector layout also fits SYSENTER/SYSEXIT and
 * SYSCALL/SYSRET, which derive their selectors from one MSR field. */
#ifndef KLIB_DESC_H
#define KLIB_DESC_H

#define SEG_KCODE    0x08   /* 32-bit code in 32-bit kernels, 64-bit code in 64-bit ones */
#define SEG_KDATA    0x10   /* SYSENTER_CS + 8, STAR[47:32] + 8 */
#define SEG_UCODE32  0x18   /* SYSEXIT: SYSENTER_CS + 16; SYSRET to 32-bit: STAR[63:48] */
#define SEG_UDATA    0x20   /* SYSEXIT: SYSENTER_CS + 24; SYSRET: STAR[63:48] + 8 */
#define SEG_UCODE64  0x28   /* SYSRET to 64-bit: STAR[63:48] + 16 (64-bit kernels only) */
#define SEG_TSS      0x30   /* 8 bytes in 32-bit kernels, 16 in 64-bit ones */
#define GDT_ENTRIES  8

#define USER_DS      (SEG_UDATA | 3)
#ifdef __x86_64__
#define USER_CS      (SEG_UCODE64 | 3)
#else
#define USER_CS      (SEG_UCODE32 | 3)
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct __attribute__((packed)) tss32 {
    uint32_t link;
    uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap;
    uint16_t iomap_base;    /* offset of the I/O permission bitmap from the TSS base */
};

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];        /* stacks for CPL 0-2 on a privilege change */
    uint64_t ist[8];        /* ist[n] is ISTn (1-7); ist[0] is a reserved slot */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS layout");
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout");

#ifdef __x86_64__
typedef struct tss64 tss_t;
#else
typedef struct tss32 tss_t;
#endif

/* The TSS loaded at boot: its ring-0 stack is trap_stack (TRAP_STACK_SIZE bytes). */
extern tss_t kernel_tss;
extern char trap_stack[];

/* Loads the GDT's TSS descriptor for `tss` (limit size - 1) and executes LTR. */
void tss_load(void *tss, size_t size);
/* Fills all 256 IDT gates with the trap stubs (interrupt gates, DPL 0) and loads it. */
void idt_init(void);
/* Changes one gate: dpl 0 or 3, trap = 1 for a trap gate (IF unchanged), ist 0-7 (64-bit). */
void idt_set_gate(int vec, int dpl, int trap, int ist);
/* Loads an IDT of the given limit from `base` (the triple-fault test loads an empty one). */
void idt_load(void *base, uint16_t limit);
/* Installs the TSS and IDT; the entry code has already loaded the GDT. */
void desc_init(void);

#endif /* __ASSEMBLER__ */
#endif
