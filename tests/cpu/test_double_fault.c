/* Faults raised while delivering an event (Intel SDM vol. 3A 6.15, table 6-5):
 * benign then contributory is delivered serially with EXT set in the error code,
 * contributory then contributory (or #PF then #PF) becomes #DF with error code 0,
 * a fault while delivering #DF shuts the CPU down (CPU_EXIT_TRIPLE_FAULT with the
 * last fault reported); and thousands of handled faults in a row never turn into
 * a spurious #DF (the exception-bookkeeping reset, Unicorn issue 1883). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(double_fault, .fini = fini);

static void halt_in(int vec)
{
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), vec, "stopped in the handler of vector %d, expected %d", hv_halted_vector(&h),
                 vec);
}

Test(double_fault, benign_then_not_present_gate_is_np_with_ext)
{
    hv_init(&h, "exc32", 32);
    hv_gate(&h, 6, hv_sym(&h, "h_6"), 0xe, 0, 0, false);
    hv_start(&h, "ud32", 0, 0);
    halt_in(11);
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    /* IDT index 6, IDT bit, EXT (an exception, not INT n). */
    cr_assert_eq(hv_rd32(&h, sp), 6 * 8 + 2 + 1, "error code %#x", hv_rd32(&h, sp));
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "ud32_at"));
}

Test(double_fault, gp_through_not_present_gate_is_df)
{
    hv_init(&h, "exc32", 32);
    hv_gate(&h, 13, hv_sym(&h, "h_13"), 0xe, 0, 0, false);
    hv_start(&h, "gp32", 0, 0);
    halt_in(8);
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(sp, STACK0_TOP - 16);
    cr_assert_eq(hv_rd32(&h, sp), 0, "#DF's error code is 0");
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, "gp32_at"));
}

Test(double_fault, gp_while_loading_the_gate_selector_is_df)
{
    hv_init(&h, "exc32", 32);
    /* Gate 13's code selector lies beyond the GDT: delivering #GP raises #GP. */
    uint16_t bad = 0x1238;
    memcpy(h.ram + IDT_BASE + 13 * 8 + 2, &bad, 2);
    hv_start(&h, "gp32", 0, 0);
    halt_in(8);
    cr_assert_eq(hv_rd32(&h, hv_reg(&h, UC_X86_REG_ESP)), 0);
}

Test(double_fault, page_fault_during_page_fault_is_df_on_ist)
{
    hv_init(&h, "exc64", 64);
    hv_gate(&h, 8, hv_sym(&h, "h_8"), 0xe, 0, 1, true);
    hv_start(&h, "bad_stack64", 0, 0);
    halt_in(8);
    uint64_t sp = hv_reg(&h, UC_X86_REG_RSP);
    cr_assert_eq(sp, IST1_TOP - 48);
    cr_assert_eq(hv_rd64(&h, sp), 0);
    cr_assert_eq(hv_rd64(&h, sp + 8), hv_sym(&h, "bad_stack64_at"));
    cr_assert_eq(hv_rd64(&h, sp + 32), PG_NP + 0x800, "saved RSP");
    /* CR2 from the failed push of #PF's frame (a write below the old RSP, in the page). */
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2) & ~0xfffULL, PG_NP);
}

Test(double_fault, empty_idt_is_a_triple_fault)
{
    hv_init(&h, "exc32", 32);
    uint16_t zero = 0;
    memcpy(h.ram + IDTR_PTR, &zero, 2);
    hv_start(&h, "ud32", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_TRIPLE_FAULT);
    const struct cpu_fault *f = cpu_last_fault(h.cpu);
    /* #UD -> #GP(IDT 6) -> #GP(IDT 13): #DF -> #GP(IDT 8): shutdown. */
    cr_assert_eq(f->vector, 13, "last fault vector %d", f->vector);
    cr_assert_eq(f->error_code, 8 * 8 + 2 + 1, "last fault error code %#x", f->error_code);
    cr_assert_eq(f->rip, hv_sym(&h, "ud32_at"), "last fault RIP %#llx", (unsigned long long)f->rip);
    cr_assert_eq(h.nevents, 0, "nothing was delivered");
}

Test(double_fault, not_present_df_gate_is_a_triple_fault_64)
{
    hv_init(&h, "exc64", 64);
    hv_gate(&h, 13, hv_sym(&h, "h_13"), 0xe, 0, 0, false);
    hv_gate(&h, 8, hv_sym(&h, "h_8"), 0xe, 0, 0, false);
    hv_start(&h, "gp64", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_TRIPLE_FAULT);
    const struct cpu_fault *f = cpu_last_fault(h.cpu);
    cr_assert_eq(f->vector, 11, "last fault vector %d", f->vector);
    cr_assert_eq(f->rip, hv_sym(&h, "gp64_at"));
}

#define STORM_ROUNDS 2000

Test(double_fault, thousands_of_faults_without_a_spurious_df)
{
    hv_init(&h, "storm", 32);
    hv_gate(&h, 14, hv_sym(&h, "storm_pf"), 0xe, 0, 0, true);
    hv_gate(&h, 13, hv_sym(&h, "storm_gp"), 0xe, 0, 0, true);
    hv_gate(&h, 6, hv_sym(&h, "storm_ud"), 0xe, 0, 0, true);
    hv_gate(&h, 0, hv_sym(&h, "storm_de"), 0xe, 0, 0, true);
    hv_gate(&h, 3, hv_sym(&h, "storm_bp"), 0xf, 0, 0, true);
    hv_start(&h, "storm32", 0, STORM_ROUNDS);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1, "stopped in the handler of vector %d", hv_halted_vector(&h));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RIP), hv_sym(&h, "storm32_done") + 1);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(hv_rd32(&h, RESULT + 4 * i), STORM_ROUNDS, "counter %d: %u", i, hv_rd32(&h, RESULT + 4 * i));
    cr_assert_eq(cpu_stats(h.cpu)->exceptions, 5 * STORM_ROUNDS);
}
