/* 8254 PIT (Intel 8254 datasheet): counts are computed from virtual time since
 * the count was loaded, never ticked. Channel 0's OUT edges are events on the
 * queue, each computed from the load time so periodic modes cannot drift. */
#include "devices/pit8254.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define PIT_CTRL 3               /* control word register offset */
#define PIT_RW_LATCH 0           /* RW field 00: counter latch command */
#define PIT_RW_LSB 1
#define PIT_RW_MSB 2
#define PIT_RW_WORD 3            /* LSB then MSB */
#define PIT_READBACK 3           /* SC field 11 */
#define PIT_RB_NOT_COUNT 0x20
#define PIT_RB_NOT_STATUS 0x10
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL 0x40
#define PORT61_GATE2 0x01
#define PORT61_SPKR 0x02
#define PORT61_REFRESH 0x10      /* toggles every 15.085 us */
#define PORT61_OUT2 0x20
#define PIT_NO_EDGE UINT64_MAX
#define PIT_MAGIC 0x50495434     /* "PIT4" */

struct pit_channel {
    uint32_t count;              /* reload value, 1..65536 */
    vtime_t load_time;           /* when counting started */
    uint16_t latch;              /* counter latch */
    uint8_t latched;             /* 0, or RW state of the latched count left to read */
    uint8_t status, status_latched;
    uint8_t rw, mode, bcd, gate;
    uint8_t read_msb, write_msb; /* next byte of an LSB-then-MSB access */
    uint8_t write_lsb;           /* first byte of a word write */
    uint8_t armed;               /* a count has been written since the control word */
    uint8_t null_count;
};

struct pit8254 {
    struct evq *q;
    struct irq_line irq0;
    struct event ev;             /* next edge of channel 0's OUT */
    struct pit_channel ch[3];
    uint8_t port61;              /* gate 2 and speaker bits */
    uint8_t irq_level;
};

static uint64_t pit_ticks(const struct pit8254 *p, const struct pit_channel *c)
{
    return vtime_to_cycles(p->q->now - c->load_time, PIT8254_HZ);
}

/* OUT after d ticks of counting, per mode (datasheet figures 11-16). Modes 1
 * and 5 start at the count write, as on QEMU, rather than wait for a trigger. */
static int pit_out(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;

    if (!c->armed)
        return c->mode != 0;
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2: /* low for the one tick before each reload */
        return n < 2 || d % n != n - 1;
    case 3: /* square wave: high for the first half, rounded up */
        return n < 2 || d % n < (n + 1) / 2;
    default: /* 4, 5: one low strobe tick at terminal count */
        return d != n;
    }
}

/* The first tick after d at which OUT changes, or PIT_NO_EDGE. */
static uint64_t pit_next_edge(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count, base;

    if (!c->armed)
        return PIT_NO_EDGE;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : PIT_NO_EDGE;
    case 2:
        if (n < 2)
            return PIT_NO_EDGE;
        base = d - d % n;
        return d % n < n - 1 ? base + n - 1 : base + n;
    case 3:
        if (n < 2)
            return PIT_NO_EDGE;
        base = d - d % n;
        return d % n < (n + 1) / 2 ? base + (n + 1) / 2 : base + n;
    default:
        return d < n ? n : (d == n ? n + 1 : PIT_NO_EDGE);
    }
}

static uint16_t pit_current(const struct pit8254 *p, const struct pit_channel *c)
{
    uint64_t d = pit_ticks(p, c), v;

    if (!c->armed)
        return (uint16_t)c->count;
    switch (c->mode) {
    case 2:
        v = c->count - d % c->count;
        break;
    case 3: /* counts down by two, twice a period */
        v = c->count - (2 * d) % c->count;
        break;
    default: /* 0, 1, 4, 5: wrap past zero and keep counting */
        v = (c->count - d) & 0xffff;
        break;
    }
    return (uint16_t)v;
}

static uint16_t pit_to_bcd(unsigned v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static unsigned pit_from_bcd(uint16_t v)
{
    return (v >> 12) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}

static uint16_t pit_read_value(const struct pit8254 *p, const struct pit_channel *c)
{
    uint16_t v = pit_current(p, c);
    return c->bcd ? pit_to_bcd(v) : v;
}

static void pit_set_irq(struct pit8254 *p, int level)
{
    if (level != p->irq_level) {
        p->irq_level = (uint8_t)level;
        irq_line_set(&p->irq0, level);
    }
}

/* Drive IRQ0 to channel 0's OUT now and schedule its next edge. */
static void pit_update_irq(struct pit8254 *p)
{
    struct pit_channel *c = &p->ch[0];
    uint64_t d = pit_ticks(p, c), next;

    pit_set_irq(p, pit_out(c, d));
    next = pit_next_edge(c, d);
    if (next == PIT_NO_EDGE)
        evq_cancel(p->q, &p->ev);
    else
        evq_schedule(p->q, &p->ev, c->load_time + dev_ticks_to_ns_ceil(next, PIT8254_HZ));
}

static void pit_edge(void *opaque, vtime_t now)
{
    pit_update_irq(opaque);
}

/* A complete count was written: counting restarts from it (0 means 65536, or
 * 10000 in BCD). */
static void pit_load(struct pit8254 *p, unsigned idx, uint16_t raw)
{
    struct pit_channel *c = &p->ch[idx];
    unsigned v = c->bcd ? pit_from_bcd(raw) : raw;

    c->count = v ? v : (c->bcd ? 10000 : 65536);
    c->load_time = p->q->now;
    c->armed = 1;
    c->null_count = 0;
    if (idx == 0)
        pit_update_irq(p);
}

static void pit_latch_count(struct pit8254 *p, struct pit_channel *c)
{
    if (c->latched)
        return; /* a second latch before the first is read is ignored */
    c->latch = pit_read_value(p, c);
    c->latched = c->rw;
}

static void pit_latch_status(struct pit8254 *p, struct pit_channel *c)
{
    if (c->status_latched)
        return;
    c->status = (pit_out(c, pit_ticks(p, c)) ? PIT_STATUS_OUT : 0) | (c->null_count ? PIT_STATUS_NULL : 0) |
                c->rw << 4 | c->mode << 1 | c->bcd;
    c->status_latched = 1;
}

static void pit_control(struct pit8254 *p, uint8_t v)
{
    unsigned sc = v >> 6, rw = (v >> 4) & 3;
    struct pit_channel *c;

    if (sc == PIT_READBACK) { /* read-back: bits 1-3 select channels */
        for (unsigned i = 0; i < 3; i++) {
            if (!(v & (2 << i)))
                continue;
            if (!(v & PIT_RB_NOT_COUNT))
                pit_latch_count(p, &p->ch[i]);
            if (!(v & PIT_RB_NOT_STATUS))
                pit_latch_status(p, &p->ch[i]);
        }
        return;
    }
    c = &p->ch[sc];
    if (rw == PIT_RW_LATCH) {
        pit_latch_count(p, c);
        return;
    }
    /* A control word stops the counter until a new count arrives; OUT goes
     * low in mode 0 and high in every other mode. */
    c->rw = (uint8_t)rw;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4; /* 6 and 7 alias 2 and 3 */
    c->bcd = v & 1;
    c->read_msb = c->write_msb = 0;
    c->latched = 0;
    c->armed = 0;
    c->null_count = 1;
    if (sc == 0)
        pit_update_irq(p);
}

static uint8_t pit_read_counter(struct pit8254 *p, struct pit_channel *c)
{
    uint16_t v;
    uint8_t byte;

    if (c->status_latched) { /* a latched status is read before anything else */
        c->status_latched = 0;
        return c->status;
    }
    if (c->latched) {
        v = c->latch;
        if (c->latched == PIT_RW_MSB) {
            c->latched = 0;
            return v >> 8;
        }
        if (c->latched == PIT_RW_WORD) {
            c->latched = PIT_RW_MSB; /* MSB still to come */
            return v & 0xff;
        }
        c->latched = 0;
        return v & 0xff;
    }
    v = pit_read_value(p, c);
    switch (c->rw) {
    case PIT_RW_LSB:
        return v & 0xff;
    case PIT_RW_MSB:
        return v >> 8;
    default:
        byte = c->read_msb ? v >> 8 : v & 0xff;
        c->read_msb ^= 1;
        return byte;
    }
}

static void pit_write_counter(struct pit8254 *p, unsigned idx, uint8_t v)
{
    struct pit_channel *c = &p->ch[idx];

    switch (c->rw) {
    case PIT_RW_LSB:
        pit_load(p, idx, v);
        break;
    case PIT_RW_MSB:
        pit_load(p, idx, (uint16_t)(v << 8));
        break;
    case PIT_RW_WORD:
        if (!c->write_msb) {
            c->write_lsb = v;
            c->write_msb = 1;
        } else {
            c->write_msb = 0;
            pit_load(p, idx, (uint16_t)(c->write_lsb | v << 8));
        }
        break;
    default:
        log_guest("pit: count written to channel %u before a control word", idx);
        break;
    }
}

static uint64_t pit_read(void *opaque, uint64_t off, unsigned size)
{
    struct pit8254 *p = opaque;

    if (size != 1 || off >= PIT_CTRL) { /* the control word is write-only */
        log_guest("pit: %u-byte read at offset %llu", size, (unsigned long long)off);
        return dev_ones(size);
    }
    return pit_read_counter(p, &p->ch[off]);
}

static void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pit8254 *p = opaque;

    if (size != 1 || off >= PIT8254_PORT_LEN) {
        log_guest("pit: %u-byte write at offset %llu", size, (unsigned long long)off);
        return;
    }
    if (off == PIT_CTRL)
        pit_control(p, (uint8_t)val);
    else
        pit_write_counter(p, (unsigned)off, (uint8_t)val);
}

/* Port 0x61: OUT2 and the refresh toggle are computed from virtual time. */
static uint64_t pit_port61_read(void *opaque, uint64_t off, unsigned size)
{
    struct pit8254 *p = opaque;
    struct pit_channel *c = &p->ch[2];
    uint8_t v = p->port61 & (PORT61_GATE2 | PORT61_SPKR);

    if (size != 1 || off) {
        log_guest("pit: %u-byte read of port 0x61", size);
        return dev_ones(size);
    }
    if (pit_out(c, pit_ticks(p, c)))
        v |= PORT61_OUT2;
    if ((p->q->now / 15085) & 1)
        v |= PORT61_REFRESH;
    return v;
}

/* Polling port 0x61: its value holds until the refresh bit toggles or OUT2
 * changes; writes have effects (gate 2 restarts the count). */
static enum dev_poll pit_port61_poll(void *opaque, uint64_t off, unsigned size, int write, uint64_t val,
                                     vtime_t now, vtime_t *until)
{
    struct pit8254 *p = opaque;
    struct pit_channel *c = &p->ch[2];

    (void)val;
    if (write || size != 1 || off)
        return DEV_POLL_NONE;
    *until = (now / 15085 + 1) * 15085;
    uint64_t edge = pit_next_edge(c, pit_ticks(p, c));
    if (edge != PIT_NO_EDGE) {
        vtime_t t = c->load_time + dev_ticks_to_ns_ceil(edge, PIT8254_HZ);
        if (t < *until)
            *until = t;
    }
    return DEV_POLL_STABLE;
}

/* Raising gate 2 restarts channel 2's count in modes 1, 2, 3 and 5. A low gate
 * does not pause modes 0 and 4 (not modelled, as in QEMU). */
static void pit_port61_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pit8254 *p = opaque;
    struct pit_channel *c = &p->ch[2];
    uint8_t gate = val & PORT61_GATE2;

    if (size != 1 || off) {
        log_guest("pit: %u-byte write of port 0x61", size);
        return;
    }
    if (gate && !c->gate && c->armed && (c->mode == 1 || c->mode == 2 || c->mode == 3 || c->mode == 5))
        c->load_time = p->q->now;
    c->gate = gate;
    p->port61 = (uint8_t)val & (PORT61_GATE2 | PORT61_SPKR);
}

static void pit_reset(void *opaque)
{
    struct pit8254 *p = opaque;

    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        /* As QEMU (and a BIOS) leave it: mode 3 with count 65536, counting. */
        *c = (struct pit_channel){ .count = 65536, .rw = PIT_RW_WORD, .mode = 3, .gate = i != 2,
                                   .load_time = p->q->now, .armed = 1 };
    }
    p->port61 = 0;
    pit_update_irq(p);
}

static void pit_nothing(void *opaque) {}
static int pit_save_nothing(void *opaque, struct buf *b) { return 0; }
static int pit_load_nothing(void *opaque, struct buf_reader *r) { return 0; }

static int pit_save(void *opaque, struct buf *b)
{
    struct pit8254 *p = opaque;

    dev_save_header(b, PIT_MAGIC, 1);
    for (unsigned i = 0; i < 3; i++) {
        const struct pit_channel *c = &p->ch[i];
        uint8_t f[] = { c->latched, c->status, c->status_latched, c->rw, c->mode, c->bcd, c->gate,
                        c->read_msb, c->write_msb, c->write_lsb, c->armed, c->null_count };
        buf_put_u32(b, c->count);
        buf_put_u64(b, c->load_time);
        buf_put_u16(b, c->latch);
        buf_put(b, f, sizeof f);
    }
    buf_put_u8(b, p->port61);
    buf_put_u8(b, p->irq_level);
    dev_save_event(b, &p->ev);
    return b->err;
}

static int pit_load_state(void *opaque, struct buf_reader *r)
{
    struct pit8254 *p = opaque;
    struct pit_channel t[3];
    struct dev_saved_event ev;
    uint8_t port61, level;

    if (dev_load_header(r, PIT_MAGIC, 1))
        return HV_ECORRUPT;
    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &t[i];
        uint8_t f[12];
        c->count = buf_get_u32(r);
        c->load_time = buf_get_u64(r);
        c->latch = buf_get_u16(r);
        buf_get(r, f, sizeof f);
        c->latched = f[0], c->status = f[1], c->status_latched = f[2], c->rw = f[3], c->mode = f[4];
        c->bcd = f[5], c->gate = f[6], c->read_msb = f[7], c->write_msb = f[8], c->write_lsb = f[9];
        c->armed = f[10], c->null_count = f[11];
        if (c->count == 0 || c->count > 65536 || c->mode > 5 || c->rw > 3)
            r->err = HV_ECORRUPT;
    }
    port61 = buf_get_u8(r);
    level = buf_get_u8(r);
    ev = dev_load_event(r);
    if (r->err)
        return HV_ECORRUPT;
    for (unsigned i = 0; i < 3; i++)
        p->ch[i] = t[i];
    p->port61 = port61;
    p->irq_level = level;
    dev_rearm_event(p->q, &p->ev, ev);
    return HV_OK;
}

const struct dev_ops pit8254_ops = {
    .name = "pit8254",
    .read = pit_read,
    .write = pit_write,
    .reset = pit_reset,
    .save = pit_save,
    .load = pit_load_state,
};

const struct dev_ops pit8254_port61_ops = {
    .name = "pit8254-port61",
    .read = pit_port61_read,
    .write = pit_port61_write,
    .poll = pit_port61_poll,
    .reset = pit_nothing,
    .save = pit_save_nothing,
    .load = pit_load_nothing,
};

struct pit8254 *pit_create(struct evq *q, struct irq_line irq0)
{
    struct pit8254 *p = calloc(1, sizeof *p);

    if (!p) {
        log_error("pit: out of memory");
        return NULL;
    }
    p->q = q;
    p->irq0 = irq0;
    event_init(&p->ev, "pit-out0", pit_edge, p);
    pit_reset(p);
    return p;
}

void pit_destroy(struct pit8254 *p)
{
    if (!p)
        return;
    evq_cancel(p->q, &p->ev);
    free(p);
}
