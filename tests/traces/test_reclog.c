/* Tests for the record/replay log: round trips, batching, every truncation
 * point, every flipped byte, salvage, order checks and byte-identical output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "traces/crc32.h"
#include "traces/reclog.h"
#include "test_files.h"

static char last_msg[512];
static int n_msgs;

static void capture(void *opaque, enum log_level level, const char *msg)
{
    snprintf(last_msg, sizeof last_msg, "%s", msg);
    n_msgs++;
}

static void quiet(void)
{
    last_msg[0] = 0;
    n_msgs = 0;
    log_set_sink(capture, NULL);
}

static const struct reclog_kv config[] = { { "cmdline", "boot hv.elf --mem 64" }, { "mem_mib", "64" } };
static const struct reclog_binary bins[] = { { "hv.elf", 12345, 0x1122334455667788ULL },
                                             { "dom0.elf", 999, 0xdeadbeefcafef00dULL } };
static const struct reclog_header header = { "hvsim 0.1-test", 42, config, 2, bins, 2 };

static struct reclog_hash hashes_at(uint64_t k)
{
    return (struct reclog_hash){ "cpu", 0x1000 + k };
}

/* A small log: header, 3 inputs, checkpoint, snapshot, 1 input, checkpoint, end.
 * n_inputs inputs in total go in before the first checkpoint when n_inputs > 3. */
static void write_log(const char *path, int n_inputs)
{
    struct reclog_writer *w = reclog_writer_create(path);
    struct reclog_hash h[4] = { { "cpu", 1 }, { "devices", 2 }, { "memory", 3 }, { "network", 4 } };
    struct reclog_checkpoint cp = { 1000, 900, h, 4 };
    struct reclog_end end = { 5000, 4800, 0x21, h, 4 };
    uint8_t blob[40];

    cr_assert_not_null(w);
    cr_assert_eq(reclog_writer_write_header(w, &header), 0);
    for (int i = 0; i < n_inputs; i++) {
        uint8_t data[3] = { (uint8_t)i, 'x', 'y' };
        struct reclog_input in = { (vtime_t)i, (uint64_t)i + 1, (uint8_t)(1 + i % 3), (uint16_t)i,
                                   (uint32_t)(i % 4), data };
        cr_assert_eq(reclog_writer_append_input(w, &in), 0);
    }
    cr_assert_eq(reclog_writer_append_checkpoint(w, &cp), 0);
    for (int i = 0; i < 40; i++)
        blob[i] = (uint8_t)(i * 7);
    cr_assert_eq(reclog_writer_append_snapshot(w, 2000, 1900, blob, sizeof blob), 0);
    struct reclog_input late = { 2500, 2400, RECLOG_INPUT_TAP, 3, 5, (const uint8_t *)"frame" };
    cr_assert_eq(reclog_writer_append_input(w, &late), 0);
    h[1] = hashes_at(7);
    cp = (struct reclog_checkpoint){ 3000, 2900, h, 4 };
    cr_assert_eq(reclog_writer_append_checkpoint(w, &cp), 0);
    cr_assert_eq(reclog_writer_close(w, &end), 0);
}

Test(crc32, standard_check_value)
{
    cr_assert_eq(crc32_update(CRC32_INIT, "123456789", 9), 0xCBF43926u);
    cr_assert_eq(crc32_update(crc32_update(CRC32_INIT, "1234", 4), "56789", 5), 0xCBF43926u);
}

Test(reclog, round_trip_with_batches_crossing_the_limit)
{
    const char *path = "rt.hvrec";
    struct reclog_reader *r;
    const struct reclog_input *in;
    const struct reclog_checkpoint *cp;
    struct reclog_cursor cur = { 0 };
    struct reclog_salvage sv;
    size_t n = 0;

    write_log(path, 600); /* 600 inputs: three chunks of 256, 256, 88 */
    r = reclog_reader_open(path, 0);
    cr_assert_not_null(r);
    cr_assert_eq(reclog_reader_version(r), RECLOG_VERSION);
    cr_assert_str_eq(reclog_reader_header(r)->hvsim_version, "hvsim 0.1-test");
    cr_assert_eq(reclog_reader_header(r)->seed, 42);
    cr_assert_str_eq(reclog_reader_config(r, "cmdline"), "boot hv.elf --mem 64");
    cr_assert_str_eq(reclog_reader_config(r, "mem_mib"), "64");
    cr_assert_null(reclog_reader_config(r, "nope"));
    cr_assert_eq(reclog_reader_header(r)->n_binaries, 2);
    cr_assert_str_eq(reclog_reader_header(r)->binaries[1].name, "dom0.elf");
    cr_assert_eq(reclog_reader_header(r)->binaries[1].hash, 0xdeadbeefcafef00dULL);
    cr_assert_eq(reclog_reader_header(r)->binaries[0].size, 12345);

    cr_assert_eq(reclog_reader_n_inputs(r), 601);
    while ((in = reclog_reader_next_input(r, &cur)) && n < 600) {
        cr_assert_eq(in->time, n);
        cr_assert_eq(in->icount, n + 1);
        cr_assert_eq(in->kind, 1 + n % 3);
        cr_assert_eq(in->port, n);
        cr_assert_eq(in->len, n % 4);
        if (in->len)
            cr_assert_eq(in->data[0], (uint8_t)n);
        n++;
    }
    cr_assert_eq(in->time, 2500);
    cr_assert_eq(memcmp(in->data, "frame", 5), 0);
    cr_assert_null(reclog_reader_next_input(r, &cur));

    cr_assert_eq(reclog_reader_n_checkpoints(r), 2);
    cur.next = 0;
    cp = reclog_reader_next_checkpoint(r, &cur);
    cr_assert_eq(cp->time, 1000);
    cr_assert_eq(cp->icount, 900);
    cr_assert_eq(cp->n_hashes, 4);
    cr_assert_str_eq(cp->hashes[3].component, "network");
    cr_assert_eq(cp->hashes[3].hash, 4);
    cp = reclog_reader_next_checkpoint(r, &cur);
    cr_assert_eq(cp->hashes[1].hash, 0x1007);
    cr_assert_null(reclog_reader_next_checkpoint(r, &cur));

    cr_assert_not_null(reclog_reader_end(r));
    cr_assert_eq(reclog_reader_end(r)->exit_status, 0x21);
    cr_assert_eq(reclog_reader_end(r)->time, 5000);
    cr_assert_eq(reclog_reader_end(r)->n_hashes, 4);
    reclog_reader_salvage_info(r, &sv);
    cr_assert_eq(sv.bytes_kept, sv.file_size);
    cr_assert_eq(sv.chunks_kept, 1 + 3 + 1 + 1 + 1 + 1 + 1);
    cr_assert_str_eq(sv.damage, "");
    reclog_reader_close(r);
}

Test(reclog, snapshots_found_and_loaded)
{
    struct reclog_snapshot_info si;
    uint8_t blob[40];
    struct reclog_reader *r;

    write_log("snap.hvrec", 3);
    r = reclog_reader_open("snap.hvrec", 0);
    cr_assert_not_null(r);
    cr_assert_eq(reclog_reader_n_snapshots(r), 1);
    cr_assert_eq(reclog_reader_snapshot_find(r, 1999), HV_ENOENT);
    cr_assert_eq(reclog_reader_snapshot_find(r, 2000), 0);
    cr_assert_eq(reclog_reader_snapshot_find(r, 99999), 0);
    cr_assert_eq(reclog_reader_snapshot_info(r, 0, &si), 0);
    cr_assert_eq(si.time, 2000);
    cr_assert_eq(si.icount, 1900);
    cr_assert_eq(si.len, 40);
    cr_assert_eq(reclog_reader_snapshot_load(r, 0, blob), 0);
    for (int i = 0; i < 40; i++)
        cr_assert_eq(blob[i], (uint8_t)(i * 7));
    cr_assert_eq(reclog_reader_snapshot_load(r, 1, blob), HV_ENOENT);
    reclog_reader_close(r);
}

/* Chunk boundaries parsed independently of the library: offsets where chunks end. */
static size_t chunk_ends(const uint8_t *p, size_t len, size_t *ends, size_t max)
{
    size_t off = 12, n = 0;
    while (off < len && n < max) {
        uint32_t clen = p[off + 4] | p[off + 5] << 8 | p[off + 6] << 16 | (uint32_t)p[off + 7] << 24;
        off += 8 + clen + 4;
        ends[n++] = off;
    }
    cr_assert_eq(off, len);
    return n;
}

Test(reclog, every_truncation_is_refused_or_salvaged_to_whole_chunks)
{
    size_t len, ends[32], n_chunks;
    uint8_t *full;
    /* Inputs and checkpoints present after each whole chunk of write_log(.., 3). */
    static const size_t inputs_after[] = { 0, 3, 3, 3, 4, 4, 4 };
    static const size_t cps_after[] = { 0, 0, 1, 1, 1, 2, 2 };

    write_log("full.hvrec", 3);
    full = slurp("full.hvrec", &len);
    n_chunks = chunk_ends(full, len, ends, 32);
    cr_assert_eq(n_chunks, 7); /* header, input, checkpoint, snapshot, input, checkpoint, end */
    quiet();
    for (size_t cut = 0; cut < len; cut++) {
        struct reclog_reader *r;
        struct reclog_salvage sv;
        size_t whole = 0;

        spill("cut.hvrec", full, cut);
        n_msgs = 0;
        cr_assert_null(reclog_reader_open("cut.hvrec", 0), "cut at %zu accepted", cut);
        cr_assert(strstr(last_msg, "cut.hvrec: ") == last_msg, "message '%s'", last_msg);
        cr_assert(strstr(last_msg, "offset"), "message '%s'", last_msg);
        while (whole < n_chunks && ends[whole] <= cut)
            whole++;
        r = reclog_reader_open("cut.hvrec", RECLOG_SALVAGE);
        if (whole == 0) {
            cr_assert_null(r, "cut at %zu: no header, still accepted", cut);
            continue;
        }
        cr_assert_not_null(r, "cut at %zu: %s", cut, last_msg);
        reclog_reader_salvage_info(r, &sv);
        cr_assert_eq(sv.chunks_kept, whole, "cut at %zu", cut);
        cr_assert_eq(sv.bytes_kept, ends[whole - 1]);
        cr_assert_eq(sv.file_size, cut);
        cr_assert_eq(reclog_reader_n_inputs(r), inputs_after[whole - 1]);
        cr_assert_eq(reclog_reader_n_checkpoints(r), cps_after[whole - 1]);
        cr_assert_null(reclog_reader_end(r));
        cr_assert_neq(sv.damage[0], 0);
        reclog_reader_close(r);
    }
    log_set_sink(NULL, NULL);
    free(full);
}

Test(reclog, every_flipped_byte_is_caught_naming_its_chunk)
{
    size_t len, ends[32], n_chunks;
    uint8_t *full;
    char want[64];

    write_log("flip.hvrec", 3);
    full = slurp("flip.hvrec", &len);
    n_chunks = chunk_ends(full, len, ends, 32);
    quiet();
    for (size_t off = 0; off < len; off++) {
        size_t k = 0, start;
        full[off] ^= 0x20;
        spill("flipped.hvrec", full, len);
        full[off] ^= 0x20;
        cr_assert_null(reclog_reader_open("flipped.hvrec", 0), "flip at %zu accepted", off);
        if (off < 8) {
            cr_assert(strstr(last_msg, "offset 0: bad magic"), "'%s'", last_msg);
            continue;
        }
        if (off < 12) {
            cr_assert(strstr(last_msg, "offset 8: format version"), "'%s'", last_msg);
            continue;
        }
        while (ends[k] <= off)
            k++;
        cr_assert_lt(k, n_chunks);
        start = k ? ends[k - 1] : 12;
        snprintf(want, sizeof want, "chunk %zu at offset %zu: ", k, start);
        cr_assert(strstr(last_msg, want), "flip at %zu: '%s' lacks '%s'", off, last_msg, want);
        /* A damaged length reads as a cut file or a CRC mismatch; anything else is the CRC. */
        if (off < start + 4 || off >= start + 8)
            cr_assert(strstr(last_msg, "CRC mismatch"), "flip at %zu: '%s'", off, last_msg);
    }
    log_set_sink(NULL, NULL);
    free(full);
}

Test(reclog, salvage_keeps_chunks_before_a_corrupt_one)
{
    size_t len, ends[32];
    uint8_t *full;
    struct reclog_reader *r;
    struct reclog_salvage sv;

    write_log("mid.hvrec", 3);
    full = slurp("mid.hvrec", &len);
    chunk_ends(full, len, ends, 32);
    full[ends[3] + 10] ^= 1; /* inside chunk 4, the late input */
    spill("mid.hvrec", full, len);
    quiet();
    cr_assert_null(reclog_reader_open("mid.hvrec", 0));
    r = reclog_reader_open("mid.hvrec", RECLOG_SALVAGE);
    cr_assert_not_null(r);
    reclog_reader_salvage_info(r, &sv);
    cr_assert_eq(sv.chunks_kept, 4);
    cr_assert_eq(sv.bytes_kept, ends[3]);
    cr_assert(strstr(sv.damage, "chunk 4 at offset"), "%s", sv.damage);
    cr_assert(strstr(sv.damage, "CRC mismatch"), "%s", sv.damage);
    cr_assert(strstr(last_msg, "salvaged 4 chunks"), "%s", last_msg);
    cr_assert_eq(reclog_reader_n_inputs(r), 3);
    cr_assert_eq(reclog_reader_n_snapshots(r), 1);
    reclog_reader_close(r);
    log_set_sink(NULL, NULL);
    free(full);
}

Test(reclog, cut_short_run_needs_salvage)
{
    struct reclog_writer *w = reclog_writer_create("short.hvrec");
    struct reclog_input in = { 10, 10, RECLOG_INPUT_CONSOLE, 0, 1, (const uint8_t *)"a" };
    struct reclog_reader *r;

    cr_assert_eq(reclog_writer_write_header(w, &header), 0);
    cr_assert_eq(reclog_writer_append_input(w, &in), 0);
    cr_assert_eq(reclog_writer_close(w, NULL), 0); /* pending inputs still written */
    quiet();
    cr_assert_null(reclog_reader_open("short.hvrec", 0));
    cr_assert(strstr(last_msg, "without an end chunk"), "%s", last_msg);
    r = reclog_reader_open("short.hvrec", RECLOG_SALVAGE);
    cr_assert_not_null(r);
    cr_assert_eq(reclog_reader_n_inputs(r), 1);
    cr_assert_eq(reclog_reader_input(r, 0)->data[0], 'a');
    reclog_reader_close(r);
    log_set_sink(NULL, NULL);
}

Test(reclog, writer_refuses_going_back_in_time_or_skipping_the_header)
{
    struct reclog_writer *w = reclog_writer_create("order.hvrec");
    struct reclog_input a = { 100, 50, RECLOG_INPUT_CONSOLE, 0, 0, NULL };
    struct reclog_input back = { 99, 60, RECLOG_INPUT_CONSOLE, 0, 0, NULL };

    quiet();
    cr_assert_eq(reclog_writer_append_input(w, &a), HV_EINVAL);
    cr_assert_eq(reclog_writer_write_header(w, &header), 0);
    cr_assert_eq(reclog_writer_write_header(w, &header), HV_EINVAL);
    cr_assert_eq(reclog_writer_append_input(w, &a), 0);
    cr_assert_eq(reclog_writer_append_input(w, &back), HV_EINVAL);
    cr_assert(strstr(last_msg, "goes back"), "%s", last_msg);
    cr_assert_eq(reclog_writer_close(w, NULL), 0);
    log_set_sink(NULL, NULL);
    cr_assert_null(reclog_writer_create("/nonexistent-dir/x.hvrec"));
}

Test(reclog, same_run_gives_identical_bytes)
{
    size_t la, lb;
    uint8_t *a, *b;

    write_log("det_a.hvrec", 300);
    write_log("det_b.hvrec", 300);
    a = slurp("det_a.hvrec", &la);
    b = slurp("det_b.hvrec", &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(a, b, la), 0);
    cr_assert_eq(memcmp(a, "HVSIMREC\1\0\0\0", 12), 0);
    free(a);
    free(b);
}

Test(reclog, hash_bytes_is_fnv1a64)
{
    cr_assert_eq(reclog_hash_bytes("", 0), 0xcbf29ce484222325ULL);
    cr_assert_eq(reclog_hash_bytes("a", 1), 0xaf63dc4c8601ec8cULL);
}
