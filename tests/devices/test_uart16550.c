/* Tests for the 16550A UART through its ops table: transmit, receive FIFO,
 * interrupt identification, DLAB, loopback, overrun, timeout, save/load. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/evq.h"
#include "devices/uart16550.h"

struct sink {
    uint8_t out[64];
    int n;
    int level, edges;
};

static void sink_tx(void *opaque, uint8_t b)
{
    struct sink *s = opaque;
    s->out[s->n++] = b;
}

static void sink_irq(void *opaque, int level)
{
    struct sink *s = opaque;
    if (level && !s->level)
        s->edges++;
    s->level = level;
}

static struct evq q;
static struct sink s;
static struct uart16550 *u;

static void setup(void)
{
    memset(&s, 0, sizeof s);
    cr_assert_eq(evq_init(&q), 0);
    u = uart_create(&q, (struct irq_line){ sink_irq, &s }, sink_tx, &s);
    cr_assert_not_null(u);
}

static void teardown(void)
{
    uart_destroy(u);
    evq_destroy(&q);
}

static uint8_t rd(unsigned off) { return (uint8_t)uart16550_ops.read(u, off, 1); }
static void wr(unsigned off, uint8_t v) { uart16550_ops.write(u, off, v, 1); }

TestSuite(uart, .init = setup, .fini = teardown);

Test(uart, transmit_reaches_sink_and_lsr_shows_empty)
{
    wr(0, 'h');
    wr(0, 'i');
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.out[0], 'h');
    cr_assert_eq(s.out[1], 'i');
    cr_assert_eq(rd(5) & 0x60, 0x60);
    cr_assert_eq(rd(2), 0x01, "no interrupt pending");
}

Test(uart, dlab_selects_divisor_latch)
{
    wr(3, 0x80);
    wr(0, 0x01);
    wr(1, 0x02);
    cr_assert_eq(rd(0), 0x01);
    cr_assert_eq(rd(1), 0x02);
    wr(3, 0x03);
    cr_assert_eq(rd(1), 0x00, "IER untouched by DLM write");
    cr_assert_eq(s.n, 0, "DLL write is not a transmit");
}

Test(uart, receive_raises_rda_and_read_clears)
{
    wr(1, 0x01); /* ERBFI */
    cr_assert_eq(uart_rx_push(u, 'x'), 0);
    cr_assert_eq(s.level, 1);
    cr_assert_eq(rd(2), 0x04);
    cr_assert_eq(rd(5) & 0x01, 1);
    cr_assert_eq(rd(0), 'x');
    cr_assert_eq(s.level, 0);
    cr_assert_eq(rd(5) & 0x01, 0);
}

Test(uart, non_fifo_overrun_sets_oe_and_rls_interrupt)
{
    wr(1, 0x05); /* ERBFI | ELSI */
    cr_assert_eq(uart_rx_push(u, 'a'), 0);
    cr_assert_eq(uart_rx_push(u, 'b'), HV_EFULL);
    cr_assert_eq(rd(2), 0x06, "line status has top priority");
    cr_assert_eq(rd(5) & 0x02, 0x02);
    cr_assert_eq(rd(5) & 0x02, 0, "LSR read clears OE");
    cr_assert_eq(rd(0), 'a');
}

Test(uart, fifo_holds_16_and_trigger_level)
{
    wr(2, 0x81); /* FIFO on, trigger 8 */
    wr(1, 0x01);
    for (int i = 0; i < 7; i++)
        uart_rx_push(u, (uint8_t)i);
    cr_assert_eq(s.level, 0, "below trigger level");
    uart_rx_push(u, 7);
    cr_assert_eq(s.level, 1);
    cr_assert_eq(rd(2), 0xc4);
    for (int i = 8; i < 16; i++)
        cr_assert_eq(uart_rx_push(u, (uint8_t)i), 0);
    cr_assert_eq(uart_rx_room(u), 0);
    cr_assert_eq(uart_rx_push(u, 99), HV_EFULL);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(rd(0), i);
}

Test(uart, fifo_character_timeout)
{
    wr(2, 0xc1); /* trigger 14 */
    wr(1, 0x01);
    uart_rx_push(u, 'z');
    cr_assert_eq(s.level, 0);
    evq_run_until(&q, 100 * VTIME_MS); /* 4 chars at 9600 baud is about 4.2 ms */
    cr_assert_eq(s.level, 1);
    cr_assert_eq(rd(2), 0xcc);
    cr_assert_eq(rd(0), 'z');
    cr_assert_eq(s.level, 0);
}

Test(uart, thre_interrupt_on_enable_and_after_each_write)
{
    wr(1, 0x02);
    cr_assert_eq(s.level, 1);
    cr_assert_eq(rd(2), 0x02);
    cr_assert_eq(s.level, 0, "IIR read acknowledges THRE");
    int e = s.edges;
    wr(0, 'q');
    cr_assert_eq(s.level, 1);
    cr_assert_eq(s.edges, e + 1, "a THR write gives a fresh edge");
}

Test(uart, loopback_returns_bytes_and_modem_lines)
{
    wr(4, 0x10 | 0x02); /* LOOP | RTS */
    cr_assert_eq(rd(6) & 0xf0, 0x10, "CTS follows RTS");
    wr(0, 'L');
    cr_assert_eq(s.n, 0, "nothing on the line in loopback");
    cr_assert_eq(rd(0), 'L');
    cr_assert_eq(uart_rx_push(u, 'x'), HV_EFULL);
}

Test(uart, msr_delta_bits_and_interrupt)
{
    wr(1, 0x08);
    wr(4, 0x10); /* loopback drops CTS/DSR/DCD: deltas */
    cr_assert_eq(s.level, 1);
    cr_assert_eq(rd(2), 0x00);
    cr_assert_eq(rd(6) & 0x0b, 0x0b);
    cr_assert_eq(rd(6) & 0x0f, 0, "MSR read clears deltas");
    cr_assert_eq(s.level, 0);
}

Test(uart, bad_size_reads_ones)
{
    cr_assert_eq(uart16550_ops.read(u, 0, 2), 0xffff);
    uart16550_ops.write(u, 0, 'x', 4);
    cr_assert_eq(s.n, 0);
}

Test(uart, save_load_restores_fifo_and_timeout)
{
    struct buf b;
    struct buf_reader r;

    wr(2, 0xc1);
    wr(1, 0x01);
    wr(7, 0x5a);
    uart_rx_push(u, 'a');
    uart_rx_push(u, 'b');
    buf_init(&b);
    cr_assert_eq(uart16550_ops.save(u, &b), 0);
    cr_assert_eq(rd(0), 'a');
    uart16550_ops.reset(u);
    cr_assert_eq(rd(7), 0);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(uart16550_ops.load(u, &r), 0);
    cr_assert_eq(rd(7), 0x5a);
    evq_run_until(&q, 100 * VTIME_MS);
    cr_assert_eq(rd(2), 0xcc, "timeout re-armed by load");
    cr_assert_eq(rd(0), 'a');
    cr_assert_eq(rd(0), 'b');
    buf_reader_init(&r, b.data, b.len - 3);
    cr_assert_eq(uart16550_ops.load(u, &r), HV_ECORRUPT);
    buf_free(&b);
}
