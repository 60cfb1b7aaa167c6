/* Replay checking against the checkpoints and end chunk of a .hvrec: the first
 * component whose hash differs is named, with the checkpoint and its virtual time. */
#include "traces/replay_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

struct replay_check {
    const struct reclog_checkpoint *cps;
    size_t n_cps, next;
    const struct reclog_end *end;
    int diverged;
    char msg[384];
};

struct replay_check *replay_check_create(const struct reclog_checkpoint *cps, size_t n,
                                         const struct reclog_end *end)
{
    struct replay_check *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->cps = cps;
    c->n_cps = n;
    c->end = end;
    return c;
}

void replay_check_free(struct replay_check *c) { free(c); }

const struct reclog_checkpoint *replay_check_next(const struct replay_check *c)
{
    return c->next < c->n_cps ? &c->cps[c->next] : NULL;
}

int replay_check_diverged(const struct replay_check *c) { return c->diverged; }
const char *replay_check_message(const struct replay_check *c) { return c->msg; }
size_t replay_check_n_matched(const struct replay_check *c) { return c->next; }

/* Seconds with nanosecond digits, exact (no floating point). */
static void fmt_time(char *out, size_t len, vtime_t t)
{
    snprintf(out, len, "%" PRIu64 ".%09" PRIu64 " s", (uint64_t)(t / VTIME_S), (uint64_t)(t % VTIME_S));
}

/* Record the divergence: where (already formatted) and what. */
static int diverge(struct replay_check *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int diverge(struct replay_check *c, const char *where, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->msg, sizeof c->msg, "diverged %s: ", where);

    va_start(ap, fmt);
    vsnprintf(c->msg + n, sizeof c->msg - (size_t)n, fmt, ap);
    va_end(ap);
    c->diverged = 1;
    return HV_ECORRUPT;
}

/* Compare hash lists in the recorded order, then look for components the record lacks. */
static int compare(struct replay_check *c, const char *where, const struct reclog_hash *rec, size_t n_rec,
                   const struct reclog_hash *got, size_t n_got)
{
    for (size_t i = 0; i < n_rec; i++) {
        size_t j = 0;
        while (j < n_got && strcmp(got[j].component, rec[i].component))
            j++;
        if (j == n_got)
            return diverge(c, where, "component '%s' missing from the replay", rec[i].component);
        if (got[j].hash != rec[i].hash)
            return diverge(c, where, "component '%s' hash 0x%016" PRIx64 " != recorded 0x%016" PRIx64,
                           rec[i].component, got[j].hash, rec[i].hash);
    }
    for (size_t j = 0; j < n_got; j++) {
        size_t i = 0;
        while (i < n_rec && strcmp(got[j].component, rec[i].component))
            i++;
        if (i == n_rec)
            return diverge(c, where, "component '%s' is not in the record", got[j].component);
    }
    return HV_OK;
}

int replay_check_checkpoint(struct replay_check *c, vtime_t time, uint64_t icount,
                            const struct reclog_hash *hashes, size_t n)
{
    const struct reclog_checkpoint *cp = replay_check_next(c);
    char t[40], got_t[40], where[96];
    int err;

    if (c->diverged)
        return HV_ECORRUPT;
    if (!cp)
        return HV_ERANGE;
    fmt_time(t, sizeof t, cp->time);
    snprintf(where, sizeof where, "at checkpoint %zu (t=%s)", c->next, t);
    /* The hashes say what differs; time and count only say that something did. */
    if ((err = compare(c, where, cp->hashes, cp->n_hashes, hashes, n)))
        return err;
    if (icount != cp->icount)
        return diverge(c, where, "instruction count %" PRIu64 " != recorded %" PRIu64, icount, cp->icount);
    if (time != cp->time) {
        fmt_time(got_t, sizeof got_t, time);
        return diverge(c, where, "replay took it at t=%s", got_t);
    }
    c->next++;
    return HV_OK;
}

int replay_check_end(struct replay_check *c, vtime_t time, uint64_t icount, int32_t exit_status,
                     const struct reclog_hash *hashes, size_t n)
{
    const struct reclog_checkpoint *cp = replay_check_next(c);
    char t[40], got_t[40], where[96];
    int err;

    if (c->diverged)
        return HV_ECORRUPT;
    fmt_time(got_t, sizeof got_t, time);
    if (cp) {
        fmt_time(t, sizeof t, cp->time);
        snprintf(where, sizeof where, "at checkpoint %zu (t=%s)", c->next, t);
        return diverge(c, where, "the replay ended first, at t=%s", got_t);
    }
    if (!c->end)
        return HV_OK; /* a salvaged log: everything recorded was matched */
    fmt_time(t, sizeof t, c->end->time);
    snprintf(where, sizeof where, "at the end (t=%s)", t);
    if (exit_status != c->end->exit_status)
        return diverge(c, where, "exit status %" PRId32 " != recorded %" PRId32, exit_status,
                       c->end->exit_status);
    if ((err = compare(c, where, c->end->hashes, c->end->n_hashes, hashes, n)))
        return err;
    if (icount != c->end->icount)
        return diverge(c, where, "instruction count %" PRIu64 " != recorded %" PRIu64, icount, c->end->icount);
    if (time != c->end->time)
        return diverge(c, where, "replay ended at t=%s", got_t);
    return HV_OK;
}
