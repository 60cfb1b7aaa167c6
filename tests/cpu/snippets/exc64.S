/* exc64: long-mode snippets for 64-bit exception frames, IST, RSP0, privileged
 * instructions in ring 3 and page faults with NX. Each entry goes from the
 * multiboot state into 64-bit ring 0; ring-3 entries IRETQ to the label in RBX. */
#include "macros.h"

.text
.code32
.globl start
start:
    hlt

.globl de64_at, ud64_at, gp64_at, int64_at, int64_after, noncanon64_at, odd_stack64_at
ENTRY64 de64
    xor %ecx, %ecx
    mov $1, %eax
    xor %edx, %edx
de64_at:
    div %rcx
    hlt

ENTRY64 ud64
ud64_at:
    ud2

ENTRY64 gp64
    mov $0x1238, %ax
gp64_at:
    mov %ax, %ds

ENTRY64 int64
int64_at:
    int $VEC_INT
int64_after:
    hlt

ENTRY64 noncanon64
    movabs $0x8000000000000000, %rax
noncanon64_at:
    mov (%rax), %rax

/* RSP not 16-aligned: the CPU aligns it before pushing the frame (SDM 6.14.2). */
ENTRY64 odd_stack64
    sub $8, %rsp
odd_stack64_at:
    ud2

.globl pf64_at, pf64_nx_at
ENTRY64 pf64_np_read
pf64_at:
    mov PG_NP, %eax
    hlt
ENTRY64 pf64_ro_write
    movl $1, PG_RO
    hlt
ENTRY64 pf64_nx_fetch
    mov $PG_NX, %eax
pf64_nx_at:
    jmp *%rax

/* A stack on a not-present page: #UD's push faults, so does #PF's (#PF during
 * #PF: double fault), and #DF reaches its handler only through IST1. */
.globl bad_stack64_at
ENTRY64 bad_stack64
    mov $(PG_NP + 0x800), %esp
bad_stack64_at:
    ud2

/* Ring 3 at RBX, IF clear. */
ENTRY64 ring3_64
    RING3_64 %rbx, 0x2

.globl r64_ud, r64_cli, r64_hlt, r64_movcr, r64_lgdt, r64_int, r64_int_after, r64_nx, r64_read_sup, r64_write_ro
r64_ud:
    ud2
r64_cli:
    cli
r64_hlt:
    hlt
r64_movcr:
    mov %cr0, %rax
r64_lgdt:
    lgdt GDTR_PTR
r64_int:
    int $VEC_INT
r64_int_after:
    ud2
r64_nx:
    mov $PG_NX, %eax
    jmp *%rax
r64_read_sup:
    mov PG_SUP, %eax
r64_write_ro:
    movl $1, PG_RO

    HANDLERS
