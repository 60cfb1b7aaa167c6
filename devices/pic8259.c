/* Cascaded 8259A pair (Intel 8259A datasheet) with PIIX ELCR ports: ICW1-4,
 * OCW1-3, priority rotation, auto-EOI, poll mode, spurious IRQ7/15. Special
 * mask mode is accepted but not modelled. */
#include "devices/pic8259.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define PIC_ICW1 0x10      /* port 0 bit 4: ICW1 starts initialisation */
#define PIC_ICW1_IC4 0x01  /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single, no ICW3 */
#define PIC_OCW3 0x08      /* port 0 bit 3 (ICW1 clear): OCW3, else OCW2 */
#define PIC_OCW3_P 0x04    /* poll command */
#define PIC_OCW3_RR 0x02   /* read register command, RIS selects ISR */
#define PIC_OCW3_ESMM 0x40
#define PIC_ICW4_AEOI 0x02
#define PIC_ICW4_SFNM 0x10
#define PIC_ELCR_MASK_MASTER 0xf8 /* IRQ0-2 are always edge */
#define PIC_ELCR_MASK_SLAVE 0xde  /* IRQ8 and IRQ13 are always edge */
#define PIC_MAGIC 0x50494332      /* "PIC2" */

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t last_level;     /* input levels, for edge detection */
    uint8_t elcr, elcr_mask;
    uint8_t vector_base;    /* ICW2 & 0xf8 */
    uint8_t priority_add;   /* lowest-priority IRQ + 1 after rotation */
    uint8_t init_state;     /* 0 ready, 1 expect ICW2, 2 ICW3, 3 ICW4 */
    uint8_t icw4_needed, single_mode;
    uint8_t read_isr, poll, special_mask;
    uint8_t auto_eoi, rotate_on_aeoi, sfnm;
};

struct pic8259 {
    struct pic_chip chip[2]; /* master, slave */
    struct irq_line intr;
    uint8_t intr_level;
};

/* Priority (0 highest) of the highest bit in mask, 8 when none. */
static int pic_priority(const struct pic_chip *c, uint8_t mask)
{
    int p = 0;
    if (!mask)
        return 8;
    while (!(mask & (1 << ((p + c->priority_add) & 7))))
        p++;
    return p;
}

/* The IRQ this chip would raise INT for, or -1. In special fully nested mode
 * the master lets the cascade input through while a slave IRQ is in service. */
static int pic_chip_irq(const struct pic_chip *c, int is_master)
{
    int req = pic_priority(c, c->irr & ~c->imr);
    uint8_t in_service = c->isr;

    if (req == 8)
        return -1;
    if (is_master && c->sfnm)
        in_service &= ~(1 << 2);
    if (req < pic_priority(c, in_service))
        return (req + c->priority_add) & 7;
    return -1;
}

static void pic_chip_input(struct pic_chip *c, unsigned irq, int level)
{
    uint8_t bit = 1 << irq;

    if (c->elcr & bit) { /* level: IRR follows the input */
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level && !(c->last_level & bit)) {
        c->irr |= bit; /* edge: latch the rising edge */
    }
    if (level)
        c->last_level |= bit;
    else
        c->last_level &= ~bit;
}

/* Propagate the slave's INT to master IRQ2, then the master's INT out. The
 * cascade input acts as a level: a slave request that goes away before INTA
 * withdraws IRQ2 rather than leave a stale edge behind. */
static void pic_update(struct pic8259 *p)
{
    uint8_t level;

    if (pic_chip_irq(&p->chip[1], 0) >= 0)
        p->chip[0].irr |= 1 << 2;
    else
        p->chip[0].irr &= ~(1 << 2);
    level = pic_chip_irq(&p->chip[0], 1) >= 0;
    if (level != p->intr_level) {
        p->intr_level = level;
        irq_line_set(&p->intr, level);
    }
}

void pic_set_irq(struct pic8259 *p, unsigned irq, int level)
{
    if (irq >= 16) {
        log_error("pic: no input %u", irq);
        return;
    }
    pic_chip_input(&p->chip[irq >> 3], irq & 7, level);
    pic_update(p);
}

/* INTA on one chip: into service (or rotate under auto-EOI); an edge request is
 * consumed, a level one stays while the input is high. */
static void pic_chip_ack(struct pic_chip *c, int irq)
{
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= 1 << irq;
    }
    if (!(c->elcr & (1 << irq)))
        c->irr &= ~(1 << irq);
}

int pic_intr_pending(struct pic8259 *p)
{
    int irq = pic_chip_irq(&p->chip[0], 1), irq2;

    if (irq < 0)
        return -1;
    if (irq == 2) {
        irq2 = pic_chip_irq(&p->chip[1], 0);
        return p->chip[1].vector_base + (irq2 >= 0 ? irq2 : 7);
    }
    return p->chip[0].vector_base + irq;
}

int pic_intr_ack(struct pic8259 *p)
{
    int irq = pic_chip_irq(&p->chip[0], 1), irq2, vec;

    if (irq < 0) {
        vec = p->chip[0].vector_base + 7; /* spurious IRQ7: ISR untouched */
    } else {
        pic_chip_ack(&p->chip[0], irq);
        if (irq == 2) {
            irq2 = pic_chip_irq(&p->chip[1], 0);
            if (irq2 >= 0)
                pic_chip_ack(&p->chip[1], irq2);
            vec = p->chip[1].vector_base + (irq2 >= 0 ? irq2 : 7); /* spurious IRQ15 */
        } else {
            vec = p->chip[0].vector_base + irq;
        }
    }
    pic_update(p);
    return vec;
}

static void pic_chip_init(struct pic_chip *c)
{
    c->irr &= c->elcr; /* ICW1 clears edge-sense memory; level requests remain */
    c->last_level = 0;
    c->isr = c->imr = 0;
    c->priority_add = 0;
    c->vector_base = 0;
    c->init_state = 0;
    c->icw4_needed = c->single_mode = 0;
    c->read_isr = c->poll = c->special_mask = 0;
    c->auto_eoi = c->rotate_on_aeoi = c->sfnm = 0;
}

static void pic_chip_eoi(struct pic_chip *c, int irq, int rotate)
{
    c->isr &= ~(1 << irq);
    if (rotate)
        c->priority_add = (irq + 1) & 7;
}

static void pic_chip_write(struct pic8259 *p, struct pic_chip *c, uint64_t off, uint8_t v)
{
    int prio;

    if (off == 0 && (v & PIC_ICW1)) {
        pic_chip_init(c);
        c->init_state = 1;
        c->icw4_needed = v & PIC_ICW1_IC4;
        c->single_mode = v & PIC_ICW1_SNGL;
        if (v & 0x08) /* LTIM: the PIIX uses ELCR instead */
            log_guest("pic: ICW1 level-triggered mode ignored; use ELCR");
    } else if (off == 0 && (v & PIC_OCW3)) {
        if (v & PIC_OCW3_P)
            c->poll = 1; /* next read is the poll byte */
        if (v & PIC_OCW3_RR)
            c->read_isr = v & 1;
        if (v & PIC_OCW3_ESMM)
            c->special_mask = (v >> 5) & 1;
    } else if (off == 0) { /* OCW2: R SL EOI L2-L0 */
        switch (v >> 5) {
        case 0: /* rotate in auto-EOI mode clear */
        case 4: /* ... set */
            c->rotate_on_aeoi = v >> 7;
            break;
        case 1: /* non-specific EOI: highest-priority ISR bit */
        case 5: /* ... and rotate */
            prio = pic_priority(c, c->isr);
            if (prio != 8)
                pic_chip_eoi(c, (prio + c->priority_add) & 7, v >> 7);
            break;
        case 3: /* specific EOI */
            pic_chip_eoi(c, v & 7, 0);
            break;
        case 6: /* set priority: L2-L0 becomes the lowest */
            c->priority_add = (v + 1) & 7;
            break;
        case 7: /* specific EOI and rotate */
            pic_chip_eoi(c, v & 7, 1);
            break;
        default: /* 2: no operation */
            break;
        }
    } else {
        switch (c->init_state) {
        case 0: /* OCW1: the mask */
            c->imr = v;
            break;
        case 1: /* ICW2: vector base */
            c->vector_base = v & 0xf8;
            c->init_state = c->single_mode ? (c->icw4_needed ? 3 : 0) : 2;
            break;
        case 2: /* ICW3: cascade wiring is fixed (slave on IRQ2) */
            c->init_state = c->icw4_needed ? 3 : 0;
            break;
        default: /* ICW4 */
            c->sfnm = (v & PIC_ICW4_SFNM) != 0;
            c->auto_eoi = (v & PIC_ICW4_AEOI) != 0;
            if (!(v & 0x01))
                log_guest("pic: ICW4 without 8086 mode");
            c->init_state = 0;
            break;
        }
    }
    pic_update(p);
}

static uint64_t pic_chip_read(struct pic8259 *p, struct pic_chip *c, uint64_t off)
{
    int irq;

    if (c->poll) { /* poll: acknowledge and return 0x80 | level, as an INTA would */
        c->poll = 0;
        irq = pic_chip_irq(c, c == &p->chip[0]);
        if (irq < 0)
            return 0;
        pic_chip_ack(c, irq);
        pic_update(p);
        return 0x80 | irq;
    }
    if (off == 0)
        return c->read_isr ? c->isr : c->irr;
    return c->imr;
}

static int pic_bad(uint64_t off, unsigned size, const char *what)
{
    if (size == 1 && off < 2)
        return 0;
    log_guest("pic: %u-byte %s at offset %llu", size, what, (unsigned long long)off);
    return 1;
}

static uint64_t pic_master_read(void *opaque, uint64_t off, unsigned size)
{
    struct pic8259 *p = opaque;
    return pic_bad(off, size, "read") ? dev_ones(size) : pic_chip_read(p, &p->chip[0], off);
}

static void pic_master_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pic8259 *p = opaque;
    if (!pic_bad(off, size, "write"))
        pic_chip_write(p, &p->chip[0], off, (uint8_t)val);
}

static uint64_t pic_slave_read(void *opaque, uint64_t off, unsigned size)
{
    struct pic8259 *p = opaque;
    return pic_bad(off, size, "read") ? dev_ones(size) : pic_chip_read(p, &p->chip[1], off);
}

static void pic_slave_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pic8259 *p = opaque;
    if (!pic_bad(off, size, "write"))
        pic_chip_write(p, &p->chip[1], off, (uint8_t)val);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t off, unsigned size)
{
    struct pic8259 *p = opaque;
    return pic_bad(off, size, "ELCR read") ? dev_ones(size) : p->chip[off].elcr;
}

/* ELCR bit set: that IRQ is level-triggered (IRQ0-2, 8 and 13 cannot be). */
static void pic_elcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pic8259 *p = opaque;
    if (pic_bad(off, size, "ELCR write"))
        return;
    p->chip[off].elcr = (uint8_t)val & p->chip[off].elcr_mask;
    pic_update(p);
}

static void pic_reset(void *opaque)
{
    struct pic8259 *p = opaque;
    for (int i = 0; i < 2; i++) {
        p->chip[i].elcr = 0;
        p->chip[i].irr = 0;
        pic_chip_init(&p->chip[i]);
    }
    pic_update(p);
}

static void pic_nothing(void *opaque) {}
static int pic_save_nothing(void *opaque, struct buf *b) { return 0; }
static int pic_load_nothing(void *opaque, struct buf_reader *r) { return 0; }

static int pic_save(void *opaque, struct buf *b)
{
    struct pic8259 *p = opaque;

    dev_save_header(b, PIC_MAGIC, 1);
    for (int i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->chip[i];
        uint8_t f[] = { c->irr, c->isr, c->imr, c->last_level, c->elcr, c->vector_base,
                        c->priority_add, c->init_state, c->icw4_needed, c->single_mode, c->read_isr,
                        c->poll, c->special_mask, c->auto_eoi, c->rotate_on_aeoi, c->sfnm };
        buf_put(b, f, sizeof f);
    }
    buf_put_u8(b, p->intr_level);
    return b->err;
}

static int pic_load(void *opaque, struct buf_reader *r)
{
    struct pic8259 *p = opaque;
    struct pic_chip t[2];
    uint8_t f[16], level;

    if (dev_load_header(r, PIC_MAGIC, 1))
        return HV_ECORRUPT;
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &t[i];
        buf_get(r, f, sizeof f);
        c->irr = f[0], c->isr = f[1], c->imr = f[2], c->last_level = f[3];
        c->elcr_mask = p->chip[i].elcr_mask;
        c->elcr = f[4] & c->elcr_mask;
        c->vector_base = f[5] & 0xf8, c->priority_add = f[6] & 7, c->init_state = f[7] & 3;
        c->icw4_needed = f[8], c->single_mode = f[9], c->read_isr = f[10], c->poll = f[11];
        c->special_mask = f[12], c->auto_eoi = f[13], c->rotate_on_aeoi = f[14], c->sfnm = f[15];
    }
    level = buf_get_u8(r);
    if (r->err)
        return HV_ECORRUPT;
    p->chip[0] = t[0];
    p->chip[1] = t[1];
    p->intr_level = level;
    return HV_OK;
}

const struct dev_ops pic8259_master_ops = {
    .name = "pic8259-master",
    .read = pic_master_read,
    .write = pic_master_write,
    .reset = pic_reset,
    .save = pic_save,
    .load = pic_load,
};

const struct dev_ops pic8259_slave_ops = {
    .name = "pic8259-slave",
    .read = pic_slave_read,
    .write = pic_slave_write,
    .reset = pic_nothing,
    .save = pic_save_nothing,
    .load = pic_load_nothing,
};

const struct dev_ops pic8259_elcr_ops = {
    .name = "pic8259-elcr",
    .read = pic_elcr_read,
    .write = pic_elcr_write,
    .reset = pic_nothing,
    .save = pic_save_nothing,
    .load = pic_load_nothing,
};

struct pic8259 *pic_create(struct irq_line intr)
{
    struct pic8259 *p = calloc(1, sizeof *p);

    if (!p) {
        log_error("pic: out of memory");
        return NULL;
    }
    p->intr = intr;
    p->chip[0].elcr_mask = PIC_ELCR_MASK_MASTER;
    p->chip[1].elcr_mask = PIC_ELCR_MASK_SLAVE;
    pic_reset(p);
    return p;
}

void pic_destroy(struct pic8259 *p)
{
    free(p);
}
