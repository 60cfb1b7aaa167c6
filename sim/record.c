/* The recorder: a machine tick that hashes the state into checkpoint chunks and
 * every N checkpoints saves a snapshot after it (same time and instruction
 * count), so `replay --seek` can start there; console input becomes input
 * chunks. The config keys checkpoint_every_ns and snapshot_every tell the replay
 * where the checkpoints fall. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli.h"
#include "traces/reclog.h"

struct recorder {
    struct reclog_writer *w;
    const char *path;
    vtime_t every;
    unsigned snapshot_every;
    size_t n_checkpoints;
    struct buf snap;
    int err; /* first error while writing */
};

struct recorder *recorder_create(const char *path, const struct boot_config *bc, vtime_t every,
                                 unsigned snapshot_every, char *err, size_t errlen)
{
    struct reclog_binary bins[1 + BOOT_MAX_MODULES];
    struct boot_kv kv;
    struct recorder *r = calloc(1, sizeof *r);

    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    r->path = path;
    r->every = every;
    r->snapshot_every = snapshot_every;
    buf_init(&r->snap);
    if (boot_config_binaries(bc, bins, err, errlen))
        goto fail;
    if (boot_config_to_kv(bc, &kv) || boot_kv_addf(&kv, "checkpoint_every_ns", "%llu", (unsigned long long)every) ||
        boot_kv_addf(&kv, "snapshot_every", "%u", snapshot_every)) {
        snprintf(err, errlen, "%s: out of memory for the header", path);
        goto fail_after_kv;
    }
    r->w = reclog_writer_create(path);
    if (!r->w) {
        snprintf(err, errlen, "%s: cannot create the record log", path);
        goto fail_after_kv;
    }
    struct reclog_header h = { .hvsim_version = HVSIM_VERSION, .seed = bc->seed, .config = kv.kv, .n_config = kv.n,
                               .binaries = bins, .n_binaries = (size_t)(1 + bc->nmods) };
    int e = reclog_writer_write_header(r->w, &h);
    boot_kv_free(&kv);
    if (e) {
        snprintf(err, errlen, "%s: cannot write the header (%s)", path, hv_strerror(e));
        reclog_writer_close(r->w, NULL);
        goto fail;
    }
    return r;

fail_after_kv:
    boot_kv_free(&kv);
fail:
    free(r);
    return NULL;
}

static int recorder_tick(void *opaque, struct machine *m)
{
    struct recorder *r = opaque;
    struct reclog_hash hashes[MACHINE_N_HASHES];
    size_t n = machine_hashes(m, hashes, MACHINE_N_HASHES);
    vtime_t now = machine_now(m);
    uint64_t icount = machine_instructions(m);
    struct reclog_checkpoint cp = { .time = now, .icount = icount, .hashes = hashes, .n_hashes = n };
    int e = reclog_writer_append_checkpoint(r->w, &cp);

    r->n_checkpoints++;
    if (!e && r->snapshot_every && r->n_checkpoints % r->snapshot_every == 0) {
        buf_reset(&r->snap);
        e = machine_save(m, &r->snap);
        if (!e)
            e = reclog_writer_append_snapshot(r->w, now, icount, r->snap.data, r->snap.len);
    }
    if (e && !r->err)
        r->err = e;
    return 0; /* a failing log never changes the run */
}

void recorder_attach(struct recorder *r, struct machine *m) { machine_set_tick(m, r->every, recorder_tick, r); }

void recorder_input(void *opaque, vtime_t time, uint64_t icount, uint8_t byte)
{
    struct recorder *r = opaque;
    struct reclog_input in = { .time = time, .icount = icount, .kind = RECLOG_INPUT_CONSOLE, .len = 1, .data = &byte };
    int e = reclog_writer_append_input(r->w, &in);
    if (e && !r->err)
        r->err = e;
}

size_t recorder_n_checkpoints(const struct recorder *r) { return r->n_checkpoints; }

int recorder_finish(struct recorder *r, struct machine *m, const struct machine_result *res, char *err,
                    size_t errlen)
{
    struct reclog_hash hashes[MACHINE_N_HASHES];
    size_t n = machine_hashes(m, hashes, MACHINE_N_HASHES);
    struct reclog_end end = { .time = res->time, .icount = res->instructions, .exit_status = res->exit_status,
                              .hashes = hashes, .n_hashes = n };
    int e = reclog_writer_close(r->w, &end);
    int first = r->err ? r->err : e;

    if (first)
        snprintf(err, errlen, "%s: the record log could not be written whole (%s); what was written replays "
                 "with --salvage", r->path, hv_strerror(first));
    buf_free(&r->snap);
    free(r);
    return first ? -1 : 0;
}
