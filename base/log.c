/* Logging: level filter, replaceable sink, per-site rate limiting. */
#include "base/log.h"

#include <stdio.h>

static enum log_level cur_level = LOG_WARN;
static log_sink_fn *cur_sink;
static void *cur_opaque;

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }

void log_set_sink(log_sink_fn *fn, void *opaque)
{
    cur_sink = fn;
    cur_opaque = opaque;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    char msg[1024];

    if (level > cur_level)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (cur_sink) {
        cur_sink(cur_opaque, level, msg);
        return;
    }
    fprintf(stderr, "hvsim: %s: %s\n", names[level], msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

int log_ratelimit_ok(struct log_ratelimit *rl)
{
    uint64_t n = rl->count++;
    return n < rl->burst || ((n - rl->burst) & 1023) == 1023;
}
