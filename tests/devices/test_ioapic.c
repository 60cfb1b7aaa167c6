/* Tests for the I/O APIC through its ops table: identification, redirection
 * entries, masking, edge and level delivery with remote IRR and EOI, save/load. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "devices/ioapic.h"

static struct ioapic *io;
static struct apic_msg msgs[16];
static int nmsg;

static void on_msg(void *opaque, const struct apic_msg *m)
{
    if (nmsg < 16)
        msgs[nmsg] = *m;
    nmsg++;
}

static void setup(void)
{
    nmsg = 0;
    io = ioapic_create(1, on_msg, NULL);
    cr_assert_not_null(io);
}

static void teardown(void) { ioapic_destroy(io); }

static uint32_t rreg(unsigned r)
{
    ioapic_ops.write(io, 0x00, r, 4);
    return (uint32_t)ioapic_ops.read(io, 0x10, 4);
}

static void wreg(unsigned r, uint32_t v)
{
    ioapic_ops.write(io, 0x00, r, 4);
    ioapic_ops.write(io, 0x10, v, 4);
}

TestSuite(ioapic, .init = setup, .fini = teardown);

Test(ioapic, identification_and_reset_state)
{
    cr_assert_eq(rreg(0x00), 0x01000000);
    cr_assert_eq(rreg(0x01), 0x00170011);
    cr_assert_eq(rreg(0x10 + 2 * 23), 0x10000, "entries come up masked");
    wreg(0x00, 0x0f000000);
    cr_assert_eq(rreg(0x00), 0x0f000000);
    cr_assert_eq(rreg(0x40), 0xffffffff, "no register 0x40");
}

Test(ioapic, edge_pin_sends_message_with_destination)
{
    wreg(0x10 + 2 * 2 + 1, 0x03000000);
    wreg(0x10 + 2 * 2, 0x00000930); /* vector 0x30, lowest priority, physical */
    ioapic_set_irq(io, 2, 1);
    cr_assert_eq(nmsg, 1);
    cr_assert_eq(msgs[0].vector, 0x30);
    cr_assert_eq(msgs[0].delivery_mode, APIC_DM_LOWPRI);
    cr_assert_eq(msgs[0].dest, 3);
    cr_assert_eq(msgs[0].level, 0);
    ioapic_set_irq(io, 2, 1);
    cr_assert_eq(nmsg, 1, "no new edge");
    ioapic_set_irq(io, 2, 0);
    ioapic_set_irq(io, 2, 1);
    cr_assert_eq(nmsg, 2);
}

Test(ioapic, masked_edge_is_sent_on_unmask)
{
    wreg(0x10 + 2 * 4, 0x10031);
    ioapic_set_irq(io, 4, 1);
    cr_assert_eq(nmsg, 0);
    wreg(0x10 + 2 * 4, 0x00031);
    cr_assert_eq(nmsg, 1);
    cr_assert_eq(msgs[0].vector, 0x31);
}

Test(ioapic, level_remote_irr_and_eoi)
{
    wreg(0x10 + 2 * 9, 0x0000a841); /* level, active low, logical, vector 0x41 */
    ioapic_set_irq(io, 9, 1);
    cr_assert_eq(nmsg, 1);
    cr_assert_eq(msgs[0].level, 1);
    cr_assert_eq(msgs[0].dest_logical, 1);
    cr_assert_eq(rreg(0x10 + 2 * 9) & 0x4000, 0x4000, "remote IRR set");
    ioapic_eoi(io, 0x41);
    cr_assert_eq(nmsg, 2, "still asserted: sent again after EOI");
    ioapic_set_irq(io, 9, 0);
    ioapic_eoi(io, 0x41);
    cr_assert_eq(nmsg, 2);
    cr_assert_eq(rreg(0x10 + 2 * 9) & 0x4000, 0);
    ioapic_eoi(io, 0x42);
}

Test(ioapic, read_only_bits_survive_writes)
{
    wreg(0x10, 0x8051);
    ioapic_set_irq(io, 0, 1);
    wreg(0x10, 0x8051 | 0x4000 | 0x1000);
    cr_assert_eq(nmsg, 1, "rewrite with remote IRR set does not resend");
    cr_assert_eq(rreg(0x10) & 0x5000, 0x4000);
}

Test(ioapic, bad_access_reads_ones)
{
    cr_assert_eq(ioapic_ops.read(io, 0x10, 1), 0xff);
    cr_assert_eq(ioapic_ops.read(io, 0x20, 4), 0xffffffff);
}

Test(ioapic, save_load_roundtrip)
{
    struct buf b;
    struct buf_reader r;

    wreg(0x10 + 2 * 5, 0x0000a045);
    ioapic_set_irq(io, 5, 1);
    buf_init(&b);
    cr_assert_eq(ioapic_ops.save(io, &b), 0);
    ioapic_ops.reset(io);
    cr_assert_eq(rreg(0x10 + 2 * 5), 0x10000);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(ioapic_ops.load(io, &r), 0);
    ioapic_eoi(io, 0x45);
    cr_assert_eq(nmsg, 2, "remote IRR and pin level restored");
    buf_reader_init(&r, b.data, 10);
    cr_assert_eq(ioapic_ops.load(io, &r), HV_ECORRUPT);
    buf_free(&b);
}
