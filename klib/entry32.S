/* entry32.S: multiboot v1 header and the 32-bit kernel entry. The loader leaves us
 * in 32-bit protected mode, paging off, EAX = magic, EBX = boot information
 * (Multiboot Specification 0.6.96, 3.1 and 3.2). */
#include "klib/desc.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"

#define MB_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

.section .multiboot, "a"
.balign 4
.long MULTIBOOT_HEADER_MAGIC, MB_FLAGS, -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)

.section .bss
.balign 16
boot_stack:
.skip BOOT_STACK_SIZE
boot_stack_top:

.text
.code32
.globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    pushl $0
    popfl                       /* a clean EFLAGS: DF, AC, NT and IOPL cleared */
    /* The loader's GDT may be gone; load ours and reload every segment. */
    lgdt gdt_desc
    ljmp $SEG_KCODE, $1f
1:  mov $SEG_KDATA, %cx
    mov %cx, %ds
    mov %cx, %es
    mov %cx, %fs
    mov %cx, %gs
    mov %cx, %ss
    push %ebx
    push %eax
    call klib_start             /* klib_start(magic, mbi) does not return */
2:  cli
    hlt
    jmp 2b
