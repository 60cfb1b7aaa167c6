/* Writing the record/replay log (.hvrec) as the run goes: one chunk per call,
 * inputs batched, every chunk flushed to the host (docs/traces.md, "Record log"). */
#include "traces/reclog.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "chunk_priv.h"
#include "reclog_priv.h"

struct reclog_writer {
    struct chunk_writer cw;
    int header_written;
    struct buf batch; /* encoded inputs not yet written */
    uint32_t batch_count;
    vtime_t last_time; /* inputs, checkpoints and snapshots come in this order */
    uint64_t last_icount;
    struct buf scratch;
};

uint64_t reclog_hash_bytes(const void *p, size_t n) { return hash_fnv1a64(HASH_FNV1A64_INIT, p, n); }

struct reclog_writer *reclog_writer_create(const char *path)
{
    struct reclog_writer *w = calloc(1, sizeof *w);

    if (!w) {
        log_error("%s: out of memory for the record writer", path);
        return NULL;
    }
    buf_init(&w->batch);
    buf_init(&w->scratch);
    if (chunk_writer_open(&w->cw, path, reclog_magic, RECLOG_VERSION)) {
        chunk_writer_close(&w->cw);
        free(w);
        return NULL; /* chunk_writer_open logged why */
    }
    return w;
}

int reclog_writer_write_header(struct reclog_writer *w, const struct reclog_header *h)
{
    struct buf *b = &w->scratch;

    if (w->header_written || w->cw.index) {
        log_error("%s: the header must be written once, first", w->cw.path);
        return HV_EINVAL;
    }
    buf_reset(b);
    chunk_put_str(b, h->hvsim_version);
    buf_put_u64(b, h->seed);
    buf_put_u32(b, (uint32_t)h->n_config);
    for (size_t i = 0; i < h->n_config; i++) {
        chunk_put_str(b, h->config[i].key);
        chunk_put_str(b, h->config[i].value);
    }
    buf_put_u32(b, (uint32_t)h->n_binaries);
    for (size_t i = 0; i < h->n_binaries; i++) {
        chunk_put_str(b, h->binaries[i].name);
        buf_put_u64(b, h->binaries[i].size);
        buf_put_u64(b, h->binaries[i].hash);
    }
    w->header_written = 1;
    return chunk_writer_put(&w->cw, RECLOG_CHUNK_HEADER, b, NULL, 0);
}

/* Every timed record must not go back in (time, icount): a replay consumes them in order. */
static int writer_check_order(struct reclog_writer *w, const char *what, vtime_t t, uint64_t icount)
{
    if (!w->header_written) {
        log_error("%s: %s before the header", w->cw.path, what);
        return HV_EINVAL;
    }
    if (t < w->last_time || icount < w->last_icount) {
        log_error("%s: %s at t=%" PRIu64 " ns, icount %" PRIu64 " goes back from t=%" PRIu64
                  " ns, icount %" PRIu64,
                  w->cw.path, what, t, icount, w->last_time, w->last_icount);
        return HV_EINVAL;
    }
    w->last_time = t;
    w->last_icount = icount;
    return HV_OK;
}

int reclog_writer_flush(struct reclog_writer *w)
{
    int err;

    if (!w->batch_count)
        return w->cw.err;
    buf_reset(&w->scratch);
    buf_put_u32(&w->scratch, w->batch_count);
    err = chunk_writer_put(&w->cw, RECLOG_CHUNK_INPUT, &w->scratch, w->batch.data, w->batch.len);
    buf_reset(&w->batch);
    w->batch_count = 0;
    return err;
}

int reclog_writer_append_input(struct reclog_writer *w, const struct reclog_input *in)
{
    struct buf *b = &w->batch;
    int err = writer_check_order(w, "input", in->time, in->icount);

    if (err)
        return err;
    buf_put_u64(b, in->time);
    buf_put_u64(b, in->icount);
    buf_put_u8(b, in->kind);
    buf_put_u8(b, 0); /* reserved */
    buf_put_u16(b, in->port);
    buf_put_u32(b, in->len);
    buf_put(b, in->data, in->len);
    if (b->err)
        return w->cw.err = b->err;
    if (++w->batch_count >= RECLOG_BATCH_INPUTS || b->len >= RECLOG_BATCH_BYTES)
        return reclog_writer_flush(w);
    return w->cw.err;
}

static void put_hashes(struct buf *b, const struct reclog_hash *h, size_t n)
{
    buf_put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        chunk_put_str(b, h[i].component);
        buf_put_u64(b, h[i].hash);
    }
}

int reclog_writer_append_checkpoint(struct reclog_writer *w, const struct reclog_checkpoint *cp)
{
    int err = writer_check_order(w, "checkpoint", cp->time, cp->icount);

    /* Inputs go first, so every checkpoint in a file follows the inputs before it. */
    if (err || (err = reclog_writer_flush(w)))
        return err;
    buf_reset(&w->scratch);
    buf_put_u64(&w->scratch, cp->time);
    buf_put_u64(&w->scratch, cp->icount);
    put_hashes(&w->scratch, cp->hashes, cp->n_hashes);
    return chunk_writer_put(&w->cw, RECLOG_CHUNK_CHECKPOINT, &w->scratch, NULL, 0);
}

int reclog_writer_append_snapshot(struct reclog_writer *w, vtime_t time, uint64_t icount,
                                  const void *blob, size_t len)
{
    int err = writer_check_order(w, "snapshot", time, icount);

    if (err || (err = reclog_writer_flush(w)))
        return err;
    buf_reset(&w->scratch);
    buf_put_u64(&w->scratch, time);
    buf_put_u64(&w->scratch, icount);
    return chunk_writer_put(&w->cw, RECLOG_CHUNK_SNAPSHOT, &w->scratch, blob, len);
}

int reclog_writer_close(struct reclog_writer *w, const struct reclog_end *end)
{
    int err = 0;

    if (end && !(err = writer_check_order(w, "end", end->time, end->icount)) &&
        !(err = reclog_writer_flush(w))) {
        buf_reset(&w->scratch);
        buf_put_u64(&w->scratch, end->time);
        buf_put_u64(&w->scratch, end->icount);
        buf_put_u32(&w->scratch, (uint32_t)end->exit_status);
        put_hashes(&w->scratch, end->hashes, end->n_hashes);
        err = chunk_writer_put(&w->cw, RECLOG_CHUNK_END, &w->scratch, NULL, 0);
    } else if (!end) {
        err = reclog_writer_flush(w);
    }
    int cerr = chunk_writer_close(&w->cw);
    buf_free(&w->batch);
    buf_free(&w->scratch);
    free(w);
    return err ? err : cerr;
}
