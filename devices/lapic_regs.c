/* The local APIC's register file (Intel SDM vol. 3A 10.4-10.12): one read and
 * one write routine serve both the xAPIC MMIO page and the x2APIC MSRs, with
 * the x2APIC differences (#GP cases, 64-bit ICR, derived LDR, SELF IPI). */
#include "base/log.h"
#include "dev_priv.h"
#include "lapic_priv.h"

/* Writable bits of each LVT: vector, delivery mode, polarity, trigger, mask, timer mode. */
static const uint32_t lapic_lvt_mask[APIC_LVT_NUM] = { 0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff };

/* Read register `reg` (xAPIC offset). -1 when it cannot be read (x2APIC #GP). */
static int lapic_reg_read(struct lapic *l, unsigned reg, uint64_t *out)
{
    int x2 = lapic_x2(l);
    uint64_t v;

    switch (reg) {
    case APIC_ID:
        v = x2 ? l->apic_id : l->id;
        break;
    case APIC_LVR:
        v = APIC_VERSION | (APIC_LVT_NUM - 1) << 16;
        break;
    case APIC_TPR:
        v = l->tpr;
        break;
    case APIC_APR:
    case APIC_RRD:
        if (x2)
            return -1;
        v = 0;
        break;
    case APIC_PPR:
        v = lapic_ppr(l);
        break;
    case APIC_LDR:
        v = x2 ? ((l->apic_id >> 4) << 16) | (1u << (l->apic_id & 15)) : l->ldr;
        break;
    case APIC_DFR:
        if (x2)
            return -1;
        v = l->dfr;
        break;
    case APIC_SVR:
        v = l->svr;
        break;
    case APIC_ESR:
        v = l->esr;
        break;
    case APIC_ICR:
        v = x2 ? (uint64_t)l->icr_hi << 32 | l->icr_lo : l->icr_lo; /* delivery status always idle */
        break;
    case APIC_ICR2:
        if (x2)
            return -1;
        v = l->icr_hi;
        break;
    case APIC_TMICT:
        v = l->tmict;
        break;
    case APIC_TMCCT:
        v = lapic_timer_current(l);
        break;
    case APIC_TDCR:
        v = l->tdcr;
        break;
    default:
        if (reg >= APIC_ISR && reg < APIC_ISR + 0x80)
            v = l->isr[(reg - APIC_ISR) >> 4];
        else if (reg >= APIC_TMR && reg < APIC_TMR + 0x80)
            v = l->tmr[(reg - APIC_TMR) >> 4];
        else if (reg >= APIC_IRR && reg < APIC_IRR + 0x80)
            v = l->irr[(reg - APIC_IRR) >> 4];
        else if (reg >= APIC_LVTT && reg <= APIC_LVTERR)
            v = l->lvt[(reg - APIC_LVTT) >> 4];
        else
            return -1; /* reserved, EOI and SELF IPI are write-only */
        break;
    }
    *out = v;
    return 0;
}

static void lapic_lvt_write(struct lapic *l, int idx, uint32_t v)
{
    unsigned old_mode = lapic_timer_mode(l);

    v &= lapic_lvt_mask[idx];
    if (!(l->svr & APIC_SVR_ENABLE)) /* software-disabled: LVTs stay masked */
        v |= APIC_LVT_MASKED;
    l->lvt[idx] = (l->lvt[idx] & ~lapic_lvt_mask[idx]) | v;
    if (idx == APIC_LVT_TIMER && (old_mode == APIC_TIMER_TSCDEADLINE) != (lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE)) {
        /* Switching to or from TSC-deadline disarms the timer (SDM 10.5.4.1). */
        l->timer_running = 0;
        l->tsc_deadline = 0;
        evq_cancel(l->q, &l->timer_ev);
    }
    if (idx == APIC_LVT_LINT0 || idx == APIC_LVT_LINT1)
        lapic_set_lint(l, (unsigned)(idx - APIC_LVT_LINT0), l->lint_level[idx - APIC_LVT_LINT0]);
}

/* Write register `reg`. -1 when it cannot be written (x2APIC #GP). */
static int lapic_reg_write(struct lapic *l, unsigned reg, uint64_t v)
{
    int x2 = lapic_x2(l);
    uint32_t v32 = (uint32_t)v;

    if (x2 && reg != APIC_ICR && (v >> 32))
        return -1;
    switch (reg) {
    case APIC_ID:
        if (x2)
            return -1;
        l->id = v32 & 0xff000000;
        break;
    case APIC_TPR:
        l->tpr = v32 & 0xff;
        break;
    case APIC_EOI:
        if (x2 && v)
            return -1;
        lapic_eoi(l);
        break;
    case APIC_LDR:
        if (x2)
            return -1;
        l->ldr = v32 & 0xff000000;
        break;
    case APIC_DFR:
        if (x2)
            return -1;
        l->dfr = v32 | 0x0fffffff;
        break;
    case APIC_SVR:
        /* Clearing the enable bit masks every LVT (SDM 10.4.7.2). */
        if ((l->svr & APIC_SVR_ENABLE) && !(v32 & APIC_SVR_ENABLE))
            for (int i = 0; i < APIC_LVT_NUM; i++)
                l->lvt[i] |= APIC_LVT_MASKED;
        l->svr = v32 & 0x3ff;
        break;
    case APIC_ESR: /* a write moves the errors seen since into ESR */
        if (x2 && v)
            return -1;
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case APIC_ICR:
        l->icr_lo = v32 & 0x000cdfff;
        if (x2)
            l->icr_hi = (uint32_t)(v >> 32);
        lapic_send_ipi(l);
        break;
    case APIC_ICR2:
        if (x2)
            return -1;
        l->icr_hi = v32 & 0xff000000;
        break;
    case APIC_TMICT: /* starts or (with 0) stops the count; ignored in TSC-deadline mode */
        if (lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE)
            break;
        l->tmict = v32;
        lapic_timer_start(l, v32);
        break;
    case APIC_TDCR: { /* keep the running count across a divider change */
        uint32_t cur = lapic_timer_current(l);
        l->tdcr = v32 & 0xb;
        if (l->timer_running && lapic_timer_mode(l) != APIC_TIMER_TSCDEADLINE && cur)
            lapic_timer_start(l, cur);
        break;
    }
    case APIC_SELF_IPI:
        if (!x2)
            return -1;
        lapic_accept(l, v32 & 0xff, 0);
        break;
    default:
        if (reg >= APIC_LVTT && reg <= APIC_LVTERR)
            lapic_lvt_write(l, (int)((reg - APIC_LVTT) >> 4), v32);
        else if (x2 || !(reg == APIC_LVR || reg == APIC_PPR || reg == APIC_APR || reg == APIC_RRD ||
                         reg == APIC_TMCCT || (reg >= APIC_ISR && reg < APIC_IRR + 0x80)))
            return -1;
        else
            log_guest("lapic: write to read-only register 0x%03x", reg);
        break;
    }
    lapic_update(l);
    return 0;
}

static int lapic_mmio_ok(struct lapic *l, uint64_t off, unsigned size, const char *what)
{
    if (size == 4 && !(off & 0xf) && off < LAPIC_MMIO_LEN && lapic_hw_on(l) && !lapic_x2(l))
        return 1;
    log_guest("lapic: %u-byte MMIO %s at 0x%03llx%s", size, what, (unsigned long long)off,
              lapic_x2(l) ? " in x2APIC mode" : (lapic_hw_on(l) ? "" : " with the APIC disabled"));
    return 0;
}

uint64_t lapic_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct lapic *l = opaque;
    uint64_t v;

    if (!lapic_mmio_ok(l, off, size, "read"))
        return dev_ones(size);
    if (lapic_reg_read(l, (unsigned)off, &v))
        return 0; /* reserved and write-only registers read as 0 in xAPIC mode */
    return (uint32_t)v;
}

void lapic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct lapic *l = opaque;

    if (!lapic_mmio_ok(l, off, size, "write"))
        return;
    if (off == APIC_SELF_IPI || lapic_reg_write(l, (unsigned)off, (uint32_t)val)) {
        lapic_error(l, APIC_ESR_ILLEGAL_REG);
        log_guest("lapic: write to reserved register 0x%03llx", (unsigned long long)off);
    }
}

int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
    if (msr == MSR_IA32_APIC_BASE) {
        *val = l->base;
        return 0;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) { /* reads 0 outside TSC-deadline mode */
        *val = lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE ? l->tsc_deadline : 0;
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapic_x2(l))
        return -1;
    return lapic_reg_read(l, (msr - MSR_X2APIC_FIRST) << 4, val);
}

int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val)
{
    if (msr == MSR_IA32_APIC_BASE)
        return lapic_set_base(l, val);
    if (msr == MSR_IA32_TSC_DEADLINE) { /* ignored outside TSC-deadline mode; 0 disarms */
        if (lapic_timer_mode(l) == APIC_TIMER_TSCDEADLINE) {
            l->tsc_deadline = val;
            lapic_deadline_arm(l);
        }
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapic_x2(l))
        return -1;
    return lapic_reg_write(l, (msr - MSR_X2APIC_FIRST) << 4, val);
}
