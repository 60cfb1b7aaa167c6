/* The chunk framing shared by .hvrec and .hvtrace files (docs/traces.md):
 * an 8-byte magic and a u32 format version, then chunks of
 * u32 type, u32 payload length, payload, u32 CRC-32 of type+length+payload. */
#ifndef TRACES_CHUNK_PRIV_H
#define TRACES_CHUNK_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"

#define CHUNK_MAGIC_SIZE 8
#define CHUNK_PREAMBLE_SIZE 12 /* magic + u32 version */
#define CHUNK_HDR_SIZE 8       /* type + length */
#define CHUNK_CRC_SIZE 4

struct chunk_writer {
    FILE *f;
    char *path;
    uint64_t offset; /* bytes written, i.e. where the next chunk starts */
    uint64_t index;  /* chunks written */
    int err;         /* sticky: after a failed write nothing more is written */
};

/* Create path (truncating it) and write the preamble. 0 or HV_EIO (logged). */
int chunk_writer_open(struct chunk_writer *w, const char *path, const char magic[CHUNK_MAGIC_SIZE],
                      uint32_t version);
/* Write one chunk whose payload is fixed->data followed by blob, then flush it to
 * the host so a run cut short keeps every chunk written before. 0 or negative. */
int chunk_writer_put(struct chunk_writer *w, uint32_t type, const struct buf *fixed,
                     const void *blob, size_t blob_len);
/* Close the file; returns the first error seen over the writer's life. */
int chunk_writer_close(struct chunk_writer *w);

struct chunk {
    uint32_t type;
    uint32_t len;    /* payload bytes */
    uint64_t offset; /* of the chunk header in the file */
    uint64_t index;  /* 0 for the first chunk after the preamble */
};

struct chunk_reader {
    FILE *f;
    char *path;
    uint64_t size;   /* of the file when opened */
    uint64_t offset; /* where the next chunk starts */
    uint64_t index;  /* of the next chunk */
    uint32_t version;
    char msg[320];   /* the last error, naming file, chunk, offset and what is wrong */
    /* What chunk_reader_load kept: whole chunks, their bytes, and the damage
     * that ended a salvaged load ("" when the file was whole). */
    uint64_t chunks_kept, bytes_kept;
    char damage[320];
};

/* Open path and check its preamble against magic and the highest version this
 * build reads. 0, or negative with r->msg set; r needs chunk_reader_close either way. */
int chunk_reader_open(struct chunk_reader *r, const char *path, const char magic[CHUNK_MAGIC_SIZE],
                      uint32_t max_version);
/* Read and verify the next chunk into c and payload. Chunks of type stream_type
 * only keep their first stream_keep payload bytes (large blobs are checked but
 * not held). Returns 1 for a chunk, 0 at a clean end of file, or negative with
 * r->msg set (truncation, CRC mismatch, read error); r does not advance then. */
int chunk_reader_next(struct chunk_reader *r, struct chunk *c, struct buf *payload,
                      uint32_t stream_type, size_t stream_keep);
/* Re-read chunk c's payload bytes [from, from+n) into out, re-verifying its CRC. */
int chunk_reader_reread(struct chunk_reader *r, const struct chunk *c, size_t from, void *out,
                        size_t n);
/* Set r->msg to "PATH: chunk N at offset X: <fmt>" and return err. */
int chunk_reader_fail(struct chunk_reader *r, const struct chunk *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The sequence rules both formats share: the header chunk (header_type) first
 * and only there, nothing after the end chunk. 0 or HV_ECORRUPT (logged). */
int chunk_check_sequence(struct chunk_reader *cr, const struct chunk *c, int have_end, uint32_t header_type);
/* A format's parser of one chunk: 0, or negative with the reader's msg set. */
typedef int chunk_parse_fn(void *fmt, const struct chunk *c, const struct buf *payload);
/* Reads every chunk through parse; the file must end with its end chunk
 * (*have_end, set by parse). Damage fails the load or, with salvage once a
 * header was read (*have_header), keeps the whole chunks before it, with a
 * warning. stream_type/stream_keep as chunk_reader_next. 0 when usable. */
int chunk_reader_load(struct chunk_reader *cr, chunk_parse_fn *parse, void *fmt, const int *have_header,
                      const int *have_end, int salvage, uint32_t stream_type, size_t stream_keep);
void chunk_reader_close(struct chunk_reader *r);

/* Strings inside payloads: u32 length, then the bytes, no terminator. */
void chunk_put_str(struct buf *b, const char *s);
/* Read a string into a fresh NUL-terminated allocation; NULL on overrun (r->err set)
 * or when out of memory. Strings longer than max are refused as corrupt. */
char *chunk_get_str(struct buf_reader *r, uint32_t max);

#endif
