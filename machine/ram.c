/* Guest RAM over an anonymous private mapping. Pages the guest never touched are
 * neither present nor swapped in /proc/self/pagemap (Documentation/admin-guide/
 * mm/pagemap.rst, bits 63 and 62) and so are known to be zero without reading
 * them; that keeps a checkpoint's memory hash proportional to what the guest used. */
#define _GNU_SOURCE
#include "ram.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "base/err.h"
#include "base/log.h"

#define RAM_MAGIC 0x4d415248u /* "HRAM" */
#define PAGEMAP_BATCH 4096     /* entries read per pread */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define K1 0x9e3779b97f4a7c15ULL
#define K2 0xc2b2ae3d27d4eb4fULL

int ram_init(struct ram *r, uint64_t size)
{
    r->size = size;
    r->pagemap_fd = -1;
    r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r->base == MAP_FAILED) {
        r->base = NULL;
        log_error("machine: cannot map %llu MiB of guest RAM", (unsigned long long)(size >> 20));
        return HV_ENOMEM;
    }
    r->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (r->pagemap_fd < 0)
        log_debug("machine: no /proc/self/pagemap: memory hashes read all of RAM");
    return HV_OK;
}

void ram_destroy(struct ram *r)
{
    if (r->base)
        munmap(r->base, r->size);
    if (r->pagemap_fd >= 0)
        close(r->pagemap_fd);
    r->base = NULL;
    r->pagemap_fd = -1;
}

/* Walks the pages that may be non-zero, batch by batch. */
struct page_walk {
    const struct ram *r;
    uint64_t entries[PAGEMAP_BATCH];
    uint64_t batch_start, batch_len, page;
};

static void walk_start(struct page_walk *w, const struct ram *r)
{
    w->r = r;
    w->batch_start = w->batch_len = w->page = 0;
}

static void walk_fill(struct page_walk *w)
{
    const struct ram *r = w->r;
    uint64_t npages = r->size / RAM_PAGE, n = npages - w->page;
    if (n > PAGEMAP_BATCH)
        n = PAGEMAP_BATCH;
    w->batch_start = w->page;
    w->batch_len = n;
    off_t off = (off_t)(((uintptr_t)r->base / RAM_PAGE + w->page) * sizeof(uint64_t));
    if (r->pagemap_fd < 0 || pread(r->pagemap_fd, w->entries, n * sizeof(uint64_t), off) != (ssize_t)(n * 8))
        for (uint64_t i = 0; i < n; i++)
            w->entries[i] = PAGEMAP_PRESENT; /* unknown: read it */
}

/* Next page that may hold data, or -1 when done. */
static int64_t walk_next(struct page_walk *w)
{
    uint64_t npages = w->r->size / RAM_PAGE;
    for (; w->page < npages; w->page++) {
        if (w->page >= w->batch_start + w->batch_len)
            walk_fill(w);
        if (w->entries[w->page - w->batch_start] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED))
            return (int64_t)w->page++;
    }
    return -1;
}

static bool page_is_zero(const uint64_t *p)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (unsigned i = 0; i < RAM_PAGE / 8; i += 4) {
        a |= p[i];
        b |= p[i + 1];
        c |= p[i + 2];
        d |= p[i + 3];
    }
    return (a | b | c | d) == 0;
}

static inline uint64_t rotl(uint64_t x, int k) { return x << k | x >> (64 - k); }

static uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* Four independent lanes so the multiplies overlap; each step is a bijection of
 * the lane for a given word, so one changed word always changes the lane. */
static uint64_t page_hash(const uint64_t *p)
{
    uint64_t a = K1, b = K2, c = ~K1, d = ~K2;
    for (unsigned i = 0; i < RAM_PAGE / 8; i += 4) {
        a = rotl((a ^ p[i]) * K1, 29);
        b = rotl((b ^ p[i + 1]) * K1, 29);
        c = rotl((c ^ p[i + 2]) * K1, 29);
        d = rotl((d ^ p[i + 3]) * K1, 29);
    }
    return fmix(a) ^ rotl(fmix(b), 16) ^ rotl(fmix(c), 32) ^ rotl(fmix(d), 48);
}

uint64_t ram_hash(const struct ram *r)
{
    struct page_walk *w = malloc(sizeof *w);
    uint64_t h = K2 ^ r->size;
    int64_t pg;

    if (!w)
        return 0; /* never matches a real hash: the replay reports it */
    walk_start(w, r);
    while ((pg = walk_next(w)) >= 0) {
        const uint64_t *p = (const uint64_t *)(r->base + (uint64_t)pg * RAM_PAGE);
        if (!page_is_zero(p))
            h = fmix(h ^ (uint64_t)pg) * K1 ^ page_hash(p);
    }
    free(w);
    return fmix(h);
}

int ram_save(const struct ram *r, struct buf *out)
{
    uint64_t npages = r->size / RAM_PAGE, nbitmap = (npages + 7) / 8, count = 0;
    uint8_t *bitmap = calloc(1, nbitmap), *pages = NULL;
    struct page_walk *w = malloc(sizeof *w);
    int64_t pg;
    int err = HV_ENOMEM;

    if (!bitmap || !w)
        goto out;
    walk_start(w, r);
    while ((pg = walk_next(w)) >= 0)
        if (!page_is_zero((const uint64_t *)(r->base + (uint64_t)pg * RAM_PAGE))) {
            bitmap[pg / 8] |= (uint8_t)(1u << (pg % 8));
            count++;
        }
    /* The non-zero pages back to back, compressed in one stream. */
    pages = malloc(count ? count * RAM_PAGE : 1);
    if (!pages)
        goto out;
    for (uint64_t i = 0, j = 0; i < npages; i++)
        if (bitmap[i / 8] >> (i % 8) & 1)
            memcpy(pages + RAM_PAGE * j++, r->base + i * RAM_PAGE, RAM_PAGE);
    uLongf zlen = compressBound((uLong)(count * RAM_PAGE));
    buf_put_u32(out, RAM_MAGIC);
    buf_put_u64(out, r->size);
    buf_put(out, bitmap, nbitmap);
    buf_put_u64(out, count);
    size_t at = out->len;
    buf_put_u64(out, 0); /* compressed length, patched below */
    if (buf_reserve(out, zlen))
        goto out;
    if (compress2(out->data + out->len, &zlen, pages, (uLong)(count * RAM_PAGE), Z_BEST_SPEED) != Z_OK)
        goto out;
    for (int i = 0; i < 8; i++)
        out->data[at + i] = (uint8_t)((uint64_t)zlen >> (8 * i));
    out->len += zlen;
    err = out->err;
out:
    free(bitmap);
    free(pages);
    free(w);
    return err;
}

int ram_load(struct ram *r, struct buf_reader *in)
{
    uint64_t npages = r->size / RAM_PAGE, nbitmap = (npages + 7) / 8, count, zlen, set = 0;
    const uint8_t *bitmap;
    uint8_t *pages = NULL;
    int err = HV_ECORRUPT;

    if (buf_get_u32(in) != RAM_MAGIC || buf_get_u64(in) != r->size || buf_remaining(in) < nbitmap)
        return HV_ECORRUPT;
    bitmap = in->p + in->pos;
    in->pos += nbitmap;
    count = buf_get_u64(in);
    zlen = buf_get_u64(in);
    if (in->err || buf_remaining(in) < zlen || count > npages)
        return HV_ECORRUPT;
    for (uint64_t i = 0; i < npages; i++)
        set += bitmap[i / 8] >> (i % 8) & 1;
    if (set != count)
        return HV_ECORRUPT;
    uLongf plen = (uLongf)(count * RAM_PAGE);
    pages = malloc(plen ? plen : 1);
    if (!pages)
        return HV_ENOMEM;
    if (uncompress(pages, &plen, in->p + in->pos, (uLong)zlen) != Z_OK || plen != count * RAM_PAGE)
        goto out;
    in->pos += zlen;
    /* Only pages that may hold data need clearing: the rest are zero already. */
    struct page_walk *w = malloc(sizeof *w);
    if (!w) {
        err = HV_ENOMEM;
        goto out;
    }
    int64_t pg;
    walk_start(w, r);
    while ((pg = walk_next(w)) >= 0) {
        uint64_t *p = (uint64_t *)(r->base + (uint64_t)pg * RAM_PAGE);
        if (!(bitmap[pg / 8] >> (pg % 8) & 1) && !page_is_zero(p))
            memset(p, 0, RAM_PAGE);
    }
    free(w);
    for (uint64_t i = 0, j = 0; i < npages; i++)
        if (bitmap[i / 8] >> (i % 8) & 1)
            memcpy(r->base + i * RAM_PAGE, pages + RAM_PAGE * j++, RAM_PAGE);
    err = HV_OK;
out:
    free(pages);
    return err;
}
