/* ACPI PM1a fixed hardware (ACPI 6.4 4.8.3): PM1 status (write 1 to clear),
 * enable, control with SLP_TYP/SLP_EN, and the PM timer counted from virtual
 * time. TMR_STS (bit 23 of the timer toggled) is computed on read and raised
 * by an event only while TMR_EN is set. */
#include "devices/acpi_pm.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"
#include "devices/acpi.h"

#define ACPI_PM1_STS 0
#define ACPI_PM1_EN 2
#define ACPI_PM1_CNT 4
#define ACPI_PM_TMR 8

#define ACPI_PM1_TMR_STS (1u << 0)
#define ACPI_PM1_GBL_STS (1u << 5)
#define ACPI_PM1_PWRBTN_STS (1u << 8)
#define ACPI_PM1_RTC_STS (1u << 10)
#define ACPI_PM1_EN_MASK (ACPI_PM1_TMR_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS | ACPI_PM1_RTC_STS)
#define ACPI_PM1_CNT_SCI_EN (1u << 0)
#define ACPI_PM1_CNT_BM_RLD (1u << 1)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN (1u << 13)
#define ACPI_PM_TMR_MSB_SHIFT 23
#define ACPI_PM_MAGIC 0x41504d31 /* "APM1" */

struct acpi_pm {
    struct evq *q;
    struct irq_line sci;
    acpi_poweroff_fn *poweroff;
    void *opaque;
    struct event tmr_ev;
    uint16_t sts, en, cnt;
    uint64_t tmr_epoch; /* timer ticks >> 23 when TMR_STS was last cleared */
    uint8_t sci_level;
};

static uint64_t acpi_pm_ticks(const struct acpi_pm *pm)
{
    return vtime_to_cycles(pm->q->now, ACPI_PM_TIMER_HZ);
}

static uint16_t acpi_pm_status(const struct acpi_pm *pm)
{
    uint16_t s = pm->sts;
    if ((acpi_pm_ticks(pm) >> ACPI_PM_TMR_MSB_SHIFT) != pm->tmr_epoch)
        s |= ACPI_PM1_TMR_STS;
    return s;
}

/* SCI is level: asserted while an enabled status bit is set. */
static void acpi_pm_update(struct acpi_pm *pm)
{
    uint8_t level = (acpi_pm_status(pm) & pm->en & ACPI_PM1_EN_MASK) != 0;
    uint64_t next;

    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_line_set(&pm->sci, level);
    }
    if ((pm->en & ACPI_PM1_TMR_STS) && !(acpi_pm_status(pm) & ACPI_PM1_TMR_STS)) {
        next = (pm->tmr_epoch + 1) << ACPI_PM_TMR_MSB_SHIFT;
        evq_schedule(pm->q, &pm->tmr_ev, dev_ticks_to_ns_ceil(next, ACPI_PM_TIMER_HZ));
    } else {
        evq_cancel(pm->q, &pm->tmr_ev);
    }
}

static void acpi_pm_tmr_carry(void *opaque, vtime_t now)
{
    acpi_pm_update(opaque);
}

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
    pm->sts |= ACPI_PM1_PWRBTN_STS;
    acpi_pm_update(pm);
}

static uint16_t acpi_pm_reg16(const struct acpi_pm *pm, unsigned off)
{
    switch (off) {
    case ACPI_PM1_STS:
        return acpi_pm_status(pm);
    case ACPI_PM1_EN:
        return pm->en;
    case ACPI_PM1_CNT: /* SCI_EN always reads 1: no SMI handshake, always ACPI mode */
        return (pm->cnt & ~ACPI_PM1_CNT_SLP_EN) | ACPI_PM1_CNT_SCI_EN;
    default:
        return 0xffff;
    }
}

static uint64_t acpi_pm_read(void *opaque, uint64_t off, unsigned size)
{
    struct acpi_pm *pm = opaque;
    uint64_t v = 0;
    uint32_t tmr;

    if ((size != 1 && size != 2 && size != 4) || off + size > ACPI_PM_PORT_LEN) {
        log_guest("acpi-pm: %u-byte read at offset %llu", size, (unsigned long long)off);
        return dev_ones(size);
    }
    tmr = (uint32_t)(acpi_pm_ticks(pm) & 0xffffff); /* 24-bit timer, upper byte 0 */
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (unsigned)off + i;
        uint8_t byte = o >= ACPI_PM_TMR ? (uint8_t)(tmr >> (8 * (o - ACPI_PM_TMR)))
                                        : (uint8_t)(acpi_pm_reg16(pm, o & ~1u) >> (8 * (o & 1)));
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

/* Apply a write of `val` under byte-lane `mask` to the 16-bit register at off. */
static void acpi_pm_write16(struct acpi_pm *pm, unsigned off, uint16_t val, uint16_t mask)
{
    unsigned typ;

    switch (off) {
    case ACPI_PM1_STS: /* write 1 to clear */
        if (val & mask & ACPI_PM1_TMR_STS)
            pm->tmr_epoch = acpi_pm_ticks(pm) >> ACPI_PM_TMR_MSB_SHIFT;
        pm->sts &= ~(val & mask);
        break;
    case ACPI_PM1_EN:
        pm->en = (pm->en & ~mask) | (val & mask & ACPI_PM1_EN_MASK);
        break;
    case ACPI_PM1_CNT:
        mask &= ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP | ACPI_PM1_CNT_SLP_EN;
        pm->cnt = (pm->cnt & ~mask) | (val & mask);
        if (!(pm->cnt & ACPI_PM1_CNT_SLP_EN))
            break;
        /* SLP_EN enters the sleep state in SLP_TYP; only S5 (soft-off) exists. */
        pm->cnt &= ~ACPI_PM1_CNT_SLP_EN;
        typ = (pm->cnt & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
        if (typ == ACPI_SLP_TYP_S5) {
            if (pm->poweroff)
                pm->poweroff(pm->opaque);
        } else {
            log_guest("acpi-pm: sleep type %u not modelled", typ);
        }
        break;
    default:
        log_guest("acpi-pm: write to reserved offset %u", off);
        break;
    }
}

static void acpi_pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct acpi_pm *pm = opaque;

    if ((size != 1 && size != 2 && size != 4) || off + size > ACPI_PM_TMR) {
        log_guest("acpi-pm: %u-byte write at offset %llu", size, (unsigned long long)off);
        return;
    }
    /* Split into the 16-bit registers the access covers, lane by lane. */
    for (unsigned reg = (unsigned)off & ~1u; reg < off + size; reg += 2) {
        uint16_t v = 0, mask = 0;
        for (unsigned lane = 0; lane < 2; lane++) {
            unsigned o = reg + lane;
            if (o < off || o >= off + size)
                continue;
            v |= (uint16_t)(((val >> (8 * (o - off))) & 0xff) << (8 * lane));
            mask |= (uint16_t)(0xff << (8 * lane));
        }
        acpi_pm_write16(pm, reg, v, mask);
    }
    acpi_pm_update(pm);
}

static void acpi_pm_reset(void *opaque)
{
    struct acpi_pm *pm = opaque;

    pm->sts = pm->en = pm->cnt = 0;
    pm->tmr_epoch = acpi_pm_ticks(pm) >> ACPI_PM_TMR_MSB_SHIFT;
    acpi_pm_update(pm);
}

static int acpi_pm_save(void *opaque, struct buf *b)
{
    struct acpi_pm *pm = opaque;

    dev_save_header(b, ACPI_PM_MAGIC, 1);
    buf_put_u16(b, pm->sts);
    buf_put_u16(b, pm->en);
    buf_put_u16(b, pm->cnt);
    buf_put_u64(b, pm->tmr_epoch);
    buf_put_u8(b, pm->sci_level);
    dev_save_event(b, &pm->tmr_ev);
    return b->err;
}

static int acpi_pm_load(void *opaque, struct buf_reader *r)
{
    struct acpi_pm *pm = opaque;
    uint16_t sts, en, cnt;
    uint64_t epoch;
    uint8_t level;
    struct dev_saved_event ev;

    if (dev_load_header(r, ACPI_PM_MAGIC, 1))
        return HV_ECORRUPT;
    sts = buf_get_u16(r);
    en = buf_get_u16(r);
    cnt = buf_get_u16(r);
    epoch = buf_get_u64(r);
    level = buf_get_u8(r);
    ev = dev_load_event(r);
    if (r->err)
        return HV_ECORRUPT;
    pm->sts = sts, pm->en = en & ACPI_PM1_EN_MASK, pm->cnt = cnt, pm->tmr_epoch = epoch;
    pm->sci_level = level & 1;
    dev_rearm_event(pm->q, &pm->tmr_ev, ev);
    return HV_OK;
}

/* Polling: the timer only counts up until its 24 bits wrap; the rest of the
 * block is left alone. */
static enum dev_poll acpi_pm_poll(void *opaque, uint64_t off, unsigned size, int write, uint64_t val, vtime_t now,
                                  vtime_t *until)
{
    (void)opaque;
    (void)val;
    if (write || off != ACPI_PM_TMR || (size != 4 && size != 2 && size != 1))
        return DEV_POLL_NONE;
    uint64_t ticks = vtime_to_cycles(now, ACPI_PM_TIMER_HZ);
    *until = dev_ticks_to_ns_ceil((ticks | 0xffffffULL) + 1, ACPI_PM_TIMER_HZ);
    /* A narrower read sees the low bytes, which wrap sooner. */
    if (size < 4)
        *until = dev_ticks_to_ns_ceil((ticks | ((1ULL << (8 * size)) - 1)) + 1, ACPI_PM_TIMER_HZ);
    return DEV_POLL_RISING;
}

const struct dev_ops acpi_pm_ops = {
    .name = "acpi-pm",
    .read = acpi_pm_read,
    .write = acpi_pm_write,
    .reset = acpi_pm_reset,
    .save = acpi_pm_save,
    .load = acpi_pm_load,
    .poll = acpi_pm_poll,
};

struct acpi_pm *acpi_pm_create(struct evq *q, const struct acpi_pm_config *cfg)
{
    struct acpi_pm *pm = calloc(1, sizeof *pm);

    if (!pm) {
        log_error("acpi-pm: out of memory");
        return NULL;
    }
    pm->q = q;
    pm->sci = cfg->sci;
    pm->poweroff = cfg->poweroff;
    pm->opaque = cfg->opaque;
    event_init(&pm->tmr_ev, "acpi-pm-timer", acpi_pm_tmr_carry, pm);
    acpi_pm_reset(pm);
    return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
    if (!pm)
        return;
    evq_cancel(pm->q, &pm->tmr_ev);
    free(pm);
}
