/* Tests for the 8254 PIT through its ops tables: periodic IRQ0 without drift,
 * one-shot, latch and read-back, access modes, BCD, port 0x61 and channel 2,
 * save/load with a pending edge. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "base/evq.h"
#include "devices/pit8254.h"

static struct evq q;
static struct pit8254 *p;
static int level, rises;
static vtime_t rise_at[4096];

static void on_irq(void *opaque, int l)
{
    if (l && !level && rises < 4096)
        rise_at[rises++] = q.now;
    level = l;
}

static void setup(void)
{
    level = rises = 0;
    cr_assert_eq(evq_init(&q), 0);
    p = pit_create(&q, (struct irq_line){ on_irq, NULL });
    cr_assert_not_null(p);
}

static void teardown(void)
{
    pit_destroy(p);
    evq_destroy(&q);
}

static void wr(unsigned off, uint8_t v) { pit8254_ops.write(p, off, v, 1); }
static uint8_t rd(unsigned off) { return (uint8_t)pit8254_ops.read(p, off, 1); }

TestSuite(pit, .init = setup, .fini = teardown);

Test(pit, mode2_periodic_1khz_does_not_drift)
{
    wr(3, 0x34); /* ch0, lobyte/hibyte, mode 2 */
    wr(0, 1193 & 0xff);
    wr(0, 1193 >> 8);
    cr_assert_eq(rises, 1, "mode 3 from reset was already high");
    rises = 0;
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(rises, 1000, "got %d", rises);
    for (int k = 1; k <= rises; k++) {
        vtime_t want = (vtime_t)(((unsigned __int128)k * 1193 * VTIME_S + PIT8254_HZ - 1) / PIT8254_HZ);
        cr_assert_eq(rise_at[k - 1], want, "edge %d at %llu, want %llu", k,
                     (unsigned long long)rise_at[k - 1], (unsigned long long)want);
    }
}

Test(pit, reset_state_is_mode3_at_18_2_hz)
{
    cr_assert_eq(level, 1);
    rises = 0;
    evq_run_until(&q, 10 * VTIME_S);
    cr_assert_eq(rises, 182);
    wr(3, 0xc2); /* read-back status of ch0 */
    cr_assert_eq(rd(0) & 0x3f, 0x36);
}

Test(pit, mode0_one_shot_raises_once)
{
    wr(3, 0x30);
    cr_assert_eq(level, 0, "mode 0 control word drives OUT low");
    rises = 0;
    wr(0, 100);
    wr(0, 0);
    evq_run_until(&q, 83 * VTIME_US);
    cr_assert_eq(level, 0);
    evq_run_until(&q, 85 * VTIME_US);
    cr_assert_eq(level, 1);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(rises, 1);
    cr_assert_eq(evq_next(&q), VTIME_NEVER);
}

Test(pit, counter_latch_freezes_value)
{
    wr(3, 0x34);
    wr(0, 0x00);
    wr(0, 0x10); /* 4096 */
    evq_run_until(&q, 838 * 100); /* about 100 ticks */
    wr(3, 0x00); /* latch channel 0 */
    evq_run_until(&q, 838 * 1000);
    uint16_t v = rd(0);
    v |= rd(0) << 8;
    cr_assert(v <= 4096 - 99 && v >= 4096 - 101, "latched %u", v);
    v = rd(0);
    v |= rd(0) << 8;
    cr_assert(v < 4096 - 900, "live count moved on: %u", v);
}

Test(pit, readback_status_and_count)
{
    wr(3, 0xb0); /* ch2, word, mode 0 */
    wr(3, 0xe8); /* read-back status of ch2 */
    cr_assert_eq(rd(2), 0x70, "null count, rw=3, mode 0, OUT low");
    wr(2, 0x34);
    wr(2, 0x12);
    wr(3, 0xc8); /* read-back count and status of ch2 */
    cr_assert_eq(rd(2), 0x30, "status first, count loaded");
    cr_assert_eq(rd(2), 0x34);
    cr_assert_eq(rd(2), 0x12);
}

Test(pit, lobyte_only_and_bcd)
{
    wr(3, 0x51); /* ch1, lobyte, mode 0, BCD */
    wr(1, 0x99);
    cr_assert_eq(rd(1), 0x99, "BCD count reads back as BCD");
    evq_run_until(&q, 838 * 10 + 1);
    cr_assert_eq(rd(1), 0x89);
}

Test(pit, port61_out2_for_tsc_calibration)
{
    pit8254_port61_ops.write(p, 0, 0x01, 1); /* gate 2 on, speaker off */
    wr(3, 0xb0);
    wr(2, 0x9b); /* 11931: 10 ms */
    wr(2, 0x2e);
    cr_assert_eq(pit8254_port61_ops.read(p, 0, 1) & 0x21, 0x01);
    q.now = 9999 * VTIME_US;
    cr_assert_eq(pit8254_port61_ops.read(p, 0, 1) & 0x20, 0);
    q.now = 10000 * VTIME_US + 1000;
    cr_assert_eq(pit8254_port61_ops.read(p, 0, 1) & 0x20, 0x20);
}

Test(pit, gate_rise_restarts_mode2_channel2)
{
    wr(3, 0xb4);
    wr(2, 0x00);
    wr(2, 0x01); /* 256 */
    q.now = 838 * 100;
    pit8254_port61_ops.write(p, 0, 0x01, 1);
    wr(3, 0x80);
    cr_assert_eq(rd(2), 0x00, "restarted: full count 256 = 0x100");
    cr_assert_eq(rd(2), 0x01);
}

Test(pit, bad_access_reads_ones)
{
    cr_assert_eq(pit8254_ops.read(p, 3, 1), 0xff);
    cr_assert_eq(pit8254_ops.read(p, 0, 2), 0xffff);
}

Test(pit, save_load_keeps_pending_edge)
{
    struct buf b;
    struct buf_reader r;

    wr(3, 0x34);
    wr(0, 1193 & 0xff);
    wr(0, 1193 >> 8);
    evq_run_until(&q, 10 * VTIME_MS + 300 * VTIME_US);
    buf_init(&b);
    cr_assert_eq(pit8254_ops.save(p, &b), 0);
    int before = rises;
    pit8254_ops.reset(p);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(pit8254_ops.load(p, &r), 0);
    evq_run_until(&q, 20 * VTIME_MS + 300 * VTIME_US);
    cr_assert_eq(rises - before, 10);
    vtime_t want = (vtime_t)(((unsigned __int128)20 * 1193 * VTIME_S + PIT8254_HZ - 1) / PIT8254_HZ);
    cr_assert_eq(rise_at[rises - 1], want, "same schedule as before the snapshot");
    buf_reader_init(&r, b.data, b.len - 1);
    cr_assert_eq(pit8254_ops.load(p, &r), HV_ECORRUPT);
    buf_free(&b);
}
