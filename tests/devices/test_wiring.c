/* The devices wired together the way machine/machine.c wires them: PIT -> PIC ->
 * LAPIC virtual wire; PIT -> I/O APIC pin 2 -> LAPIC; a level interrupt's EOI
 * returning to the I/O APIC; and the same run giving the same state bytes. Only
 * the seams named in the headers are used. */
#include <criterion/criterion.h>

#include "base/evq.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"

struct machine {
    struct evq q;
    struct pic8259 *pic;
    struct ioapic *ioapic;
    struct lapic *lapic;
    struct pit8254 *pit;
    int cpu_intr;
};

static struct machine m;

/* The one-line glue functions a machine writes. */
static void pit_irq0(void *opaque, int level)
{
    pic_set_irq(m.pic, 0, level);
    ioapic_set_irq(m.ioapic, IOAPIC_ISA_IRQ0_PIN, level);
}
static void pic_int(void *opaque, int level) { lapic_set_lint(m.lapic, 0, level); }
static int pic_pending(void *opaque) { return pic_intr_pending(m.pic); }
static int pic_ack(void *opaque) { return pic_intr_ack(m.pic); }
static void to_lapic(void *opaque, const struct apic_msg *msg) { lapic_deliver(m.lapic, msg); }
static void lapic_eoi_to_ioapic(void *opaque, int vector) { ioapic_eoi(m.ioapic, vector); }
static void cpu_intr(void *opaque, int level) { m.cpu_intr = level; }

static void setup(void)
{
    struct lapic_config lc = { .apic_id = 0, .bsp = 1, .intr = { cpu_intr, NULL } };
    struct lapic_pic_hooks hooks = { pic_pending, pic_ack, NULL };

    memset(&m, 0, sizeof m);
    cr_assert_eq(evq_init(&m.q), 0);
    m.lapic = lapic_create(&m.q, &lc);
    m.pic = pic_create((struct irq_line){ pic_int, NULL });
    m.ioapic = ioapic_create(0, to_lapic, NULL);
    lapic_set_pic(m.lapic, &hooks);
    lapic_set_eoi_fn(m.lapic, lapic_eoi_to_ioapic, NULL);
    m.pit = pit_create(&m.q, (struct irq_line){ pit_irq0, NULL });
    cr_assert(m.lapic && m.pic && m.ioapic && m.pit);
}

static void teardown(void)
{
    pit_destroy(m.pit);
    ioapic_destroy(m.ioapic);
    pic_destroy(m.pic);
    lapic_destroy(m.lapic);
    evq_destroy(&m.q);
}

TestSuite(wiring, .init = setup, .fini = teardown);

static void pic_init(void)
{
    uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };
    for (int i = 0; i < 4; i++) {
        pic8259_master_ops.write(m.pic, i ? 1 : 0, icw[0][i], 1);
        pic8259_slave_ops.write(m.pic, i ? 1 : 0, icw[1][i], 1);
    }
    pic8259_master_ops.write(m.pic, 1, 0xfe, 1); /* only IRQ0 */
}

static void pit_hz(unsigned count)
{
    pit8254_ops.write(m.pit, 3, 0x34, 1);
    pit8254_ops.write(m.pit, 0, count & 0xff, 1);
    pit8254_ops.write(m.pit, 0, count >> 8, 1);
}

Test(wiring, pit_through_pic_and_virtual_wire)
{
    int taken = 0;
    pic_init();
    pit_hz(11932); /* 100 Hz */
    while (evq_next(&m.q) <= VTIME_S + 5 * VTIME_MS) {
        evq_run_until(&m.q, evq_next(&m.q));
        if (m.cpu_intr) {
            cr_assert_eq(lapic_intr_ack(m.lapic), 0x20);
            pic8259_master_ops.write(m.pic, 0, 0x20, 1); /* EOI */
            taken++;
        }
    }
    cr_assert_eq(taken, 100, "taken %d", taken);
}

Test(wiring, pit_through_ioapic_to_lapic)
{
    int taken = 0;
    pic8259_master_ops.write(m.pic, 1, 0xff, 1);
    lapic_ops.write(m.lapic, 0xf0, 0x1ff, 4);
    ioapic_ops.write(m.ioapic, 0, 0x10 + 2 * IOAPIC_ISA_IRQ0_PIN, 4);
    ioapic_ops.write(m.ioapic, 0x10, 0x30, 4); /* vector 0x30, edge, unmasked */
    pit_hz(11932);
    while (evq_next(&m.q) <= VTIME_S + 5 * VTIME_MS) {
        evq_run_until(&m.q, evq_next(&m.q));
        if (m.cpu_intr) {
            cr_assert_eq(lapic_intr_ack(m.lapic), 0x30);
            lapic_ops.write(m.lapic, 0xb0, 0, 4);
            taken++;
        }
    }
    /* The edge of the PIT's reset state, latched while pin 2 was masked, is
     * sent on unmask (as QEMU does), then 100 periods. */
    cr_assert_eq(taken, 101, "taken %d", taken);
}

Test(wiring, level_interrupt_eoi_reaches_ioapic)
{
    pic8259_master_ops.write(m.pic, 1, 0xff, 1); /* the 8259 masked, as an APIC OS does */
    lapic_ops.write(m.lapic, 0xf0, 0x1ff, 4);
    ioapic_ops.write(m.ioapic, 0, 0x10 + 2 * 9, 4);
    ioapic_ops.write(m.ioapic, 0x10, 0x8049, 4); /* level, vector 0x49 */
    ioapic_set_irq(m.ioapic, 9, 1);
    cr_assert_eq(lapic_intr_ack(m.lapic), 0x49);
    lapic_ops.write(m.lapic, 0xb0, 0, 4);
    cr_assert_eq(lapic_intr_pending(m.lapic), 0x49, "still asserted: redelivered after EOI");
    cr_assert_eq(lapic_intr_ack(m.lapic), 0x49);
    ioapic_set_irq(m.ioapic, 9, 0);
    lapic_ops.write(m.lapic, 0xb0, 0, 4);
    cr_assert_eq(lapic_intr_pending(m.lapic), -1);
    cr_assert_eq(m.cpu_intr, 0);
}

/* Determinism: the same inputs give byte-identical saved states. */
static void run_and_save(struct buf *out)
{
    const struct { const struct dev_ops *ops; void *dev; } devs[] = {
        { &pic8259_master_ops, m.pic }, { &pit8254_ops, m.pit },
        { &ioapic_ops, m.ioapic }, { &lapic_ops, m.lapic },
    };

    pic_init();
    pit_hz(1193);
    lapic_ops.write(m.lapic, 0xf0, 0x1ff, 4);
    lapic_ops.write(m.lapic, 0x320, 0x20040, 4);
    lapic_ops.write(m.lapic, 0x380, 777777, 4);
    while (evq_next(&m.q) <= 50 * VTIME_MS) {
        evq_run_until(&m.q, evq_next(&m.q));
        while (m.cpu_intr) {
            int v = lapic_intr_ack(m.lapic);
            if (v == 0x20)
                pic8259_master_ops.write(m.pic, 0, 0x20, 1);
            else
                lapic_ops.write(m.lapic, 0xb0, 0, 4);
        }
    }
    buf_init(out);
    for (unsigned i = 0; i < sizeof devs / sizeof devs[0]; i++)
        cr_assert_eq(devs[i].ops->save(devs[i].dev, out), 0);
}

Test(wiring, same_run_same_state_bytes)
{
    struct buf a, b;

    run_and_save(&a);
    teardown();
    setup();
    run_and_save(&b);
    cr_assert_eq(a.len, b.len);
    cr_assert_eq(memcmp(a.data, b.data, a.len), 0);
    buf_free(&a);
    buf_free(&b);
}
