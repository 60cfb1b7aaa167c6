/* Tests for the ACPI PM block through its ops table: power-off by SLP_EN with
 * the S5 type (including QEMU's outw(0x604, 0x2000)), other sleep types, the
 * PM timer from virtual time, TMR_STS and the SCI, the power button, save/load. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "base/evq.h"
#include "devices/acpi_pm.h"

static struct evq q;
static struct acpi_pm *pm;
static int poweroffs, sci;

static void on_poweroff(void *opaque) { poweroffs++; }
static void on_sci(void *opaque, int level) { sci = level; }

static void setup(void)
{
    struct acpi_pm_config cfg = { .sci = { on_sci, NULL }, .poweroff = on_poweroff };
    poweroffs = sci = 0;
    cr_assert_eq(evq_init(&q), 0);
    pm = acpi_pm_create(&q, &cfg);
    cr_assert_not_null(pm);
}

static void teardown(void)
{
    acpi_pm_destroy(pm);
    evq_destroy(&q);
}

TestSuite(acpi_pm, .init = setup, .fini = teardown);

Test(acpi_pm, qemu_style_poweroff)
{
    acpi_pm_ops.write(pm, 4, 0x2000, 2);
    cr_assert_eq(poweroffs, 1);
    cr_assert_eq(acpi_pm_ops.read(pm, 4, 2) & 0x2000, 0, "SLP_EN reads 0");
}

Test(acpi_pm, byte_write_to_high_half_powers_off)
{
    acpi_pm_ops.write(pm, 5, 0x20, 1);
    cr_assert_eq(poweroffs, 1);
}

Test(acpi_pm, other_sleep_types_do_not_power_off)
{
    acpi_pm_ops.write(pm, 4, 0x2000 | (1 << 10), 2);
    cr_assert_eq(poweroffs, 0);
    cr_assert_eq(acpi_pm_ops.read(pm, 4, 2), (1 << 10) | 1, "SLP_TYP kept, SCI_EN set");
}

Test(acpi_pm, pm_timer_counts_virtual_time)
{
    cr_assert_eq(acpi_pm_ops.read(pm, 8, 4), 0);
    q.now = VTIME_S;
    cr_assert_eq(acpi_pm_ops.read(pm, 8, 4), 3579545 & 0xffffff);
    q.now = 10 * VTIME_S;
    cr_assert_eq(acpi_pm_ops.read(pm, 8, 4), 35795450 & 0xffffff, "24-bit wrap");
}

Test(acpi_pm, timer_carry_raises_sci_when_enabled)
{
    acpi_pm_ops.write(pm, 2, 0x0001, 2); /* TMR_EN */
    vtime_t carry = evq_next(&q);
    cr_assert(carry > 2343 * VTIME_MS && carry < 2344 * VTIME_MS, "bit 23 toggles at 2^23 ticks");
    evq_run_until(&q, carry);
    cr_assert_eq(sci, 1);
    cr_assert_eq(acpi_pm_ops.read(pm, 0, 2) & 1, 1);
    acpi_pm_ops.write(pm, 0, 0x0001, 2);
    cr_assert_eq(sci, 0);
    cr_assert_eq(acpi_pm_ops.read(pm, 0, 2) & 1, 0);
}

Test(acpi_pm, power_button)
{
    acpi_pm_press_power_button(pm);
    cr_assert_eq(sci, 0, "not enabled");
    cr_assert_eq(acpi_pm_ops.read(pm, 0, 2), 0x100);
    acpi_pm_ops.write(pm, 0, 0x01000000, 4); /* PWRBTN_EN through a dword write */
    cr_assert_eq(sci, 1);
    acpi_pm_ops.write(pm, 1, 0x01, 1);
    cr_assert_eq(sci, 0);
}

Test(acpi_pm, bad_access_and_save_load)
{
    struct buf b;
    struct buf_reader r;

    cr_assert_eq(acpi_pm_ops.read(pm, 10, 4), 0xffffffff);
    acpi_pm_ops.write(pm, 2, 0x0101, 2);
    acpi_pm_ops.write(pm, 4, 0x0c00, 2);
    buf_init(&b);
    cr_assert_eq(acpi_pm_ops.save(pm, &b), 0);
    vtime_t next = evq_next(&q);
    acpi_pm_ops.reset(pm);
    cr_assert_eq(evq_next(&q), VTIME_NEVER);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(acpi_pm_ops.load(pm, &r), 0);
    cr_assert_eq(acpi_pm_ops.read(pm, 2, 2), 0x0101);
    cr_assert_eq(acpi_pm_ops.read(pm, 4, 2), 0x0c01);
    cr_assert_eq(evq_next(&q), next);
    buf_reader_init(&r, b.data, 8);
    cr_assert_eq(acpi_pm_ops.load(pm, &r), HV_ECORRUPT);
    buf_free(&b);
}
