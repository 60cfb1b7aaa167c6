/* Reading an event trace (.hvtrace) into memory, validating every chunk,
 * record type and string reference; damage is refused or the prefix kept. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "chunk_priv.h"
#include "evtrace_priv.h"
#include "traces/evtrace.h"

struct evtrace_reader {
    struct chunk_reader cr;
    struct evtrace_info info;
    char *version, *label;
    struct evtrace_rec *recs;
    size_t n_recs, cap_recs;
    char **strings;
    uint32_t n_strings;
    int have_header, have_end;
};

static int parse_header(struct evtrace_reader *r, const struct chunk *c, struct buf_reader *br)
{
    r->info.freq_hz = buf_get_u64(br);
    r->info.hvsim_version = r->version = chunk_get_str(br, EVTRACE_MAX_STR);
    r->info.label = r->label = chunk_get_str(br, EVTRACE_MAX_STR);
    if (br->err || !r->version || !r->label)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "header: fields run past the payload");
    r->have_header = 1;
    return HV_OK;
}

static int parse_strings(struct evtrace_reader *r, const struct chunk *c, struct buf_reader *br)
{
    uint32_t first = buf_get_u32(br), n = buf_get_u32(br), i;
    char **ns;

    if (br->err || first != r->n_strings || n > buf_remaining(br) / 4)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT,
                                 "strings: first index %" PRIu32 " (expected %" PRIu32 "), count %" PRIu32,
                                 first, r->n_strings, n);
    ns = realloc(r->strings, ((size_t)r->n_strings + n + 1) * sizeof *ns);
    if (!ns)
        return chunk_reader_fail(&r->cr, c, HV_ENOMEM, "out of memory");
    r->strings = ns;
    for (i = 0; i < n; i++)
        if (!(ns[r->n_strings + i] = chunk_get_str(br, EVTRACE_MAX_STR)))
            break;
    if (i < n) { /* a chunk is kept whole or not at all */
        while (i--)
            free(ns[r->n_strings + i]);
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "string %" PRIu32 ": runs past the payload",
                                 first + i);
    }
    r->n_strings += n;
    return HV_OK;
}

static int parse_records(struct evtrace_reader *r, const struct chunk *c, struct buf_reader *br)
{
    uint32_t n = buf_get_u32(br);
    struct evtrace_rec *nr;

    if (br->err || (uint64_t)n * EVTRACE_REC_SIZE != buf_remaining(br))
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "records: count %" PRIu32 " does not fill %zu bytes",
                                 n, buf_remaining(br));
    if (r->n_recs + n > r->cap_recs) {
        size_t cap = r->cap_recs ? r->cap_recs : 4096;
        while (cap < r->n_recs + n)
            cap *= 2;
        if (!(nr = realloc(r->recs, cap * sizeof *nr)))
            return chunk_reader_fail(&r->cr, c, HV_ENOMEM, "out of memory");
        r->recs = nr;
        r->cap_recs = cap;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct evtrace_rec *e = &r->recs[r->n_recs + i];
        e->time = buf_get_u64(br);
        e->a = buf_get_u64(br);
        e->b = buf_get_u64(br);
        e->c = buf_get_u64(br);
        e->domain = buf_get_u16(br);
        e->vcpu = buf_get_u16(br);
        e->type = buf_get_u8(br);
        e->sub = buf_get_u8(br);
        e->flags = buf_get_u16(br);
        if (e->type == 0 || e->type > EVTRACE_TYPE_MAX)
            return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "record %" PRIu32 ": unknown type %u", i, e->type);
        if ((e->type == EVTRACE_DOMAIN || e->type == EVTRACE_PACKET) && e->c >= r->n_strings &&
            e->c != EVTRACE_NO_STRING)
            return chunk_reader_fail(&r->cr, c, HV_ECORRUPT,
                                     "record %" PRIu32 ": string %" PRIu64 " not defined (%" PRIu32 " are)", i,
                                     e->c, r->n_strings);
    }
    r->n_recs += n;
    return HV_OK;
}

static int parse_end(struct evtrace_reader *r, const struct chunk *c, struct buf_reader *br)
{
    uint64_t n_recs = buf_get_u64(br);
    uint32_t n_strings = buf_get_u32(br);

    if (br->err || n_recs != r->n_recs || n_strings != r->n_strings)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT,
                                 "end: says %" PRIu64 " records and %" PRIu32 " strings, the file has %zu and %" PRIu32,
                                 n_recs, n_strings, r->n_recs, r->n_strings);
    r->have_end = 1;
    return HV_OK;
}

static int parse_chunk(struct evtrace_reader *r, const struct chunk *c, const struct buf *payload)
{
    struct buf_reader br;
    int err;

    buf_reader_init(&br, payload->data, payload->len);
    if ((err = chunk_check_sequence(&r->cr, c, r->have_end, EVTRACE_CHUNK_HEADER)))
        return err;
    switch (c->type) {
    case EVTRACE_CHUNK_HEADER: err = parse_header(r, c, &br); break;
    case EVTRACE_CHUNK_STRINGS: err = parse_strings(r, c, &br); break;
    case EVTRACE_CHUNK_RECORDS: err = parse_records(r, c, &br); break;
    case EVTRACE_CHUNK_END: err = parse_end(r, c, &br); break;
    default: return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "unknown chunk type %" PRIu32, c->type);
    }
    if (!err && buf_remaining(&br))
        err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "%zu unexpected bytes after the fields",
                                buf_remaining(&br));
    return err;
}

/* A chunk whose records fail to parse leaves none of them behind (salvage keeps
 * whole chunks only). */
static int parse_chunk_whole(void *fmt, const struct chunk *c, const struct buf *payload)
{
    struct evtrace_reader *r = fmt;
    size_t n_before = r->n_recs;
    int rc = parse_chunk(r, c, payload);
    if (rc < 0)
        r->n_recs = n_before;
    return rc;
}

static int reader_load(struct evtrace_reader *r, unsigned flags)
{
    return chunk_reader_load(&r->cr, parse_chunk_whole, r, &r->have_header, &r->have_end,
                             flags & EVTRACE_SALVAGE, 0, 0);
}

struct evtrace_reader *evtrace_reader_open(const char *path, unsigned flags)
{
    struct evtrace_reader *r = calloc(1, sizeof *r);

    if (!r) {
        log_error("%s: out of memory for the trace reader", path);
        return NULL;
    }
    if (chunk_reader_open(&r->cr, path, evtrace_magic, EVTRACE_VERSION) || reader_load(r, flags)) {
        log_error("%s", r->cr.msg);
        evtrace_reader_close(r);
        return NULL;
    }
    return r;
}

void evtrace_reader_close(struct evtrace_reader *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n_strings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r->recs);
    free(r->version);
    free(r->label);
    chunk_reader_close(&r->cr);
    free(r);
}

const struct evtrace_info *evtrace_reader_info(const struct evtrace_reader *r) { return &r->info; }
size_t evtrace_reader_n_records(const struct evtrace_reader *r) { return r->n_recs; }
const struct evtrace_rec *evtrace_reader_records(const struct evtrace_reader *r) { return r->recs; }
size_t evtrace_reader_n_strings(const struct evtrace_reader *r) { return r->n_strings; }
uint64_t evtrace_reader_chunks_kept(const struct evtrace_reader *r) { return r->cr.chunks_kept; }
const char *evtrace_reader_damage(const struct evtrace_reader *r) { return r->cr.damage; }

const char *evtrace_reader_string(const struct evtrace_reader *r, uint32_t i)
{
    return i < r->n_strings ? r->strings[i] : NULL;
}
