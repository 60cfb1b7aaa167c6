/* The record/replay log (.hvrec): what a run took from outside, stamped with
 * virtual time and instruction count, plus state-hash checkpoints, snapshots and
 * the end state. Byte layout, version 1: docs/traces.md. */
#ifndef TRACES_RECLOG_H
#define TRACES_RECLOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"

#define RECLOG_VERSION 1

/* Chunk types (u32 in the file). */
enum reclog_chunk_type {
    RECLOG_CHUNK_HEADER = 1,
    RECLOG_CHUNK_INPUT = 2,
    RECLOG_CHUNK_CHECKPOINT = 3,
    RECLOG_CHUNK_SNAPSHOT = 4,
    RECLOG_CHUNK_END = 5,
};

enum reclog_input_kind {
    RECLOG_INPUT_CONSOLE = 1,  /* bytes typed on a console; port = console (UART) index */
    RECLOG_INPUT_TAP = 2,      /* one Ethernet frame from a TAP; port = netsim port index */
    RECLOG_INPUT_SCENARIO = 3, /* a scenario action as text; port unused (0) */
};

struct reclog_kv {
    const char *key, *value; /* configuration: "cmdline", "mem_mib", ... */
};

struct reclog_binary {
    const char *name; /* as given on the command line or in the scenario */
    uint64_t size;
    uint64_t hash; /* reclog_hash_bytes() of the whole file */
};

struct reclog_header {
    const char *hvsim_version;
    uint64_t seed;
    const struct reclog_kv *config;
    size_t n_config;
    const struct reclog_binary *binaries;
    size_t n_binaries;
};

struct reclog_input {
    vtime_t time;
    uint64_t icount; /* machine instruction count at which the input enters */
    uint8_t kind;    /* enum reclog_input_kind */
    uint16_t port;
    uint32_t len;
    const uint8_t *data;
};

/* A component's state hash: "cpu", "devices", "memory", "network", ... */
struct reclog_hash {
    const char *component;
    uint64_t hash;
};

struct reclog_checkpoint {
    vtime_t time;
    uint64_t icount;
    const struct reclog_hash *hashes;
    size_t n_hashes;
};

struct reclog_end {
    vtime_t time;
    uint64_t icount;
    int32_t exit_status;
    const struct reclog_hash *hashes;
    size_t n_hashes;
};

/* FNV-1a 64 of a loaded binary, its identity in the header. */
uint64_t reclog_hash_bytes(const void *p, size_t n);

/* --- Writing, as the run goes ------------------------------------------- */

struct reclog_writer;

/* Create path and write the preamble. NULL (logged) on failure. */
struct reclog_writer *reclog_writer_create(const char *path);
/* Must be called once, first. 0 or negative. */
int reclog_writer_write_header(struct reclog_writer *w, const struct reclog_header *h);
/* Queue one input; inputs are batched into one chunk and written when the batch
 * fills, before any checkpoint, snapshot or end, and on reclog_writer_flush. Inputs
 * must come in order of (time, icount): HV_EINVAL otherwise. */
int reclog_writer_append_input(struct reclog_writer *w, const struct reclog_input *in);
/* Write the pending inputs now (sim/ calls it before blocking on the outside). */
int reclog_writer_flush(struct reclog_writer *w);
int reclog_writer_append_checkpoint(struct reclog_writer *w, const struct reclog_checkpoint *cp);
/* An opaque machine snapshot taken at (time, icount), for replay --seek. */
int reclog_writer_append_snapshot(struct reclog_writer *w, vtime_t time, uint64_t icount,
                                  const void *blob, size_t len);
/* Write the end chunk (when end is not NULL), close and free w. Returns the first
 * error seen while writing; a NULL end leaves a log that reads as cut short. */
int reclog_writer_close(struct reclog_writer *w, const struct reclog_end *end);

/* --- Reading ------------------------------------------------------------- */

enum reclog_open_flags {
    /* Keep every chunk before the first bad one instead of refusing the file. A
     * file whose header chunk is missing or bad is refused regardless. */
    RECLOG_SALVAGE = 1u << 0,
};

struct reclog_reader;

/* Open and validate the whole file. NULL when refused, with the reason logged
 * as "PATH: chunk N at offset X: what is wrong". With RECLOG_SALVAGE, damage
 * after the header is logged as a warning and the good prefix is kept. */
struct reclog_reader *reclog_reader_open(const char *path, unsigned flags);
void reclog_reader_close(struct reclog_reader *r);

uint32_t reclog_reader_version(const struct reclog_reader *r);
const struct reclog_header *reclog_reader_header(const struct reclog_reader *r);
/* Value of a configuration key, or NULL. */
const char *reclog_reader_config(const struct reclog_reader *r, const char *key);
/* The end chunk, or NULL when the run was cut short (only with RECLOG_SALVAGE). */
const struct reclog_end *reclog_reader_end(const struct reclog_reader *r);

/* What was kept: whole chunks and bytes (preamble included) out of the file size,
 * and a description of the damage ("" when the file was whole). */
struct reclog_salvage {
    uint64_t chunks_kept;
    uint64_t bytes_kept;
    uint64_t file_size;
    const char *damage;
};
void reclog_reader_salvage_info(const struct reclog_reader *r, struct reclog_salvage *out);

size_t reclog_reader_n_inputs(const struct reclog_reader *r);
size_t reclog_reader_n_checkpoints(const struct reclog_reader *r);
size_t reclog_reader_n_snapshots(const struct reclog_reader *r);
/* Random access; NULL past the end. Pointers live as long as r. */
const struct reclog_input *reclog_reader_input(const struct reclog_reader *r, size_t i);
const struct reclog_checkpoint *reclog_reader_checkpoint(const struct reclog_reader *r, size_t i);

/* In-order iteration: zero a cursor, then call next until it returns NULL. */
struct reclog_cursor {
    size_t next;
};
const struct reclog_input *reclog_reader_next_input(const struct reclog_reader *r,
                                                    struct reclog_cursor *c);
const struct reclog_checkpoint *reclog_reader_next_checkpoint(const struct reclog_reader *r,
                                                              struct reclog_cursor *c);

struct reclog_snapshot_info {
    vtime_t time;
    uint64_t icount;
    uint64_t len;
};
int reclog_reader_snapshot_info(const struct reclog_reader *r, size_t i,
                                struct reclog_snapshot_info *out);
/* Index of the last snapshot at or before t, or HV_ENOENT when there is none. */
int reclog_reader_snapshot_find(const struct reclog_reader *r, vtime_t t);
/* Read snapshot i's blob (re-checking its CRC) into out, which must hold info.len bytes. */
int reclog_reader_snapshot_load(struct reclog_reader *r, size_t i, void *out);

#endif
