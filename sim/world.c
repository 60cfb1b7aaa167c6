/* The world's clock: machines and the outside queue stepped together in virtual
 * time. A step ends at the earliest of the target time, the next outside event
 * and (with several machines) the lookahead; every machine runs to the step's
 * end, then the outside events due there run. A machine's own device events
 * stay in its own queue, so its snapshots and state hashes stay its own. */
#include "world.h"

#include <stdlib.h>

#include "run_stop.h"

struct world {
    struct evq q;
    struct machine *m[WORLD_MAX_MACHINES];
    struct machine_result res[WORLD_MAX_MACHINES];
    bool ended[WORLD_MAX_MACHINES];
    int n;
    vtime_t lookahead;
    vtime_t max_step;
};

struct world *world_create(void)
{
    struct world *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (evq_init(&w->q)) {
        free(w);
        return NULL;
    }
    return w;
}

void world_destroy(struct world *w)
{
    if (!w)
        return;
    evq_destroy(&w->q);
    free(w);
}

struct evq *world_queue(struct world *w) { return &w->q; }
vtime_t world_now(const struct world *w) { return w->q.now; }
void world_set_lookahead(struct world *w, vtime_t lookahead) { w->lookahead = lookahead; }
void world_set_max_step(struct world *w, vtime_t max_step) { w->max_step = max_step; }
bool world_ended(const struct world *w, int i) { return i >= 0 && i < w->n && w->ended[i]; }
const struct machine_result *world_result(const struct world *w, int i) { return &w->res[i]; }

int world_add_machine(struct world *w, struct machine *m)
{
    if (w->n == WORLD_MAX_MACHINES)
        return -1;
    w->m[w->n] = m;
    w->ended[w->n] = false;
    if (run_stop_armed())
        machine_set_stop_flag(m, run_stop_flag(), RUN_STOP_SLICE);
    return w->n++;
}

int world_replace_machine(struct world *w, int i, struct machine *m)
{
    if (i < 0 || i >= w->n)
        return -1;
    w->m[i] = m;
    w->ended[i] = false;
    if (run_stop_armed())
        machine_set_stop_flag(m, run_stop_flag(), RUN_STOP_SLICE);
    return 0;
}

void world_rewind(struct world *w, vtime_t t)
{
    if (t < w->q.now)
        w->q.now = t;
}

int world_jump(struct world *w, vtime_t t)
{
    if (evq_next(&w->q) < t)
        return -1;
    if (t > w->q.now)
        w->q.now = t;
    return 0;
}

struct machine *world_machine(const struct world *w, int i) { return i >= 0 && i < w->n ? w->m[i] : NULL; }

static int running(const struct world *w)
{
    int k = 0;
    for (int i = 0; i < w->n; i++)
        k += !w->ended[i];
    return k;
}

int world_run_until(struct world *w, vtime_t t)
{
    while (w->q.now < t && !run_stop_signal()) {
        vtime_t end = evq_next(&w->q);
        if (end > t)
            end = t;
        if (w->lookahead && running(w) > 1 && w->q.now + w->lookahead < end)
            end = w->q.now + w->lookahead;
        if (w->max_step && w->q.now + w->max_step < end)
            end = w->q.now + w->max_step;
        for (int i = 0; i < w->n; i++)
            if (!w->ended[i])
                w->ended[i] = machine_run_until(w->m[i], end, &w->res[i]);
        if (w->n && !running(w))
            break; /* the run is over: the world's time stays where it ended */
        if (run_stop_signal())
            break; /* stopped from outside: the machines stand at a block boundary */
        evq_run_until(&w->q, end);
    }
    return running(w);
}
