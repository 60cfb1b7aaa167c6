/* Binary min-heap of events keyed by (when, seq); each event knows its slot,
 * so cancelling and rescheduling cost O(log n). */
#include "base/evq.h"

#include <assert.h>
#include <stdlib.h>

#include "base/err.h"

void event_init(struct event *ev, const char *name, event_fn *fn, void *opaque)
{
    ev->when = 0;
    ev->seq = 0;
    ev->fn = fn;
    ev->opaque = opaque;
    ev->name = name;
    ev->heap_idx = -1;
}

int evq_init(struct evq *q)
{
    q->n = 0;
    q->cap = 64;
    q->next_seq = 0;
    q->now = 0;
    q->heap = malloc(q->cap * sizeof *q->heap);
    return q->heap ? HV_OK : HV_ENOMEM;
}

void evq_destroy(struct evq *q)
{
    for (size_t i = 0; i < q->n; i++)
        q->heap[i]->heap_idx = -1;
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}

static int before(const struct event *a, const struct event *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void place(struct evq *q, size_t i, struct event *ev)
{
    q->heap[i] = ev;
    ev->heap_idx = (int32_t)i;
}

static void sift_up(struct evq *q, size_t i)
{
    struct event *ev = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(ev, q->heap[parent]))
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, ev);
}

static void sift_down(struct evq *q, size_t i)
{
    struct event *ev = q->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(q->heap[c + 1], q->heap[c]))
            c++;
        if (!before(q->heap[c], ev))
            break;
        place(q, i, q->heap[c]);
        i = c;
    }
    place(q, i, ev);
}

void evq_cancel(struct evq *q, struct event *ev)
{
    size_t i;
    struct event *last;

    if (ev->heap_idx < 0)
        return;
    i = (size_t)ev->heap_idx;
    assert(i < q->n && q->heap[i] == ev);
    ev->heap_idx = -1;
    last = q->heap[--q->n];
    if (i == q->n)
        return;
    place(q, i, last);
    sift_down(q, i);
    sift_up(q, (size_t)last->heap_idx);
}

int evq_schedule(struct evq *q, struct event *ev, vtime_t when)
{
    evq_cancel(q, ev);
    if (q->n == q->cap) {
        size_t ncap = q->cap * 2;
        struct event **nh = realloc(q->heap, ncap * sizeof *nh);
        if (!nh)
            return HV_ENOMEM;
        q->heap = nh;
        q->cap = ncap;
    }
    ev->when = when < q->now ? q->now : when;
    ev->seq = q->next_seq++;
    place(q, q->n++, ev);
    sift_up(q, q->n - 1);
    return HV_OK;
}

vtime_t evq_next(const struct evq *q)
{
    return q->n ? q->heap[0]->when : VTIME_NEVER;
}

size_t evq_run_until(struct evq *q, vtime_t t)
{
    size_t ran = 0;
    while (q->n && q->heap[0]->when <= t) {
        struct event *ev = q->heap[0];
        evq_cancel(q, ev);
        q->now = ev->when;
        ev->fn(ev->opaque, ev->when);
        ran++;
    }
    if (t > q->now)
        q->now = t;
    return ran;
}
