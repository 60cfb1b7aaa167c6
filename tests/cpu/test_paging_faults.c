/* #PF from the ring model: the error code (P, W/R, U/S, I/D with NX) derived for
 * each access, CR2 set to the faulting linear address, and the frame pointing at
 * the faulting instruction, in 2-level 32-bit paging and 4-level paging
 * (Intel SDM vol. 3A 4.7, 6.15 interrupt 14). */
#include <criterion/criterion.h>

#include "arch/x86.h"
#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(paging_faults, .fini = fini);

/* Run until #PF's handler halts; return the error code on top of its stack. */
static uint64_t page_fault(int bits, const char *entry, const char *ring3_label)
{
    hv_init(&h, bits == 64 ? "exc64" : "exc32", bits);
    hv_start(&h, entry, 0, ring3_label ? (uint32_t)hv_sym(&h, ring3_label) : 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 14, "%s/%s: stopped in the handler of vector %d, not #PF", entry,
                 ring3_label ? ring3_label : "-", hv_halted_vector(&h));
    uint64_t sp = hv_reg(&h, UC_X86_REG_RSP);
    return bits == 64 ? hv_rd64(&h, sp) : hv_rd32(&h, sp);
}

static uint64_t frame_ip(int bits)
{
    uint64_t sp = hv_reg(&h, UC_X86_REG_RSP);
    return bits == 64 ? hv_rd64(&h, sp + 8) : hv_rd32(&h, sp + 4);
}

Test(paging_faults, read_not_present_32)
{
    cr_assert_eq(page_fault(32, "pf32_np_read", NULL), 0);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NP);
    cr_assert_eq(frame_ip(32), hv_sym(&h, "pf32_at"));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_ESP), STACK0_TOP - 16);
}

Test(paging_faults, write_not_present_32)
{
    cr_assert_eq(page_fault(32, "pf32_np_write", NULL), PF_W);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NP);
}

Test(paging_faults, supervisor_write_read_only_with_wp_32)
{
    cr_assert_eq(page_fault(32, "pf32_ro_write", NULL), PF_P | PF_W);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_RO);
}

Test(paging_faults, supervisor_accesses_that_do_not_fault_32)
{
    hv_init(&h, "exc32", 32);
    hv_start(&h, "pf32_sup_ok", 0, 0);
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), -1, "faulted to vector %d", hv_halted_vector(&h));
    cr_assert_eq(cpu_stats(h.cpu)->exceptions, 0);
    cr_assert_eq(hv_rd32(&h, PG_SUP), 7, "the write reached the supervisor page");
}

Test(paging_faults, user_read_not_present_32)
{
    cr_assert_eq(page_fault(32, "ring3_paged", "r3_read_np"), PF_U);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NP);
    cr_assert_eq(frame_ip(32), hv_sym(&h, "r3_read_np"));
    cr_assert_eq(hv_reg(&h, UC_X86_REG_ESP), STACK0_TOP - 24, "taken on the ESP0 stack");
}

Test(paging_faults, user_read_supervisor_page_32)
{
    cr_assert_eq(page_fault(32, "ring3_paged", "r3_read_sup"), PF_U | PF_P);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_SUP);
}

Test(paging_faults, user_write_read_only_32)
{
    cr_assert_eq(page_fault(32, "ring3_paged", "r3_write_ro"), PF_U | PF_W | PF_P);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_RO);
}

Test(paging_faults, user_read_of_read_only_page_is_fine_32)
{
    hv_init(&h, "exc32", 32);
    hv_start(&h, "ring3_paged", 0, (uint32_t)hv_sym(&h, "r3_read_ro"));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), 6, "the read must pass and reach the UD2 after it");
    cr_assert_eq(hv_rd32(&h, hv_reg(&h, UC_X86_REG_ESP)), hv_sym(&h, "r3_read_ro_done"));
}

Test(paging_faults, read_not_present_64)
{
    cr_assert_eq(page_fault(64, "pf64_np_read", NULL), 0);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NP);
    cr_assert_eq(frame_ip(64), hv_sym(&h, "pf64_at"));
}

Test(paging_faults, supervisor_write_read_only_64)
{
    cr_assert_eq(page_fault(64, "pf64_ro_write", NULL), PF_P | PF_W);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_RO);
}

Test(paging_faults, supervisor_fetch_from_nx_page_64)
{
    cr_assert_eq(page_fault(64, "pf64_nx_fetch", NULL), PF_P | PF_I);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NX);
    cr_assert_eq(frame_ip(64), PG_NX, "a fetch fault's frame points at the target");
}

Test(paging_faults, user_fetch_from_nx_page_64)
{
    cr_assert_eq(page_fault(64, "ring3_64", "r64_nx"), PF_P | PF_I | PF_U);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_NX);
}

Test(paging_faults, user_read_supervisor_page_64)
{
    cr_assert_eq(page_fault(64, "ring3_64", "r64_read_sup"), PF_U | PF_P);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_SUP);
    cr_assert_eq(frame_ip(64), hv_sym(&h, "r64_read_sup"));
}

Test(paging_faults, user_write_read_only_64)
{
    cr_assert_eq(page_fault(64, "ring3_64", "r64_write_ro"), PF_U | PF_W | PF_P);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_CR2), PG_RO);
}
