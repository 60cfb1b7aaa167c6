/* Pins cpu/uc_stop.c: on this Unicorn build the root engine translates without
 * the exit checks after every load and store (else stores pay a helper call
 * each, silently), guest engines keep them, the uc_exit_checks switch keeps
 * them everywhere, and a site skipped from its hook leaves the lazily computed flags
 * of the instruction before it. That runs, recorded, give the same bytes with
 * and without the checks is tests/traces/e2e/rr_invisible.sh. */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "cpu_priv.h"
#include "harness.h"

static struct hv h;
static void fini(void)
{
    hv_fini(&h);
    hv_switches = (struct cpu_switches){ 0 };
}
TestSuite(uc_stop, .fini = fini);

Test(uc_stop, root_engines_run_without_exit_checks_guests_keep_them)
{
    hv_init(&h, "misc", 32);
    cr_assert(h.cpu->exit_checks_off, "this Unicorn's exit checks could not be left out: every store pays for one");
    struct cpu *g = cpu_new_guest(h.cpu, NULL); /* the engine alone, without VT-x's side */
    cr_assert_not_null(g);
    cr_assert(!g->exit_checks_off, "a guest engine's EPT faults on stores need the checks");
    cpu_free(g);
}

Test(uc_stop, switch_keeps_the_checks)
{
    hv_switches.uc_exit_checks = true;
    hv_init(&h, "misc", 32);
    cr_assert(!h.cpu->exit_checks_off);
}

static void run_site_flags(void)
{
    hv_init(&h, "misc", 32);
    hv_start(&h, "site_flags", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_rd32(&h, RESULT), 0x1234u, "the store after the site ran (no fault on the way)");
    cr_assert_eq(hv_reg(&h, UC_X86_REG_RBX) & 0xff, 1u, "ZF from the INC before the site survives it");
    cr_assert_neq(hv_reg(&h, UC_X86_REG_RAX), 0, "RDMSR of IA32_VMX_BASIC returned the model's value");
}

Test(uc_stop, skipped_site_keeps_the_flags) { run_site_flags(); }

Test(uc_stop, skipped_site_keeps_the_flags_with_the_checks)
{
    hv_switches.uc_exit_checks = true;
    run_site_flags();
}
