/* entry64.S: multiboot v1 header and the entry of 64-bit kernels. Multiboot
 * starts us in 32-bit protected mode; like a real kernel we build page tables
 * (the first 4 GiB identity-mapped with 2 MiB pages), enable PAE, EFER.LME and
 * paging, and far-jump into 64-bit code (Intel SDM vol. 3A 9.8.5). */
#include "klib/desc.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"
#include "klib/test.h"
#include "klib/x86.h"

#define MB_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define PTE_PWU  0x07           /* present, writable, user (paging.h's PTE_* bits) */
#define PTE_PW   0x03
#define PTE_PS   0x80           /* a 2 MiB page */
#define BOOT_PDS (BOOT_MAP_END >> 30)       /* page directories, 1 GiB each */

.section .multiboot, "a"
.balign 4
.long MULTIBOOT_HEADER_MAGIC, MB_FLAGS, -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)

.section .bss
.balign 4096
.globl boot_pml4
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip BOOT_PDS * 4096   /* 512 x 2 MiB pages each */
.balign 16
boot_stack:
.skip BOOT_STACK_SIZE
boot_stack_top:

.text
.code32
.globl _start
_start:
    cli
    mov %eax, %edi              /* magic and boot information survive in EDI/ESI */
    mov %ebx, %esi
    mov $boot_stack_top, %esp
    pushl $0
    popfl

    /* Without long mode there is nothing to do but report it. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $CPUID81_EDX_LM, %edx
    jz no_long_mode

    /* PML4[0] -> PDPT; PDPT[i] -> directory i; U set on the upper
     * levels so a leaf entry alone decides user access. */
    movl $(boot_pdpt + PTE_PWU), boot_pml4
    mov $(boot_pd + PTE_PWU), %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(, %ecx, 8)
    add $4096, %eax
    inc %ecx
    cmp $BOOT_PDS, %ecx
    jne 1b
    /* Directory entry i maps i * 2 MiB; the high dwords stay 0 (below 4 GiB). */
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_PW | PTE_PS), %eax
    mov %eax, boot_pd(, %ecx, 8)
    inc %ecx
    cmp $(BOOT_PDS * 512), %ecx
    jne 2b

    lgdt gdt_desc               /* its code segment is 64-bit: used after the jump */
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_PE | CR0_WP), %eax   /* WP: ring 0 honours read-only pages too */
    mov %eax, %cr0              /* now in compatibility mode: EFER.LMA = 1 */
    ljmp $SEG_KCODE, $start64

no_long_mode:
    mov $EXIT_UNEXPECTED, %eax
    mov $PORT_DEBUG_EXIT, %dx
    outl %eax, %dx
3:  hlt
    jmp 3b

.code64
start64:
    mov $SEG_KDATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %fs
    mov %eax, %gs
    mov %eax, %ss
    mov $boot_stack_top, %rsp
    mov %edi, %edi              /* upper halves are undefined after the mode switch */
    mov %esi, %esi
    call klib_start             /* klib_start(magic, mbi) does not return */
4:  cli
    hlt
    jmp 4b
