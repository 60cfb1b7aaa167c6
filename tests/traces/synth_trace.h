/* A synthetic event trace with known counts, shared by the evtrace and report tests. */
#ifndef TESTS_TRACES_SYNTH_TRACE_H
#define TESTS_TRACES_SYNTH_TRACE_H

#include <stdint.h>

#define SYNTH_FREQ_HZ 2000000000ULL /* 2 GHz: 2 cycles per virtual ns */
#define SYNTH_EXITS 100             /* exit k runs on domain k % 3 */
#define SYNTH_DOMAINS 3

/* Exit reasons and how many of each, in the order they are emitted. */
struct synth_exit {
    uint32_t reason;
    unsigned count;
};
extern const struct synth_exit synth_exits[];
extern const unsigned synth_n_exit_kinds;

/* Cycles a synthetic exit costs; instructions and ns of domain d's run slice. */
#define SYNTH_EXIT_CYCLES(reason) (1000u + (reason))
#define SYNTH_RUN_INSNS(d) (1000u * ((d) + 1))
#define SYNTH_RUN_NS(d) (500u * ((d) + 1))

/* Write the trace to path with a buffer of cap records (small caps make many chunks). 0 or negative. */
int synth_trace_write(const char *path, uint32_t cap);

#endif
