/* The discrete-event queue that drives a simulation: events ordered by
 * (virtual time, sequence number), so equal times run in scheduling order and
 * nothing depends on addresses. Events are owned by their users (embedded in a
 * device or a packet); the queue only links them. */
#ifndef BASE_EVQ_H
#define BASE_EVQ_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"

struct evq;
typedef void event_fn(void *opaque, vtime_t now);

struct event {
    vtime_t when;
    uint64_t seq;
    event_fn *fn;
    void *opaque;
    const char *name; /* for traces and debugging */
    int32_t heap_idx; /* -1 when not queued */
};

struct evq {
    struct event **heap;
    size_t n, cap;
    uint64_t next_seq;
    vtime_t now; /* time of the event running, or of the last evq_run_until */
};

void event_init(struct event *ev, const char *name, event_fn *fn, void *opaque);
static inline int event_pending(const struct event *ev) { return ev->heap_idx >= 0; }

int evq_init(struct evq *q);
void evq_destroy(struct evq *q);
/* Queue ev at absolute time `when` (clamped to now); a pending ev is moved. */
int evq_schedule(struct evq *q, struct event *ev, vtime_t when);
void evq_cancel(struct evq *q, struct event *ev);
/* Time of the earliest event, VTIME_NEVER when empty. */
vtime_t evq_next(const struct evq *q);
/* Run, in order, every event due at or before t (including ones they schedule),
 * then set now = t. Returns how many ran. */
size_t evq_run_until(struct evq *q, vtime_t t);

#endif
