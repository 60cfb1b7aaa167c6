/* Byte buffers: a growable writer and a bounds-checked reader, little-endian.
 * Used for device save/load, trace records and frame building. A reader that
 * runs past its end sets `err` and returns zeros, so parsers check once at the end. */
#ifndef BASE_BUF_H
#define BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len, cap;
    int err; /* sticky HV_ENOMEM */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_u8(struct buf *b, uint8_t v);
void buf_put_u16(struct buf *b, uint16_t v);
void buf_put_u32(struct buf *b, uint32_t v);
void buf_put_u64(struct buf *b, uint64_t v);

struct buf_reader {
    const uint8_t *p;
    size_t len, pos;
    int err; /* sticky HV_ERANGE after an overrun */
};

void buf_reader_init(struct buf_reader *r, const void *p, size_t len);
int buf_get(struct buf_reader *r, void *out, size_t n);
uint8_t buf_get_u8(struct buf_reader *r);
uint16_t buf_get_u16(struct buf_reader *r);
uint32_t buf_get_u32(struct buf_reader *r);
uint64_t buf_get_u64(struct buf_reader *r);
static inline size_t buf_remaining(const struct buf_reader *r) { return r->len - r->pos; }

/* FNV-1a 64-bit, for state hashes and binary identities (not for security). */
uint64_t hash_fnv1a64(uint64_t h, const void *p, size_t n);
#define HASH_FNV1A64_INIT 0xcbf29ce484222325ULL

#endif
