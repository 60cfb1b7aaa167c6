/* storm: thousands of #PF, #GP, #UD, #DE and #BP in a row, each handled and
 * resumed, to pin the reset of Unicorn's exception bookkeeping (upstream issue
 * 1883): without it the second fault is taken for a double fault. EBX = rounds. */
#include "macros.h"

#define CNT_PF (RESULT + 0)
#define CNT_GP (RESULT + 4)
#define CNT_UD (RESULT + 8)
#define CNT_DE (RESULT + 12)
#define CNT_BP (RESULT + 16)

.text
.code32
.globl start
start:
    hlt

.globl storm32, storm32_done
storm32:
    ENTER_PM32
    ENTER_PAGING32
1:  mov PG_NP, %eax         /* #PF, 5 bytes */
    mov $0x1238, %ax
    mov %ax, %fs            /* #GP(0x1238), 2 bytes */
    ud2                     /* #UD, 2 bytes */
    xor %ecx, %ecx
    div %ecx                /* #DE, 2 bytes */
    int3                    /* #BP, a trap: resumes after it */
    dec %ebx
    jnz 1b
storm32_done:
    hlt

/* Handlers: count, step over the faulting instruction, return. */
.globl storm_pf, storm_gp, storm_ud, storm_de, storm_bp
storm_pf:
    incl CNT_PF
    addl $5, 4(%esp)
    add $4, %esp
    iret
storm_gp:
    incl CNT_GP
    addl $2, 4(%esp)
    add $4, %esp
    iret
storm_ud:
    incl CNT_UD
    addl $2, (%esp)
    iret
storm_de:
    incl CNT_DE
    addl $2, (%esp)
    iret
storm_bp:
    incl CNT_BP
    iret

    HANDLERS
