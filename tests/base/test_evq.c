/* Tests for the event queue: ordering by (time, seq), cancel, reschedule, and
 * events scheduled from inside a running event. */
#include <criterion/criterion.h>

#include "base/evq.h"

struct rec {
    int order[64];
    int n;
};

struct tagged {
    struct event ev;
    struct rec *rec;
    int tag;
};

static void note(void *opaque, vtime_t now)
{
    struct tagged *t = opaque;
    t->rec->order[t->rec->n++] = t->tag;
}

Test(evq, runs_by_time_then_scheduling_order)
{
    struct evq q;
    struct rec r = { .n = 0 };
    struct tagged t[5];
    vtime_t when[5] = { 30, 10, 20, 10, 5 };

    cr_assert_eq(evq_init(&q), 0);
    for (int i = 0; i < 5; i++) {
        t[i].rec = &r;
        t[i].tag = i;
        event_init(&t[i].ev, "t", note, &t[i]);
        evq_schedule(&q, &t[i].ev, when[i]);
    }
    cr_assert_eq(evq_next(&q), 5);
    cr_assert_eq(evq_run_until(&q, 20), 4);
    int want[] = { 4, 1, 3, 2 };
    for (int i = 0; i < 4; i++)
        cr_assert_eq(r.order[i], want[i], "position %d", i);
    cr_assert_eq(q.now, 20);
    cr_assert(event_pending(&t[0].ev));
    evq_destroy(&q);
}

Test(evq, cancel_and_reschedule)
{
    struct evq q;
    struct rec r = { .n = 0 };
    struct tagged t[3];

    evq_init(&q);
    for (int i = 0; i < 3; i++) {
        t[i].rec = &r;
        t[i].tag = i;
        event_init(&t[i].ev, "t", note, &t[i]);
        evq_schedule(&q, &t[i].ev, 100 + i);
    }
    evq_cancel(&q, &t[1].ev);
    cr_assert_not(event_pending(&t[1].ev));
    evq_schedule(&q, &t[0].ev, 500); /* moved behind t[2] */
    evq_run_until(&q, 1000);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.order[0], 2);
    cr_assert_eq(r.order[1], 0);
    evq_destroy(&q);
}

struct chain {
    struct event ev;
    struct evq *q;
    int left;
    vtime_t last;
};

static void chain_fire(void *opaque, vtime_t now)
{
    struct chain *c = opaque;
    c->last = now;
    if (--c->left > 0)
        evq_schedule(c->q, &c->ev, now + 7);
}

Test(evq, events_scheduled_while_running_run_if_due)
{
    struct evq q;
    struct chain c = { .q = &q, .left = 10 };

    evq_init(&q);
    event_init(&c.ev, "chain", chain_fire, &c);
    evq_schedule(&q, &c.ev, 0);
    evq_run_until(&q, 35); /* fires at 0,7,14,21,28,35 */
    cr_assert_eq(c.left, 4);
    cr_assert_eq(c.last, 35);
    evq_destroy(&q);
}

Test(evq, many_events_come_out_sorted)
{
    enum { N = 2000 };
    static struct tagged t[N];
    struct evq q;
    struct rec r;
    evq_init(&q);
    for (int i = 0; i < N; i++) {
        t[i].rec = &r;
        t[i].tag = i;
        event_init(&t[i].ev, "t", note, &t[i]);
        evq_schedule(&q, &t[i].ev, (vtime_t)((i * 7919) % 1000));
    }
    vtime_t prev = 0;
    while (evq_next(&q) != VTIME_NEVER) {
        vtime_t w = evq_next(&q);
        cr_assert_geq(w, prev);
        prev = w;
        r.n = 0;
        evq_run_until(&q, w);
    }
    evq_destroy(&q);
}
