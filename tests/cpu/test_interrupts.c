/* External interrupts and HLT: HLT ends cpu_run with CPU_EXIT_HALT; a pending
 * interrupt is acknowledged and delivered on the next run when IF=1, never when
 * IF=0; the STI shadow lets the instruction after STI (here HLT) run first; an
 * interrupt raised by a device during an OUT is taken at the next block
 * boundary; idle time while halted shows in the TSC (Intel SDM vol. 3A 6.8). */
#include <criterion/criterion.h>

#include "harness.h"

#define IRQ_COUNT (RESULT + 0)
#define IRQ_EIP (RESULT + 4)

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(interrupts, .fini = fini);

static void setup(void)
{
    hv_init(&h, "misc", 32);
    hv_gate(&h, VEC_IRQ, hv_sym(&h, "irq_count"), 0xe, 0, 0, true);
}

Test(interrupts, hlt_exits_then_interrupt_wakes_on_next_run)
{
    setup();
    hv_start(&h, "sti_hlt", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "sti_hlt_after"), "RIP after the HLT");
    cr_assert_eq(h.acks, 0);
    /* Halted at the same state again: nothing pending, nothing happens. */
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h, IRQ_COUNT), 0);

    cpu_idle_until(h.cpu, cpu_cycles(h.cpu) + 5000000);
    h.irq = VEC_IRQ;
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(h.acks, 1, "acknowledged once");
    cr_assert_eq(hv_rd32(&h, IRQ_COUNT), 1, "delivered once");
    cr_assert_eq(hv_rd32(&h, IRQ_EIP), hv_sym(&h, "sti_hlt_after"), "the frame resumes after the HLT");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "sti_hlt_end"));
    uint64_t tsc = (hv_reg(&h, UC_X86_REG_RDX) & 0xffffffffu) << 32 | (hv_reg(&h, UC_X86_REG_RAX) & 0xffffffffu);
    cr_assert_geq(tsc, 5000000, "time spent halted counts in the TSC");
    cr_assert_eq(cpu_stats(h.cpu)->interrupts, 1);
    cr_assert_eq(h.nevents, 1);
    cr_assert_eq(h.events[0].kind, 2, "reported as an external interrupt");
    cr_assert_eq(h.events[0].vector, VEC_IRQ);
}

Test(interrupts, none_with_if_clear)
{
    setup();
    hv_start(&h, "cli_hlt", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    h.irq = VEC_IRQ;
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(h.acks, 0, "never acknowledged with IF=0");
    cr_assert_eq(hv_rd32(&h, IRQ_COUNT), 0);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "cli_hlt_after"));
    cr_assert_eq(h.irq, VEC_IRQ, "still pending");
}

Test(interrupts, sti_shadow_runs_the_hlt_first)
{
    setup();
    h.irq = VEC_IRQ; /* pending from the start, held while IF=0 */
    hv_start(&h, "sti_hlt", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h, IRQ_COUNT), 1);
    cr_assert_eq(hv_rd32(&h, IRQ_EIP), hv_sym(&h, "sti_hlt_after"),
                 "taken at %#x: before the HLT that follows STI", hv_rd32(&h, IRQ_EIP));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "sti_hlt_end"));
}

Test(interrupts, raised_during_out_taken_at_a_block_boundary)
{
    setup();
    h.kick_port = 0x99;
    h.kick_vector = VEC_IRQ;
    hv_start(&h, "sti_out", 0, 0);
    enum cpu_exit e;
    int runs = 0;
    do
        e = cpu_run(h.cpu, cpu_cycles(h.cpu) + 1000);
    while (e == CPU_EXIT_LIMIT && hv_rd32(&h, IRQ_COUNT) == 0 && ++runs < 10);
    cr_assert_eq(h.nwrites, 1);
    cr_assert_eq(hv_rd32(&h, IRQ_COUNT), 1, "delivered after the kick");
    uint32_t eip = hv_rd32(&h, IRQ_EIP);
    cr_assert(eip > hv_sym(&h, "sti_out_at") && eip <= hv_sym(&h, "sti_out_end"),
              "taken at %#x, not after the OUT that raised it", eip);
}

/* A new multiboot entry is a fresh start: a CPU that halted before must run
 * the new entry, not report CPU_EXIT_HALT again (the run state is reset). */
Test(interrupts, multiboot_entry_after_halt_runs_again)
{
    setup();
    hv_start(&h, "cli_hlt", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    /* LTR marked the TSS busy the first time; a second LTR of it would #GP as
     * on hardware, so give the new entry an available TSS again. */
    uint64_t tss_desc = GDT_BASE + SEL_TSS + 4;
    hv_wr32(&h, tss_desc, hv_rd32(&h, tss_desc) & ~(2u << 8));
    hv_start(&h, "spin32", 0, 0);
    enum cpu_exit r = cpu_run(h.cpu, 1000);
    cr_assert_eq(r, CPU_EXIT_LIMIT, "the new entry must run (exit %d, #%d)", r, hv_halted_vector(&h));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "spin32_at"));
}
