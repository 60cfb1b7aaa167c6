/* exc32: 32-bit protected-mode snippets for exception delivery, ring changes,
 * privileged instructions, page faults and I/O permission. Each entry starts
 * from the multiboot state; ring-3 entries IRET to the label passed in EBX. */
#include "macros.h"

.text
.code32
.globl start
start:
    hlt

/* Ring-0 faults: each stops in h_<vector> with the frame on STACK0. */
.globl de32, de32_at
de32:
    ENTER_PM32
    xor %ecx, %ecx
    mov $1, %eax
    xor %edx, %edx
de32_at:
    div %ecx
    hlt

.globl ud32, ud32_at
ud32:
    ENTER_PM32
ud32_at:
    ud2

.globl gp32, gp32_at
gp32:
    ENTER_PM32
    mov $0x1238, %ax        /* beyond the GDT limit: #GP(0x1238) */
gp32_at:
    mov %ax, %ds

.globl np32, np32_at
np32:
    ENTER_PM32
    mov $SEL_NP_DATA, %ax   /* not present: #NP(selector) */
np32_at:
    mov %ax, %ds

.globl int32, int32_at, int32_after
int32:
    ENTER_PM32
int32_at:
    int $VEC_INT
int32_after:
    hlt

.globl bp32, bp32_after
bp32:
    ENTER_PM32
    int3
bp32_after:
    hlt

/* IF set when the fault hits: interrupt gates clear it, trap gates keep it. */
.globl sti_ud32, sti_ud32_at
sti_ud32:
    ENTER_PM32
    sti
    nop
sti_ud32_at:
    ud2

/* Ring 0 with the test's tables loaded, spinning (for cpu_run limits). */
.globl pm32_spin, pm32_spin_at
pm32_spin:
    ENTER_PM32
pm32_spin_at:
    jmp pm32_spin_at

/* Ring 0 with a misaligned stack: 32-bit frames are not realigned. */
.globl odd_stack32, odd_stack32_at
odd_stack32:
    ENTER_PM32
    sub $6, %esp
odd_stack32_at:
    ud2

/* Paging on, ring 0. */
.globl pf32_np_read, pf32_np_write, pf32_ro_write, pf32_sup_ok, pf32_at
pf32_np_read:
    ENTER_PM32
    ENTER_PAGING32
    jmp 1f
pf32_np_write:
    ENTER_PM32
    ENTER_PAGING32
    jmp 2f
pf32_ro_write:
    ENTER_PM32
    ENTER_PAGING32
    jmp 3f
pf32_sup_ok:
    ENTER_PM32
    ENTER_PAGING32
    mov PG_SUP, %eax
    movl $7, PG_SUP
    mov PG_RO, %eax
    hlt
1:
pf32_at:
    mov PG_NP, %eax
    hlt
2:  movl $1, PG_NP
    hlt
3:  movl $1, PG_RO
    hlt

/* Ring 3 at EBX: plain, with paging, with IOPL 3, with IF set. */
.globl ring3, ring3_paged, ring3_iopl3
ring3:
    ENTER_PM32
    RING3_32 %ebx, 0x2
ring3_paged:
    ENTER_PM32
    ENTER_PAGING32
    RING3_32 %ebx, 0x2
ring3_iopl3:
    ENTER_PM32
    RING3_32 %ebx, 0x3002

/* Ring-3 code. Each stops in a handler; the ones that must pass end in UD2. */
.globl r3_ud, r3_cli, r3_hlt, r3_movcr, r3_movcr3w, r3_lgdt, r3_int, r3_int_after, r3_into
r3_ud:
    ud2
r3_cli:
    cli
r3_hlt:
    hlt
r3_movcr:
    mov %cr0, %eax
r3_movcr3w:
    mov %eax, %cr3
r3_lgdt:
    lgdt GDTR_PTR
r3_int:
    int $VEC_INT
r3_int_after:
    ud2

.globl r3_read_np, r3_read_sup, r3_write_ro, r3_read_ro, r3_read_ro_done
r3_read_np:
    mov PG_NP, %eax
r3_read_sup:
    mov PG_SUP, %eax
r3_write_ro:
    movl $1, PG_RO
r3_read_ro:
    mov PG_RO, %eax
r3_read_ro_done:
    ud2

.globl r3_out80, r3_out80_at, r3_out80_done, r3_out81, r3_outw80, r3_in_dx, r3_in_dx_done, r3_in_dx81, r3_in_dx81_at
r3_out80:
    mov $0x5a, %al
r3_out80_at:
    out %al, $0x80
r3_out80_done:
    ud2
r3_out81:
    out %al, $0x81
r3_outw80:
    out %ax, $0x80
r3_in_dx:
    mov $0x80, %dx
    in (%dx), %al
r3_in_dx_done:
    ud2
r3_in_dx81:
    mov $0x81, %dx
r3_in_dx81_at:
    in (%dx), %al

    HANDLERS
