/* Local APIC core (Intel SDM vol. 3A ch. 10): IRR/ISR/TMR with PPR, EOI with
 * broadcast, LVT delivery, the timer from virtual time, self-IPIs, APIC base,
 * the 8259 virtual wire through LINT0, reset and save/load. */
#include "devices/lapic.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"
#include "lapic_priv.h"

static int lapic_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

static int lapic_test(const uint32_t *v, int n) { return (v[n >> 5] >> (n & 31)) & 1; }
static void lapic_setb(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void lapic_clrb(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }

/* PPR: the higher of TPR and the in-service class (SDM 10.8.3.1). */
uint32_t lapic_ppr(const struct lapic *l)
{
    int isrv = lapic_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

static int lapic_own_pending(const struct lapic *l)
{
    int v = lapic_highest(l->irr);
    if (!lapic_on(l) || v < 0 || (uint32_t)(v & 0xf0) <= (lapic_ppr(l) & 0xf0))
        return -1;
    return v;
}

/* The 8259 reaches the CPU through the virtual wire: the APIC disabled, or
 * LINT0 unmasked in ExtINT mode. */
static int lapic_pic_forwarded(const struct lapic *l)
{
    uint32_t lint0 = l->lvt[APIC_LVT_LINT0];
    return !lapic_hw_on(l) || (!(lint0 & APIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT);
}

void lapic_update(struct lapic *l)
{
    uint8_t level = lapic_own_pending(l) >= 0 || l->nmi_pending ||
                    (lapic_pic_forwarded(l) && l->lint_level[0]);
    if (level != l->intr_level) {
        l->intr_level = level;
        irq_line_set(&l->intr, level);
    }
}

/* Latch an NMI. The INTR output may be asserted already (a fixed vector
 * waiting for IF), and the CPU must look now: assert it again. */
static void lapic_nmi_raise(struct lapic *l)
{
    l->nmi_pending = 1;
    l->intr_level = 1;
    irq_line_set(&l->intr, 1);
}

/* Accept a fixed interrupt into IRR; TMR records its trigger mode. */
void lapic_accept(struct lapic *l, int vector, int level)
{
    if (!lapic_hw_on(l))
        return;
    if (vector < 16) {
        lapic_error(l, APIC_ESR_RECV_ILLEGAL);
        return;
    }
    lapic_setb(l->irr, vector);
    if (level)
        lapic_setb(l->tmr, vector);
    else
        lapic_clrb(l->tmr, vector);
    lapic_update(l);
}

/* Deliver through a local vector table entry unless it is masked. */
static void lapic_local(struct lapic *l, int idx)
{
    uint32_t lvt = l->lvt[idx];

    if (lvt & APIC_LVT_MASKED || !lapic_hw_on(l))
        return;
    switch ((lvt >> 8) & 7) {
    case APIC_DM_FIXED:
        lapic_accept(l, lvt & 0xff, (idx == APIC_LVT_LINT0 || idx == APIC_LVT_LINT1) && (lvt & APIC_LVT_LEVEL));
        break;
    case APIC_DM_NMI:
        lapic_nmi_raise(l);
        break;
    case APIC_DM_EXTINT: /* handled by the virtual wire */
        break;
    default:
        log_guest("lapic: LVT %d delivery mode %u not modelled", idx, (lvt >> 8) & 7);
        break;
    }
}

/* New errors latch in a pending copy (moved to ESR by the next ESR write) and
 * raise the error LVT. */
void lapic_error(struct lapic *l, uint32_t bit)
{
    int fresh = !(l->esr_pending & bit);
    l->esr_pending |= bit;
    if (fresh && (l->lvt[APIC_LVT_ERROR] & 0xff) >= 16)
        lapic_local(l, APIC_LVT_ERROR);
}

/* Divide configuration: bits 0, 1, 3; value 7 divides by 1, else by 2^(value+1). */
static unsigned lapic_timer_shift(const struct lapic *l)
{
    unsigned v = (l->tdcr & 3) | ((l->tdcr >> 1) & 4);
    return (v + 1) & 7;
}

static uint64_t lapic_timer_ticks(const struct lapic *l)
{
    return vtime_to_cycles(l->q->now - l->timer_start, l->bus_hz) >> lapic_timer_shift(l);
}

static void lapic_timer_schedule(struct lapic *l)
{
    /* expiry k (0-based) is first + k * tmict ticks after timer_start */
    uint64_t at = l->timer_first + l->expiries * (uint64_t)l->tmict;

    evq_schedule(l->q, &l->timer_ev,
                 l->timer_start + dev_ticks_to_ns_ceil(at << lapic_timer_shift(l), l->bus_hz));
}

void lapic_timer_start(struct lapic *l, uint32_t first)
{
    l->timer_start = l->q->now;
    l->timer_first = first;
    l->expiries = 0;
    l->timer_running = first != 0;
    if (first)
        lapic_timer_schedule(l);
    else
        evq_cancel(l->q, &l->timer_ev);
}

uint32_t lapic_timer_current(const struct lapic *l)
{
    uint64_t t;

    if (!l->timer_running || lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE)
        return 0;
    t = lapic_timer_ticks(l);
    if (t < l->timer_first)
        return (uint32_t)(l->timer_first - t);
    if (lapic_timer_mode(l) != APIC_TIMER_PERIODIC || !l->tmict)
        return 0;
    return l->tmict - (uint32_t)((t - l->timer_first) % l->tmict);
}

void lapic_deadline_arm(struct lapic *l)
{
    if (lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE && l->tsc_deadline)
        evq_schedule(l->q, &l->timer_ev, dev_ticks_to_ns_ceil(l->tsc_deadline, l->tsc_hz));
    else
        evq_cancel(l->q, &l->timer_ev);
}

/* Timer expiry: one-shot stops at 0, periodic reloads (schedule computed from
 * the start so it cannot drift), TSC-deadline clears the deadline. */
static void lapic_timer_fire(void *opaque, vtime_t now)
{
    struct lapic *l = opaque;

    if (lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE) {
        l->tsc_deadline = 0;
    } else if (lapic_timer_mode(l) == APIC_TIMER_PERIODIC && l->tmict) {
        l->expiries++;
        lapic_timer_schedule(l);
    } else {
        l->timer_running = 0;
    }
    lapic_local(l, APIC_LVT_TIMER);
}

static void lapic_regs_reset(struct lapic *l)
{
    evq_cancel(l->q, &l->timer_ev);
    l->id = l->apic_id;
    l->tpr = l->ldr = l->esr = l->esr_pending = l->icr_lo = l->icr_hi = 0;
    l->dfr = 0xffffffff;
    l->svr = 0xff;
    for (int i = 0; i < 8; i++)
        l->irr[i] = l->isr[i] = l->tmr[i] = 0;
    for (int i = 0; i < APIC_LVT_NUM; i++)
        l->lvt[i] = APIC_LVT_MASKED;
    /* As QEMU: the BSP's LINT0 comes up in ExtINT, so the 8259 works at once. */
    if (l->bsp)
        l->lvt[APIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    l->tmict = l->tdcr = l->timer_first = 0;
    l->timer_start = l->q->now;
    l->timer_running = 0;
    l->expiries = 0;
    l->tsc_deadline = 0;
    l->nmi_pending = 0;
}

static int lapic_dest_is_self(const struct lapic *l, uint32_t dest, int logical)
{
    uint32_t ldr;

    if (lapic_x2(l)) {
        if (dest == 0xffffffff)
            return 1;
        if (!logical)
            return dest == l->apic_id;
        ldr = ((l->apic_id >> 4) << 16) | (1u << (l->apic_id & 15));
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    dest &= 0xff;
    if (dest == 0xff)
        return 1;
    if (!logical)
        return dest == (l->id >> 24);
    ldr = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xf) /* flat model: a bit per CPU */
        return (dest & ldr) != 0;
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster model */
}

/* ICR write: this model has one CPU, so self-directed IPIs are delivered and
 * the others are counted and kept for inspection. */
void lapic_send_ipi(struct lapic *l)
{
    unsigned vector = l->icr_lo & 0xff, dm = (l->icr_lo >> 8) & 7, sh = (l->icr_lo >> 18) & 3;
    uint32_t dest = lapic_x2(l) ? l->icr_hi : l->icr_hi >> 24;
    int self = sh == APIC_SH_SELF || sh == APIC_SH_ALL ||
               (sh == APIC_SH_NONE && lapic_dest_is_self(l, dest, !!(l->icr_lo & APIC_ICR_DEST_LOGICAL)));
    int others = sh >= APIC_SH_ALL || (sh == APIC_SH_NONE && (dest == 0xff || dest == 0xffffffff || !self));

    if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWPRI) && vector < 16) {
        lapic_error(l, APIC_ESR_SEND_ILLEGAL);
        return;
    }
    if (others) {
        l->ipi_other++;
        l->ipi_last = (uint64_t)l->icr_hi << 32 | l->icr_lo;
    }
    if (!self)
        return;
    switch (dm) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWPRI:
        lapic_accept(l, (int)vector, 0);
        break;
    case APIC_DM_NMI:
        lapic_nmi_raise(l);
        break;
    default:
        log_guest("lapic: IPI delivery mode %u to self not modelled", dm);
        break;
    }
}

void lapic_eoi(struct lapic *l)
{
    int v = lapic_highest(l->isr);

    if (v < 0)
        return;
    lapic_clrb(l->isr, v);
    /* A level-triggered vector's EOI goes back to the I/O APIC (remote IRR). */
    if (lapic_test(l->tmr, v) && l->eoi_fn)
        l->eoi_fn(l->eoi_opaque, v);
    lapic_update(l);
}

int lapic_intr_pending(struct lapic *l)
{
    int v = lapic_own_pending(l);

    if (v >= 0)
        return v;
    if (lapic_pic_forwarded(l) && l->pic.pending)
        return l->pic.pending(l->pic.opaque);
    return -1;
}

/* INTA: the APIC's own highest vector goes IRR -> ISR; otherwise the 8259 is
 * acknowledged through the virtual wire; with nothing left, the spurious vector
 * (which sets no ISR bit). */
int lapic_intr_ack(struct lapic *l)
{
    int v = lapic_own_pending(l);

    if (v >= 0) {
        lapic_clrb(l->irr, v);
        lapic_setb(l->isr, v);
    } else if (lapic_pic_forwarded(l) && l->pic.ack) {
        v = l->pic.ack(l->pic.opaque);
    } else {
        v = l->svr & 0xff;
    }
    lapic_update(l);
    return v;
}

int lapic_nmi_take(struct lapic *l)
{
    int n = l->nmi_pending;
    l->nmi_pending = 0;
    lapic_update(l);
    return n;
}

uint8_t lapic_tpr_get(const struct lapic *l) { return (uint8_t)l->tpr; }

/* A new TPR can unmask an interrupt waiting in IRR, or mask it. */
void lapic_tpr_set(struct lapic *l, uint8_t tpr)
{
    l->tpr = tpr;
    lapic_update(l);
}

/* LINT pins: ExtINT just follows the level (the virtual wire); fixed and NMI
 * modes fire on a rising edge, or on any asserted level when level-triggered. */
void lapic_set_lint(struct lapic *l, unsigned pin, int level)
{
    uint32_t lvt;
    int rising;

    if (pin > 1)
        return;
    lvt = l->lvt[APIC_LVT_LINT0 + pin];
    rising = level && !l->lint_level[pin];
    l->lint_level[pin] = (uint8_t)!!level;
    if (((lvt >> 8) & 7) != APIC_DM_EXTINT && (rising || (level && (lvt & APIC_LVT_LEVEL))))
        lapic_local(l, APIC_LVT_LINT0 + (int)pin);
    lapic_update(l);
}

/* One CPU: fixed and lowest-priority messages are accepted whatever the
 * destination (the I/O APIC records it). */
void lapic_deliver(struct lapic *l, const struct apic_msg *m)
{
    switch (m->delivery_mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWPRI:
        if (lapic_on(l))
            lapic_accept(l, m->vector, m->level);
        break;
    case APIC_DM_NMI:
        lapic_nmi_raise(l);
        break;
    default:
        log_guest("lapic: message delivery mode %u not modelled", m->delivery_mode);
        break;
    }
}

uint64_t lapic_get_base(const struct lapic *l)
{
    return l->base;
}

/* IA32_APIC_BASE (SDM 10.12.5): x2APIC needs EN, x2APIC cannot go straight back
 * to xAPIC, disabled cannot go straight to x2APIC; clearing EN resets the APIC. */
int lapic_set_base(struct lapic *l, uint64_t val)
{
    uint64_t en = val & APIC_BASE_EN, x2 = val & APIC_BASE_EXTD;

    if (val & ~(0xffffffffff000ULL | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP))
        return -1;
    if ((x2 && !en) || (lapic_x2(l) && en && !x2) || (!lapic_hw_on(l) && x2))
        return -1;
    if ((val & ~0xfffULL) != LAPIC_MMIO_BASE)
        log_guest("lapic: base moved to 0x%llx; MMIO stays at 0xfee00000", (unsigned long long)(val & ~0xfffULL));
    if (lapic_hw_on(l) && !en)
        lapic_regs_reset(l);
    l->base = (val & ~APIC_BASE_BSP) | (l->bsp ? APIC_BASE_BSP : 0);
    lapic_update(l);
    return 0;
}

uint64_t lapic_ipi_other_count(const struct lapic *l, uint64_t *last_icr)
{
    if (last_icr)
        *last_icr = l->ipi_last;
    return l->ipi_other;
}

void lapic_set_pic(struct lapic *l, const struct lapic_pic_hooks *hooks)
{
    l->pic = *hooks;
}

void lapic_set_eoi_fn(struct lapic *l, lapic_eoi_fn *fn, void *opaque)
{
    l->eoi_fn = fn;
    l->eoi_opaque = opaque;
}

static void lapic_reset(void *opaque)
{
    struct lapic *l = opaque;

    l->base = LAPIC_MMIO_BASE | APIC_BASE_EN | (l->bsp ? APIC_BASE_BSP : 0);
    lapic_regs_reset(l);
    l->ipi_other = l->ipi_last = 0;
    lapic_update(l);
}

static int lapic_save(void *opaque, struct buf *b)
{
    struct lapic *l = opaque;
    uint32_t regs[] = { l->id, l->tpr, l->ldr, l->dfr, l->svr, l->esr, l->esr_pending, l->icr_lo,
                        l->icr_hi, l->tmict, l->tdcr, l->timer_first };

    dev_save_header(b, APIC_MAGIC, 1);
    buf_put_u64(b, l->base);
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        buf_put_u32(b, regs[i]);
    for (int i = 0; i < 8; i++) {
        buf_put_u32(b, l->irr[i]);
        buf_put_u32(b, l->isr[i]);
        buf_put_u32(b, l->tmr[i]);
    }
    for (int i = 0; i < APIC_LVT_NUM; i++)
        buf_put_u32(b, l->lvt[i]);
    buf_put_u64(b, l->timer_start);
    buf_put_u8(b, l->timer_running);
    buf_put_u64(b, l->expiries);
    buf_put_u64(b, l->tsc_deadline);
    buf_put_u8(b, l->lint_level[0]);
    buf_put_u8(b, l->lint_level[1]);
    buf_put_u8(b, l->nmi_pending);
    buf_put_u8(b, l->intr_level);
    buf_put_u64(b, l->ipi_other);
    buf_put_u64(b, l->ipi_last);
    dev_save_event(b, &l->timer_ev);
    return b->err;
}

static int lapic_load(void *opaque, struct buf_reader *r)
{
    struct lapic *l = opaque, t = *l;
    uint32_t *regs[] = { &t.id, &t.tpr, &t.ldr, &t.dfr, &t.svr, &t.esr, &t.esr_pending, &t.icr_lo,
                         &t.icr_hi, &t.tmict, &t.tdcr, &t.timer_first };
    struct dev_saved_event ev;

    if (dev_load_header(r, APIC_MAGIC, 1))
        return HV_ECORRUPT;
    t.base = buf_get_u64(r);
    for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
        *regs[i] = buf_get_u32(r);
    for (int i = 0; i < 8; i++) {
        t.irr[i] = buf_get_u32(r);
        t.isr[i] = buf_get_u32(r);
        t.tmr[i] = buf_get_u32(r);
    }
    for (int i = 0; i < APIC_LVT_NUM; i++)
        t.lvt[i] = buf_get_u32(r);
    t.timer_start = buf_get_u64(r);
    t.timer_running = buf_get_u8(r);
    t.expiries = buf_get_u64(r);
    t.tsc_deadline = buf_get_u64(r);
    t.lint_level[0] = buf_get_u8(r);
    t.lint_level[1] = buf_get_u8(r);
    t.nmi_pending = buf_get_u8(r);
    t.intr_level = buf_get_u8(r);
    t.ipi_other = buf_get_u64(r);
    t.ipi_last = buf_get_u64(r);
    ev = dev_load_event(r);
    if (r->err)
        return HV_ECORRUPT;
    t.timer_ev = l->timer_ev;
    *l = t;
    dev_rearm_event(l->q, &l->timer_ev, ev);
    return HV_OK;
}

const struct dev_ops lapic_ops = {
    .name = "lapic",
    .read = lapic_mmio_read,
    .write = lapic_mmio_write,
    .reset = lapic_reset,
    .save = lapic_save,
    .load = lapic_load,
};

struct lapic *lapic_create(struct evq *q, const struct lapic_config *cfg)
{
    struct lapic *l = calloc(1, sizeof *l);

    if (!l) {
        log_error("lapic: out of memory");
        return NULL;
    }
    l->q = q;
    l->apic_id = cfg->apic_id;
    l->bsp = cfg->bsp;
    l->bus_hz = cfg->bus_hz ? cfg->bus_hz : LAPIC_BUS_HZ_DEFAULT;
    l->tsc_hz = cfg->tsc_hz ? cfg->tsc_hz : LAPIC_TSC_HZ_DEFAULT;
    l->intr = cfg->intr;
    event_init(&l->timer_ev, "lapic-timer", lapic_timer_fire, l);
    lapic_reset(l);
    return l;
}

void lapic_destroy(struct lapic *l)
{
    if (!l)
        return;
    evq_cancel(l->q, &l->timer_ev);
    free(l);
}
