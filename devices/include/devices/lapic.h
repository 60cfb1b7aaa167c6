/* Local APIC of one CPU: xAPIC MMIO and x2APIC MSRs, the timer (one-shot,
 * periodic, TSC-deadline), and the CPU's single interrupt seam, which also
 * forwards the 8259 when LINT0 is in ExtINT mode or the APIC is disabled.
 * Follows the Intel SDM vol. 3A ch. 10 (Advanced Programmable Interrupt Controller). */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdint.h>

#include "arch/pc.h"
#include "arch/x86.h"
#include "base/evq.h"
#include "devices/apic_msg.h"
#include "devices/dev.h"

#define LAPIC_MMIO_LEN 0x1000
#define LAPIC_BUS_HZ_DEFAULT 1000000000ULL /* timer input before the divider: 1 GHz, as QEMU */
#define LAPIC_TSC_HZ_DEFAULT 3000000000ULL

struct lapic_config {
    uint32_t apic_id;
    int bsp;
    uint64_t bus_hz; /* 0: LAPIC_BUS_HZ_DEFAULT */
    uint64_t tsc_hz; /* 0: LAPIC_TSC_HZ_DEFAULT; the TSC is vtime_to_cycles(now, tsc_hz) */
    struct irq_line intr; /* asserted while lapic_intr_pending() >= 0 or an NMI waits */
};

/* How the APIC reaches the 8259 when it forwards it (ExtINT / virtual wire). */
struct lapic_pic_hooks {
    int (*pending)(void *opaque); /* vector or -1: pic_intr_pending */
    int (*ack)(void *opaque);     /* INTA, returns the vector: pic_intr_ack */
    void *opaque;
};

/* EOI of a level-triggered vector, broadcast to the I/O APIC (ioapic_eoi). */
typedef void lapic_eoi_fn(void *opaque, int vector);

struct lapic;

struct lapic *lapic_create(struct evq *q, const struct lapic_config *cfg);
void lapic_destroy(struct lapic *l);
void lapic_set_pic(struct lapic *l, const struct lapic_pic_hooks *hooks);
void lapic_set_eoi_fn(struct lapic *l, lapic_eoi_fn *fn, void *opaque);

/* The CPU seam: the vector the CPU would take now if IF=1 (highest IRR above
 * PPR, else the 8259's when forwarded), or -1; and its acknowledgement. */
int lapic_intr_pending(struct lapic *l);
int lapic_intr_ack(struct lapic *l);
/* 1 once for each NMI delivered (LINT1 in NMI mode, an NMI IPI or message). */
int lapic_nmi_take(struct lapic *l);
/* The task priority register, as CR8 reaches it (CR8 = TPR[7:4], SDM vol. 3A
 * 10.8.6): the same register in xAPIC and x2APIC modes. */
uint8_t lapic_tpr_get(const struct lapic *l);
void lapic_tpr_set(struct lapic *l, uint8_t tpr);

/* LINT0/LINT1 input pins (pin 0 or 1). Wire the 8259's INT to LINT0. */
void lapic_set_lint(struct lapic *l, unsigned pin, int level);
/* An interrupt message from the I/O APIC or an MSI, accepted by this CPU. */
void lapic_deliver(struct lapic *l, const struct apic_msg *m);

/* MSRs 0x1b, 0x6e0 and 0x800-0x8ff: 0, or -1 meaning the CPU raises #GP. */
int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val);
int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val);
uint64_t lapic_get_base(const struct lapic *l);
int lapic_set_base(struct lapic *l, uint64_t val); /* -1: #GP */

/* IPIs addressed to other CPUs are counted and the last one kept. */
uint64_t lapic_ipi_other_count(const struct lapic *l, uint64_t *last_icr);

extern const struct dev_ops lapic_ops;

#endif
