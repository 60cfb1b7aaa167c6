/* Shared command-line helpers: number parsing, the end-of-run messages whose
 * closing line tests match ("virtual time N s"), and event-trace set-up. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/err.h"

int cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "hvsim: error: %s: expected a number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

double cli_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cli_fmt_time(char *buf, vtime_t t)
{
    snprintf(buf, 32, "%llu.%09llu", (unsigned long long)(t / VTIME_S), (unsigned long long)(t % VTIME_S));
    return buf;
}

void cli_print_result(const struct machine_result *res, int quiet)
{
    double t = (double)res->time / 1e9;
    switch (res->end) {
    case MACHINE_END_TRIPLE_FAULT:
        fprintf(stderr, "hvsim: triple fault: the CPU shut down; last fault vector %d at RIP %#llx (t=%.9f s)\n",
                res->fault_vector, (unsigned long long)res->fault_rip, t);
        break;
    case MACHINE_END_TIME_LIMIT:
        fprintf(stderr, "hvsim: virtual-time limit reached at t=%.9f s\n", t);
        break;
    case MACHINE_END_HUNG:
        fprintf(stderr, "hvsim: the CPU halted with nothing pending that could wake it (t=%.9f s)\n", t);
        break;
    case MACHINE_END_ERROR:
        fprintf(stderr, "hvsim: the simulation stopped on an internal error (t=%.9f s)\n", t);
        break;
    default:
        break;
    }
    if (!quiet)
        fprintf(stderr, "hvsim: %s, status %d, virtual time %.9f s, %llu instructions\n",
                res->end == MACHINE_END_POWEROFF ? "powered off"
                : res->end == MACHINE_END_EXIT   ? "debug exit"
                                                 : "stopped",
                res->exit_status, t, (unsigned long long)res->instructions);
}

struct evtrace *cli_trace_open(const char *path, struct machine *m, const char *label)
{
    struct evtrace_info info = { .hvsim_version = HVSIM_VERSION, .freq_hz = machine_hz(m), .label = label };
    struct evtrace *t = evtrace_create(path, &info, 0);
    if (!t)
        fprintf(stderr, "hvsim: error: --trace %s: cannot create the event trace\n", path);
    return t;
}

int cli_trace_close(struct evtrace *t, const char *path)
{
    int e = evtrace_close(t);
    if (e) {
        fprintf(stderr, "hvsim: error: %s: the event trace could not be written whole (%s)\n", path,
                hv_strerror(e));
        return -1;
    }
    return 0;
}
