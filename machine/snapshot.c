/* Machine snapshots: save and restore the whole simulated PC between CPU runs.
 * Layout (little-endian): magic, version, RAM size and frequency; the CPU
 * (cpu_save); each device as (name, length, its dev_ops save bytes) in the fixed
 * order of machine_state_devs; the pending device events as (name, time) in queue
 * order; RAM (ram.c); the console's byte count and hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "machine_priv.h"

#define SNAP_MAGIC 0x50534d48u /* "HMSP" */
#define SNAP_VERSION 1
#define SNAP_MAX_EVENTS 64

static void put_str(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    buf_put_u32(b, (uint32_t)n);
    buf_put(b, s, n);
}

/* The pending events but the observers' tick, in (time, sequence) order. */
static size_t pending_events(struct machine *m, struct event **out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->q.n && n < SNAP_MAX_EVENTS; i++)
        if (m->q.heap[i] != &m->tick_ev && !console_input_is_poll(m, m->q.heap[i]))
            out[n++] = m->q.heap[i];
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of events */
        for (size_t j = i; j > 0; j--) {
            struct event *a = out[j - 1], *b = out[j];
            if (a->when < b->when || (a->when == b->when && a->seq < b->seq))
                break;
            out[j - 1] = b;
            out[j] = a;
        }
    return n;
}

int machine_save(struct machine *m, struct buf *out)
{
    const struct dev_ops *ops[MACHINE_MAX_STATE_DEVS];
    void *opaque[MACHINE_MAX_STATE_DEVS];
    struct event *evs[SNAP_MAX_EVENTS];
    int ndev = machine_state_devs(m, ops, opaque, MACHINE_MAX_STATE_DEVS), err;

    buf_put_u32(out, SNAP_MAGIC);
    buf_put_u32(out, SNAP_VERSION);
    buf_put_u64(out, m->cfg.mem_bytes);
    buf_put_u64(out, m->cfg.hz);
    buf_put_u64(out, m->q.now);
    if ((err = cpu_save(m->cpu, out)))
        return err;
    buf_put_u32(out, (uint32_t)ndev);
    for (int i = 0; i < ndev; i++) {
        put_str(out, ops[i]->name);
        size_t at = out->len;
        buf_put_u64(out, 0); /* length, patched */
        if ((err = ops[i]->save(opaque[i], out)))
            return err;
        uint64_t len = out->len - at - 8;
        for (int k = 0; k < 8 && !out->err; k++)
            out->data[at + k] = (uint8_t)(len >> (8 * k));
    }
    size_t nev = pending_events(m, evs);
    buf_put_u32(out, (uint32_t)nev);
    for (size_t i = 0; i < nev; i++) {
        put_str(out, evs[i]->name ? evs[i]->name : "");
        buf_put_u64(out, evs[i]->when);
    }
    if ((err = ram_save(&m->ram, out)))
        return err;
    buf_put_u64(out, m->console_bytes);
    buf_put_u64(out, m->console_hash);
    console_input_save(m, out);
    return out->err;
}

/* A string from the blob into name (NUL-terminated, cut to fit). */
static void get_str(struct buf_reader *r, char *name, size_t cap)
{
    uint32_t n = buf_get_u32(r);
    if (r->err || n > buf_remaining(r)) {
        r->err = HV_ERANGE;
        name[0] = '\0';
        return;
    }
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(name, r->p + r->pos, k);
    name[k] = '\0';
    r->pos += n;
}

#define FAIL(...)                                   \
    do {                                            \
        snprintf(err, errlen, __VA_ARGS__);         \
        return HV_ECORRUPT;                         \
    } while (0)

/* Re-queue the device events in the saved order, so events due at the same time
 * run in the order they would have run without the snapshot. */
static int restore_event_order(struct machine *m, struct buf_reader *r, char *err, size_t errlen)
{
    struct event *evs[SNAP_MAX_EVENTS];
    size_t nev = pending_events(m, evs), saved = buf_get_u32(r);
    bool used[SNAP_MAX_EVENTS] = { false };
    char name[64];

    if (r->err || saved != nev)
        FAIL("snapshot: %zu device events pending after the load, the snapshot lists %zu", nev, saved);
    for (size_t i = 0; i < saved; i++) {
        get_str(r, name, sizeof name);
        vtime_t when = buf_get_u64(r);
        size_t j = 0;
        while (j < nev && (used[j] || evs[j]->when != when || strcmp(evs[j]->name ? evs[j]->name : "", name)))
            j++;
        if (r->err || j == nev)
            FAIL("snapshot: event %zu ('%s' at %llu ns) was not re-armed by its device", i, name,
                 (unsigned long long)when);
        used[j] = true;
        evq_schedule(&m->q, evs[j], when);
    }
    return HV_OK;
}

int machine_load(struct machine *m, const void *blob, size_t len, char *err, size_t errlen)
{
    const struct dev_ops *ops[MACHINE_MAX_STATE_DEVS];
    void *opaque[MACHINE_MAX_STATE_DEVS];
    struct event *evs[SNAP_MAX_EVENTS];
    struct buf_reader r;
    char name[64];
    int ndev = machine_state_devs(m, ops, opaque, MACHINE_MAX_STATE_DEVS), e;

    buf_reader_init(&r, blob, len);
    if (buf_get_u32(&r) != SNAP_MAGIC || buf_get_u32(&r) != SNAP_VERSION)
        FAIL("snapshot: not a version %d machine snapshot", SNAP_VERSION);
    uint64_t mem = buf_get_u64(&r), hz = buf_get_u64(&r);
    vtime_t now = buf_get_u64(&r);
    if (mem != m->cfg.mem_bytes || hz != m->cfg.hz)
        FAIL("snapshot: taken with %llu MiB at %llu Hz, this machine has %llu MiB at %llu Hz",
             (unsigned long long)(mem >> 20), (unsigned long long)hz,
             (unsigned long long)(m->cfg.mem_bytes >> 20), (unsigned long long)m->cfg.hz);
    /* Whatever the fresh machine queued is replaced by what the devices re-arm. */
    size_t nev = pending_events(m, evs);
    for (size_t i = 0; i < nev; i++)
        evq_cancel(&m->q, evs[i]);
    evq_run_until(&m->q, now); /* nothing but a tick is queued: only sets the clock */
    if ((e = cpu_load(m->cpu, &r)))
        FAIL("snapshot: the CPU state does not load (%s; another Unicorn build?)", hv_strerror(e));
    if (buf_get_u32(&r) != (uint32_t)ndev)
        FAIL("snapshot: expected %d devices", ndev);
    for (int i = 0; i < ndev; i++) {
        get_str(&r, name, sizeof name);
        uint64_t dlen = buf_get_u64(&r);
        if (r.err || strcmp(name, ops[i]->name) || dlen > buf_remaining(&r))
            FAIL("snapshot: device %d: expected '%s', found '%s'", i, ops[i]->name, name);
        struct buf_reader dr;
        buf_reader_init(&dr, r.p + r.pos, (size_t)dlen);
        if ((e = ops[i]->load(opaque[i], &dr)) || dr.pos != dr.len)
            FAIL("snapshot: device '%s' (%llu bytes at offset %zu) does not load", name,
                 (unsigned long long)dlen, r.pos);
        r.pos += (size_t)dlen;
    }
    if ((e = restore_event_order(m, &r, err, errlen)))
        return e;
    if ((e = ram_load(&m->ram, &r)))
        FAIL("snapshot: the RAM image does not load (%s)", hv_strerror(e));
    m->console_bytes = buf_get_u64(&r);
    m->console_hash = buf_get_u64(&r);
    console_input_load(m, &r);
    if (r.err || buf_remaining(&r))
        FAIL("snapshot: %s at offset %zu of %zu", r.err ? "cut short" : "trailing bytes", r.pos, len);
    m->stopping = false;
    return HV_OK;
}
