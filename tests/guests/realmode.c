/* realmode: the BIOS a multiboot kernel finds, and real-address mode, the way
 * Xen's trampoline uses them (xen/arch/x86/boot/trampoline.S, mem.S, edd.S,
 * video.S): the BIOS data area against the multiboot information; then a drop
 * from 32-bit protected mode through 16-bit protected mode (INT n through 16-
 * and 32-bit gates on a 16-bit stack based at 128 KiB) to real mode, the
 * BIOS services (INT 15h E820/E801/88h/EC00h, INT 12h, 11h, 10h, 13h, 16h),
 * exceptions and software interrupts through handlers of our own in the IVT
 * (#DE, INT3, INTO: Intel SDM vol. 3A 20.1.4), the PIT's IRQ0 waking HLT in
 * real mode, and back to protected mode. 32-bit with paging off, or 64-bit,
 * which first leaves long mode (paging off in compatibility mode, EFER.LME
 * off) and enters it again on the way back.
 * On QEMU (tcg-quirks) SeaBIOS has a VGA BIOS beside it: INT 10h then answers
 * "VGA" where hvsim's headless BIOS answers "nothing there", and the equipment
 * word lists the VGA, a floppy, a parallel port and a PS/2 mouse. Everything
 * else must agree (QEMU's multiboot loader takes its map from E820 too). */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"
#include "klib/pic.h"
#include "klib/pit.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define RM_BASE 0x20000 /* where the real-mode program runs: free on hvsim and QEMU */
#define RM_SEG 0x2000
#define SMAP 0x534d4150u
#define E820_MAX 32

/* What the real-mode program records: one 32-bit slot each, at rm_res
 * (numbers, since the assembly below uses them too). */
#define R_E820_N         0
#define R_E820_FLAGS     1
#define R_E820_EBX       2
#define R_E820_EAX       3
#define R_E801_AX        4
#define R_E801_BX        5
#define R_E801_CX        6
#define R_E801_DX        7
#define R_E801_FLAGS     8
#define R_88_AX          9
#define R_88_FLAGS       10
#define R_12_AX          11
#define R_11_AX          12
#define R_EC_AX          13
#define R_EC_FLAGS       14
#define R_V12_BX         15
#define R_V1A_AX         16
#define R_V0F_AX         17
#define R_D41_AX         18
#define R_D41_BX         19
#define R_D41_FLAGS      20
#define R_D08_AX         21
#define R_D08_FLAGS      22
#define R_D02_AX         23
#define R_D02_FLAGS      24
#define R_K02_AX         25
#define R_SP_BEFORE      26
#define R_SP_AFTER       27
#define R_ESI_AFTER      28
#define R_EBP_AFTER      29
#define R_DE_HITS        30
#define R_DE_IP          31
#define R_DE_CS          32
#define R_DE_FLAGS       33
#define R_DE_INFLAGS     34
#define R_DE_AFTER_FLAGS 35
#define R_BP_HITS        36
#define R_BP_IP          37
#define R_OF_HITS        38
#define R_OF_IP          39
#define R_TICKS          40
#define R_CR0            41
#define R_P_SP           42
#define R_P40_SP         43
#define R_P40_IP         44
#define R_P40_CS         45
#define R_P40_FLAGS      46
#define R_P40_INFLAGS    47
#define R_P3_IP          48
#define R_P3_INFLAGS     49
#define R_P41_SP         50
#define R_P41_IP         51
#define R_P41_CS         52
#define E820_BUF_OFF 0x200 /* from rm_res: E820_MAX records of 20 bytes */
#define DISK_BUF_OFF 0x600 /* 512 bytes a disk read could fill */
#define PM16_VECTORS 0x42  /* the 16-bit protected-mode IDT: up to INT 41h */

/* The real-mode program, copied to RM_BASE: offsets within it are its
 * addresses in segment RM_SEG. */
#define O(sym) (sym - rm_blob)
#define RES(slot) (O(rm_res) + 4 * (slot))
#ifdef __x86_64__
#define CODE_DEFAULT ".code64\n" /* what the compiler's own code after us assumes */
#else
#define CODE_DEFAULT ".code32\n"
#endif
#define S_(x) #x
#define S(x) S_(x)
#ifndef __x86_64__
__asm__(
    ".pushsection .text\n"
    ".code32\n"
    /* void rm_run(void): from 32-bit protected mode, paging off, IF = 0. */
    ".globl rm_run\n"
    "rm_run:\n"
    "    pushal\n"
    "    mov %esp, rm_saved_sp\n"
    "    sgdt rm_saved_gdt\n"
    "    sidt rm_saved_idt\n"
    "    lgdt " S(RM_BASE) " + (rm_gdt_desc - rm_blob)\n"
    "    ljmp $0x18, $(pm16 - rm_blob)\n"
    /* Back from real mode with PE set and CS = flat 32-bit code of our GDT. */
    ".globl pm32_back\n"
    "pm32_back:\n"
    "    mov $0x10, %ax\n" /* flat data in both GDTs: DS still has its real-mode base */
    "    mov %ax, %ds\n"
    "    lgdt rm_saved_gdt\n"
    "    ljmp $0x08, $1f\n"
    "1:  mov $0x10, %ax\n"
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    mov %ax, %fs\n"
    "    mov %ax, %gs\n"
    "    mov %ax, %ss\n"
    "    lidt rm_saved_idt\n"
    "    mov rm_saved_sp, %esp\n"
    "    popal\n"
    "    ret\n"
    ".popsection\n");
#else
__asm__(
    ".pushsection .text\n"
    ".code64\n"
    /* void rm_run(void): from 64-bit mode, IF = 0: far return to 32-bit
     * compatibility mode, paging off (which leaves long mode), EFER.LME off,
     * then the 32-bit kernel's way down (SDM vol. 3A 9.8.5.4). */
    ".globl rm_run\n"
    "rm_run:\n"
    "    push %rbx\n"
    "    push %rbp\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    mov %rsp, rm_saved_sp(%rip)\n"
    "    sgdt rm_saved_gdt(%rip)\n"
    "    sidt rm_saved_idt(%rip)\n"
    "    mov %cr3, %rax\n"
    "    mov %rax, rm_saved_cr3(%rip)\n"
    "    lgdt " S(RM_BASE) " + (rm_gdt_desc - rm_blob)\n"
    "    pushq $0x08\n"
    "    pushq $compat32\n"
    "    lretq\n"
    ".code32\n"
    "compat32:\n"
    "    mov $0x10, %ax\n"
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    mov %ax, %ss\n"
    "    mov %cr0, %eax\n"
    "    and $0x7fffffff, %eax\n"
    "    mov %eax, %cr0\n"
    "    mov $0xc0000080, %ecx\n"
    "    rdmsr\n"
    "    and $0xfffffeff, %eax\n"
    "    wrmsr\n"
    "    ljmp $0x18, $(pm16 - rm_blob)\n"
    /* Back from real mode with PE set and CS = flat 32-bit code of our GDT:
     * paging and EFER.LME on again, then a 64-bit code segment. */
    ".globl pm32_back\n"
    "pm32_back:\n"
    "    mov $0x10, %ax\n"
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    mov %ax, %ss\n"
    "    mov rm_saved_cr3, %eax\n"
    "    mov %eax, %cr3\n"
    "    mov $0xc0000080, %ecx\n"
    "    rdmsr\n"
    "    or $0x100, %eax\n"
    "    wrmsr\n"
    "    mov %cr0, %eax\n"
    "    or $0x80000000, %eax\n"
    "    mov %eax, %cr0\n"
    "    ljmp $0x28, $long_back\n"
    ".code64\n"
    "long_back:\n"
    "    lgdt rm_saved_gdt(%rip)\n"
    "    lidt rm_saved_idt(%rip)\n"
    "    pushq $0x08\n"
    "    lea 1f(%rip), %rax\n"
    "    push %rax\n"
    "    lretq\n"
    "1:  mov $0x10, %eax\n"
    "    mov %eax, %ds\n"
    "    mov %eax, %es\n"
    "    mov %eax, %ss\n"
    "    mov rm_saved_sp(%rip), %rsp\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbp\n"
    "    pop %rbx\n"
    "    ret\n"
    ".popsection\n");
#endif

__asm__(
    ".pushsection .text\n"
    ".balign 16\n"
    ".globl rm_blob\n"
    "rm_blob:\n"
    ".code16\n"
    /* 16-bit protected mode: CS based at RM_BASE, 64 KiB data segments; a
     * 16-bit stack based at RM_BASE too (SS.B clear, base not 0), and an IDT
     * of our own (filled in by C): INT n through 16-bit interrupt and trap
     * gates and through a 32-bit gate, with IRQ0 taken on the way. */
    "pm16:\n"
    "    mov $0x20, %ax\n"
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    mov %ax, %fs\n"
    "    mov %ax, %gs\n"
    "    mov $0x30, %ax\n"
    "    mov %ax, %ss\n"
    "    mov $0xff00, %sp\n"
    "    lidt %cs:(pm16_idt_desc - rm_blob)\n"
    "    sti\n"
    "    movzwl %sp, %eax\n"
    "    mov %eax, %ss:" S(RES(R_P_SP)) "\n"
    "    int $0x40\n"
    ".globl pm16_after_int40\n"
    "pm16_after_int40:\n"
    "    int3\n"
    ".globl pm16_after_int3\n"
    "pm16_after_int3:\n"
    "    int $0x41\n"
    ".globl pm16_after_int41\n"
    "pm16_after_int41:\n"
    "    cli\n"
    "    mov $0x20, %ax\n"
    "    mov %ax, %ss\n"
    "    mov %cr0, %eax\n"
    "    and $0xfffffffe, %eax\n"
    "    mov %eax, %cr0\n"
    "    ljmp $" S(RM_SEG) ", $(rm_entry - rm_blob)\n"
    "rm_entry:\n"
    "    mov $" S(RM_SEG) ", %ax\n"
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    mov %ax, %ss\n"
    "    mov $0xfff0, %sp\n"
    "    lidt (rm_idt_desc - rm_blob)\n"
    "    mov %cr0, %eax\n"
    "    mov %eax, " S(RES(R_CR0)) "\n"
    /* Our handlers for #DE, #BP, #OF and IRQ0, the BIOS's saved. */
    "    xor %ax, %ax\n"
    "    mov %ax, %fs\n"
    "    mov %fs:0, %eax\n"
    "    mov %eax, (ivt_save - rm_blob)\n"
    "    mov %fs:12, %eax\n"
    "    mov %eax, (ivt_save - rm_blob + 4)\n"
    "    mov %fs:16, %eax\n"
    "    mov %eax, (ivt_save - rm_blob + 8)\n"
    "    mov %fs:0x80, %eax\n"
    "    mov %eax, (ivt_save - rm_blob + 12)\n"
    "    movw $(de_handler - rm_blob), %fs:0\n"
    "    movw $" S(RM_SEG) ", %fs:2\n"
    "    movw $(bp_handler - rm_blob), %fs:12\n"
    "    movw $" S(RM_SEG) ", %fs:14\n"
    "    movw $(of_handler - rm_blob), %fs:16\n"
    "    movw $" S(RM_SEG) ", %fs:18\n"
    "    movw $(tick_handler - rm_blob), %fs:0x80\n"
    "    movw $" S(RM_SEG) ", %fs:0x82\n"
    "    sti\n"
    /* INT 15h E820, as mem.S walks it. */
    "    xor %ebx, %ebx\n"
    "    mov $(rm_res - rm_blob + " S(E820_BUF_OFF) "), %di\n"
    "1:  mov $0xe820, %eax\n"
    "    mov $" S(SMAP) ", %edx\n"
    "    mov $20, %ecx\n"
    "    int $0x15\n"
    "    pushfl\n"
    "    popl " S(RES(R_E820_FLAGS)) "\n"
    "    mov %eax, " S(RES(R_E820_EAX)) "\n"
    "    jc 2f\n"
    "    cmp $" S(SMAP) ", %eax\n"
    "    jne 2f\n"
    "    incl " S(RES(R_E820_N)) "\n"
    "    add $20, %di\n"
    "    cmpl $" S(E820_MAX) ", " S(RES(R_E820_N)) "\n"
    "    jae 2f\n"
    "    test %ebx, %ebx\n"
    "    jnz 1b\n"
    "2:  mov %ebx, " S(RES(R_E820_EBX)) "\n"
    /* E801, with registers the call must keep. */
    "    mov $0x12345678, %esi\n"
    "    mov $0x0badf00d, %ebp\n"
    "    movzwl %sp, %eax\n"
    "    mov %eax, " S(RES(R_SP_BEFORE)) "\n"
    "    xor %cx, %cx\n"
    "    xor %dx, %dx\n"
    "    mov $0xe801, %ax\n"
    "    int $0x15\n"
    "    pushfl\n"
    "    popl " S(RES(R_E801_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_E801_AX)) "\n"
    "    movzwl %bx, %eax\n"
    "    mov %eax, " S(RES(R_E801_BX)) "\n"
    "    movzwl %cx, %eax\n"
    "    mov %eax, " S(RES(R_E801_CX)) "\n"
    "    movzwl %dx, %eax\n"
    "    mov %eax, " S(RES(R_E801_DX)) "\n"
    "    movzwl %sp, %eax\n"
    "    mov %eax, " S(RES(R_SP_AFTER)) "\n"
    "    mov %esi, " S(RES(R_ESI_AFTER)) "\n"
    "    mov %ebp, " S(RES(R_EBP_AFTER)) "\n"
    /* AH=88h, INT 12h, INT 11h, AX=EC00h (target mode: long, as Xen says). */
    "    mov $0x8800, %ax\n"
    "    clc\n"
    "    int $0x15\n"
    "    pushfl\n"
    "    popl " S(RES(R_88_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_88_AX)) "\n"
    "    int $0x12\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_12_AX)) "\n"
    "    int $0x11\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_11_AX)) "\n"
    "    mov $0xec00, %ax\n"
    "    mov $2, %bl\n"
    "    clc\n"
    "    int $0x15\n"
    "    pushfl\n"
    "    popl " S(RES(R_EC_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_EC_AX)) "\n"
    /* INT 10h as video.S probes it, then a teletype character. */
    "    mov $0x1200, %ax\n"
    "    mov $0x0010, %bx\n"
    "    int $0x10\n"
    "    movzwl %bx, %eax\n"
    "    mov %eax, " S(RES(R_V12_BX)) "\n"
    "    mov $0x1a00, %ax\n"
    "    int $0x10\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_V1A_AX)) "\n"
    "    mov $0x0f00, %ax\n"
    "    int $0x10\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_V0F_AX)) "\n"
    "    mov $0x0e2e, %ax\n"
    "    xor %bx, %bx\n"
    "    int $0x10\n"
    /* INT 13h as edd.S probes drive 80h. */
    "    mov $0x4100, %ax\n"
    "    mov $0x55aa, %bx\n"
    "    mov $0x80, %dl\n"
    "    clc\n"
    "    int $0x13\n"
    "    pushfl\n"
    "    popl " S(RES(R_D41_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_D41_AX)) "\n"
    "    movzwl %bx, %eax\n"
    "    mov %eax, " S(RES(R_D41_BX)) "\n"
    "    mov $0x0800, %ax\n"
    "    mov $0x80, %dl\n"
    "    clc\n"
    "    int $0x13\n"
    "    pushfl\n"
    "    popl " S(RES(R_D08_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_D08_AX)) "\n"
    "    mov %ds, %ax\n"
    "    mov %ax, %es\n"
    "    mov $0x0201, %ax\n"
    "    mov $1, %cx\n"
    "    mov $0x0080, %dx\n"
    "    mov $(rm_res - rm_blob + " S(DISK_BUF_OFF) "), %bx\n"
    "    clc\n"
    "    int $0x13\n"
    "    pushfl\n"
    "    popl " S(RES(R_D02_FLAGS)) "\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_D02_AX)) "\n"
    /* INT 16h: shift flags, as the trampoline reads them. */
    "    mov $0x0200, %ax\n"
    "    int $0x16\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, " S(RES(R_K02_AX)) "\n"
    /* Exceptions and software interrupts through our own IVT entries. */
    "    mov $1, %ax\n"
    "    mov $0, %bl\n"
    ".globl rm_div\n"
    "rm_div:\n"
    "    div %bl\n"
    "    pushfl\n"
    "    popl " S(RES(R_DE_AFTER_FLAGS)) "\n"
    "    int3\n"
    ".globl rm_after_int3\n"
    "rm_after_int3:\n"
    "    mov $0x7f, %al\n"
    "    add $1, %al\n"
    "    into\n"
    ".globl rm_after_into\n"
    "rm_after_into:\n"
    /* IRQ0 wakes HLT in real mode (C programmed the PIT and unmasked it). */
    "3:  hlt\n"
    "    cmpl $3, " S(RES(R_TICKS)) "\n"
    "    jb 3b\n"
    "    cli\n"
    "    xor %ax, %ax\n"
    "    mov %ax, %fs\n"
    "    mov (ivt_save - rm_blob), %eax\n"
    "    mov %eax, %fs:0\n"
    "    mov (ivt_save - rm_blob + 4), %eax\n"
    "    mov %eax, %fs:12\n"
    "    mov (ivt_save - rm_blob + 8), %eax\n"
    "    mov %eax, %fs:16\n"
    "    mov (ivt_save - rm_blob + 12), %eax\n"
    "    mov %eax, %fs:0x80\n"
    /* Back to 32-bit protected mode. */
    "    lgdtl (rm_gdt_desc - rm_blob)\n"
    "    mov %cr0, %eax\n"
    "    or $1, %eax\n"
    "    mov %eax, %cr0\n"
    "    .byte 0x66, 0xea\n" /* ljmpl $0x08, $pm32_back */
    "    .long pm32_back\n"
    "    .word 0x08\n"

    "p40_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    lea 2(%bp), %ax\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, %ss:" S(RES(R_P40_SP)) "\n"
    "    movzwl 2(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P40_IP)) "\n"
    "    movzwl 4(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P40_CS)) "\n"
    "    movzwl 6(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P40_FLAGS)) "\n"
    "    pushfl\n"
    "    popl %ss:" S(RES(R_P40_INFLAGS)) "\n"
    "    pop %bp\n"
    "    iret\n"
    "p3_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    movzwl 2(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P3_IP)) "\n"
    "    pushfl\n"
    "    popl %ss:" S(RES(R_P3_INFLAGS)) "\n"
    "    pop %bp\n"
    "    iret\n"
    "p41_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    lea 2(%bp), %ax\n"
    "    movzwl %ax, %eax\n"
    "    mov %eax, %ss:" S(RES(R_P41_SP)) "\n"
    "    mov 2(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P41_IP)) "\n"
    "    movzwl 6(%bp), %eax\n"
    "    mov %eax, %ss:" S(RES(R_P41_CS)) "\n"
    "    pop %bp\n"
    "    iretl\n"
    "ptick_handler:\n"
    "    push %ax\n"
    "    mov $0x20, %al\n"
    "    out %al, $0x20\n"
    "    pop %ax\n"
    "    iret\n"
    ".globl p40_handler, p3_handler, p41_handler, ptick_handler\n"

    "de_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    incl " S(RES(R_DE_HITS)) "\n"
    "    movzwl 2(%bp), %eax\n"
    "    mov %eax, " S(RES(R_DE_IP)) "\n"
    "    movzwl 4(%bp), %eax\n"
    "    mov %eax, " S(RES(R_DE_CS)) "\n"
    "    movzwl 6(%bp), %eax\n"
    "    mov %eax, " S(RES(R_DE_FLAGS)) "\n"
    "    pushfl\n"
    "    popl " S(RES(R_DE_INFLAGS)) "\n"
    "    addw $2, 2(%bp)\n" /* past DIV BL (F6 F3) */
    "    pop %bp\n"
    "    iret\n"
    "bp_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    incl " S(RES(R_BP_HITS)) "\n"
    "    movzwl 2(%bp), %eax\n"
    "    mov %eax, " S(RES(R_BP_IP)) "\n"
    "    pop %bp\n"
    "    iret\n"
    "of_handler:\n"
    "    push %bp\n"
    "    mov %sp, %bp\n"
    "    incl " S(RES(R_OF_HITS)) "\n"
    "    movzwl 2(%bp), %eax\n"
    "    mov %eax, " S(RES(R_OF_IP)) "\n"
    "    pop %bp\n"
    "    iret\n"
    "tick_handler:\n"
    "    push %ax\n"
    "    incl %cs:" S(RES(R_TICKS)) "\n"
    "    mov $0x20, %al\n"
    "    out %al, $0x20\n"
    "    pop %ax\n"
    "    iret\n"

    ".balign 8\n"
    "rm_gdt:\n"
    "    .quad 0\n"
    "    .quad 0x00cf9a000000ffff\n" /* 0x08: flat 32-bit code */
    "    .quad 0x00cf92000000ffff\n" /* 0x10: flat 32-bit data */
    "    .quad 0x00009a000000ffff | (" S(RM_BASE) " << 16)\n" /* 0x18: 16-bit code at RM_BASE */
    "    .quad 0x000092000000ffff\n" /* 0x20: 16-bit data at 0 */
    "    .quad 0x00af9a000000ffff\n" /* 0x28: 64-bit code (the 64-bit kernel's way back) */
    "    .quad 0x000092000000ffff | (" S(RM_BASE) " << 16)\n" /* 0x30: 16-bit data at RM_BASE */
    "rm_gdt_desc:\n"
    "    .word 7 * 8 - 1\n"
    "    .long " S(RM_BASE) " + (rm_gdt - rm_blob), 0\n" /* 64-bit LGDT reads 8 bytes of base */
    "rm_idt_desc:\n"
    "    .word 0x3ff\n"
    "    .long 0\n"
    "pm16_idt_desc:\n"
    "    .word " S(PM16_VECTORS) " * 8 - 1\n"
    "    .long " S(RM_BASE) " + (pm16_idt - rm_blob)\n"
    ".balign 8\n"
    ".globl pm16_idt\n"
    "pm16_idt:\n"
    "    .fill " S(PM16_VECTORS) " * 8, 1, 0\n"
    "ivt_save:\n"
    "    .long 0, 0, 0, 0\n"
    ".balign 16\n"
    ".globl rm_res\n"
    "rm_res:\n"
    "    .fill " S(DISK_BUF_OFF) " + 512, 1, 0\n"
    ".globl rm_blob_end\n"
    "rm_blob_end:\n"
    CODE_DEFAULT
    ".popsection\n");

extern char rm_blob[], rm_blob_end[], rm_res[], rm_div[], rm_after_int3[], rm_after_into[];
extern char pm16_idt[], pm16_after_int40[], pm16_after_int3[], pm16_after_int41[];
extern char p40_handler[], p3_handler[], p41_handler[], ptick_handler[];

/* A gate of the 16-bit protected-mode IDT: type 6/7 16-bit interrupt/trap
 * gate, 0xe 32-bit interrupt gate; code selector 0x18 (16-bit, at RM_BASE). */
static void pm16_gate(int vec, unsigned type, char *handler)
{
    volatile uint32_t *g = (volatile uint32_t *)(uintptr_t)(RM_BASE + (pm16_idt - rm_blob) + vec * 8);
    g[0] = (uint32_t)(handler - rm_blob) | 0x18u << 16;
    g[1] = 1u << 15 | type << 8;
}
void rm_run(void);
uintptr_t rm_saved_sp, rm_saved_cr3;
struct __attribute__((packed)) { uint16_t limit; uintptr_t base; } rm_saved_gdt, rm_saved_idt;

struct e820_rec {
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

#define FLAGS_CF 0x0001u
#define FLAGS_ZF 0x0040u
#define FLAGS_IF 0x0200u
#define FLAGS_TF 0x0100u

static uint16_t bda16(uint32_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static uint8_t rom8(uint32_t a) { return *(volatile uint8_t *)(uintptr_t)a; }

/* The multiboot memory map, copied before real mode may reuse low memory. */
static struct e820_rec mb_map[E820_MAX];
static int mb_n;

static void copy_mb_map(struct multiboot_info *mbi)
{
    uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p < end && mb_n < E820_MAX) {
        const struct multiboot_mmap_entry *e = (const void *)(uintptr_t)p;
        mb_map[mb_n++] = (struct e820_rec){ e->addr, e->len, e->type };
        p += e->size + 4;
    }
}

/* The end of the RAM that starts at 1 MiB, per the multiboot map. */
static uint64_t mb_ram_end_above_1m(void)
{
    for (int i = 0; i < mb_n; i++)
        if (mb_map[i].type == MULTIBOOT_MEMORY_AVAILABLE && mb_map[i].base == 0x100000)
            return mb_map[i].base + mb_map[i].len;
    return 0;
}

static void check_bda(struct multiboot_info *mbi)
{
    test_section("BIOS data area and multiboot information");
    uint16_t ebda = bda16(0x40e), base_kib = bda16(0x413), equip = bda16(0x410);
    check(bda16(0x400) == 0x3f8, "BDA 0x400: COM1 at 0x3f8 (read %#x)", bda16(0x400));
    check(ebda >= 0x8000 && ebda < 0xa000, "BDA 0x40e: EBDA segment %#x below 640 KiB", ebda);
    check((uint32_t)ebda << 4 == (uint32_t)base_kib * 1024, "EBDA starts where base memory ends (%u KiB)",
          base_kib);
    check(((equip >> 9) & 7) >= 1, "BDA 0x410: at least one serial port (equipment %#x)", equip);
    check(equip & 2, "BDA 0x410: math coprocessor present");
    if (!tcg_quirks())
        check(equip == 0x0202, "BDA 0x410: equipment word 0x0202: one serial port, FPU, no VGA (%#x)", equip);
    check(mbi->flags & MULTIBOOT_INFO_MEMORY, "multiboot: mem_lower/mem_upper present");
    check(mbi->mem_lower == base_kib, "multiboot mem_lower %u KiB = BDA base memory %u KiB", mbi->mem_lower,
          base_kib);
    int ebda_reserved = 0;
    for (int i = 0; i < mb_n; i++)
        if (mb_map[i].base <= (uint64_t)ebda << 4 && mb_map[i].base + mb_map[i].len >= 0xa0000 &&
            mb_map[i].type != MULTIBOOT_MEMORY_AVAILABLE)
            ebda_reserved = 1;
    check(ebda_reserved, "multiboot map: the EBDA up to 0xa0000 is not RAM");
    check(mb_ram_end_above_1m() - 0x100000 == (uint64_t)mbi->mem_upper * 1024,
          "multiboot mem_upper %u KiB = the RAM entry at 1 MiB", mbi->mem_upper);
    check(bda16(0x15 * 4 + 2) == 0xf000 && bda16(0x13 * 4 + 2) == 0xf000 && bda16(0x12 * 4 + 2) == 0xf000,
          "IVT: INT 12h, 13h and 15h point into the ROM at F000");
    check(rom8(0xffffe) == 0xfc, "ROM F000:FFFE: model byte 0xFC (AT)");
}

static void check_services(const volatile uint32_t *r, struct multiboot_info *mbi)
{
    const struct e820_rec *bios = (const void *)(rm_res - rm_blob + RM_BASE + E820_BUF_OFF);

    test_section("INT 15h E820 against the multiboot map");
    check(r[R_E820_N] == (uint32_t)mb_n, "E820 gave %u entries, multiboot %d", r[R_E820_N], mb_n);
    check(r[R_E820_EAX] == SMAP && !(r[R_E820_FLAGS] & FLAGS_CF), "each call: EAX = 'SMAP', CF clear");
    check(r[R_E820_EBX] == 0, "the last entry sets EBX = 0");
    int same = r[R_E820_N] == (uint32_t)mb_n;
    for (int i = 0; same && i < mb_n; i++)
        if (bios[i].base != mb_map[i].base || bios[i].len != mb_map[i].len || bios[i].type != mb_map[i].type) {
            kprintf("    entry %d: E820 %llx+%llx type %u, multiboot %llx+%llx type %u\n", i,
                    (unsigned long long)bios[i].base, (unsigned long long)bios[i].len, bios[i].type,
                    (unsigned long long)mb_map[i].base, (unsigned long long)mb_map[i].len, mb_map[i].type);
            same = 0;
        }
    check(same, "every E820 entry equals the multiboot map's");

    test_section("INT 15h E801, 88h, EC00h; INT 12h, 11h");
    uint64_t ext_kib = (mb_ram_end_above_1m() - 0x100000) / 1024;
    uint32_t low = ext_kib > 15 * 1024 ? 15 * 1024 : (uint32_t)ext_kib;
    uint32_t high = ext_kib > 15 * 1024 ? (uint32_t)((ext_kib - 15 * 1024) / 64) : 0;
    kprintf("    E801 AX=%x BX=%x CX=%x DX=%x flags=%x; 88h AX=%x\n", r[R_E801_AX], r[R_E801_BX], r[R_E801_CX],
            r[R_E801_DX], r[R_E801_FLAGS], r[R_88_AX]);
    check(!(r[R_E801_FLAGS] & FLAGS_CF), "E801: CF clear");
    check(r[R_E801_AX] == low && r[R_E801_CX] == low, "E801: AX = CX = %u KiB between 1 and 16 MiB", low);
    check(r[R_E801_BX] == high && r[R_E801_DX] == high, "E801: BX = DX = %u blocks of 64 KiB above 16 MiB",
          high);
    check(r[R_SP_AFTER] == r[R_SP_BEFORE], "a BIOS call leaves SP as it was (%#x)", r[R_SP_AFTER]);
    check(r[R_ESI_AFTER] == 0x12345678 && r[R_EBP_AFTER] == 0x0badf00d, "and ESI, EBP whole (32 bits)");
    uint32_t kib88 = ext_kib > 63 * 1024 ? 63 * 1024 : (uint32_t)ext_kib;
    check(!(r[R_88_FLAGS] & FLAGS_CF) && r[R_88_AX] == kib88, "88h: AX = %u KiB above 1 MiB (at most 63 MiB)",
          kib88);
    check(r[R_12_AX] == mbi->mem_lower, "INT 12h: AX = %u KiB = mem_lower", r[R_12_AX]);
    check(r[R_11_AX] == bda16(0x410), "INT 11h: AX = the BDA's equipment word %#x", r[R_11_AX]);
    check((r[R_EC_FLAGS] & FLAGS_CF) && (r[R_EC_AX] >> 8) == 0x86,
          "EC00h (not supported): CF set, AH = 86h (AX %#x)", r[R_EC_AX]);

    test_section("INT 10h, 13h, 16h: no VGA BIOS, no disks, no keys");
    kprintf("    INT 10h 12h/10h BX=%x, 1A00h AX=%x, 0Fh AX=%x\n", r[R_V12_BX], r[R_V1A_AX], r[R_V0F_AX]);
    if (tcg_quirks()) { /* SeaVGABIOS answers on QEMU: all three must agree on a VGA */
        check((r[R_V12_BX] & 0xff) != 0x10 && (r[R_V1A_AX] & 0xff) == 0x1a && (r[R_V0F_AX] >> 8) == 80,
              "QEMU's VGA BIOS: EGA info, VGA display code, 80 columns");
    } else {
        check(r[R_V12_BX] == 0x0010, "AH=12h BL=10h: BX unchanged (no EGA/VGA)");
        check((r[R_V1A_AX] & 0xff) != 0x1a, "AX=1A00h: AL is not 1Ah (no VGA)");
        check(r[R_V0F_AX] == 0x0f00, "AH=0Fh: AX unchanged (no video BIOS)");
    }
    check((r[R_D41_FLAGS] & FLAGS_CF) && (r[R_D41_AX] >> 8) == 0x01 && r[R_D41_BX] == 0x55aa,
          "INT 13h AH=41h drive 80h: CF, AH = 01h, BX not AA55h (AX %#x BX %#x)", r[R_D41_AX], r[R_D41_BX]);
    check((r[R_D08_FLAGS] & FLAGS_CF) && (r[R_D08_AX] >> 8) == 0x01, "INT 13h AH=08h drive 80h: CF, AH = 01h");
    check((r[R_D02_FLAGS] & FLAGS_CF) && (r[R_D02_AX] >> 8) == 0x01, "INT 13h AH=02h read drive 80h: CF, AH = 01h");
    check(*(volatile uint8_t *)0x474 == 0x01, "BDA 0x474: last hard-disk status 01h");
    check((r[R_K02_AX] & 0xff) == 0, "INT 16h AH=02h: no shift keys (AL = 0)");
}

static void check_pm16(const volatile uint32_t *r)
{
    test_section("16-bit protected mode: 16-bit gates, a 16-bit stack not based at 0");
    uint32_t sp = r[R_P_SP];
    check(r[R_P40_IP] == (uint32_t)(pm16_after_int40 - rm_blob) && r[R_P40_CS] == 0x18,
          "INT 40h, 16-bit interrupt gate: frame CS:IP after the INT (%#x:%#x)", r[R_P40_CS], r[R_P40_IP]);
    check(r[R_P40_SP] == sp - 6, "three words pushed on SS:SP (SP %#x, was %#x)", r[R_P40_SP], sp);
    check((r[R_P40_FLAGS] & FLAGS_IF) && !(r[R_P40_INFLAGS] & FLAGS_IF),
          "frame FLAGS has IF; the interrupt gate clears it");
    check(r[R_P3_IP] == (uint32_t)(pm16_after_int3 - rm_blob), "INT3, 16-bit trap gate: frame IP after it (%#x)",
          r[R_P3_IP]);
    check(r[R_P3_INFLAGS] & FLAGS_IF, "the trap gate leaves IF set");
    check(r[R_P41_IP] == (uint32_t)(pm16_after_int41 - rm_blob) && r[R_P41_CS] == 0x18 && r[R_P41_SP] == sp - 12,
          "INT 41h, 32-bit gate from 16-bit code: a frame of dwords (EIP %#x, SP %#x)", r[R_P41_IP], r[R_P41_SP]);
}

static void check_events(const volatile uint32_t *r)
{
    test_section("exceptions and INT n through our IVT entries");
    check(!(r[R_CR0] & 1), "CR0.PE clear in the real-mode program (CR0 %#x)", r[R_CR0]);
    check(r[R_DE_HITS] == 1, "DIV by zero: #DE once (%u)", r[R_DE_HITS]);
    check(r[R_DE_IP] == (uint32_t)(rm_div - rm_blob) && r[R_DE_CS] == RM_SEG,
          "#DE frame: CS:IP of the DIV (%#x:%#x)", r[R_DE_CS], r[R_DE_IP]);
    check(r[R_DE_FLAGS] & FLAGS_IF, "#DE frame: FLAGS with IF set, as before the fault");
    check(!(r[R_DE_INFLAGS] & (FLAGS_IF | FLAGS_TF)), "#DE handler runs with IF and TF clear");
    check(r[R_DE_AFTER_FLAGS] & FLAGS_IF, "IRET restores IF");
    check(r[R_BP_HITS] == 1 && r[R_BP_IP] == (uint32_t)(rm_after_int3 - rm_blob),
          "INT3: once, frame IP after the instruction (%#x)", r[R_BP_IP]);
    check(r[R_OF_HITS] == 1 && r[R_OF_IP] == (uint32_t)(rm_after_into - rm_blob),
          "INTO with OF set: once, frame IP after the instruction (%#x)", r[R_OF_IP]);
    check(r[R_TICKS] >= 3, "PIT IRQ0 through the IVT woke HLT %u times", r[R_TICKS]);
}

void kmain(struct multiboot_info *mbi)
{
#ifndef __x86_64__
    if (read_cr0() & (1u << 31)) {
        kprintf("realmode: paging is on; this kernel needs it off\n");
        hv_exit(EXIT_UNEXPECTED);
    }
#endif
    copy_mb_map(mbi);
    check_bda(mbi);

    memcpy((void *)RM_BASE, rm_blob, (size_t)(rm_blob_end - rm_blob));
    pm16_gate(3, 7, p3_handler);
    pm16_gate(VEC_IRQ0, 6, ptick_handler);
    pm16_gate(0x40, 6, p40_handler);
    pm16_gate(0x41, 0xe, p41_handler);
    pit_periodic(PIT_HZ / 1000);
    pic_unmask(0);
    cli();
    rm_run();
    pic_mask(0);
    check(read_cr0() & 1, "back in protected mode");
#ifdef __x86_64__
    check((rdmsr(0xc0000080) & 0x500) == 0x500 && read_cs() == 0x08, "back in 64-bit mode (EFER.LME, LMA; CS 0x08)");
#endif
    check_services((const volatile uint32_t *)(RM_BASE + (rm_res - rm_blob)), mbi);
    check_pm16((const volatile uint32_t *)(RM_BASE + (rm_res - rm_blob)));
    check_events((const volatile uint32_t *)(RM_BASE + (rm_res - rm_blob)));
    test_finish();
}
