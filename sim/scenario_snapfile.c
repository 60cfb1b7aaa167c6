/* Scenario snapshots on disk: a machine's snapshot together with the console
 * input typed before it and the world's time, under a key made of the machine's
 * configuration and the bytes of its kernel and modules, so a later run of the
 * same configuration can start where an earlier one saved (`snap:save(path)`,
 * `m:restore(path)`, `m:config_key()` in docs/scenarios.md).
 * Layout (little-endian): "HVSIMSNP", version, key, world time, machine time,
 * typed length and bytes, machine_save's blob length and bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli.h"
#include "scenario.h"

#define SNAPFILE_MAGIC "HVSIMSNP"
#define SNAPFILE_VERSION 1u

/* The running hvsim's own bytes: another build may run the machine differently
 * (a new device model, a fixed instruction), so its snapshots are not this one's. */
static uint64_t self_hash(void)
{
    static uint64_t h;
    if (h)
        return h;
    h = HASH_FNV1A64_INIT;
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        return h;
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        h = hash_fnv1a64(h, chunk, n);
    fclose(f);
    return h;
}

int scenario_config_key(struct scen_machine *sm, uint64_t *key, char *err, size_t errlen)
{
    /* Once per machine: it reads every image (about 100 MB for the stack). */
    if (sm->config_key_known) {
        *key = sm->config_key;
        return 0;
    }
    const struct boot_config *bc = &sm->bc;
    struct reclog_binary bins[1 + BOOT_MAX_MODULES];
    if (boot_config_binaries(bc, bins, err, errlen))
        return -1;
    /* What the machine computes from: the binaries' bytes (not their paths, so a
     * moved cache keeps its snapshots), command lines, memory, clock, and the
     * hvsim build and snapshot layout that wrote it. */
    uint64_t h = HASH_FNV1A64_INIT;
    char line[512];
    int n = snprintf(line, sizeof line, "hvsim %s snapfile %u machine-snapshot mem %llu rtc %llu", HVSIM_VERSION,
                     SNAPFILE_VERSION, (unsigned long long)bc->mem_mib, (unsigned long long)bc->rtc_epoch);
    h = hash_fnv1a64(h, line, (size_t)n);
    if (bc->net) { /* a NIC is part of the machine (and its MAC of the guest's state) */
        n = snprintf(line, sizeof line, " net %s mac %s", bc->net, bc->mac ? bc->mac : "default");
        h = hash_fnv1a64(h, line, (size_t)n);
    }
    uint64_t self = self_hash();
    h = hash_fnv1a64(h, &self, sizeof self);
    for (int i = 0; i <= bc->nmods; i++) {
        const char *cl = i == 0 ? bc->cmdline : bc->mods[i - 1].cmdline;
        h = hash_fnv1a64(h, &bins[i].size, sizeof bins[i].size);
        h = hash_fnv1a64(h, &bins[i].hash, sizeof bins[i].hash);
        h = hash_fnv1a64(h, cl ? cl : "", cl ? strlen(cl) + 1 : 1);
    }
    sm->config_key = *key = h;
    sm->config_key_known = true;
    return 0;
}

/* mkdir -p of path's folder. */
static int make_parents(const char *path)
{
    char d[4096];
    if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d)
        return -1;
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(d, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

int scenario_snapshot_save(struct scen_machine *sm, const struct scen_snapshot *snap, const char *path,
                           char *err, size_t errlen)
{
    uint64_t key;
    if (scenario_config_key(sm, &key, err, errlen))
        return -1;
    struct buf b;
    buf_init(&b);
    buf_put(&b, SNAPFILE_MAGIC, 8);
    buf_put_u32(&b, SNAPFILE_VERSION);
    buf_put_u64(&b, key);
    buf_put_u64(&b, snap->world_time);
    buf_put_u64(&b, snap->machine_time);
    buf_put_u64(&b, snap->typed_len);
    buf_put(&b, sm->typed, snap->typed_len);
    buf_put_u64(&b, snap->len);
    buf_put(&b, snap->blob, snap->len);
    if (b.err) {
        buf_free(&b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Written beside, then renamed: a reader never sees half a snapshot. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = NULL;
    int ok = make_parents(path) == 0 && (f = fopen(tmp, "wb")) && fwrite(b.data, 1, b.len, f) == b.len;
    ok = (f && fclose(f) == 0) && ok;
    buf_free(&b);
    if (!ok || rename(tmp, path)) {
        snprintf(err, errlen, "%s: cannot write the snapshot: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int scenario_restore_file(struct scen_machine *sm, const char *path, vtime_t *when, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct buf data;
    buf_init(&data);
    uint8_t chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(&data, chunk, got);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || data.err) {
        snprintf(err, errlen, "%s: cannot read it", path);
        buf_free(&data);
        return -1;
    }
    struct buf_reader r;
    buf_reader_init(&r, data.data, data.len);
    char magic[8] = { 0 };
    buf_get(&r, magic, 8);
    uint32_t version = buf_get_u32(&r);
    uint64_t key = buf_get_u64(&r), want;
    struct scen_snapshot snap = { .index = sm->index };
    snap.world_time = buf_get_u64(&r);
    snap.machine_time = buf_get_u64(&r);
    snap.typed_len = buf_get_u64(&r);
    const uint8_t *typed = r.err || snap.typed_len > buf_remaining(&r) ? NULL : r.p + r.pos;
    r.pos += typed ? snap.typed_len : 0;
    snap.len = buf_get_u64(&r);
    snap.blob = r.err || snap.len != buf_remaining(&r) ? NULL : (void *)(r.p + r.pos);
    int rc = -1;
    if (memcmp(magic, SNAPFILE_MAGIC, 8) || version != SNAPFILE_VERSION || !typed || !snap.blob)
        snprintf(err, errlen, "%s: not a scenario snapshot of this hvsim (layout %u), or cut short", path,
                 SNAPFILE_VERSION);
    else if (scenario_config_key(sm, &want, err, errlen))
        ;
    else if (key != want)
        snprintf(err, errlen, "%s: made for another configuration (key %016llx; machine '%s' has %016llx: "
                 "other images, command lines, memory or hvsim version)", path, (unsigned long long)key,
                 sm->name, (unsigned long long)want);
    else if (world_now(sm->s->w) > snap.world_time)
        snprintf(err, errlen, "%s: taken at t=%llu ns, and the world is already later", path,
                 (unsigned long long)snap.world_time);
    else {
        /* The typed prefix becomes this machine's, as if typed here. */
        sm->typed_len = 0;
        if (scenario_typed_append(sm, typed, snap.typed_len, err, errlen) == 0 &&
            scenario_restore(sm, &snap, err, errlen) == 0) {
            world_jump(sm->s->w, snap.world_time);
            *when = snap.world_time;
            rc = 0;
        }
    }
    buf_free(&data);
    return rc;
}
