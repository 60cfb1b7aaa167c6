/* isa-debug-exit (QEMU hw/misc/debugexit.c): a write of any size at offset 0
 * calls the exit callback with the value; the device has no other state. */
#include "devices/debug_exit.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define DEBUG_EXIT_MAGIC 0x44455849 /* "DEXI" */

struct debug_exit {
    debug_exit_fn *fn;
    void *opaque;
};

/* Reads return all-ones, as QEMU's device is write-only. */
static uint64_t debug_exit_read(void *opaque, uint64_t off, unsigned size)
{
    return dev_ones(size);
}

static void debug_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct debug_exit *d = opaque;

    if (off != 0 || (size != 1 && size != 2 && size != 4)) {
        log_guest("debug-exit: %u-byte write at offset %llu", size, (unsigned long long)off);
        return;
    }
    if (d->fn)
        d->fn(d->opaque, (uint32_t)(val & dev_ones(size)));
}

static void debug_exit_reset(void *opaque) {}

static int debug_exit_save(void *opaque, struct buf *b)
{
    dev_save_header(b, DEBUG_EXIT_MAGIC, 1);
    return b->err;
}

static int debug_exit_load(void *opaque, struct buf_reader *r)
{
    return dev_load_header(r, DEBUG_EXIT_MAGIC, 1);
}

const struct dev_ops debug_exit_ops = {
    .name = "isa-debug-exit",
    .read = debug_exit_read,
    .write = debug_exit_write,
    .reset = debug_exit_reset,
    .save = debug_exit_save,
    .load = debug_exit_load,
};

struct debug_exit *debug_exit_create(debug_exit_fn *fn, void *opaque)
{
    struct debug_exit *d = calloc(1, sizeof *d);

    if (!d) {
        log_error("debug-exit: out of memory");
        return NULL;
    }
    d->fn = fn;
    d->opaque = opaque;
    return d;
}

void debug_exit_destroy(struct debug_exit *d)
{
    free(d);
}
