/* Private to lapic.c and lapic_regs.c: the local APIC's state, register
 * names (Intel SDM vol. 3A table 10-1) and the helpers both files use. */
#ifndef DEVICES_LAPIC_PRIV_H
#define DEVICES_LAPIC_PRIV_H

#include <stdint.h>

#include "devices/lapic.h"

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + (offset >> 4). */
#define APIC_ID 0x020
#define APIC_LVR 0x030
#define APIC_TPR 0x080
#define APIC_APR 0x090
#define APIC_PPR 0x0a0
#define APIC_EOI 0x0b0
#define APIC_RRD 0x0c0
#define APIC_LDR 0x0d0
#define APIC_DFR 0x0e0
#define APIC_SVR 0x0f0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define APIC_VERSION 0x14
#define APIC_LVT_NUM 6 /* timer, thermal, perfmon, LINT0, LINT1, error */
#define APIC_LVT_TIMER 0
#define APIC_LVT_LINT0 3
#define APIC_LVT_LINT1 4
#define APIC_LVT_ERROR 5
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)
#define APIC_LVT_TIMER_SHIFT 17
#define APIC_TIMER_ONESHOT 0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_TSCDEADLINE 2
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_ESR_SEND_ILLEGAL (1u << 5)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)
#define APIC_ESR_ILLEGAL_REG (1u << 7)
#define APIC_ICR_LEVEL (1u << 14)
#define APIC_ICR_DEST_LOGICAL (1u << 11)
#define APIC_SH_NONE 0
#define APIC_SH_SELF 1
#define APIC_SH_ALL 2
#define APIC_MAGIC 0x4c415043 /* "LAPC" */


struct lapic {
    struct evq *q;
    struct event timer_ev;
    struct irq_line intr;
    struct lapic_pic_hooks pic;
    lapic_eoi_fn *eoi_fn;
    void *eoi_opaque;
    uint64_t bus_hz, tsc_hz;
    uint32_t apic_id;
    int bsp;

    uint64_t base; /* IA32_APIC_BASE */
    uint32_t id, tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t lvt[APIC_LVT_NUM];
    uint32_t tmict, tdcr;
    /* The running count: `first` ticks from `timer_start` to the first expiry,
     * then every `tmict` ticks (periodic); `expiries` counts those fired. */
    vtime_t timer_start;
    uint32_t timer_first;
    uint8_t timer_running;
    uint64_t expiries;
    uint64_t tsc_deadline;
    uint8_t lint_level[2], nmi_pending, intr_level;
    uint64_t ipi_other;
    uint64_t ipi_last;
};

static inline int lapic_x2(const struct lapic *l) { return (l->base & APIC_BASE_EXTD) != 0; }
static inline int lapic_hw_on(const struct lapic *l) { return (l->base & APIC_BASE_EN) != 0; }
static inline int lapic_on(const struct lapic *l) { return lapic_hw_on(l) && (l->svr & APIC_SVR_ENABLE); }
static inline unsigned lapic_timer_mode(const struct lapic *l)
{
    return (l->lvt[APIC_LVT_TIMER] >> APIC_LVT_TIMER_SHIFT) & 3;
}

uint32_t lapic_ppr(const struct lapic *l);
void lapic_update(struct lapic *l);              /* recompute the INTR output */
void lapic_accept(struct lapic *l, int vector, int level);
void lapic_error(struct lapic *l, uint32_t bit);
void lapic_eoi(struct lapic *l);
void lapic_send_ipi(struct lapic *l);            /* act on ICR */
void lapic_timer_start(struct lapic *l, uint32_t first);
uint32_t lapic_timer_current(const struct lapic *l);
void lapic_deadline_arm(struct lapic *l);

uint64_t lapic_mmio_read(void *opaque, uint64_t off, unsigned size);
void lapic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

#endif
