/* trap.h: trap frames, per-vector handlers, and fault fixups (an exception table,
 * as Linux's: a fault at a listed instruction resumes at its fixup label). */
#ifndef KLIB_TRAP_H
#define KLIB_TRAP_H

#define T_DE   0
#define T_DB   1
#define T_BP   3
#define T_UD   6
#define T_DF   8
#define T_TS   10
#define T_NP   11
#define T_SS   12
#define T_GP   13
#define T_PF   14

/* #PF error code bits (SDM vol. 3A 4.7). */
#define PF_P   (1u << 0)
#define PF_W   (1u << 1)
#define PF_U   (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I   (1u << 4)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The registers the stubs in trapasm32.S/trapasm64.S push, lowest address first. */
#ifdef __x86_64__
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t bp, di, si, dx, cx, bx, ax;
    uint64_t trapno, err;
    uint64_t ip, cs, flags, sp, ss;     /* pushed by the CPU */
};
#define EX_PTR ".quad"
#else
struct trapframe {
    uint32_t di, si, bp, oesp, bx, dx, cx, ax;   /* PUSHAL */
    uint32_t gs, fs, es, ds;
    uint32_t trapno, err;
    uint32_t ip, cs, flags;             /* pushed by the CPU */
    uint32_t sp, ss;                    /* only on a change to ring 0 */
};
#define EX_PTR ".long"
#endif

typedef void trap_handler_fn(struct trapframe *tf);

/* The last fault resolved through the exception table, and how many so far. */
struct fault_record {
    unsigned long vector, err, ip, cr2;
};
extern volatile struct fault_record fault_last;
extern volatile unsigned long fault_count;

/* Calls fn for vector `vec`; NULL restores the default (report and fail). */
void trap_set_handler(int vec, trap_handler_fn *fn);
/* Makes vector `vec` resolve faults through the exception table. */
void trap_catch(int vec);
/* If tf->ip is listed in the exception table, records the fault, moves tf->ip
 * to the fixup and returns 1; returns 0 otherwise. */
int trap_fixup(struct trapframe *tf);
/* Prints the frame; used for unexpected traps. */
void trap_dump(const struct trapframe *tf);

/* In inline assembly: a fault at local label `from` continues at `to`. */
#define EXTABLE(from, to) \
    ".pushsection extable, \"a\"\n\t" EX_PTR " " #from ", " #to "\n\t.popsection\n\t"

/* RDMSR/WRMSR that return the exception vector (13 for #GP) instead of dying.
 * Needs trap_catch(T_GP). */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    unsigned long before = fault_count;
    uint32_t lo = 0, hi = 0;
    asm volatile("1: rdmsr\n2:\n\t" EXTABLE(1b, 2b) : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = ((uint64_t)hi << 32) | lo;
    return fault_count != before ? (int)fault_last.vector : 0;
}
static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
    unsigned long before = fault_count;
    asm volatile("1: wrmsr\n2:\n\t" EXTABLE(1b, 2b)
                 : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
    return fault_count != before ? (int)fault_last.vector : 0;
}

/* Ring 3: user_run() enters fn at CPL 3 on `stack_top` with the given flags and
 * returns when a trap handler calls user_return(value), with interrupts off.
 * The kernel's own stack is untouched meanwhile: traps from ring 3 arrive on
 * the TSS ring-0 stack. */
unsigned long user_run(void (*fn)(void), void *stack_top, unsigned long flags);
__attribute__((noreturn)) void user_return(unsigned long value);

#endif /* __ASSEMBLER__ */
#endif
