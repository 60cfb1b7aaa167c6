/* The device contract: every platform device is a bus-free state machine behind
 * one ops table. machine/machine.c maps each at its port or MMIO range; the run loop
 * dispatches by address and never names a device. Offsets are relative to the
 * start of the device's range. */
#ifndef DEVICES_DEV_H
#define DEVICES_DEV_H

#include <stdint.h>

#include "base/buf.h"
#include "base/vtime.h"

/* What repeating an access does, for spin-loop fast-forward (cpu/ffwd.c). */
enum dev_poll {
    DEV_POLL_NONE,   /* it has effects, or nothing is promised (the default) */
    DEV_POLL_STABLE, /* a read with no effect, same value until *until */
    DEV_POLL_RISING, /* a read with no effect whose value only grows until *until (a counter) */
    DEV_POLL_SAME,   /* a write that changes nothing after the same write */
};

struct dev_ops {
    const char *name;
    uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
    void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
    void (*reset)(void *opaque);
    int (*save)(void *opaque, struct buf *out);           /* every field of state */
    int (*load)(void *opaque, struct buf_reader *in);     /* 0 or HV_ECORRUPT */
    /* Bus time one access holds the CPU, in ns (an ISA/LPC cycle is about a
     * microsecond); the machine adds it to virtual time. 0: free. */
    uint32_t access_ns;
    /* Optional: DEV_POLL_* for this access at virtual time now (a read
     * sets *until). A guest polling with such accesses only may have its
     * wait fast-forwarded, so a wrong answer changes what it sees. */
    enum dev_poll (*poll)(void *opaque, uint64_t off, unsigned size, int write, uint64_t val, vtime_t now,
                          vtime_t *until);
};

/* A device raises an interrupt through this; level 1 asserts, 0 deasserts.
 * Edge-triggered inputs see a 0->1 transition. */
struct irq_line {
    void (*set)(void *opaque, int level);
    void *opaque;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
    if (l->set)
        l->set(l->opaque, level);
}

#endif
