/* Chunked, CRC-checked file framing for .hvrec and .hvtrace (docs/traces.md,
 * "Framing"). Writers flush after every chunk; readers name the chunk and the
 * byte offset of whatever they refuse. */
#include "chunk_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "traces/crc32.h"

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int chunk_writer_open(struct chunk_writer *w, const char *path, const char magic[CHUNK_MAGIC_SIZE],
                      uint32_t version)
{
    uint8_t pre[CHUNK_PREAMBLE_SIZE];

    memset(w, 0, sizeof *w);
    w->path = strdup(path);
    if (!w->path)
        return w->err = HV_ENOMEM;
    w->f = fopen(path, "wb");
    if (!w->f) {
        log_error("%s: cannot create: %s", path, strerror(errno));
        return w->err = HV_EIO;
    }
    memcpy(pre, magic, CHUNK_MAGIC_SIZE);
    le32(pre + CHUNK_MAGIC_SIZE, version);
    if (fwrite(pre, 1, sizeof pre, w->f) != sizeof pre || fflush(w->f)) {
        log_error("%s: offset 0: cannot write the preamble: %s", path, strerror(errno));
        return w->err = HV_EIO;
    }
    w->offset = sizeof pre;
    return HV_OK;
}

int chunk_writer_put(struct chunk_writer *w, uint32_t type, const struct buf *fixed,
                     const void *blob, size_t blob_len)
{
    uint8_t hdr[CHUNK_HDR_SIZE], tail[CHUNK_CRC_SIZE];
    uint64_t len = (uint64_t)fixed->len + blob_len;
    uint32_t crc;

    if (w->err)
        return w->err;
    if (fixed->err)
        return w->err = fixed->err;
    if (len > UINT32_MAX) {
        log_error("%s: chunk %" PRIu64 " at offset %" PRIu64 ": payload of %" PRIu64
                  " bytes exceeds the 4 GiB chunk limit",
                  w->path, w->index, w->offset, len);
        return HV_ERANGE; /* not sticky: the file is still well formed */
    }
    le32(hdr, type);
    le32(hdr + 4, (uint32_t)len);
    crc = crc32_update(CRC32_INIT, hdr, sizeof hdr);
    crc = crc32_update(crc, fixed->data, fixed->len);
    crc = crc32_update(crc, blob, blob_len);
    le32(tail, crc);
    if (fwrite(hdr, 1, sizeof hdr, w->f) != sizeof hdr ||
        fwrite(fixed->data, 1, fixed->len, w->f) != fixed->len ||
        fwrite(blob, 1, blob_len, w->f) != blob_len || fwrite(tail, 1, sizeof tail, w->f) != sizeof tail ||
        fflush(w->f)) {
        log_error("%s: chunk %" PRIu64 " at offset %" PRIu64 ": write failed: %s", w->path, w->index,
                  w->offset, strerror(errno));
        return w->err = HV_EIO;
    }
    w->offset += CHUNK_HDR_SIZE + len + CHUNK_CRC_SIZE;
    w->index++;
    return HV_OK;
}

int chunk_writer_close(struct chunk_writer *w)
{
    int err = w->err;

    if (w->f && fclose(w->f) && !err) {
        log_error("%s: close failed: %s", w->path, strerror(errno));
        err = HV_EIO;
    }
    free(w->path);
    memset(w, 0, sizeof *w);
    return err;
}

static int reader_fail_at(struct chunk_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reader_fail_at(struct chunk_reader *r, int err, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->msg, sizeof r->msg, "%s: ", r->path ? r->path : "?");

    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return err;
}

int chunk_reader_fail(struct chunk_reader *r, const struct chunk *c, int err, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->msg, sizeof r->msg, "%s: chunk %" PRIu64 " at offset %" PRIu64 ": ", r->path,
                     c->index, c->offset);

    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return err;
}

int chunk_reader_open(struct chunk_reader *r, const char *path, const char magic[CHUNK_MAGIC_SIZE],
                      uint32_t max_version)
{
    uint8_t pre[CHUNK_PREAMBLE_SIZE];
    long size;

    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    if (!r->path)
        return HV_ENOMEM;
    r->f = fopen(path, "rb");
    if (!r->f)
        return reader_fail_at(r, HV_EIO, "cannot open: %s", strerror(errno));
    if (fseek(r->f, 0, SEEK_END) || (size = ftell(r->f)) < 0 || fseek(r->f, 0, SEEK_SET))
        return reader_fail_at(r, HV_EIO, "cannot size: %s", strerror(errno));
    r->size = (uint64_t)size;
    if (r->size < CHUNK_PREAMBLE_SIZE)
        return reader_fail_at(r, HV_ECORRUPT, "offset 0: truncated preamble (%" PRIu64 " of %d bytes)",
                              r->size, CHUNK_PREAMBLE_SIZE);
    if (fread(pre, 1, sizeof pre, r->f) != sizeof pre)
        return reader_fail_at(r, HV_EIO, "offset 0: read failed: %s", strerror(errno));
    if (memcmp(pre, magic, CHUNK_MAGIC_SIZE))
        return reader_fail_at(r, HV_ECORRUPT, "offset 0: bad magic: expected \"%.8s\"", magic);
    r->version = rd32(pre + CHUNK_MAGIC_SIZE);
    if (r->version == 0 || r->version > max_version)
        return reader_fail_at(r, HV_EUNSUP, "offset 8: format version %" PRIu32 " not supported (expected 1..%" PRIu32 ")",
                              r->version, max_version);
    r->offset = CHUNK_PREAMBLE_SIZE;
    return HV_OK;
}

/* Read n bytes at the current position into out (or only CRC them when out is
 * NULL), continuing *crc. */
static int read_crc(struct chunk_reader *r, void *out, uint64_t n, uint32_t *crc)
{
    uint8_t scratch[65536];

    while (n) {
        size_t step = n < sizeof scratch ? (size_t)n : sizeof scratch;
        uint8_t *dst = out ? out : scratch;
        if (fread(dst, 1, step, r->f) != step)
            return HV_EIO;
        *crc = crc32_update(*crc, dst, step);
        if (out)
            out = (uint8_t *)out + step;
        n -= step;
    }
    return HV_OK;
}

int chunk_reader_next(struct chunk_reader *r, struct chunk *c, struct buf *payload,
                      uint32_t stream_type, size_t stream_keep)
{
    uint8_t hdr[CHUNK_HDR_SIZE], tail[CHUNK_CRC_SIZE];
    uint64_t left = r->size - r->offset;
    uint32_t crc, stored;
    size_t keep;

    memset(c, 0, sizeof *c);
    c->offset = r->offset;
    c->index = r->index;
    if (left == 0)
        return 0;
    if (left < CHUNK_HDR_SIZE)
        return chunk_reader_fail(r, c, HV_ECORRUPT, "truncated chunk header (%" PRIu64 " of %d bytes)",
                                 left, CHUNK_HDR_SIZE);
    if (fseek(r->f, (long)r->offset, SEEK_SET) || fread(hdr, 1, sizeof hdr, r->f) != sizeof hdr)
        return chunk_reader_fail(r, c, HV_EIO, "read failed: %s", strerror(errno));
    c->type = rd32(hdr);
    c->len = rd32(hdr + 4);
    if ((uint64_t)c->len + CHUNK_CRC_SIZE > left - CHUNK_HDR_SIZE)
        return chunk_reader_fail(r, c, HV_ECORRUPT,
                                 "truncated: length field says %" PRIu32 " payload bytes + CRC, %" PRIu64
                                 " bytes left in the file",
                                 c->len, left - CHUNK_HDR_SIZE);
    keep = c->type == stream_type && stream_keep < c->len ? stream_keep : c->len;
    buf_reset(payload);
    if (buf_reserve(payload, keep))
        return chunk_reader_fail(r, c, HV_ENOMEM, "out of memory for %zu payload bytes", keep);
    crc = crc32_update(CRC32_INIT, hdr, sizeof hdr);
    if (read_crc(r, payload->data, keep, &crc) || read_crc(r, NULL, c->len - keep, &crc) ||
        fread(tail, 1, sizeof tail, r->f) != sizeof tail)
        return chunk_reader_fail(r, c, HV_EIO, "read failed: %s", strerror(errno));
    payload->len = keep;
    stored = rd32(tail);
    if (stored != crc)
        return chunk_reader_fail(r, c, HV_ECORRUPT,
                                 "CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")", stored, crc);
    r->offset += CHUNK_HDR_SIZE + (uint64_t)c->len + CHUNK_CRC_SIZE;
    r->index++;
    return 1;
}

int chunk_reader_reread(struct chunk_reader *r, const struct chunk *c, size_t from, void *out,
                        size_t n)
{
    uint8_t hdr[CHUNK_HDR_SIZE], tail[CHUNK_CRC_SIZE];
    uint32_t crc;

    if (from > c->len || n > c->len - from)
        return chunk_reader_fail(r, c, HV_ERANGE, "re-read past the payload");
    if (fseek(r->f, (long)c->offset, SEEK_SET) || fread(hdr, 1, sizeof hdr, r->f) != sizeof hdr)
        return chunk_reader_fail(r, c, HV_EIO, "re-read failed: %s", strerror(errno));
    crc = crc32_update(CRC32_INIT, hdr, sizeof hdr);
    if (rd32(hdr) != c->type || rd32(hdr + 4) != c->len || read_crc(r, NULL, from, &crc) ||
        read_crc(r, out, n, &crc) || read_crc(r, NULL, c->len - from - n, &crc) ||
        fread(tail, 1, sizeof tail, r->f) != sizeof tail)
        return chunk_reader_fail(r, c, HV_EIO, "re-read failed: the file changed or is unreadable");
    if (rd32(tail) != crc)
        return chunk_reader_fail(r, c, HV_ECORRUPT, "CRC mismatch on re-read (the file changed?)");
    return HV_OK;
}

void chunk_reader_close(struct chunk_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->path);
    r->f = NULL;
    r->path = NULL;
}

void chunk_put_str(struct buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    buf_put_u32(b, (uint32_t)n);
    buf_put(b, s, n);
}

char *chunk_get_str(struct buf_reader *r, uint32_t max)
{
    uint32_t n = buf_get_u32(r);
    char *s;

    if (r->err || n > max || n > buf_remaining(r)) {
        r->err = HV_ERANGE;
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    buf_get(r, s, n);
    s[n] = 0;
    return s;
}

int chunk_reader_load(struct chunk_reader *cr, chunk_parse_fn *parse, void *fmt, const int *have_header,
                      const int *have_end, int salvage, uint32_t stream_type, size_t stream_keep)
{
    struct buf payload;
    struct chunk c;
    int rc;

    buf_init(&payload);
    for (;;) {
        rc = chunk_reader_next(cr, &c, &payload, stream_type, stream_keep);
        if (rc == 0 && !*have_end)
            rc = c.index == 0 ? chunk_reader_fail(cr, &c, HV_ECORRUPT, "no header chunk")
                              : chunk_reader_fail(cr, &c, HV_ECORRUPT,
                                                  "file ends without an end chunk (run cut short)");
        if (rc == 0)
            break;
        if (rc > 0)
            rc = parse(fmt, &c, &payload);
        if (rc < 0) {
            if (!salvage || !*have_header)
                break;
            snprintf(cr->damage, sizeof cr->damage, "%s", cr->msg);
            log_warn("%s; salvaged %" PRIu64 " chunks (%" PRIu64 " of %" PRIu64 " bytes)", cr->damage,
                     cr->chunks_kept, cr->bytes_kept, cr->size);
            rc = 0;
            break;
        }
        cr->chunks_kept++;
        cr->bytes_kept = cr->offset;
    }
    buf_free(&payload);
    return rc;
}

int chunk_check_sequence(struct chunk_reader *cr, const struct chunk *c, int have_end, uint32_t header_type)
{
    if (have_end)
        return chunk_reader_fail(cr, c, HV_ECORRUPT, "type %" PRIu32 " after the end chunk", c->type);
    if ((c->index == 0) != (c->type == header_type))
        return chunk_reader_fail(cr, c, HV_ECORRUPT, "type %" PRIu32 ": expected %s", c->type,
                                 c->index == 0 ? "the header chunk (type 1) first" : "one header chunk only");
    return HV_OK;
}
