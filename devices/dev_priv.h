/* Helpers shared by the device files: save/load framing (a per-device magic and
 * version), pending-event save and re-arm, and nanosecond/tick conversions that
 * round up so an event fires no earlier than the tick it stands for. */
#ifndef DEVICES_DEV_PRIV_H
#define DEVICES_DEV_PRIV_H

#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/evq.h"
#include "base/vtime.h"

/* Every saved state opens with a magic naming the device and a version. */
static inline void dev_save_header(struct buf *b, uint32_t magic, uint16_t version)
{
    buf_put_u32(b, magic);
    buf_put_u16(b, version);
}

static inline int dev_load_header(struct buf_reader *r, uint32_t magic, uint16_t version)
{
    uint32_t m = buf_get_u32(r);
    uint16_t v = buf_get_u16(r);
    return (r->err || m != magic || v != version) ? HV_ECORRUPT : HV_OK;
}

/* A timer event is saved as (pending, deadline) and re-armed on load. */
static inline void dev_save_event(struct buf *b, const struct event *ev)
{
    buf_put_u8(b, (uint8_t)event_pending(ev));
    buf_put_u64(b, event_pending(ev) ? ev->when : 0);
}

struct dev_saved_event {
    uint8_t pending;
    vtime_t when;
};

static inline struct dev_saved_event dev_load_event(struct buf_reader *r)
{
    struct dev_saved_event s;
    s.pending = buf_get_u8(r);
    s.when = buf_get_u64(r);
    return s;
}

static inline void dev_rearm_event(struct evq *q, struct event *ev, struct dev_saved_event s)
{
    if (s.pending)
        evq_schedule(q, ev, s.when);
    else
        evq_cancel(q, ev);
}

/* The first virtual time at which `ticks` ticks of a freq_hz clock have elapsed. */
static inline vtime_t dev_ticks_to_ns_ceil(uint64_t ticks, uint64_t freq_hz)
{
    unsigned __int128 ns = ((unsigned __int128)ticks * VTIME_S + freq_hz - 1) / freq_hz;
    return ns >= VTIME_NEVER ? VTIME_NEVER - 1 : (vtime_t)ns;
}

/* All-ones of an access of `size` bytes: what a guest reads from nothing. */
static inline uint64_t dev_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

#endif
