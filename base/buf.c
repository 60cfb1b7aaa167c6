/* Growable little-endian byte writer and bounds-checked reader. */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

void buf_init(struct buf *b) { memset(b, 0, sizeof *b); }

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
}

int buf_reserve(struct buf *b, size_t extra)
{
    size_t need = b->len + extra, ncap;
    uint8_t *nd;

    if (b->err)
        return b->err;
    if (need <= b->cap)
        return HV_OK;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need)
        ncap *= 2;
    nd = realloc(b->data, ncap);
    if (!nd)
        return b->err = HV_ENOMEM;
    b->data = nd;
    b->cap = ncap;
    return HV_OK;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_le(struct buf *b, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    buf_put(b, t, (size_t)n);
}

void buf_put_u8(struct buf *b, uint8_t v) { put_le(b, v, 1); }
void buf_put_u16(struct buf *b, uint16_t v) { put_le(b, v, 2); }
void buf_put_u32(struct buf *b, uint32_t v) { put_le(b, v, 4); }
void buf_put_u64(struct buf *b, uint64_t v) { put_le(b, v, 8); }

void buf_reader_init(struct buf_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

int buf_get(struct buf_reader *r, void *out, size_t n)
{
    if (r->err || n > r->len - r->pos) {
        r->err = HV_ERANGE;
        memset(out, 0, n);
        return r->err;
    }
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return HV_OK;
}

static uint64_t get_le(struct buf_reader *r, int n)
{
    uint8_t t[8];
    uint64_t v = 0;
    buf_get(r, t, (size_t)n);
    for (int i = 0; i < n; i++)
        v |= (uint64_t)t[i] << (8 * i);
    return v;
}

uint8_t buf_get_u8(struct buf_reader *r) { return (uint8_t)get_le(r, 1); }
uint16_t buf_get_u16(struct buf_reader *r) { return (uint16_t)get_le(r, 2); }
uint32_t buf_get_u32(struct buf_reader *r) { return (uint32_t)get_le(r, 4); }
uint64_t buf_get_u64(struct buf_reader *r) { return get_le(r, 8); }

uint64_t hash_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
