/* misc: snippets for MSRs, CPUID, RDTSC and virtual time, HLT and external
 * interrupts. Registers the test sets after the multiboot state (EAX, ECX, EDX)
 * survive the entry macros. */
#include "macros.h"

#define IRQ_COUNT (RESULT + 0)
#define IRQ_EIP (RESULT + 4)
#define NMI_COUNT (RESULT + 8)
#define NMI_EIP (RESULT + 12)
#define NMI_AFTER_OUT (RESULT + 16)

.text
.code32
.globl start
start:
    hlt

/* RDMSR/WRMSR of ECX (EDX:EAX) in ring 0, 32-bit. */
.globl rdmsr32, rdmsr32_at, wrmsr32, wrmsr32_at
rdmsr32:
    ENTER_PM32
rdmsr32_at:
    rdmsr
    hlt
wrmsr32:
    ENTER_PM32
wrmsr32_at:
    wrmsr
    rdmsr
    hlt

.globl rdmsr64_at
ENTRY64 rdmsr64
rdmsr64_at:
    rdmsr
    hlt
.code32

/* In ring 3: RDMSR of ECX. */
.globl rdmsr_ring3, r3_rdmsr
rdmsr_ring3:
    ENTER_PM32
    RING3_32 $r3_rdmsr, 0x2
r3_rdmsr:
    rdmsr
    ud2

/* The TSC: WRMSR 0x10 with EDX:EAX, then RDTSC. */
.globl wrtsc
wrtsc:
    ENTER_PM32
    mov $0x10, %ecx
    wrmsr
    rdtsc
    hlt

/* CPUID leaf EAX, sub-leaf ECX. */
.globl cpuid32
cpuid32:
    ENTER_PM32
    cpuid
    hlt

/* Two RDTSCs around 1000 iterations of a two-instruction loop: ESI:EDI, EDX:EAX. */
.globl tsc_loop
tsc_loop:
    ENTER_PM32
    rdtsc
    mov %eax, %esi
    mov %edx, %edi
    mov $1000, %ecx
1:  dec %ecx
    jnz 1b
    rdtsc
    hlt

/* An intercept site skipped between an instruction that leaves the flags to
 * be computed lazily and one that reads them: INC to zero, RDMSR of
 * IA32_VMX_BASIC (emulated by the site hook; Unicorn itself would raise #GP),
 * SETZ into BL, then a store after it (uc_stop.c). */
.globl site_flags
site_flags:
    ENTER_PM32
    mov $0x480, %ecx
    xor %ebx, %ebx
    mov $0xffffffff, %esi
    inc %esi
    rdmsr
    setz %bl
    movl $0x1234, RESULT
    hlt

/* 100000 rounds storing the counter to RESULT+0x100 and summing it into EBX:
 * a data page written far longer than the fast-store scan period (uc_tlb.c). */
.globl store_loop
store_loop:
    ENTER_PM32
    xor %ebx, %ebx
    mov $100000, %ecx
1:  mov %ecx, RESULT + 0x100
    add RESULT + 0x100, %ebx
    dec %ecx
    jnz 1b
    hlt

.globl spin32, spin32_at
spin32:
    ENTER_PM32
spin32_at:
    jmp spin32_at

/* HLT with IF=1, then RDTSC (time spent halted shows) and HLT again. */
.globl sti_hlt, sti_hlt_after, sti_hlt_end
sti_hlt:
    ENTER_PM32
    sti
    hlt
sti_hlt_after:
    rdtsc
    hlt
sti_hlt_end:
    nop

/* HLT with IF=0: only NMI or reset would wake it. */
.globl cli_hlt, cli_hlt_after
cli_hlt:
    ENTER_PM32
    cli
    hlt
cli_hlt_after:
    hlt

/* IF=1 while running: an OUT to port 0x99 makes the test raise an interrupt. */
.globl sti_out, sti_out_at, sti_out_end
sti_out:
    ENTER_PM32
    sti
sti_out_at:
    out %al, $0x99
    nop
    nop
sti_out_end:
    jmp sti_out_end

/* An external-interrupt handler that counts, keeps the frame's EIP and returns. */
.globl irq_count
irq_count:
    incl IRQ_COUNT
    push %eax
    mov 4(%esp), %eax
    mov %eax, IRQ_EIP
    pop %eax
    iret

/* NMI handlers (vector 2). nmi_count counts and keeps the frame's EIP; the
 * first time it also writes port 0x97, which latches one more NMI: that one
 * must wait for the IRET. nmi_hlt halts inside the handler. */
.globl nmi_count, nmi_hlt
nmi_count:
    incl NMI_COUNT
    push %eax
    mov 4(%esp), %eax
    mov %eax, NMI_EIP
    cmpl $1, NMI_COUNT
    jne 1f
    out %al, $0x97
    nop
    nop
    incl NMI_AFTER_OUT
1:  pop %eax
    iret
nmi_hlt:
    incl NMI_COUNT
    hlt
    iret

    HANDLERS
