/* Reading and validating a record/replay log (.hvrec): every chunk is checked
 * (CRC, structure, order) when the file is opened; damage is refused or, when
 * asked, the good prefix is kept (docs/traces.md, "Record log"). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "chunk_priv.h"
#include "reclog_priv.h"
#include "traces/reclog.h"

struct input_rec {
    struct reclog_input pub;
    size_t off; /* of the payload in reclog_reader.data, fixed up after loading */
};

struct snap_rec {
    struct reclog_snapshot_info info;
    struct chunk c;
};

struct reclog_reader {
    struct chunk_reader cr;
    char *version;
    struct reclog_kv *config;
    struct reclog_binary *bins;
    struct reclog_header hdr;
    int have_header, have_end;
    struct input_rec *inputs;
    size_t n_inputs, cap_inputs;
    struct buf data; /* input payloads, back to back */
    struct reclog_checkpoint *cps;
    size_t n_cps, cap_cps;
    struct snap_rec *snaps;
    size_t n_snaps, cap_snaps;
    struct reclog_end end;
    char **names; /* interned component names, in order of first appearance */
    size_t n_names;
    vtime_t last_time;
    uint64_t last_icount;
};

/* Grow *arr (of elem-sized items, capacity *cap) to hold one more. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    void *na;
    size_t nc;

    if (n < *cap)
        return HV_OK;
    nc = *cap ? *cap * 2 : 16;
    na = realloc(*arr, nc * elem);
    if (!na)
        return HV_ENOMEM;
    *arr = na;
    *cap = nc;
    return HV_OK;
}

static const char *intern(struct reclog_reader *r, char *s)
{
    char **nn;

    for (size_t i = 0; i < r->n_names; i++)
        if (!strcmp(r->names[i], s)) {
            free(s);
            return r->names[i];
        }
    nn = realloc(r->names, (r->n_names + 1) * sizeof *nn);
    if (!nn) {
        free(s);
        return NULL;
    }
    r->names = nn;
    return r->names[r->n_names++] = s;
}

/* A count read from the file, refused when items of at least min_size bytes each could not fit. */
static int count_ok(struct buf_reader *br, uint32_t n, size_t min_size)
{
    return !br->err && n <= RECLOG_MAX_ITEMS && (uint64_t)n * min_size <= buf_remaining(br);
}

static int check_order(struct reclog_reader *r, const struct chunk *c, const char *what, vtime_t t,
                       uint64_t icount)
{
    if (t < r->last_time || icount < r->last_icount)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT,
                                 "%s at t=%" PRIu64 " ns, icount %" PRIu64 " goes back from t=%" PRIu64
                                 " ns, icount %" PRIu64,
                                 what, t, icount, r->last_time, r->last_icount);
    r->last_time = t;
    r->last_icount = icount;
    return HV_OK;
}

static int parse_header(struct reclog_reader *r, const struct chunk *c, struct buf_reader *br)
{
    uint32_t n;

    r->version = chunk_get_str(br, RECLOG_MAX_STR);
    r->hdr.hvsim_version = r->version;
    r->hdr.seed = buf_get_u64(br);
    n = buf_get_u32(br);
    if (!count_ok(br, n, 8) || !(r->config = calloc(n + 1, sizeof *r->config)))
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "header: bad configuration count %" PRIu32, n);
    r->hdr.config = r->config;
    for (r->hdr.n_config = 0; r->hdr.n_config < n && !br->err; r->hdr.n_config++) {
        r->config[r->hdr.n_config].key = chunk_get_str(br, RECLOG_MAX_STR);
        r->config[r->hdr.n_config].value = chunk_get_str(br, RECLOG_MAX_STR);
    }
    n = buf_get_u32(br);
    if (!count_ok(br, n, 20) || !(r->bins = calloc(n + 1, sizeof *r->bins)))
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "header: bad binary count %" PRIu32, n);
    r->hdr.binaries = r->bins;
    for (r->hdr.n_binaries = 0; r->hdr.n_binaries < n && !br->err; r->hdr.n_binaries++) {
        struct reclog_binary *b = &r->bins[r->hdr.n_binaries];
        b->name = chunk_get_str(br, RECLOG_MAX_STR);
        b->size = buf_get_u64(br);
        b->hash = buf_get_u64(br);
    }
    if (br->err || !r->version)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "header: fields run past the payload");
    r->have_header = 1;
    return HV_OK;
}

static int parse_input(struct reclog_reader *r, const struct chunk *c, struct buf_reader *br)
{
    uint32_t n = buf_get_u32(br);
    size_t old_n = r->n_inputs, old_len = r->data.len;
    vtime_t old_t = r->last_time;
    uint64_t old_ic = r->last_icount;
    int err = HV_OK;

    if (!count_ok(br, n, 24) || n == 0)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "bad input count %" PRIu32, n);
    for (uint32_t i = 0; i < n && !err; i++) {
        struct input_rec *in;
        if (grow((void **)&r->inputs, &r->cap_inputs, r->n_inputs, sizeof *r->inputs)) {
            err = chunk_reader_fail(&r->cr, c, HV_ENOMEM, "out of memory");
            break;
        }
        in = &r->inputs[r->n_inputs];
        memset(in, 0, sizeof *in);
        in->pub.time = buf_get_u64(br);
        in->pub.icount = buf_get_u64(br);
        in->pub.kind = buf_get_u8(br);
        buf_get_u8(br); /* reserved */
        in->pub.port = buf_get_u16(br);
        in->pub.len = buf_get_u32(br);
        if (br->err || in->pub.len > buf_remaining(br))
            err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "input %" PRIu32 ": runs past the payload", i);
        else if (in->pub.kind < RECLOG_INPUT_CONSOLE || in->pub.kind > RECLOG_INPUT_SCENARIO)
            err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "input %" PRIu32 ": unknown kind %u", i,
                                    in->pub.kind);
        else
            err = check_order(r, c, "input", in->pub.time, in->pub.icount);
        if (err)
            break;
        in->off = r->data.len;
        buf_put(&r->data, br->p + br->pos, in->pub.len);
        br->pos += in->pub.len;
        r->n_inputs++;
    }
    if (!err && r->data.err)
        err = chunk_reader_fail(&r->cr, c, HV_ENOMEM, "out of memory");
    if (err) { /* a chunk is kept whole or not at all */
        r->n_inputs = old_n;
        r->data.len = old_len;
        r->last_time = old_t;
        r->last_icount = old_ic;
    }
    return err;
}

/* Read a hash list into a fresh array; NULL with *err set on failure. */
static struct reclog_hash *parse_hashes(struct reclog_reader *r, const struct chunk *c,
                                        struct buf_reader *br, size_t *n_out, int *err)
{
    uint32_t n = buf_get_u32(br);
    struct reclog_hash *h;

    if (!count_ok(br, n, 12) || !(h = calloc(n + 1, sizeof *h))) {
        *err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "bad hash count %" PRIu32, n);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        char *name = chunk_get_str(br, RECLOG_MAX_STR);
        h[i].hash = buf_get_u64(br);
        if (!name || br->err || !(h[i].component = intern(r, name))) {
            free(h);
            *err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "hash %" PRIu32 ": runs past the payload", i);
            return NULL;
        }
    }
    *n_out = n;
    *err = HV_OK;
    return h;
}

static int parse_checkpoint(struct reclog_reader *r, const struct chunk *c, struct buf_reader *br)
{
    struct reclog_checkpoint cp = { 0 };
    struct reclog_hash *h;
    int err;

    cp.time = buf_get_u64(br);
    cp.icount = buf_get_u64(br);
    if (!(h = parse_hashes(r, c, br, &cp.n_hashes, &err)))
        return err;
    cp.hashes = h;
    if ((err = check_order(r, c, "checkpoint", cp.time, cp.icount)) ||
        (err = grow((void **)&r->cps, &r->cap_cps, r->n_cps, sizeof *r->cps))) {
        free(h);
        return err == HV_ENOMEM ? chunk_reader_fail(&r->cr, c, err, "out of memory") : err;
    }
    r->cps[r->n_cps++] = cp;
    return HV_OK;
}

static int parse_snapshot(struct reclog_reader *r, const struct chunk *c, struct buf_reader *br)
{
    struct snap_rec s = { .c = *c };
    int err;

    if (c->len < RECLOG_SNAPSHOT_FIXED)
        return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "snapshot: payload of %" PRIu32 " bytes is too short",
                                 c->len);
    s.info.time = buf_get_u64(br);
    s.info.icount = buf_get_u64(br);
    s.info.len = c->len - RECLOG_SNAPSHOT_FIXED;
    if ((err = check_order(r, c, "snapshot", s.info.time, s.info.icount)))
        return err;
    if (grow((void **)&r->snaps, &r->cap_snaps, r->n_snaps, sizeof *r->snaps))
        return chunk_reader_fail(&r->cr, c, HV_ENOMEM, "out of memory");
    r->snaps[r->n_snaps++] = s;
    return HV_OK;
}

static int parse_end(struct reclog_reader *r, const struct chunk *c, struct buf_reader *br)
{
    struct reclog_end e = { 0 };
    int err;

    e.time = buf_get_u64(br);
    e.icount = buf_get_u64(br);
    e.exit_status = (int32_t)buf_get_u32(br);
    if (!(e.hashes = parse_hashes(r, c, br, &e.n_hashes, &err)))
        return err;
    if ((err = check_order(r, c, "end", e.time, e.icount))) {
        free((void *)e.hashes);
        return err;
    }
    r->end = e;
    r->have_end = 1;
    return HV_OK;
}

static int parse_chunk(struct reclog_reader *r, const struct chunk *c, const struct buf *payload)
{
    struct buf_reader br;
    int err;

    buf_reader_init(&br, payload->data, payload->len);
    if ((err = chunk_check_sequence(&r->cr, c, r->have_end, RECLOG_CHUNK_HEADER)))
        return err;
    switch (c->type) {
    case RECLOG_CHUNK_HEADER: err = parse_header(r, c, &br); break;
    case RECLOG_CHUNK_INPUT: err = parse_input(r, c, &br); break;
    case RECLOG_CHUNK_CHECKPOINT: err = parse_checkpoint(r, c, &br); break;
    case RECLOG_CHUNK_SNAPSHOT: err = parse_snapshot(r, c, &br); break; /* blob not held */
    case RECLOG_CHUNK_END: err = parse_end(r, c, &br); break;
    default: return chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "unknown chunk type %" PRIu32, c->type);
    }
    if (!err && buf_remaining(&br))
        err = chunk_reader_fail(&r->cr, c, HV_ECORRUPT, "%zu unexpected bytes after the fields",
                                buf_remaining(&br));
    return err;
}

/* Read every chunk; 0 when the file is usable (whole, or salvaged), else negative. */
static int parse_chunk_fn(void *fmt, const struct chunk *c, const struct buf *payload)
{
    return parse_chunk(fmt, c, payload);
}

static int reader_load(struct reclog_reader *r, unsigned flags)
{
    int rc = chunk_reader_load(&r->cr, parse_chunk_fn, r, &r->have_header, &r->have_end,
                               flags & RECLOG_SALVAGE, RECLOG_CHUNK_SNAPSHOT, RECLOG_SNAPSHOT_FIXED);
    for (size_t i = 0; i < r->n_inputs; i++)
        r->inputs[i].pub.data = r->data.data + r->inputs[i].off;
    return rc;
}

struct reclog_reader *reclog_reader_open(const char *path, unsigned flags)
{
    struct reclog_reader *r = calloc(1, sizeof *r);

    if (!r) {
        log_error("%s: out of memory for the record reader", path);
        return NULL;
    }
    buf_init(&r->data);
    if (chunk_reader_open(&r->cr, path, reclog_magic, RECLOG_VERSION) || reader_load(r, flags)) {
        log_error("%s", r->cr.msg);
        reclog_reader_close(r);
        return NULL;
    }
    return r;
}

void reclog_reader_close(struct reclog_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->hdr.n_config; i++) {
        free((void *)r->config[i].key);
        free((void *)r->config[i].value);
    }
    for (size_t i = 0; i < r->hdr.n_binaries; i++)
        free((void *)r->bins[i].name);
    for (size_t i = 0; i < r->n_cps; i++)
        free((void *)r->cps[i].hashes);
    for (size_t i = 0; i < r->n_names; i++)
        free(r->names[i]);
    free((void *)r->end.hashes);
    free(r->names);
    free(r->config);
    free(r->bins);
    free(r->version);
    free(r->inputs);
    free(r->cps);
    free(r->snaps);
    buf_free(&r->data);
    chunk_reader_close(&r->cr);
    free(r);
}

uint32_t reclog_reader_version(const struct reclog_reader *r) { return r->cr.version; }
const struct reclog_header *reclog_reader_header(const struct reclog_reader *r) { return &r->hdr; }
const struct reclog_end *reclog_reader_end(const struct reclog_reader *r)
{
    return r->have_end ? &r->end : NULL;
}

const char *reclog_reader_config(const struct reclog_reader *r, const char *key)
{
    for (size_t i = 0; i < r->hdr.n_config; i++)
        if (!strcmp(r->config[i].key, key))
            return r->config[i].value;
    return NULL;
}

void reclog_reader_salvage_info(const struct reclog_reader *r, struct reclog_salvage *out)
{
    out->chunks_kept = r->cr.chunks_kept;
    out->bytes_kept = r->cr.bytes_kept;
    out->file_size = r->cr.size;
    out->damage = r->cr.damage;
}

size_t reclog_reader_n_inputs(const struct reclog_reader *r) { return r->n_inputs; }
size_t reclog_reader_n_checkpoints(const struct reclog_reader *r) { return r->n_cps; }
size_t reclog_reader_n_snapshots(const struct reclog_reader *r) { return r->n_snaps; }

const struct reclog_input *reclog_reader_input(const struct reclog_reader *r, size_t i)
{
    return i < r->n_inputs ? &r->inputs[i].pub : NULL;
}

const struct reclog_checkpoint *reclog_reader_checkpoint(const struct reclog_reader *r, size_t i)
{
    return i < r->n_cps ? &r->cps[i] : NULL;
}

const struct reclog_input *reclog_reader_next_input(const struct reclog_reader *r,
                                                    struct reclog_cursor *c)
{
    const struct reclog_input *in = reclog_reader_input(r, c->next);
    c->next += in != NULL;
    return in;
}

const struct reclog_checkpoint *reclog_reader_next_checkpoint(const struct reclog_reader *r,
                                                              struct reclog_cursor *c)
{
    const struct reclog_checkpoint *cp = reclog_reader_checkpoint(r, c->next);
    c->next += cp != NULL;
    return cp;
}

int reclog_reader_snapshot_info(const struct reclog_reader *r, size_t i,
                                struct reclog_snapshot_info *out)
{
    if (i >= r->n_snaps)
        return HV_ENOENT;
    *out = r->snaps[i].info;
    return HV_OK;
}

int reclog_reader_snapshot_find(const struct reclog_reader *r, vtime_t t)
{
    int found = HV_ENOENT;

    for (size_t i = 0; i < r->n_snaps && r->snaps[i].info.time <= t; i++)
        found = (int)i;
    return found;
}

int reclog_reader_snapshot_load(struct reclog_reader *r, size_t i, void *out)
{
    int err;

    if (i >= r->n_snaps)
        return HV_ENOENT;
    err = chunk_reader_reread(&r->cr, &r->snaps[i].c, RECLOG_SNAPSHOT_FIXED, out,
                              (size_t)r->snaps[i].info.len);
    if (err)
        log_error("%s", r->cr.msg);
    return err;
}
