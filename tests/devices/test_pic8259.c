/* Tests for the 8259A pair through its ops tables: initialisation, masking,
 * priorities, cascade, EOI flavours, auto-EOI, ELCR level mode, spurious
 * vectors, poll mode, save/load. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "devices/pic8259.h"

static int intr_level;
static void on_intr(void *opaque, int level) { intr_level = level; }

static struct pic8259 *p;

static void mw(unsigned off, uint8_t v) { pic8259_master_ops.write(p, off, v, 1); }
static void sw(unsigned off, uint8_t v) { pic8259_slave_ops.write(p, off, v, 1); }
static uint8_t mr(unsigned off) { return (uint8_t)pic8259_master_ops.read(p, off, 1); }
static uint8_t sr(unsigned off) { return (uint8_t)pic8259_slave_ops.read(p, off, 1); }

/* The classic BIOS/Linux initialisation: vectors 0x20/0x28, cascade on IRQ2. */
static void init_pair(uint8_t icw4)
{
    mw(0, 0x11), mw(1, 0x20), mw(1, 0x04), mw(1, icw4);
    sw(0, 0x11), sw(1, 0x28), sw(1, 0x02), sw(1, icw4);
    mw(1, 0x00), sw(1, 0x00);
}

static void setup(void)
{
    intr_level = 0;
    p = pic_create((struct irq_line){ on_intr, NULL });
    cr_assert_not_null(p);
    init_pair(0x01);
}

static void teardown(void) { pic_destroy(p); }

TestSuite(pic, .init = setup, .fini = teardown);

Test(pic, edge_irq_delivers_vector_and_eoi_clears_isr)
{
    pic_set_irq(p, 1, 1);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(pic_intr_pending(p), 0x21);
    cr_assert_eq(pic_intr_ack(p), 0x21);
    cr_assert_eq(intr_level, 0);
    mw(0, 0x0b); /* OCW3: read ISR */
    cr_assert_eq(mr(0), 0x02);
    mw(0, 0x20); /* non-specific EOI */
    cr_assert_eq(mr(0), 0x00);
    pic_set_irq(p, 1, 1);
    cr_assert_eq(intr_level, 0, "no new edge while held high");
}

Test(pic, mask_blocks_and_unmask_delivers)
{
    mw(1, 0x01);
    pic_set_irq(p, 0, 1);
    cr_assert_eq(intr_level, 0);
    cr_assert_eq(pic_intr_pending(p), -1);
    cr_assert_eq(mr(1), 0x01);
    mw(1, 0x00);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(pic_intr_ack(p), 0x20);
}

Test(pic, priority_and_nesting)
{
    pic_set_irq(p, 3, 1);
    cr_assert_eq(pic_intr_ack(p), 0x23);
    pic_set_irq(p, 5, 1);
    cr_assert_eq(pic_intr_pending(p), -1, "lower priority waits for EOI");
    pic_set_irq(p, 1, 1);
    cr_assert_eq(pic_intr_ack(p), 0x21, "higher priority nests");
    mw(0, 0x20); /* EOIs IRQ1 */
    mw(0, 0x20); /* EOIs IRQ3 */
    cr_assert_eq(pic_intr_ack(p), 0x25);
}

Test(pic, cascade_through_irq2)
{
    pic_set_irq(p, 12, 1);
    cr_assert_eq(intr_level, 1);
    cr_assert_eq(pic_intr_ack(p), 0x2c);
    sw(0, 0x0b);
    cr_assert_eq(sr(0), 0x10);
    mw(0, 0x0b);
    cr_assert_eq(mr(0), 0x04);
    sw(0, 0x64); /* specific EOI IRQ4 on the slave */
    mw(0, 0x62); /* specific EOI IRQ2 on the master */
    cr_assert_eq(sr(0), 0);
    cr_assert_eq(mr(0), 0);
    pic_set_irq(p, 12, 0);
    pic_set_irq(p, 12, 1);
    cr_assert_eq(pic_intr_ack(p), 0x2c, "second slave IRQ gets through");
}

Test(pic, slave_mask_blocks_cascade)
{
    sw(1, 0x01);
    pic_set_irq(p, 8, 1);
    cr_assert_eq(intr_level, 0);
}

Test(pic, spurious_irq7_when_request_vanishes)
{
    pic8259_elcr_ops.write(p, 0, 0x08, 1); /* IRQ3 level */
    pic_set_irq(p, 3, 1);
    cr_assert_eq(intr_level, 1);
    pic_set_irq(p, 3, 0);
    cr_assert_eq(pic_intr_ack(p), 0x27);
    mw(0, 0x0b);
    cr_assert_eq(mr(0), 0, "spurious IRQ7 does not set ISR");
}

Test(pic, level_triggered_stays_until_input_drops)
{
    pic8259_elcr_ops.write(p, 1, 0x0a, 1); /* IRQ9, IRQ11 level on the slave */
    cr_assert_eq(pic8259_elcr_ops.read(p, 1, 1), 0x0a);
    pic8259_elcr_ops.write(p, 0, 0x07, 1);
    cr_assert_eq(pic8259_elcr_ops.read(p, 0, 1), 0x00, "IRQ0-2 cannot be level");
    pic_set_irq(p, 9, 1);
    cr_assert_eq(pic_intr_ack(p), 0x29);
    sw(0, 0x20);
    mw(0, 0x20);
    cr_assert_eq(pic_intr_ack(p), 0x29, "still asserted: delivered again");
    sw(0, 0x20);
    mw(0, 0x20);
    pic_set_irq(p, 9, 0);
    cr_assert_eq(pic_intr_pending(p), -1);
}

Test(pic, auto_eoi_leaves_isr_clear)
{
    init_pair(0x03);
    pic_set_irq(p, 4, 1);
    cr_assert_eq(pic_intr_ack(p), 0x24);
    mw(0, 0x0b);
    cr_assert_eq(mr(0), 0);
    pic_set_irq(p, 6, 1);
    cr_assert_eq(pic_intr_ack(p), 0x26, "no EOI needed");
}

Test(pic, rotate_on_eoi_changes_priority)
{
    pic_set_irq(p, 0, 1);
    cr_assert_eq(pic_intr_ack(p), 0x20);
    mw(0, 0xa0); /* rotate on non-specific EOI: IRQ0 becomes lowest */
    pic_set_irq(p, 0, 0);
    pic_set_irq(p, 0, 1);
    pic_set_irq(p, 5, 1);
    cr_assert_eq(pic_intr_ack(p), 0x25);
}

Test(pic, poll_mode)
{
    pic_set_irq(p, 6, 1);
    mw(0, 0x0c);
    cr_assert_eq(mr(0), 0x86);
    mw(0, 0x0b);
    cr_assert_eq(mr(0), 0x40, "poll acknowledged IRQ6");
}

Test(pic, bad_access_reads_ones)
{
    cr_assert_eq(pic8259_master_ops.read(p, 0, 2), 0xffff);
    pic8259_master_ops.write(p, 1, 0xff, 4);
    cr_assert_eq(mr(1), 0);
}

Test(pic, save_load_roundtrip)
{
    struct buf b;
    struct buf_reader r;

    mw(1, 0x10);
    pic_set_irq(p, 3, 1);
    pic_intr_ack(p);
    pic_set_irq(p, 1, 1);
    buf_init(&b);
    cr_assert_eq(pic8259_master_ops.save(p, &b), 0);
    pic8259_master_ops.reset(p);
    cr_assert_eq(mr(1), 0);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(pic8259_master_ops.load(p, &r), 0);
    cr_assert_eq(mr(1), 0x10);
    cr_assert_eq(pic_intr_ack(p), 0x21);
    mw(0, 0x20);
    mw(0, 0x20);
    mw(0, 0x0b);
    cr_assert_eq(mr(0), 0, "both in-service bits came back");
    buf_reader_init(&r, b.data, 5);
    cr_assert_eq(pic8259_master_ops.load(p, &r), HV_ECORRUPT);
    buf_free(&b);
}
