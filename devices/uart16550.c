/* 16550A UART (COM1): registers, receive FIFO, interrupt identification and
 * loopback as the PC16550D datasheet describes. Transmission is instantaneous:
 * a byte written to THR reaches the sink at once and THR is empty again. */
#include "devices/uart16550.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

/* Register offsets; DLL/DLM replace RBR/THR and IER while LCR.DLAB is set. */
#define UART_RBR 0 /* read */
#define UART_THR 0 /* write */
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI 0x01 /* received data available */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_CTI 0x0c       /* character timeout */
#define UART_IIR_FIFO_ON 0xc0

#define UART_FCR_FE 0x01        /* FIFO enable */
#define UART_FCR_RFR 0x02       /* receiver FIFO reset */
#define UART_FCR_TFR 0x04       /* transmitter FIFO reset */
#define UART_FCR_RT_SHIFT 6     /* receiver trigger level */

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

#define UART_FIFO_LEN 16
#define UART_CLOCK_HZ 115200 /* 1.8432 MHz / 16: the baud rate at divisor 1 */
#define UART_MAGIC 0x55415254 /* "UART" */

struct uart16550 {
    struct evq *q;
    struct irq_line irq;
    uart_tx_fn *tx;
    void *tx_opaque;
    struct event timeout_ev; /* receiver character timeout (FIFO mode) */

    uint8_t rx[UART_FIFO_LEN];
    uint8_t rx_head, rx_count;
    uint8_t ier, fcr, lcr, mcr, lsr_err, msr, scr, dll, dlm;
    uint8_t thr_ipending;     /* THRE interrupt armed, cleared by reading IIR */
    uint8_t timeout_ipending; /* character timeout interrupt */
    uint8_t irq_level;
};

static unsigned uart_rx_depth(const struct uart16550 *u)
{
    return (u->fcr & UART_FCR_FE) ? UART_FIFO_LEN : 1;
}

static unsigned uart_rx_trigger(const struct uart16550 *u)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return (u->fcr & UART_FCR_FE) ? levels[u->fcr >> UART_FCR_RT_SHIFT] : 1;
}

static uint8_t uart_iir(const struct uart16550 *u)
{
    uint8_t fifo = (u->fcr & UART_FCR_FE) ? UART_IIR_FIFO_ON : 0;

    if ((u->ier & UART_IER_ELSI) && (u->lsr_err & UART_LSR_ERRORS))
        return fifo | UART_IIR_RLSI;
    if (u->ier & UART_IER_ERBFI) {
        if (u->rx_count >= uart_rx_trigger(u))
            return fifo | UART_IIR_RDI;
        if (u->timeout_ipending)
            return fifo | UART_IIR_CTI;
    }
    if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
        return fifo | UART_IIR_THRI;
    if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0f))
        return fifo | UART_IIR_MSI;
    return fifo | UART_IIR_NO_INT;
}

/* INTR follows "an interrupt is identified"; OUT2 does not gate it, as in QEMU. */
static void uart_update_irq(struct uart16550 *u)
{
    uint8_t level = !(uart_iir(u) & UART_IIR_NO_INT);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_line_set(&u->irq, level);
    }
}

/* Four character times at the programmed divisor (10 bits a character). */
static void uart_arm_timeout(struct uart16550 *u)
{
    unsigned div = u->dll | (u->dlm << 8);
    if (!(u->fcr & UART_FCR_FE) || !u->rx_count) {
        evq_cancel(u->q, &u->timeout_ev);
        return;
    }
    evq_schedule(u->q, &u->timeout_ev,
                 u->q->now + dev_ticks_to_ns_ceil(40ULL * (div ? div : 65536), UART_CLOCK_HZ));
}

static void uart_timeout(void *opaque, vtime_t now)
{
    struct uart16550 *u = opaque;
    if (u->rx_count)
        u->timeout_ipending = 1;
    uart_update_irq(u);
}

static int uart_rx_enqueue(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count >= uart_rx_depth(u)) {
        u->lsr_err |= UART_LSR_OE; /* the byte is lost */
        uart_update_irq(u);
        return HV_EFULL;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO_LEN] = byte;
    u->rx_count++;
    uart_arm_timeout(u);
    uart_update_irq(u);
    return HV_OK;
}

int uart_rx_push(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & UART_MCR_LOOP)
        return HV_EFULL; /* the receiver is disconnected from the line in loopback */
    return uart_rx_enqueue(u, byte);
}

unsigned uart_rx_room(const struct uart16550 *u)
{
    return uart_rx_depth(u) - u->rx_count;
}

/* Modem inputs: in loopback they are wired to the MCR outputs; otherwise the
 * line is always up (DCD, DSR, CTS), as QEMU presents a connected terminal. */
static void uart_update_msr(struct uart16550 *u)
{
    uint8_t lines, old = u->msr & 0xf0;

    if (u->mcr & UART_MCR_LOOP)
        lines = ((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) | ((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) | ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    else
        lines = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    /* Delta bits latch changes until MSR is read; TERI only on RI falling. */
    if ((old ^ lines) & UART_MSR_CTS)
        u->msr |= UART_MSR_DCTS;
    if ((old ^ lines) & UART_MSR_DSR)
        u->msr |= UART_MSR_DDSR;
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI))
        u->msr |= UART_MSR_TERI;
    if ((old ^ lines) & UART_MSR_DCD)
        u->msr |= UART_MSR_DDCD;
    u->msr = (u->msr & 0x0f) | lines;
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v;

    if (size != 1 || off >= UART16550_PORT_LEN) {
        log_guest("uart: %u-byte read at offset %llu", size, (unsigned long long)off);
        return dev_ones(size);
    }
    switch (off) {
    case UART_RBR:
        if (u->lcr & UART_LCR_DLAB)
            return u->dll;
        v = 0;
        if (u->rx_count) { /* reading RBR pops the FIFO and clears the timeout */
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % UART_FIFO_LEN;
            u->rx_count--;
        }
        u->timeout_ipending = 0;
        uart_arm_timeout(u);
        uart_update_irq(u);
        return v;
    case UART_IER:
        return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
    case UART_IIR:
        v = uart_iir(u);
        if ((v & 0x0f) == UART_IIR_THRI) { /* reading IIR acknowledges THRE */
            u->thr_ipending = 0;
            uart_update_irq(u);
        }
        return v;
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR: /* reading LSR clears the error bits */
        v = u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
        u->lsr_err = 0;
        uart_update_irq(u);
        return v;
    case UART_MSR: /* reading MSR clears the delta bits */
        v = u->msr;
        u->msr &= 0xf0;
        uart_update_irq(u);
        return v;
    default:
        return u->scr;
    }
}

static void uart_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct uart16550 *u = opaque;
    uint8_t v = (uint8_t)val;

    if (size != 1 || off >= UART16550_PORT_LEN) {
        log_guest("uart: %u-byte write at offset %llu", size, (unsigned long long)off);
        return;
    }
    switch (off) {
    case UART_THR:
        if (u->lcr & UART_LCR_DLAB) {
            u->dll = v;
            break;
        }
        /* Writing THR drops the THRE interrupt; the byte leaves at once and THR
         * is empty again, so INTR pulses low then high (a fresh edge). */
        u->thr_ipending = 0;
        uart_update_irq(u);
        if (u->mcr & UART_MCR_LOOP)
            uart_rx_enqueue(u, v);
        else if (u->tx)
            u->tx(u->tx_opaque, v);
        u->thr_ipending = 1;
        break;
    case UART_IER:
        if (u->lcr & UART_LCR_DLAB) {
            u->dlm = v;
            break;
        }
        /* Enabling ETBEI while THR is empty raises the THRE interrupt at once. */
        if (!(u->ier & UART_IER_ETBEI) && (v & UART_IER_ETBEI))
            u->thr_ipending = 1;
        u->ier = v & 0x0f;
        break;
    case UART_FCR:
        /* Toggling FIFO enable, or RFR, empties the receive FIFO. */
        if (((u->fcr ^ v) & UART_FCR_FE) || (v & UART_FCR_RFR)) {
            u->rx_count = 0;
            u->rx_head = 0;
            u->timeout_ipending = 0;
        }
        u->fcr = v & (UART_FCR_FE | (3 << UART_FCR_RT_SHIFT));
        uart_arm_timeout(u);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        uart_update_msr(u);
        break;
    case UART_LSR:
    case UART_MSR:
        log_guest("uart: write 0x%02x to read-only register %llu", v, (unsigned long long)off);
        break;
    default:
        u->scr = v;
        break;
    }
    uart_update_irq(u);
}

static void uart_reset(void *opaque)
{
    struct uart16550 *u = opaque;

    evq_cancel(u->q, &u->timeout_ev);
    u->rx_head = u->rx_count = 0;
    u->ier = u->fcr = u->lcr = u->mcr = u->lsr_err = u->scr = 0;
    u->dll = 0x0c; /* 9600 baud */
    u->dlm = 0;
    u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    u->thr_ipending = u->timeout_ipending = 0;
    uart_update_irq(u);
}

static int uart_save(void *opaque, struct buf *b)
{
    struct uart16550 *u = opaque;

    dev_save_header(b, UART_MAGIC, 1);
    buf_put(b, u->rx, sizeof u->rx);
    buf_put_u8(b, u->rx_head);
    buf_put_u8(b, u->rx_count);
    buf_put_u8(b, u->ier);
    buf_put_u8(b, u->fcr);
    buf_put_u8(b, u->lcr);
    buf_put_u8(b, u->mcr);
    buf_put_u8(b, u->lsr_err);
    buf_put_u8(b, u->msr);
    buf_put_u8(b, u->scr);
    buf_put_u8(b, u->dll);
    buf_put_u8(b, u->dlm);
    buf_put_u8(b, u->thr_ipending);
    buf_put_u8(b, u->timeout_ipending);
    buf_put_u8(b, u->irq_level);
    dev_save_event(b, &u->timeout_ev);
    return b->err;
}

static int uart_load(void *opaque, struct buf_reader *r)
{
    struct uart16550 *u = opaque, t = *u;
    struct dev_saved_event ev;

    if (dev_load_header(r, UART_MAGIC, 1))
        return HV_ECORRUPT;
    buf_get(r, t.rx, sizeof t.rx);
    t.rx_head = buf_get_u8(r);
    t.rx_count = buf_get_u8(r);
    t.ier = buf_get_u8(r);
    t.fcr = buf_get_u8(r);
    t.lcr = buf_get_u8(r);
    t.mcr = buf_get_u8(r);
    t.lsr_err = buf_get_u8(r);
    t.msr = buf_get_u8(r);
    t.scr = buf_get_u8(r);
    t.dll = buf_get_u8(r);
    t.dlm = buf_get_u8(r);
    t.thr_ipending = buf_get_u8(r);
    t.timeout_ipending = buf_get_u8(r);
    t.irq_level = buf_get_u8(r);
    ev = dev_load_event(r);
    if (r->err || t.rx_head >= UART_FIFO_LEN || t.rx_count > UART_FIFO_LEN)
        return HV_ECORRUPT;
    t.timeout_ev = u->timeout_ev;
    *u = t;
    dev_rearm_event(u->q, &u->timeout_ev, ev);
    return HV_OK;
}

const struct dev_ops uart16550_ops = {
    .name = "uart16550",
    .read = uart_read,
    .write = uart_write,
    .reset = uart_reset,
    .save = uart_save,
    .load = uart_load,
};

struct uart16550 *uart_create(struct evq *q, struct irq_line irq, uart_tx_fn *tx, void *tx_opaque)
{
    struct uart16550 *u = calloc(1, sizeof *u);

    if (!u) {
        log_error("uart: out of memory");
        return NULL;
    }
    u->q = q;
    u->irq = irq;
    u->tx = tx;
    u->tx_opaque = tx_opaque;
    event_init(&u->timeout_ev, "uart-timeout", uart_timeout, u);
    uart_reset(u);
    return u;
}

void uart_destroy(struct uart16550 *u)
{
    if (!u)
        return;
    evq_cancel(u->q, &u->timeout_ev);
    free(u);
}
