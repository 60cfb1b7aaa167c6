/* The terminal in raw mode for interactive use, put back on every way out
 * (term.h). The handlers only call tcsetattr and raise/kill, which are
 * async-signal-safe (signal-safety(7)). */
#include "term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int term_fd = -1;
static struct termios saved, raw;
static volatile sig_atomic_t is_saved, want_raw;

/* Signals whose default action ends (or dumps) the process: each gets a
 * handler that restores the terminal first, unless someone else already
 * handles it (run_stop.c's SIGINT, SIGTERM and SIGHUP end the run cleanly). */
static const int fatal_sigs[] = { SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGPIPE,
                                  SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS,
                                  SIGINT, SIGTERM, SIGHUP };

static void apply(const struct termios *t)
{
    int e = errno;
    /* TCSAFLUSH would drop keys typed but not yet read: TCSANOW keeps them. */
    while (tcsetattr(term_fd, TCSANOW, t) && errno == EINTR)
        ;
    errno = e;
}

void term_restore(void)
{
    if (is_saved && want_raw) {
        want_raw = 0;
        apply(&saved);
    }
}

static void on_fatal(int signo)
{
    term_restore();
    /* SA_RESETHAND made the action the default again: it acts on return. */
    raise(signo);
}

/* A stop from outside (SIGTSTP; raw mode sends no Ctrl-Z) leaves the shell a
 * cooked terminal; SIGCONT, after it or after an uncatchable SIGSTOP, makes it
 * raw again when it was. */
static void on_tstp(int signo)
{
    (void)signo;
    sig_atomic_t was = want_raw;
    term_restore();
    want_raw = was;
    kill(getpid(), SIGSTOP);
}

static void on_cont(int signo)
{
    (void)signo;
    if (is_saved && want_raw)
        apply(&raw);
}

static void handlers_install(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
        if (!sigaction(fatal_sigs[i], NULL, &old) && old.sa_handler == SIG_DFL)
            sigaction(fatal_sigs[i], &sa, NULL);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_tstp;
    sigaction(SIGTSTP, &sa, NULL);
    sa.sa_handler = on_cont;
    sigaction(SIGCONT, &sa, NULL);
    atexit(term_restore);
}

int term_raw_enter(int fd)
{
    if (!isatty(fd))
        return 0;
    if (tcgetattr(fd, &saved))
        return -1;
    raw = saved;
    /* cfmakeraw(3) for input and local modes; c_oflag is left as it was. */
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    term_fd = fd;
    if (!is_saved)
        handlers_install();
    is_saved = 1;
    want_raw = 1;
    if (tcsetattr(fd, TCSANOW, &raw)) {
        int e = errno;
        want_raw = 0;
        errno = e;
        return -1;
    }
    return 1;
}

void term_cooked(void)
{
    if (is_saved && want_raw) {
        want_raw = 0;
        apply(&saved);
    }
}

void term_raw(void)
{
    if (is_saved && !want_raw) {
        want_raw = 1;
        apply(&raw);
    }
}

bool term_is_raw(void) { return is_saved && want_raw; }
