/* Guest RAM: host memory mapped lazily so untouched pages cost nothing, a fast
 * content hash over its non-zero pages (64-bit words, 4 lanes), and a compact
 * saved form (bitmap of non-zero pages + zlib) for snapshots. */
#ifndef MACHINE_RAM_H
#define MACHINE_RAM_H

#include <stdint.h>

#include "base/buf.h"

struct ram {
    uint8_t *base;
    uint64_t size;   /* a multiple of RAM_PAGE */
    int pagemap_fd;  /* /proc/self/pagemap, or -1: then every page is read */
};

#define RAM_PAGE 4096u

/* Map size bytes of zeroed memory. 0 or HV_ENOMEM (logged). */
int ram_init(struct ram *r, uint64_t size);
void ram_destroy(struct ram *r);

/* Hash of the contents: depends only on which pages are non-zero and what they
 * hold, never on which pages the host happens to have backed. */
uint64_t ram_hash(const struct ram *r);

/* Append the saved form to out. 0 or HV_ENOMEM. */
int ram_save(const struct ram *r, struct buf *out);
/* Restore from in; pages the saved form does not list become zero.
 * 0 or HV_ECORRUPT (size mismatch, bad bitmap or compressed data). */
int ram_load(struct ram *r, struct buf_reader *in);

#endif
