/* 82093AA I/O APIC (Intel datasheet 290566): IOREGSEL/IOWIN indirect access,
 * ID, version, arbitration ID and 24 redirection entries; edge and level pins
 * with remote IRR; EOI from the local APIC. */
#include "devices/ioapic.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_ID 0x00
#define IOAPIC_VER 0x01
#define IOAPIC_ARB 0x02
#define IOAPIC_REDTBL 0x10 /* entry n: low dword 0x10 + 2n, high dword 0x11 + 2n */
#define IOAPIC_VERSION 0x11

#define IOAPIC_RTE_DELIVS (1ULL << 12)    /* delivery status (RO) */
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14) /* level: accepted, awaiting EOI (RO) */
#define IOAPIC_RTE_LEVEL (1ULL << 15)
#define IOAPIC_RTE_MASKED (1ULL << 16)
#define IOAPIC_RTE_RO (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)
#define IOAPIC_RTE_WRITABLE 0xff0000000001afffULL
#define IOAPIC_MAGIC 0x494f4150 /* "IOAP" */

struct ioapic {
    apic_deliver_fn *deliver;
    void *opaque;
    uint8_t reset_id;
    uint8_t regsel;
    uint32_t id; /* bits 27:24 */
    uint64_t rte[IOAPIC_PINS];
    uint32_t level; /* input pin levels */
    uint32_t irr;   /* edges seen and not yet sent (a masked edge waits for unmask) */
};

/* Send a pending pin if the entry allows it now. */
static void ioapic_service(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->rte[pin];
    struct apic_msg m;

    if (!(io->irr & (1u << pin)) || (e & IOAPIC_RTE_MASKED))
        return;
    if (e & IOAPIC_RTE_LEVEL) {
        if (e & IOAPIC_RTE_REMOTE_IRR)
            return; /* still awaiting EOI */
        io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    } else {
        io->irr &= ~(1u << pin);
    }
    m.vector = e & 0xff;
    m.delivery_mode = (e >> 8) & 7;
    m.dest_logical = (e >> 11) & 1;
    m.level = (e & IOAPIC_RTE_LEVEL) != 0;
    m.dest = (uint32_t)(e >> 56);
    if (io->deliver)
        io->deliver(io->opaque, &m);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
    uint32_t bit = 1u << pin;

    if (pin >= IOAPIC_PINS) {
        log_error("ioapic: no pin %u", pin);
        return;
    }
    if (io->rte[pin] & IOAPIC_RTE_LEVEL) {
        if (level)
            io->irr |= bit; /* level: the request follows the pin */
        else
            io->irr &= ~bit;
    } else if (level && !(io->level & bit)) {
        io->irr |= bit; /* edge: rising edge only */
    }
    if (level)
        io->level |= bit;
    else
        io->level &= ~bit;
    ioapic_service(io, pin);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = io->rte[pin];
        if ((e & 0xff) != (uint64_t)vector || !(e & IOAPIC_RTE_LEVEL) || !(e & IOAPIC_RTE_REMOTE_IRR))
            continue;
        io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
        ioapic_service(io, pin); /* still asserted: send again */
    }
}

static uint32_t ioapic_reg_read(struct ioapic *io)
{
    unsigned r = io->regsel, pin;

    switch (r) {
    case IOAPIC_ID:
        return io->id;
    case IOAPIC_VER:
        return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
    case IOAPIC_ARB:
        return io->id; /* arbitration ID is loaded from the ID */
    default:
        pin = (r - IOAPIC_REDTBL) / 2;
        if (r < IOAPIC_REDTBL || pin >= IOAPIC_PINS) {
            log_guest("ioapic: read of register 0x%02x", r);
            return 0xffffffff;
        }
        return (r & 1) ? (uint32_t)(io->rte[pin] >> 32) : (uint32_t)io->rte[pin];
    }
}

static void ioapic_reg_write(struct ioapic *io, uint32_t v)
{
    unsigned r = io->regsel, pin;
    uint64_t e;

    if (r == IOAPIC_ID) {
        io->id = v & 0x0f000000;
        return;
    }
    pin = (r - IOAPIC_REDTBL) / 2;
    if (r < IOAPIC_REDTBL || pin >= IOAPIC_PINS) {
        log_guest("ioapic: write of read-only or missing register 0x%02x", r);
        return;
    }
    e = io->rte[pin];
    if (r & 1)
        e = (e & 0xffffffffULL) | (uint64_t)v << 32;
    else
        e = (e & ~0xffffffffULL) | v;
    e = (e & IOAPIC_RTE_WRITABLE) | (io->rte[pin] & IOAPIC_RTE_RO);
    if (!(e & IOAPIC_RTE_LEVEL))
        e &= ~IOAPIC_RTE_REMOTE_IRR; /* edge entries have no remote IRR */
    io->rte[pin] = e;
    /* Re-evaluate the pin: a level input still asserted, or an edge that came
     * while masked, is sent once the entry allows it. */
    if (e & IOAPIC_RTE_LEVEL) {
        if (io->level & (1u << pin))
            io->irr |= 1u << pin;
        else
            io->irr &= ~(1u << pin);
    }
    ioapic_service(io, pin);
}

static uint64_t ioapic_read(void *opaque, uint64_t off, unsigned size)
{
    struct ioapic *io = opaque;

    if (off == IOAPIC_IOREGSEL && (size == 1 || size == 4))
        return io->regsel;
    if (off == IOAPIC_IOWIN && size == 4)
        return ioapic_reg_read(io);
    log_guest("ioapic: %u-byte read at 0x%llx", size, (unsigned long long)off);
    return dev_ones(size);
}

static void ioapic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct ioapic *io = opaque;

    if (off == IOAPIC_IOREGSEL && (size == 1 || size == 4))
        io->regsel = (uint8_t)val;
    else if (off == IOAPIC_IOWIN && size == 4)
        ioapic_reg_write(io, (uint32_t)val);
    else
        log_guest("ioapic: %u-byte write at 0x%llx", size, (unsigned long long)off);
}

static void ioapic_reset(void *opaque)
{
    struct ioapic *io = opaque;

    io->regsel = 0;
    io->id = (uint32_t)io->reset_id << 24;
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        io->rte[i] = IOAPIC_RTE_MASKED; /* every entry comes up masked */
    io->irr = 0;
}

static int ioapic_save(void *opaque, struct buf *b)
{
    struct ioapic *io = opaque;

    dev_save_header(b, IOAPIC_MAGIC, 1);
    buf_put_u8(b, io->regsel);
    buf_put_u32(b, io->id);
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        buf_put_u64(b, io->rte[i]);
    buf_put_u32(b, io->level);
    buf_put_u32(b, io->irr);
    return b->err;
}

static int ioapic_load(void *opaque, struct buf_reader *r)
{
    struct ioapic *io = opaque, t = *io;

    if (dev_load_header(r, IOAPIC_MAGIC, 1))
        return HV_ECORRUPT;
    t.regsel = buf_get_u8(r);
    t.id = buf_get_u32(r) & 0x0f000000;
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        t.rte[i] = buf_get_u64(r);
    t.level = buf_get_u32(r);
    t.irr = buf_get_u32(r);
    if (r->err)
        return HV_ECORRUPT;
    *io = t;
    return HV_OK;
}

const struct dev_ops ioapic_ops = {
    .name = "ioapic",
    .read = ioapic_read,
    .write = ioapic_write,
    .reset = ioapic_reset,
    .save = ioapic_save,
    .load = ioapic_load,
};

struct ioapic *ioapic_create(uint8_t id, apic_deliver_fn *deliver, void *opaque)
{
    struct ioapic *io = calloc(1, sizeof *io);

    if (!io) {
        log_error("ioapic: out of memory");
        return NULL;
    }
    if (id > 15)
        log_warn("ioapic: id %u truncated to 4 bits", id);
    io->deliver = deliver;
    io->opaque = opaque;
    io->reset_id = id & 15;
    ioapic_reset(io);
    return io;
}

void ioapic_destroy(struct ioapic *io)
{
    free(io);
}
