/* syscall: SYSCALL/SYSRET in long mode and SYSENTER/SYSEXIT in 32-bit protected
 * mode, from ring 3 to a ring-0 entry that halts (the test looks) and returns. */
#include "macros.h"

.text
.code32
.globl start
start:
    hlt

/* STAR: SYSCALL CS 0x30 (SS 0x38), SYSRET base 0x18 (SS 0x23, CS 0x2b);
 * LSTAR = sys64_entry; FMASK clears IF and DF. */
.globl r64_sys, r64_sys_ret, sys64_entry, sys64_sysret
ENTRY64 syscall64
    mov $0xc0000081, %ecx
    xor %eax, %eax
    mov $((SEL_UDATA - 8) << 16 | SEL_KCODE64), %edx
    wrmsr
    mov $0xc0000082, %ecx
    mov $sys64_entry, %eax
    xor %edx, %edx
    wrmsr
    mov $0xc0000084, %ecx
    mov $0x600, %eax
    wrmsr
    RING3_64 $r64_sys, 0x602
r64_sys:
    mov $0x1234, %eax
    syscall
r64_sys_ret:
    ud2
/* The entries spin (HLT could only be left by an interrupt): the test stops the
 * run by its cycle limit, looks, and moves RIP on to the return instruction. */
sys64_entry:
    jmp sys64_entry
sys64_sysret:
    sysretq
.code32

/* SYSCALL with EFER.SCE clear: #UD. */
.globl syscall_nosce, syscall_nosce_at
syscall_nosce:
    ENTER_PM32
syscall_nosce_at:
    syscall
    hlt

/* SYSENTER_CS 0x08 (SS 0x10), ESP SYSENTER_STACK, EIP sysenter_entry; SYSEXIT
 * goes to EDX with ESP = ECX in CS 0x1b, SS 0x23. */
.globl sysenter32, r3_sysenter, r3_sysexit_ret, sysenter_entry, sysenter_sysexit
sysenter32:
    ENTER_PM32
    xor %edx, %edx
    mov $0x174, %ecx
    mov $SEL_KCODE32, %eax
    wrmsr
    mov $0x175, %ecx
    mov $SYSENTER_STACK, %eax
    wrmsr
    mov $0x176, %ecx
    mov $sysenter_entry, %eax
    wrmsr
    RING3_32 $r3_sysenter, 0x202
r3_sysenter:
    mov $r3_sysexit_ret, %edx
    mov $(STACK3_TOP - 0x100), %ecx
    sysenter
r3_sysexit_ret:
    ud2
sysenter_entry:
    jmp sysenter_entry
sysenter_sysexit:
    .byte 0x0f, 0x35   /* SYSEXIT (32-bit operand size) */

    HANDLERS
