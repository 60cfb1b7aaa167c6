/* The world's clock (sim/world.c): machines and the outside queue step together.
 * Two machines running a spinning kernel and a world event stream: every world
 * event sees each machine at its own time (no machine ahead by more than one
 * instruction block, none behind), the lookahead bounds how far machines drift
 * apart, a run is the same twice, and a machine alone in a world ends as it does
 * under `hvsim boot` (a triple fault). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "machine/machine.h"
#include "world.h"

#define SPIN HVSIM_KERNEL_DIR "/cli_spin.elf"
#define TRIPLE HVSIM_KERNEL_DIR "/cli_triple.elf"
#define MAX_SEEN 64

static FILE *devnull;

static struct machine *boot(const char *kernel)
{
    struct machine_config cfg = { .mem_bytes = 32u << 20, .console = devnull };
    struct mb_config mb = { .kernel = kernel };
    char err[256];
    struct machine *m = machine_create(&cfg);
    cr_assert_not_null(m);
    cr_assert_eq(machine_load_multiboot(m, &mb, err, sizeof err), 0, "%s", err);
    return m;
}

struct probe {
    struct event ev;
    struct evq *q;
    struct machine *m[2];
    vtime_t period;
    int n;
    vtime_t when[MAX_SEEN], seen[MAX_SEEN][2];
};

static void probe_fire(void *o, vtime_t now)
{
    struct probe *p = o;
    if (p->n < MAX_SEEN) {
        p->when[p->n] = now;
        for (int i = 0; i < 2; i++)
            p->seen[p->n][i] = machine_now(p->m[i]);
        p->n++;
    }
    evq_schedule(p->q, &p->ev, now + p->period);
}

/* Run two spinning machines for 10 ms with a probe every `period`. */
static void run_pair(struct probe *p, vtime_t period, vtime_t lookahead, uint64_t icount[2])
{
    struct world *w = world_create();
    cr_assert_not_null(w);
    *p = (struct probe){ .q = world_queue(w), .period = period };
    p->m[0] = boot(SPIN);
    p->m[1] = boot(SPIN);
    cr_assert_eq(world_add_machine(w, p->m[0]), 0);
    cr_assert_eq(world_add_machine(w, p->m[1]), 1);
    world_set_lookahead(w, lookahead);
    event_init(&p->ev, "probe", probe_fire, p);
    evq_schedule(p->q, &p->ev, period);
    cr_assert_eq(world_run_until(w, 10 * VTIME_MS), 2, "both machines still run");
    cr_assert_eq(world_now(w), 10 * VTIME_MS);
    for (int i = 0; i < 2; i++) {
        cr_assert_geq(machine_now(p->m[i]), 10 * VTIME_MS);
        icount[i] = machine_instructions(p->m[i]);
    }
    evq_cancel(p->q, &p->ev);
    world_destroy(w);
    machine_destroy(p->m[0]);
    machine_destroy(p->m[1]);
}

static void open_devnull(void) { devnull = fopen("/dev/null", "w"); }
static void close_devnull(void) { fclose(devnull); }
TestSuite(world, .init = open_devnull, .fini = close_devnull);

Test(world, events_see_every_machine_at_their_time)
{
    struct probe p;
    uint64_t ic[2];
    run_pair(&p, 700 * VTIME_US, 0, ic);
    cr_assert_eq(p.n, 14, "a probe every 0.7 ms in 10 ms: %d", p.n);
    for (int k = 0; k < p.n; k++)
        for (int i = 0; i < 2; i++) {
            /* Machines stop at the first block boundary at or after the step's end. */
            cr_assert_geq(p.seen[k][i], p.when[k], "probe %d: machine %d at %llu ns, behind %llu", k, i,
                          (unsigned long long)p.seen[k][i], (unsigned long long)p.when[k]);
            cr_assert_lt(p.seen[k][i], p.when[k] + VTIME_US, "probe %d: machine %d ran ahead", k, i);
        }
}

/* Machine 0's observer tick looks at machine 1: how far apart they get. */
struct drift {
    struct machine *other;
    vtime_t max;
};

static int drift_tick(void *o, struct machine *m)
{
    struct drift *d = o;
    vtime_t a = machine_now(m), b = machine_now(d->other);
    vtime_t gap = a > b ? a - b : b - a;
    if (gap > d->max)
        d->max = gap;
    return 0;
}

static vtime_t max_drift(vtime_t lookahead)
{
    struct world *w = world_create();
    struct machine *m0 = boot(SPIN), *m1 = boot(SPIN);
    struct drift d = { .other = m1 };
    world_add_machine(w, m0);
    world_add_machine(w, m1);
    world_set_lookahead(w, lookahead);
    machine_set_tick(m0, 10 * VTIME_US, drift_tick, &d);
    cr_assert_eq(world_run_until(w, 5 * VTIME_MS), 2);
    world_destroy(w);
    machine_destroy(m0);
    machine_destroy(m1);
    return d.max;
}

Test(world, lookahead_bounds_how_far_machines_drift)
{
    /* With nothing queued outside, one step would take machine 0 to the end before
     * machine 1 starts; a lookahead of 100 us keeps them within one step. */
    vtime_t unbounded = max_drift(0), bounded = max_drift(100 * VTIME_US);
    cr_assert_gt(unbounded, VTIME_MS, "without a lookahead machine 0 runs far ahead (%llu ns)",
                 (unsigned long long)unbounded);
    cr_assert_leq(bounded, 100 * VTIME_US + VTIME_US, "with a 100 us lookahead: %llu ns apart",
                  (unsigned long long)bounded);
}

Test(world, same_run_twice)
{
    struct probe a, b;
    uint64_t ia[2], ib[2];
    run_pair(&a, 300 * VTIME_US, 50 * VTIME_US, ia);
    run_pair(&b, 300 * VTIME_US, 50 * VTIME_US, ib);
    cr_assert_eq(ia[0], ib[0]);
    cr_assert_eq(ia[1], ib[1]);
    cr_assert_eq(a.n, b.n);
    for (int k = 0; k < a.n; k++)
        for (int i = 0; i < 2; i++)
            cr_assert_eq(a.seen[k][i], b.seen[k][i]);
}

Test(world, a_machine_alone_ends_as_under_boot)
{
    struct world *w = world_create();
    struct machine *m = boot(TRIPLE);
    cr_assert_eq(world_add_machine(w, m), 0);
    cr_assert_eq(world_run_until(w, VTIME_NEVER), 0, "the machine ended");
    cr_assert(world_ended(w, 0));
    cr_assert_eq(world_result(w, 0)->end, MACHINE_END_TRIPLE_FAULT);
    cr_assert_eq(world_result(w, 0)->exit_status, 3);
    cr_assert_lt(world_now(w), VTIME_S, "the world's clock stays where the run ended");
    world_destroy(w);
    machine_destroy(m);
}
