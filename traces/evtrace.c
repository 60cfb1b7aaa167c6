/* Writing the event trace (.hvtrace): records are appended inline by the
 * evtrace_* helpers and encoded little-endian only here, when a chunk is flushed. */
#include "traces/evtrace.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "chunk_priv.h"
#include "evtrace_priv.h"

struct evtrace_file {
    struct chunk_writer cw;
    char **strings;
    uint32_t n_strings, n_strings_written;
    uint64_t n_records_written;
    struct buf scratch;
    int err; /* first error, reported by evtrace_close */
};

static void file_free(struct evtrace_file *f)
{
    for (uint32_t i = 0; i < f->n_strings; i++)
        free(f->strings[i]);
    free(f->strings);
    buf_free(&f->scratch);
    free(f);
}

struct evtrace *evtrace_create(const char *path, const struct evtrace_info *info, uint32_t cap)
{
    struct evtrace *t = calloc(1, sizeof *t);
    struct evtrace_file *f = calloc(1, sizeof *f);

    if (!cap)
        cap = EVTRACE_DEFAULT_CAP;
    if (!t || !f || !(t->recs = calloc(cap, sizeof *t->recs))) {
        log_error("%s: out of memory for a trace buffer of %u records", path, cap);
        goto fail_after_alloc;
    }
    t->cap = cap;
    t->file = f;
    buf_init(&f->scratch);
    if (chunk_writer_open(&f->cw, path, evtrace_magic, EVTRACE_VERSION))
        goto fail_after_open; /* logged */
    buf_put_u64(&f->scratch, info->freq_hz);
    chunk_put_str(&f->scratch, info->hvsim_version);
    chunk_put_str(&f->scratch, info->label);
    if (chunk_writer_put(&f->cw, EVTRACE_CHUNK_HEADER, &f->scratch, NULL, 0))
        goto fail_after_open;
    return t;

fail_after_open:
    chunk_writer_close(&f->cw);
fail_after_alloc:
    if (f)
        file_free(f);
    if (t)
        free(t->recs);
    free(t);
    return NULL;
}

uint32_t evtrace_string(struct evtrace *t, const char *s)
{
    struct evtrace_file *f = t->file;
    char **ns, *copy;

    for (uint32_t i = 0; i < f->n_strings; i++)
        if (!strcmp(f->strings[i], s))
            return i;
    ns = realloc(f->strings, (f->n_strings + 1) * sizeof *ns);
    copy = strdup(s);
    if (!ns || !copy || strlen(s) > EVTRACE_MAX_STR) {
        /* The name is lost but the trace stays valid and says so. */
        log_error("%s: cannot add string '%.40s' to the trace", f->cw.path, s);
        free(copy);
        if (ns)
            f->strings = ns;
        return EVTRACE_NO_STRING;
    }
    f->strings = ns;
    f->strings[f->n_strings] = copy;
    return f->n_strings++;
}

static uint8_t *le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + n;
}

/* Encode n records straight into b's storage: this runs once per chunk for
 * thousands of records, so no per-field calls. */
static void recs_encode(struct buf *b, const struct evtrace_rec *r, uint32_t n)
{
    uint8_t *p;

    if (buf_reserve(b, (size_t)n * EVTRACE_REC_SIZE))
        return;
    p = b->data + b->len;
    for (uint32_t i = 0; i < n; i++, r++) {
        p = le(p, r->time, 8);
        p = le(p, r->a, 8);
        p = le(p, r->b, 8);
        p = le(p, r->c, 8);
        p = le(p, r->domain, 2);
        p = le(p, r->vcpu, 2);
        p = le(p, r->type, 1);
        p = le(p, r->sub, 1);
        p = le(p, r->flags, 2);
    }
    b->len += (size_t)n * EVTRACE_REC_SIZE;
}

int evtrace_flush(struct evtrace *t)
{
    struct evtrace_file *f = t->file;
    struct buf *b = &f->scratch;
    int err = HV_OK;

    /* Strings go first so every record in a file refers to strings before it. */
    if (f->n_strings > f->n_strings_written) {
        buf_reset(b);
        buf_put_u32(b, f->n_strings_written);
        buf_put_u32(b, f->n_strings - f->n_strings_written);
        for (uint32_t i = f->n_strings_written; i < f->n_strings; i++)
            chunk_put_str(b, f->strings[i]);
        err = chunk_writer_put(&f->cw, EVTRACE_CHUNK_STRINGS, b, NULL, 0);
        f->n_strings_written = f->n_strings;
    }
    if (!err && t->n) {
        buf_reset(b);
        buf_put_u32(b, t->n);
        recs_encode(b, t->recs, t->n);
        err = chunk_writer_put(&f->cw, EVTRACE_CHUNK_RECORDS, b, NULL, 0);
        if (!err)
            f->n_records_written += t->n;
    }
    t->n = 0;
    if (err && !f->err)
        f->err = err;
    return err;
}

int evtrace_close(struct evtrace *t)
{
    struct evtrace_file *f = t->file;
    int err, cerr;

    evtrace_flush(t);
    buf_reset(&f->scratch);
    buf_put_u64(&f->scratch, f->n_records_written);
    buf_put_u32(&f->scratch, f->n_strings_written);
    chunk_writer_put(&f->cw, EVTRACE_CHUNK_END, &f->scratch, NULL, 0);
    cerr = chunk_writer_close(&f->cw);
    err = f->err ? f->err : cerr;
    file_free(f);
    free(t->recs);
    free(t);
    return err;
}
