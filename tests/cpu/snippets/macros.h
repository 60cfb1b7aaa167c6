/* Assembly macros for CPU test snippets: entry into the test's own protected-mode
 * and long-mode environment from the multiboot state, the trip to ring 3 by IRET,
 * and default exception handlers that halt so the test can read the frame. */
#include "layout.h"

#include "arch/x86.h"

/* Load the test's GDT, IDT and TSS; flat ring-0 segments; ESP at STACK0_TOP.
 * Preserves every general register but ESP. */
.macro ENTER_PM32
    mov $STACK0_TOP, %esp
    mov %eax, SAVE_AREA
    lgdt GDTR_PTR
    lidt IDTR_PTR
    ljmp $SEL_KCODE32, $.Lpm\@
.Lpm\@:
    mov $SEL_KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $SEL_TSS, %ax
    ltr %ax
    mov SAVE_AREA, %eax
.endm

/* 2-level paging over the identity map with CR0.WP. Preserves registers. */
.macro ENTER_PAGING32
    mov %eax, SAVE_AREA
    mov $PD32, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0
    mov SAVE_AREA, %eax
.endm

/* From ENTER_PM32: PAE, 4-level tables, EFER.LME|NXE|SCE, paging, a 64-bit CS.
 * Preserves registers (upper halves become zero). */
.macro ENTER_LM64
    mov %eax, SAVE_AREA
    mov %ecx, SAVE_AREA + 8
    mov %edx, SAVE_AREA + 16
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $MSR_IA32_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0
    ljmp $SEL_KCODE64, $.Llm\@
.code64
.Llm\@:
    mov SAVE_AREA, %eax
    mov SAVE_AREA + 8, %ecx
    mov SAVE_AREA + 16, %edx
.endm

/* IRET to ring 3 at \target with user data segments and ESP at STACK3_TOP. */
.macro RING3_32 target, eflags
    mov $(SEL_UDATA | 3), %ax
    mov %ax, %ds
    mov %ax, %es
    pushl $(SEL_UDATA | 3)
    pushl $STACK3_TOP
    pushl $\eflags
    pushl $(SEL_UCODE32 | 3)
    pushl \target
    iret
.endm

.macro RING3_64 target, rflags
    pushq $(SEL_UDATA | 3)
    pushq $STACK3_TOP
    pushq $\rflags
    pushq $(SEL_UCODE64 | 3)
    pushq \target
    iretq
.endm

/* h_<v>: HLT and stay. The bytes (f4 eb fd) mean the same in 32- and 64-bit
 * code, so one set serves both. The test finds the vector from RIP. */
.macro HANDLER v
.globl h_\v
h_\v:
    hlt
    jmp h_\v
.endm

.macro HANDLERS
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,48,64,128
    HANDLER \v
    .endr
.endm

/* An entry point that reaches 64-bit ring 0 (the code after it is 64-bit). */
.macro ENTRY64 name
.code32
.globl \name
\name:
    ENTER_PM32
    ENTER_LM64
.endm
