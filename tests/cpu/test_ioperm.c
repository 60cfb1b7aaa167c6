/* I/O permission of the ring model: at CPL > IOPL, IN and OUT are allowed only for
 * ports whose bits are clear in the TSS I/O bitmap (every byte of the access), else
 * #GP(0) at the instruction; IOPL 3 allows every port (Intel SDM vol. 1 19.5). */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static struct hv h;
static void fini(void) { hv_fini(&h); }
TestSuite(ioperm, .fini = fini);

static void run_ring3(const char *entry, const char *label, int vec)
{
    hv_start(&h, entry, 0, (uint32_t)hv_sym(&h, label));
    cr_assert_eq(hv_run(&h), CPU_EXIT_HALT);
    cr_assert_eq(hv_halted_vector(&h), vec, "%s: stopped in the handler of vector %d, expected %d", label,
                 hv_halted_vector(&h), vec);
}

static void check_gp_at(const char *label)
{
    uint32_t sp = (uint32_t)hv_reg(&h, UC_X86_REG_ESP);
    cr_assert_eq(hv_rd32(&h, sp), 0, "#GP(0)");
    cr_assert_eq(hv_rd32(&h, sp + 4), hv_sym(&h, label), "the frame points at the I/O instruction");
    cr_assert_eq(hv_rd32(&h, sp + 8), SEL_UCODE32 | 3);
}

Test(ioperm, allowed_port_reaches_the_platform)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 1);
    run_ring3("ring3", "r3_out80", 6);
    cr_assert_eq(h.nwrites, 1);
    cr_assert_eq(h.writes[0].port, 0x80);
    cr_assert_eq(h.writes[0].val & 0xff, 0x5a);
    cr_assert_eq(h.writes[0].size, 1);
    cr_assert_eq(hv_rd32(&h, hv_reg(&h, UC_X86_REG_ESP)), hv_sym(&h, "r3_out80_done"));
}

Test(ioperm, denied_port_is_gp_and_never_written)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 1);
    run_ring3("ring3", "r3_out81", 13);
    check_gp_at("r3_out81");
    cr_assert_eq(h.nwrites, 0);
}

Test(ioperm, word_access_needs_both_bits)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 1);
    run_ring3("ring3", "r3_outw80", 13);
    check_gp_at("r3_outw80");
    cr_assert_eq(h.nwrites, 0);
}

Test(ioperm, word_access_with_both_bits_clear)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 2);
    h.in_value = 0xa5;
    /* OUT word to 0x80, then IN from DX = 0x80, then UD2. */
    run_ring3("ring3", "r3_outw80", 6);
    cr_assert_eq(h.nwrites, 1);
    cr_assert_eq(h.writes[0].port, 0x80);
    cr_assert_eq(h.writes[0].size, 2);
    cr_assert_eq(h.nreads, 1);
    cr_assert_eq(hv_reg(&h, UC_X86_REG_EAX) & 0xff, 0xa5);
}

Test(ioperm, in_through_dx_checks_the_port_in_dx)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 1);
    run_ring3("ring3", "r3_in_dx81", 13);
    check_gp_at("r3_in_dx81_at");
    cr_assert_eq(h.nreads, 0);
}

Test(ioperm, iopl3_allows_every_port)
{
    hv_init(&h, "exc32", 32);
    /* Bitmap denies all; with IOPL 3 it is not consulted: OUT 0x81, OUT word 0x80, IN, UD2. */
    run_ring3("ring3_iopl3", "r3_out81", 6);
    cr_assert_eq(h.nwrites, 2);
    cr_assert_eq(h.writes[0].port, 0x81);
    cr_assert_eq(h.writes[1].port, 0x80);
    cr_assert_eq(h.nreads, 1);
    cr_assert_eq(hv_rd32(&h, hv_reg(&h, UC_X86_REG_ESP)), hv_sym(&h, "r3_in_dx_done"));
}

Test(ioperm, bitmap_beyond_tss_limit_denies_everything)
{
    hv_init(&h, "exc32", 32);
    hv_ioperm_allow(&h, 0x80, 1);
    uint16_t base = 0x4000; /* past TSS_LIMIT: no bitmap */
    memcpy(h.ram + TSS_BASE + 0x66, &base, 2);
    run_ring3("ring3", "r3_out80", 13);
    check_gp_at("r3_out80_at");
    cr_assert_eq(h.nwrites, 0);
}
