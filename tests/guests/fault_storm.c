/* fault_storm: thousands of exceptions in a row, each handled and resumed:
 * #PF, #GP, #UD, #DE and #BP interleaved. On Unicorn the exception bookkeeping is
 * never reset (upstream issue 1883), so without hvsim's workaround the second
 * fault turns into a #DF and the third ends the run. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define ROUNDS    2500
#define FAULT_VA  0x40000000u
#define BAD_SEL   0x1234            /* past the GDT's limit: #GP(0x1234) */

static struct pagetable pt;
static uint64_t scratch_pa;
static volatile unsigned pf_count, bp_count, pf_bad;

static void on_page_fault(struct trapframe *tf)
{
    pf_bad += read_cr2() != FAULT_VA + 8 || tf->err != PF_W;
    pf_count++;
    pt_map(&pt, FAULT_VA, scratch_pa, SIZE_4K, PTE_W);
    invlpg(FAULT_VA);
}

static void on_breakpoint(struct trapframe *tf)
{
    (void)tf;
    bp_count++;                     /* a trap: execution resumes after INT3 */
}

/* Faults through the exception table; returns whether exactly one of the
 * expected vector and error code happened. */
static int gp_selector(void)
{
    unsigned long n = fault_count;
    asm volatile("1: mov %w0, %%fs\n2:\n\t" EXTABLE(1b, 2b) : : "r"(BAD_SEL) : "memory");
    return fault_count == n + 1 && fault_last.vector == EXC_GP && fault_last.err == BAD_SEL;
}

static int ud(void)
{
    unsigned long n = fault_count;
    asm volatile("1: ud2\n2:\n\t" EXTABLE(1b, 2b) ::: "memory");
    return fault_count == n + 1 && fault_last.vector == EXC_UD;
}

static int divide_error(void)
{
    unsigned long n = fault_count;
    unsigned long quotient = 1, zero = 0;
    asm volatile("xor %%edx, %%edx\n1: div %1\n2:\n\t" EXTABLE(1b, 2b) : "+a"(quotient) : "r"(zero) : "edx", "memory");
    return fault_count == n + 1 && fault_last.vector == EXC_DE;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("an exception storm: #PF, #GP, #UD, #DE, #BP in a row");
#ifdef __x86_64__
    pt_init(&pt, PT_4LEVEL);
#else
    pt_init(&pt, PT_2LEVEL);
#endif
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W);
    pt_activate(&pt);
    scratch_pa = (uintptr_t)palloc();
    trap_set_handler(EXC_PF, on_page_fault);
    trap_set_handler(EXC_BP, on_breakpoint);
    trap_catch(EXC_GP);
    trap_catch(EXC_UD);
    trap_catch(EXC_DE);

    unsigned gp_ok = 0, ud_ok = 0, de_ok = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        *(volatile uint32_t *)(FAULT_VA + 8) = i;       /* #PF, then mapped */
        pt_set(&pt, FAULT_VA, 0);                       /* unmapped again */
        gp_ok += gp_selector();
        ud_ok += ud();
        asm volatile("int3" ::: "memory");
        de_ok += divide_error();
        if ((i + 1) % 500 == 0)
            kprintf("  ... %u rounds\n", i + 1);
    }
    check(pf_count == ROUNDS && pf_bad == 0, "%u page faults with CR2 and error code right (%u wrong)", pf_count, pf_bad);
    check(*(volatile uint32_t *)(uintptr_t)(scratch_pa + 8) == ROUNDS - 1, "every faulting write resumed and landed");
    check(gp_ok == ROUNDS, "%u #GP(0x1234) from loading a bad selector", gp_ok);
    check(ud_ok == ROUNDS, "%u #UD from UD2", ud_ok);
    check(de_ok == ROUNDS, "%u #DE from a division by zero", de_ok);
    check(bp_count == ROUNDS, "%u #BP from INT3", bp_count);
    check(fault_count == 3 * ROUNDS, "no other fault, no #DF (%lu faults fixed up)", fault_count);
    test_finish();
}
