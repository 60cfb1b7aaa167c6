/* trapasm64.S: the 256 interrupt stubs, the common trap path and the ring-3
 * entry of 64-bit kernels (Intel SDM vol. 3A 6.14: the CPU always pushes SS,
 * RSP, RFLAGS, CS, RIP and, for some vectors, an error code). */
#include "klib/desc.h"

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
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
.endr

trap_common:
    cld                         /* C code assumes DF=0; ring 3 may have set it */
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi              /* struct trapframe * */
    call trap
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* trap number and error code */
    iretq

/* unsigned long user_run(void (*fn)(void), void *stack_top, unsigned long flags) */
.globl user_run
user_run:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, user_saved_sp(%rip)
    pushq $USER_DS
    push %rsi
    push %rdx
    pushq $USER_CS
    push %rdi
    iretq

/* void user_return(unsigned long value): back to user_run's caller. */
.globl user_return
user_return:
    mov %rdi, %rax
    mov $SEG_KDATA, %ecx        /* a ring-0 entry from ring 3 left SS null */
    mov %ecx, %ss
    mov user_saved_sp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

.section .bss
.balign 8
user_saved_sp: .skip 8
