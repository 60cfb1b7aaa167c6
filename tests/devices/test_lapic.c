/* Tests for the local APIC through its MMIO ops and MSR functions: enable,
 * priorities and EOI, timer modes against virtual time, TSC deadline, x2APIC,
 * APIC base transitions, self-IPI, the 8259 virtual wire, save/load. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "base/evq.h"
#include "devices/lapic.h"

static struct evq q;
static struct lapic *l;
static int intr, eoi_vec, pic_vec, pic_acks;

static void on_intr(void *opaque, int level) { intr = level; }
static void on_eoi(void *opaque, int v) { eoi_vec = v; }
static int fake_pic_pending(void *opaque) { return pic_vec; }
static int fake_pic_ack(void *opaque)
{
    pic_acks++;
    return pic_vec;
}

static void setup(void)
{
    struct lapic_config cfg = { .apic_id = 0, .bsp = 1, .intr = { on_intr, NULL } };
    struct lapic_pic_hooks hooks = { fake_pic_pending, fake_pic_ack, NULL };

    intr = 0, eoi_vec = -1, pic_vec = -1, pic_acks = 0;
    cr_assert_eq(evq_init(&q), 0);
    l = lapic_create(&q, &cfg);
    cr_assert_not_null(l);
    lapic_set_pic(l, &hooks);
    lapic_set_eoi_fn(l, on_eoi, NULL);
}

static void teardown(void)
{
    lapic_destroy(l);
    evq_destroy(&q);
}

static uint32_t rd(unsigned off) { return (uint32_t)lapic_ops.read(l, off, 4); }
static void wr(unsigned off, uint32_t v) { lapic_ops.write(l, off, v, 4); }
static void enable(void) { wr(0xf0, 0x1ff); }

TestSuite(lapic, .init = setup, .fini = teardown);

Test(lapic, reset_values)
{
    cr_assert_eq(rd(0x30), 0x50014);
    cr_assert_eq(rd(0xf0), 0xff);
    cr_assert_eq(rd(0xe0), 0xffffffff);
    cr_assert_eq(rd(0x320), 0x10000);
    cr_assert_eq(rd(0x350), 0x700, "BSP LINT0 in ExtINT, as QEMU");
    cr_assert_eq(lapic_get_base(l), 0xfee00900);
}

Test(lapic, self_ipi_priority_and_eoi)
{
    enable();
    wr(0x300, 0x40050); /* self, fixed, vector 0x50 */
    cr_assert_eq(intr, 1);
    cr_assert_eq(lapic_intr_pending(l), 0x50);
    wr(0x80, 0x50); /* TPR class 5 blocks it */
    cr_assert_eq(lapic_intr_pending(l), -1);
    cr_assert_eq(intr, 0);
    wr(0x80, 0x40);
    cr_assert_eq(lapic_intr_ack(l), 0x50);
    cr_assert_eq(rd(0x100 + 0x20), 1u << 16, "ISR bit 0x50");
    cr_assert_eq(rd(0xa0), 0x50, "PPR follows ISR class");
    wr(0x300, 0x40055);
    cr_assert_eq(lapic_intr_pending(l), -1, "same class waits for EOI");
    wr(0x300, 0x40061);
    cr_assert_eq(lapic_intr_ack(l), 0x61, "higher class nests");
    wr(0xb0, 0);
    wr(0xb0, 0);
    cr_assert_eq(lapic_intr_ack(l), 0x55);
    cr_assert_eq(eoi_vec, -1, "edge vectors do not broadcast EOI");
}

Test(lapic, level_message_broadcasts_eoi)
{
    struct apic_msg m = { .vector = 0x31, .delivery_mode = APIC_DM_FIXED, .level = 1 };
    enable();
    lapic_deliver(l, &m);
    cr_assert_eq(rd(0x180 + 0x10), 1u << 17, "TMR set");
    cr_assert_eq(lapic_intr_ack(l), 0x31);
    wr(0xb0, 0);
    cr_assert_eq(eoi_vec, 0x31);
}

Test(lapic, disabled_software_holds_interrupts)
{
    struct apic_msg m = { .vector = 0x40, .delivery_mode = APIC_DM_FIXED };
    lapic_deliver(l, &m);
    cr_assert_eq(lapic_intr_pending(l), -1);
    wr(0x320, 0x20); /* unmask attempt while software-disabled */
    cr_assert_eq(rd(0x320) & 0x10000, 0x10000);
}

Test(lapic, oneshot_timer_fires_at_right_time)
{
    enable();
    wr(0x3e0, 0x3);      /* divide by 16 */
    wr(0x320, 0x40);     /* one-shot, vector 0x40 */
    wr(0x380, 1000000);  /* 16 ms at 1 GHz / 16 */
    q.now = 8 * VTIME_MS;
    cr_assert_eq(rd(0x390), 500000);
    evq_run_until(&q, 16 * VTIME_MS - 1);
    cr_assert_eq(intr, 0);
    evq_run_until(&q, 16 * VTIME_MS);
    cr_assert_eq(lapic_intr_pending(l), 0x40);
    cr_assert_eq(rd(0x390), 0);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(evq_next(&q), VTIME_NEVER);
}

Test(lapic, periodic_timer_counts_without_drift)
{
    int n = 0;
    enable();
    wr(0x3e0, 0xb);            /* divide by 1 */
    wr(0x320, 0x20041);        /* periodic */
    wr(0x380, 333333);         /* 333.333 us */
    for (vtime_t t = 0; t < VTIME_S; t = evq_next(&q)) {
        evq_run_until(&q, evq_next(&q));
        if (q.now >= VTIME_S)
            break;
        cr_assert_eq(lapic_intr_ack(l), 0x41);
        wr(0xb0, 0);
        n++;
    }
    cr_assert_eq(n, 3000, "got %d", n);
    cr_assert_eq(evq_next(&q), 3001ULL * 333333);
}

Test(lapic, divide_change_keeps_count)
{
    enable();
    wr(0x3e0, 0xb);
    wr(0x320, 0x40);
    wr(0x380, 1000);
    q.now = 400;
    wr(0x3e0, 0x0); /* divide by 2 */
    cr_assert_eq(rd(0x390), 600);
    evq_run_until(&q, 400 + 1199);
    cr_assert_eq(intr, 0);
    evq_run_until(&q, 400 + 1200);
    cr_assert_eq(intr, 1);
}

Test(lapic, masked_timer_expires_silently)
{
    enable();
    wr(0x320, 0x10040);
    wr(0x380, 10);
    evq_run_until(&q, VTIME_MS);
    cr_assert_eq(lapic_intr_pending(l), -1);
}

Test(lapic, tsc_deadline_timer)
{
    uint64_t v;
    enable();
    cr_assert_eq(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 3000), 0);
    cr_assert_eq(lapic_msr_read(l, MSR_IA32_TSC_DEADLINE, &v), 0);
    cr_assert_eq(v, 0, "ignored outside deadline mode");
    wr(0x320, 0x40042);
    wr(0x380, 5); /* TMICT ignored in deadline mode */
    cr_assert_eq(rd(0x380), 0);
    cr_assert_eq(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 3000000), 0); /* 1 ms at 3 GHz */
    evq_run_until(&q, VTIME_MS - 1);
    cr_assert_eq(intr, 0);
    evq_run_until(&q, VTIME_MS);
    cr_assert_eq(lapic_intr_pending(l), 0x42);
    lapic_msr_read(l, MSR_IA32_TSC_DEADLINE, &v);
    cr_assert_eq(v, 0, "deadline cleared on expiry");
}

Test(lapic, x2apic_msrs)
{
    uint64_t v;
    cr_assert_eq(lapic_msr_read(l, 0x802, &v), -1, "x2APIC MSRs #GP in xAPIC mode");
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
    cr_assert_eq(lapic_ops.read(l, 0x30, 4), 0xffffffff, "MMIO off in x2APIC mode");
    cr_assert_eq(lapic_msr_read(l, 0x803, &v), 0);
    cr_assert_eq(v, 0x50014);
    cr_assert_eq(lapic_msr_read(l, 0x80d, &v), 0);
    cr_assert_eq(v, 1, "LDR derived from the ID");
    cr_assert_eq(lapic_msr_read(l, 0x80e, &v), -1, "no DFR in x2APIC");
    cr_assert_eq(lapic_msr_read(l, 0x80b, &v), -1, "EOI is write-only");
    cr_assert_eq(lapic_msr_write(l, 0x80b, 1), -1, "non-zero EOI #GP");
    cr_assert_eq(lapic_msr_write(l, 0x802, 5), -1, "ID read-only");
    cr_assert_eq(lapic_msr_write(l, 0x80f, 0x1ff), 0);
    cr_assert_eq(lapic_msr_write(l, 0x83f, 0x77), 0, "SELF IPI");
    cr_assert_eq(lapic_intr_ack(l), 0x77);
    cr_assert_eq(lapic_msr_write(l, 0x830, 0x0000000000044088ULL), 0); /* self shorthand */
    cr_assert_eq(lapic_intr_pending(l), 0x88, "class 8 nests above in-service 0x77");
}

Test(lapic, apic_base_transitions)
{
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EXTD), -1, "EXTD without EN");
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN), -1, "x2APIC to xAPIC directly");
    cr_assert_eq(lapic_set_base(l, 0xfee00000), 0);
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN | APIC_BASE_EXTD), -1, "disabled to x2APIC");
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN), 0);
    cr_assert_eq(lapic_set_base(l, 0xfee00000 | APIC_BASE_EN | 1), -1, "reserved bit");
    cr_assert_eq(lapic_get_base(l) & APIC_BASE_BSP, APIC_BASE_BSP);
}

Test(lapic, pic_virtual_wire)
{
    pic_vec = 0x20;
    lapic_set_lint(l, 0, 1);
    cr_assert_eq(intr, 1, "ExtINT LINT0 forwards the 8259 INT");
    cr_assert_eq(lapic_intr_pending(l), 0x20);
    cr_assert_eq(lapic_intr_ack(l), 0x20);
    cr_assert_eq(pic_acks, 1);
    enable();
    wr(0x350, 0x10700); /* mask LINT0 */
    cr_assert_eq(lapic_intr_pending(l), -1);
    cr_assert_eq(intr, 0);
    lapic_set_base(l, 0xfee00000); /* APIC disabled: the wire is direct */
    cr_assert_eq(lapic_intr_pending(l), 0x20);
    cr_assert_eq(intr, 1);
}

Test(lapic, lint1_nmi_and_error_lvt)
{
    enable();
    wr(0x360, 0x400); /* LINT1 NMI */
    lapic_set_lint(l, 1, 1);
    cr_assert_eq(intr, 1);
    cr_assert_eq(lapic_nmi_take(l), 1);
    cr_assert_eq(lapic_nmi_take(l), 0);
    wr(0x370, 0xfe);
    wr(0x300, 0x40005); /* illegal vector 5 */
    cr_assert_eq(lapic_intr_pending(l), 0xfe);
    wr(0x280, 0);
    cr_assert_eq(rd(0x280), 0x20, "send illegal vector");
}

Test(lapic, ipi_to_others_recorded)
{
    uint64_t last;
    enable();
    wr(0x310, 0x01000000);
    wr(0x300, 0x4500); /* INIT to APIC 1 */
    cr_assert_eq(lapic_ipi_other_count(l, &last), 1);
    cr_assert_eq(last, 0x0100000000004500ULL);
    cr_assert_eq(lapic_intr_pending(l), -1);
}

Test(lapic, bad_access_reads_ones)
{
    cr_assert_eq(lapic_ops.read(l, 0x20, 1), 0xff);
    cr_assert_eq(lapic_ops.read(l, 0x24, 4), 0xffffffff);
}

Test(lapic, save_load_resumes_timer)
{
    struct buf b;
    struct buf_reader r;

    enable();
    wr(0x3e0, 0xb);
    wr(0x320, 0x20045);
    wr(0x380, 1000);
    wr(0x80, 0x10);
    evq_run_until(&q, 2500);
    buf_init(&b);
    cr_assert_eq(lapic_ops.save(l, &b), 0);
    lapic_ops.reset(l);
    cr_assert_eq(rd(0x80), 0);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(lapic_ops.load(l, &r), 0);
    cr_assert_eq(rd(0x80), 0x10);
    cr_assert_eq(rd(0x390), 500);
    cr_assert_eq(evq_next(&q), 3000);
    cr_assert_eq(lapic_intr_ack(l), 0x45);
    buf_reader_init(&r, b.data, b.len - 2);
    cr_assert_eq(lapic_ops.load(l, &r), HV_ECORRUPT);
    buf_free(&b);
}
