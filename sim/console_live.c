/* The interactive console of console_live.h. The run goes in steps of a
 * millisecond of virtual time; between steps the keyboard is read (poll(2)),
 * the console flushed to stdout and, when the simulation is ahead of the wall
 * clock, the loop waits for keys until the wall clock catches up (a lag is
 * made up only up to LIVE_MAX_LAG_S). The steps
 * and the waits are invisible to the guest (a run stopped at a step boundary
 * goes on as if it had not been stopped): only the bytes typed enter it, each
 * recorded where it entered, so the wall clock decides what the record holds
 * and the record alone decides the replay. */
#include "console_live.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "run_stop.h"
#include "term.h"
#include "world.h"

#define LIVE_STEP VTIME_MS          /* virtual time between two looks at the keyboard */
#define LIVE_MAX_LAG_S 0.1          /* wall-clock lead the simulation may make up by running flat out */
#define LIVE_TRACE_FLUSH_S 1.0      /* wall time between two flushes of the event trace */
#define LIVE_LINE_MAX 256           /* a prompt command */

struct console_live {
    struct machine *m;
    struct world *w;
    struct recorder *rec;
    const char *rec_path;
    struct evtrace *trace;
    int fd;           /* the keyboard; -1 after the end of its input */
    bool tty, quiet;
    bool at_prompt, quit;
    uint64_t typed, entered;
    double wall0;     /* the wall clock at virtual time 0, moved on by lags and pauses */
    double started, paused_at;
    double trace_flushed;
    char line[LIVE_LINE_MAX];
    size_t line_len;
};

/* The wall clock (cli_wall_now) decides only when typed bytes are offered to the
 * guest (recorded), and how long the loop sleeps: never what the guest computes. */

/* machine_input_fn: a typed byte entered COM1's receive FIFO. */
static void live_entered(void *opaque, vtime_t time, uint64_t icount, uint8_t byte)
{
    struct console_live *cl = opaque;
    cl->entered++;
    if (cl->rec)
        recorder_input(cl->rec, time, icount, byte);
}

struct console_live *console_live_create(struct machine *m, int fd, struct recorder *rec, const char *rec_path,
                                         struct evtrace *trace, bool quiet, char *err, size_t errlen)
{
    struct console_live *cl = calloc(1, sizeof *cl);
    if (!cl || !(cl->w = world_create())) {
        snprintf(err, errlen, "out of memory for the interactive console");
        free(cl);
        return NULL;
    }
    cl->m = m;
    cl->fd = fd;
    cl->rec = rec;
    cl->rec_path = rec_path;
    cl->trace = trace;
    cl->quiet = quiet;
    /* The input exists from power-on, empty: keys are appended as they come. */
    if (machine_console_feed(m, (const uint8_t *)"", 0, live_entered, cl) || world_add_machine(cl->w, m) < 0) {
        snprintf(err, errlen, "out of memory for the interactive console");
        world_destroy(cl->w);
        free(cl);
        return NULL;
    }
    int r = term_raw_enter(fd);
    if (r < 0) {
        snprintf(err, errlen, "--interactive: the terminal cannot be made raw: %s", strerror(errno));
        world_destroy(cl->w);
        free(cl);
        return NULL;
    }
    cl->tty = r == 1;
    if (!quiet)
        fprintf(stderr, "hvsim: interactive console on COM1%s; Ctrl-] for the hvsim prompt\n",
                cl->tty ? " (terminal in raw mode)" : "");
    return cl;
}

static void prompt_help(void)
{
    fputs("hvsim: commands: c(ontinue) or an empty line: back to the guest; s(tatus): virtual time,\n"
          "       instructions, bytes typed; q(uit): end the run here (the record replays);\n"
          "       e(scape): type Ctrl-] itself into the guest; h(elp)\n",
          stderr);
}

static void prompt_show(void) { fputs("hvsim> ", stderr); }

static void prompt_enter(struct console_live *cl)
{
    char t[32];
    cl->at_prompt = true;
    cl->paused_at = cli_wall_now();
    cl->line_len = 0;
    fflush(stdout);
    term_cooked(); /* line editing and echo for the prompt */
    fprintf(stderr, "\nhvsim: paused at t=%s s (Ctrl-]); 'help' lists the commands\n",
            cli_fmt_time(t, machine_now(cl->m)));
    prompt_show();
}

static void prompt_leave(struct console_live *cl)
{
    cl->at_prompt = false;
    term_raw(); /* the pause is a lag the run forgets (console_live_run) */
}

static void status_print(const struct console_live *cl)
{
    char t[32];
    fprintf(stderr, "hvsim: t=%s s, %llu instructions, %.3f s of wall time; typed %llu bytes, %llu entered the guest",
            cli_fmt_time(t, machine_now(cl->m)), (unsigned long long)machine_instructions(cl->m),
            cl->paused_at - cl->started, (unsigned long long)cl->typed, (unsigned long long)cl->entered);
    if (cl->rec)
        fprintf(stderr, "; recording %s (%zu checkpoints)", cl->rec_path, recorder_n_checkpoints(cl->rec));
    fputc('\n', stderr);
}

static void type_bytes(struct console_live *cl, const uint8_t *data, size_t len)
{
    if (!len)
        return;
    /* Appends to the machine's input; it fails only for want of memory, and
     * then the keys are dropped (as a full buffer would), not the run. */
    if (machine_console_feed(cl->m, data, len, NULL, NULL))
        fprintf(stderr, "\nhvsim: out of memory: %zu typed bytes dropped\n", len);
    else
        cl->typed += len;
}

static void prompt_command(struct console_live *cl, char *cmd)
{
    while (*cmd == ' ' || *cmd == '\t')
        cmd++;
    size_t n = strlen(cmd);
    while (n && (cmd[n - 1] == ' ' || cmd[n - 1] == '\t'))
        cmd[--n] = '\0';
    if (!*cmd || !strcmp(cmd, "c") || !strcmp(cmd, "continue")) {
        fputs("hvsim: back to the guest\n", stderr);
        prompt_leave(cl);
        return;
    }
    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
        cl->quit = true;
        prompt_leave(cl);
        return;
    }
    if (!strcmp(cmd, "e") || !strcmp(cmd, "escape")) {
        const uint8_t esc = CONSOLE_LIVE_ESCAPE;
        type_bytes(cl, &esc, 1);
        fputs("hvsim: Ctrl-] typed into the guest; back to the guest\n", stderr);
        prompt_leave(cl);
        return;
    }
    if (!strcmp(cmd, "s") || !strcmp(cmd, "status"))
        status_print(cl);
    else if (!strcmp(cmd, "h") || !strcmp(cmd, "help") || !strcmp(cmd, "?"))
        prompt_help();
    else
        fprintf(stderr, "hvsim: unknown command '%s'; 'help' lists the commands\n", cmd);
    prompt_show();
}

/* Bytes from the keyboard: to the guest up to Ctrl-], then prompt lines. */
static void keys_take(struct console_live *cl, const uint8_t *buf, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n && !cl->quit; i++) {
        if (!cl->at_prompt) {
            if (buf[i] != CONSOLE_LIVE_ESCAPE)
                continue;
            type_bytes(cl, buf + start, i - start);
            prompt_enter(cl);
        } else if (buf[i] == '\n' || buf[i] == '\r') {
            cl->line[cl->line_len] = '\0';
            cl->line_len = 0;
            prompt_command(cl, cl->line);
            /* A "\r\n" pair (a raw terminal's Enter, then a pipe's newline) is one end of line. */
            if (i + 1 < n && buf[i] == '\r' && buf[i + 1] == '\n')
                i++;
        } else if (cl->line_len < sizeof cl->line - 1) {
            cl->line[cl->line_len++] = (char)buf[i];
        }
        start = i + 1;
    }
    if (!cl->at_prompt && !cl->quit)
        type_bytes(cl, buf + start, n - start);
}

/* Wait up to timeout_ms (-1: until a key or a signal) and take what was typed. */
static void keys_poll(struct console_live *cl, int timeout_ms)
{
    struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
    uint8_t buf[4096];

    if (poll(&pfd, 1, timeout_ms) <= 0 || cl->fd < 0)
        return; /* timeout, or a signal (EINTR): the loop looks at the flag */
    ssize_t n = read(cl->fd, buf, sizeof buf);
    if (n > 0) {
        keys_take(cl, buf, (size_t)n);
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    /* End of input (or a terminal gone): the run goes on without keys, as far
     * as the guest, --max-time or a signal take it; at the prompt it quits. */
    cl->fd = -1;
    if (cl->at_prompt) {
        fputs("\nhvsim: end of input at the prompt: quit\n", stderr);
        cl->quit = true;
        prompt_leave(cl);
    }
}

static void outputs_flush(struct console_live *cl)
{
    fflush(stdout);
    double now = cli_wall_now();
    if (cl->trace && now - cl->trace_flushed >= LIVE_TRACE_FLUSH_S) {
        evtrace_flush(cl->trace);
        cl->trace_flushed = now;
    }
}

void console_live_run(struct console_live *cl, vtime_t max_time, struct machine_result *res)
{
    bool ended = false;
    cl->wall0 = cl->started = cl->trace_flushed = cli_wall_now();
    while (!run_stop_signal() && !cl->quit) {
        outputs_flush(cl);
        if (cl->at_prompt) {
            keys_poll(cl, -1);
            continue;
        }
        vtime_t now = world_now(cl->w);
        if (now >= max_time)
            break;
        vtime_t target = max_time - now > LIVE_STEP ? now + LIVE_STEP : max_time;
        /* No faster than the wall clock: a guest that waits for keys (halted,
         * or polling) would otherwise spend hours of virtual time per second.
         * A lag (a slow boot, a pause at the prompt, a stop by job control)
         * is forgotten beyond LIVE_MAX_LAG_S, so it is not made up later in a
         * rush of virtual time: a `sleep 5` typed after a slow boot lasts 5 s. */
        double wall = cli_wall_now();
        if (wall - cl->wall0 - (double)now / 1e9 > LIVE_MAX_LAG_S)
            cl->wall0 = wall - (double)now / 1e9 - LIVE_MAX_LAG_S;
        double ahead = (double)target / 1e9 - (wall - cl->wall0);
        int wait_ms = ahead > 0 ? (int)(ahead * 1e3) : 0;
        keys_poll(cl, wait_ms + (wait_ms < ahead * 1e3)); /* rounded up */
        if (cl->at_prompt || cl->quit || run_stop_signal())
            continue;
        if (!world_run_until(cl->w, target)) {
            ended = true;
            break;
        }
    }
    fflush(stdout);
    if (ended) {
        *res = *world_result(cl->w, 0);
        return;
    }
    machine_result_time_limit(cl->m, res);
    /* As boot_run: the record's end chunk says a signal ended the run. */
    if (run_stop_signal() && res->time < max_time)
        res->exit_status = 128 + run_stop_signal();
}

bool console_live_quit(const struct console_live *cl) { return cl->quit && !run_stop_signal(); }

void console_live_destroy(struct console_live *cl)
{
    if (!cl)
        return;
    term_restore();
    world_destroy(cl->w);
    free(cl);
}
