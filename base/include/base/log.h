/* Logging for hvsim: levels, a settable sink, and rate limiting for guest mistakes.
 * Messages go to stderr by default; the simulation never depends on what is logged. */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

typedef void log_sink_fn(void *opaque, enum log_level level, const char *msg);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replace the sink (NULL restores stderr). Tests use it to capture messages. */
void log_set_sink(log_sink_fn *fn, void *opaque);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

/* A per-call-site budget: the first `burst` messages pass, then one in every
 * 1024, so a guest hammering a bad port cannot flood the console. */
struct log_ratelimit {
    uint32_t burst;
    uint64_t count;
};
#define LOG_RATELIMIT_INIT { 10, 0 }
int log_ratelimit_ok(struct log_ratelimit *rl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log a guest mistake at most a few times per call site. */
#define log_guest(...)                                          \
    do {                                                        \
        static struct log_ratelimit rl_ = LOG_RATELIMIT_INIT;   \
        if (log_ratelimit_ok(&rl_)) log_msg(LOG_WARN, __VA_ARGS__); \
    } while (0)

#endif
