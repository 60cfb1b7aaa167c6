/* Host-cost counters per second of virtual time (HVSIM_COUNTERS=1, docs/perf.md):
 * the CPU's event counts (exceptions, intercept sites, TLB flushes,
 * retranslations, engine starts, fast-forwarded loops) and the machine's port
 * and MMIO accesses, printed to stderr as virtual time crosses each second and
 * at the end, with the busiest ports. An observer: the guest sees the same run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine_priv.h"

struct machine_counters {
    vtime_t next;                 /* the next line is printed when time reaches it */
    vtime_t last_t;
    uint64_t last_insns;
    struct cpu_stats last;
    uint64_t pio, mmio, last_pio, last_mmio;
    uint64_t port_hits[65536];
};

int machine_counters_enable(struct machine *m)
{
    m->counters = calloc(1, sizeof *m->counters);
    if (!m->counters)
        return -1;
    m->counters->next = VTIME_S;
    return 0;
}

void machine_counters_free(struct machine *m)
{
    free(m->counters);
    m->counters = NULL;
}

void machine_counters_pio(struct machine *m, uint16_t port)
{
    m->counters->pio++;
    m->counters->port_hits[port]++;
}

void machine_counters_mmio(struct machine *m) { m->counters->mmio++; }

static void print_line(struct machine *m, vtime_t now)
{
    struct machine_counters *k = m->counters;
    const struct cpu_stats *s = cpu_stats(m->cpu);
    uint64_t insns = cpu_instructions(m->cpu);
    uint64_t cycles = vtime_to_cycles(now - k->last_t, m->cfg.hz);
    uint64_t ran = insns - k->last_insns;
#define D(f) (s->f - k->last.f)
    fprintf(stderr,
            "hvsim: counters t=%.3fs insns=%" PRIu64 " idle_or_modelled=%" PRIu64 " exc=%" PRIu64 " pf=%" PRIu64
            " gp=%" PRIu64 " irq=%" PRIu64 " sites=%" PRIu64 " pio=%" PRIu64 " mmio=%" PRIu64 " tlbflush=%" PRIu64
            " crw=%" PRIu64 " invlpg=%" PRIu64 " retrans=%" PRIu64 " decoded=%" PRIu64 " runs=%" PRIu64
            " ffwd=%" PRIu64 " ffwd_insns=%" PRIu64 "\n",
            (double)now / VTIME_S, ran, cycles > ran ? cycles - ran : 0, D(exceptions), D(page_faults),
            D(gp_faults), D(interrupts), D(intercepts), k->pio - k->last_pio, k->mmio - k->last_mmio,
            D(tlb_flushes), D(cr_writes), D(invlpgs), D(retranslations), D(blocks_decoded), D(engine_runs),
            D(ffwd_loops), D(ffwd_insns));
#undef D
    k->last = *s;
    k->last_t = now;
    k->last_insns = insns;
    k->last_pio = k->pio;
    k->last_mmio = k->mmio;
}

void machine_counters_tick(struct machine *m)
{
    vtime_t now = cpu_now(m->cpu);
    if (now < m->counters->next)
        return;
    print_line(m, now);
    m->counters->next = (now / VTIME_S + 1) * VTIME_S;
}

void machine_counters_end(struct machine *m)
{
    struct machine_counters *k = m->counters;
    const struct cpu_stats *s = cpu_stats(m->cpu);
    print_line(m, cpu_now(m->cpu));
    fprintf(stderr, "hvsim: counters: total instructions=%" PRIu64 " ffwd=%" PRIu64 " ffwd_insns=%" PRIu64 "\n",
            cpu_instructions(m->cpu), s->ffwd_loops, s->ffwd_insns);
    fprintf(stderr, "hvsim: counters: busiest ports (accesses):");
    for (int n = 0; n < 8; n++) {
        int best = -1;
        for (int p = 0; p < 65536; p++)
            if (k->port_hits[p] && (best < 0 || k->port_hits[p] > k->port_hits[best]))
                best = p;
        if (best < 0)
            break;
        fprintf(stderr, " %#x:%" PRIu64, best, k->port_hits[best]);
        k->port_hits[best] = 0;
    }
    fprintf(stderr, "\n");
}
