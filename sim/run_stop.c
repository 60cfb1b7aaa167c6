/* The stop flag of run_stop.h and its signal handlers. */
#include "run_stop.h"

#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_signo;
static bool armed;

static void on_signal(int signo) { stop_signo = signo; }

void run_stop_arm(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;

    if (armed)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a write to the console or a log is not cut short */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    armed = true;
}

bool run_stop_armed(void) { return armed; }
int run_stop_signal(void) { return stop_signo; }
const volatile sig_atomic_t *run_stop_flag(void) { return &stop_signo; }

const char *run_stop_name(int signo)
{
    switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
    }
}

int run_stop_report(const char *what, vtime_t t)
{
    int signo = stop_signo;
    fflush(stdout);
    fprintf(stderr, "hvsim: %s: ended by %s at t=%.9f s, status %d\n", what, run_stop_name(signo),
            (double)t / 1e9, 128 + signo);
    return 128 + signo;
}
