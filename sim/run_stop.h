/* Ending a run from outside: SIGINT, SIGTERM and SIGHUP set one flag (nothing
 * else happens in the handler); the world's loop and the machines read it at
 * instruction-block boundaries, and the command then closes its captures,
 * consoles, traces and record log as at a normal end and exits 128+signo. */
#ifndef SIM_RUN_STOP_H
#define SIM_RUN_STOP_H

#include <signal.h>
#include <stdbool.h>

#include "base/vtime.h"

/* Longest CPU run between two looks at the flag while it is armed: short in
 * host time, and far apart enough to cost nothing. */
#define RUN_STOP_SLICE (1 * VTIME_MS)

/* Install the handlers (idempotent). */
void run_stop_arm(void);
bool run_stop_armed(void);
/* The signal that asked the run to end, or 0. */
int run_stop_signal(void);
/* The flag itself, for machine_set_stop_flag. */
const volatile sig_atomic_t *run_stop_flag(void);
/* "SIGINT", "SIGTERM", "SIGHUP" or "signal". */
const char *run_stop_name(int signo);
/* The command's last line on stderr ("hvsim: WHAT: ended by SIGTERM at t=...")
 * and its exit status, 128 + signo. */
int run_stop_report(const char *what, vtime_t t);

#endif
