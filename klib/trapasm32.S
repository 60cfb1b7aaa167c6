/* trapasm32.S: the 256 interrupt stubs, the common trap path and the ring-3
 * entry of 32-bit kernels (Intel SDM vol. 3A 6.12: the CPU pushes EFLAGS, CS,
 * EIP, an error code for some vectors, and ESP, SS on a change to ring 0). */
#include "klib/desc.h"

/* Vectors that push an error code; the others get a 0 so frames look alike. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.text
/* Each stub is 16 bytes, so stub v is at trap_stubs + 16 * v. */
.balign 16
.globl trap_stubs
trap_stubs:
.set vec, 0
.rept 256
    .balign 16
    .if !HAS_ERR(vec)
    pushl $0
    .endif
    pushl $vec
    jmp trap_common
    .set vec, vec + 1
.endr

trap_common:
    cld                         /* C code assumes DF=0; ring 3 may have set it */
    push %ds
    push %es
    push %fs
    push %gs
    pushal
    mov $SEG_KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    push %esp                   /* struct trapframe * */
    call trap
    add $4, %esp
    popal
    pop %gs
    pop %fs
    pop %es
    pop %ds
    add $8, %esp                /* trap number and error code */
    iret

/* unsigned long user_run(void (*fn)(void), void *stack_top, unsigned long flags) */
.globl user_run
user_run:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, user_saved_sp
    mov 20(%esp), %eax
    mov 24(%esp), %edx
    mov 28(%esp), %ecx
    /* Ring 3 cannot keep DPL-0 data selectors: IRET would null them. */
    mov $USER_DS, %bx
    mov %bx, %ds
    mov %bx, %es
    mov %bx, %fs
    mov %bx, %gs
    push $USER_DS
    push %edx
    push %ecx
    push $USER_CS
    push %eax
    iret

/* void user_return(unsigned long value): back to user_run's caller. */
.globl user_return
user_return:
    mov 4(%esp), %eax
    mov $SEG_KDATA, %cx
    mov %cx, %ds
    mov %cx, %es
    mov %cx, %fs
    mov %cx, %gs
    mov %cx, %ss
    mov user_saved_sp, %esp
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

.section .bss
.balign 4
user_saved_sp: .skip 4
