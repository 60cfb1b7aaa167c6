/* Pieces of hvsim's command line shared by its commands: numbers, the closing
 * line about how a run ended, and opening an event trace for a machine. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdint.h>

#include "machine/machine.h"
#include "traces/evtrace.h"

#define EXIT_USAGE 2
#define EXIT_DIVERGED 5
#define HVSIM_VERSION "0.1.0"

/* Parse an unsigned number for option opt; -1 with a message on stderr. */
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/* "S.NNNNNNNNN" seconds, exact, into buf (32 bytes); returns buf. */
const char *cli_fmt_time(char *buf, vtime_t t);
/* The host's monotonic clock in seconds: only for host-side pacing and UI (a
 * live TAP, an interactive console), whose effects on a run are recorded;
 * never for what a guest computes. */
double cli_wall_now(void);
/* Say how the run ended on stderr (the closing line unless quiet). */
void cli_print_result(const struct machine_result *res, int quiet);
/* An event trace for m, labelled with what ran; NULL with a message on stderr. */
struct evtrace *cli_trace_open(const char *path, struct machine *m, const char *label);
/* Close it; -1 with a message naming path on stderr when it could not be written. */
int cli_trace_close(struct evtrace *t, const char *path);

#endif
