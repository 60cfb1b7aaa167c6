/* State hashes for replay checkpoints: the CPU's architectural state, every
 * device's saved state, RAM contents, the console output so far, and the
 * outside input that entered (each byte with its instruction count). Each is a
 * pure function of guest-visible state, never of host addresses or timing. */
#include <stdlib.h>

#include "machine_priv.h"

static uint64_t devices_hash(struct machine *m)
{
    const struct dev_ops *ops[MACHINE_MAX_STATE_DEVS];
    void *opaque[MACHINE_MAX_STATE_DEVS];
    int n = machine_state_devs(m, ops, opaque, MACHINE_MAX_STATE_DEVS);
    uint64_t h = HASH_FNV1A64_INIT;
    int bad = 0;
    struct buf b;

    buf_init(&b);
    for (int i = 0; i < n; i++) {
        buf_reset(&b);
        bad |= ops[i]->save(opaque[i], &b) | b.err;
        uint64_t len = b.len;
        h = hash_fnv1a64(h, &len, sizeof len);
        h = hash_fnv1a64(h, b.data, b.len);
    }
    if (bad)
        h = 0; /* out of memory: a hash no real state has, so the replay says so */
    buf_free(&b);
    return h;
}

size_t machine_hashes(struct machine *m, struct reclog_hash *out, size_t n)
{
    struct reclog_hash all[MACHINE_N_HASHES] = {
        { "cpu", cpu_state_hash(m->cpu) },
        { "devices", devices_hash(m) },
        { "memory", ram_hash(&m->ram) },
        { "console", m->console_hash ^ m->console_bytes * 0x9e3779b97f4a7c15ULL },
        { "input", console_input_hash(m) },
    };
    size_t k = n < MACHINE_N_HASHES ? n : MACHINE_N_HASHES;
    for (size_t i = 0; i < k; i++)
        out[i] = all[i];
    return k;
}
