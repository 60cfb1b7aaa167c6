/* Tests for the event trace: round trip of every record type, string table,
 * chunking, byte-identical output, truncation and corruption handling. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "synth_trace.h"
#include "traces/evtrace.h"
#include "test_files.h"

#define SYNTH_RECORDS 369 /* 3 creates, 100 runs, exits and entries, 20 hypercalls,
                             18 interrupts, 5 exceptions, 22 packets, 1 destroy */

static char last_msg[512];

static void capture(void *opaque, enum log_level level, const char *msg)
{
    snprintf(last_msg, sizeof last_msg, "%s", msg);
}

Test(evtrace, record_layout_is_40_bytes)
{
    cr_assert_eq(sizeof(struct evtrace_rec), EVTRACE_REC_SIZE);
}

Test(evtrace, round_trip_of_every_record_type)
{
    struct evtrace_info info = { "v1", 1000000000, "label" };
    struct evtrace *t = evtrace_create("types.hvtrace", &info, 3);
    struct evtrace_reader *r;
    const struct evtrace_rec *e;
    uint32_t name, port;

    cr_assert_not_null(t);
    name = evtrace_string(t, "Domain-0");
    port = evtrace_string(t, "vif1.0");
    cr_assert_eq(evtrace_string(t, "Domain-0"), name);
    evtrace_domain(t, 1, 0, EVTRACE_DOM_CREATE, name);
    evtrace_run(t, 2, 0, 1, 12345, 678);
    evtrace_vmexit(t, 3, 0, 1, 48, 0x181, 900);
    evtrace_vmentry(t, 4, 0, 1, 0x80000b0e, 800);
    evtrace_hypercall(t, 5, 0, 1, 29, 0xabc);
    evtrace_interrupt(t, 6, 0, 1, 14, 3, 1, 6);
    evtrace_exception(t, 7, 0, 1, 13, 0x10, 0xffffffff81000000ULL);
    evtrace_packet(t, 8, EVTRACE_NO_DOMAIN, port, 1514, EVTRACE_TX, 1);
    evtrace_vmexit(NULL, 9, 0, 0, 10, 0, 0); /* tracing off: nothing */
    cr_assert_eq(evtrace_close(t), 0);

    r = evtrace_reader_open("types.hvtrace", 0);
    cr_assert_not_null(r);
    cr_assert_str_eq(evtrace_reader_info(r)->hvsim_version, "v1");
    cr_assert_str_eq(evtrace_reader_info(r)->label, "label");
    cr_assert_eq(evtrace_reader_info(r)->freq_hz, 1000000000);
    cr_assert_eq(evtrace_reader_n_records(r), 8);
    cr_assert_eq(evtrace_reader_n_strings(r), 2);
    cr_assert_str_eq(evtrace_reader_string(r, port), "vif1.0");
    cr_assert_null(evtrace_reader_string(r, 2));
    e = evtrace_reader_records(r);
    cr_assert_eq(e[0].type, EVTRACE_DOMAIN);
    cr_assert_eq(e[0].c, name);
    cr_assert_eq(e[1].type, EVTRACE_RUN);
    cr_assert_eq(e[1].a, 12345);
    cr_assert_eq(e[1].b, 678);
    cr_assert_eq(e[1].vcpu, 1);
    cr_assert_eq(e[2].type, EVTRACE_VMEXIT);
    cr_assert_eq(e[2].c, 48);
    cr_assert_eq(e[2].a, 0x181);
    cr_assert_eq(e[2].b, 900);
    cr_assert_eq(e[3].a, 0x80000b0e);
    cr_assert_eq(e[4].c, 29);
    cr_assert_eq(e[4].a, 0xabc);
    cr_assert_eq(e[5].sub, 3);
    cr_assert_eq(e[5].flags, EVTRACE_F_ERRCODE);
    cr_assert_eq(e[5].a, 6);
    cr_assert_eq(e[6].b, 0xffffffff81000000ULL);
    cr_assert_eq(e[7].domain, EVTRACE_NO_DOMAIN);
    cr_assert_eq(e[7].flags, EVTRACE_F_DROPPED);
    cr_assert_eq(e[7].sub, EVTRACE_TX);
    cr_assert_eq(e[7].time, 8);
    cr_assert_str_eq(evtrace_reader_damage(r), "");
    evtrace_reader_close(r);
}

Test(evtrace, synthetic_trace_reads_back_whole)
{
    struct evtrace_reader *r;
    size_t exits = 0;

    cr_assert_eq(synth_trace_write("synth.hvtrace", 16), 0);
    r = evtrace_reader_open("synth.hvtrace", 0);
    cr_assert_not_null(r);
    cr_assert_eq(evtrace_reader_n_records(r), SYNTH_RECORDS);
    /* header, strings, 23 record chunks of 16 and one of 1, end */
    cr_assert_eq(evtrace_reader_chunks_kept(r), 1 + 1 + 23 + 1 + 1);
    for (size_t i = 0; i < evtrace_reader_n_records(r); i++)
        exits += evtrace_reader_records(r)[i].type == EVTRACE_VMEXIT;
    cr_assert_eq(exits, SYNTH_EXITS);
    evtrace_reader_close(r);
}

Test(evtrace, same_events_give_identical_bytes)
{
    size_t la, lb;
    uint8_t *a, *b;

    cr_assert_eq(synth_trace_write("det_a.hvtrace", 64), 0);
    cr_assert_eq(synth_trace_write("det_b.hvtrace", 64), 0);
    a = slurp("det_a.hvtrace", &la);
    b = slurp("det_b.hvtrace", &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(a, b, la), 0);
    cr_assert_eq(memcmp(a, "HVSIMTRC\1\0\0\0", 12), 0);
    free(a);
    free(b);
}

Test(evtrace, truncation_refused_or_salvaged_to_whole_chunks)
{
    size_t len;
    uint8_t *full;
    size_t prev_kept = 0;

    cr_assert_eq(synth_trace_write("tr.hvtrace", 64), 0);
    full = slurp("tr.hvtrace", &len);
    log_set_sink(capture, NULL);
    /* Every third offset keeps the test fast; test_reclog tries every one. */
    for (size_t cut = 0; cut < len; cut += 3) {
        struct evtrace_reader *r;
        spill("tr_cut.hvtrace", full, cut);
        cr_assert_null(evtrace_reader_open("tr_cut.hvtrace", 0), "cut at %zu accepted", cut);
        cr_assert(strstr(last_msg, "tr_cut.hvtrace: "), "%s", last_msg);
        r = evtrace_reader_open("tr_cut.hvtrace", EVTRACE_SALVAGE);
        if (!r)
            continue;
        /* Records come in whole chunks of 64, the last one shorter. */
        size_t n = evtrace_reader_n_records(r);
        cr_assert(n % 64 == 0 || n == SYNTH_RECORDS, "cut at %zu kept %zu records", cut, n);
        cr_assert_geq(n, prev_kept);
        prev_kept = n;
        cr_assert_neq(evtrace_reader_damage(r)[0], 0);
        evtrace_reader_close(r);
    }
    cr_assert_eq(prev_kept, SYNTH_RECORDS); /* the last cuts only lose the end chunk */
    log_set_sink(NULL, NULL);
    free(full);
}

Test(evtrace, flipped_byte_is_a_crc_error)
{
    size_t len;
    uint8_t *full;

    cr_assert_eq(synth_trace_write("flip.hvtrace", 64), 0);
    full = slurp("flip.hvtrace", &len);
    full[len / 2] ^= 0x80;
    spill("flip.hvtrace", full, len);
    log_set_sink(capture, NULL);
    cr_assert_null(evtrace_reader_open("flip.hvtrace", 0));
    cr_assert(strstr(last_msg, "CRC mismatch"), "%s", last_msg);
    cr_assert(strstr(last_msg, "flip.hvtrace: chunk "), "%s", last_msg);
    log_set_sink(NULL, NULL);
    free(full);
}

Test(evtrace, a_name_that_cannot_be_stored_keeps_the_trace_valid)
{
    struct evtrace_info info = { "v", 1, "l" };
    struct evtrace *t = evtrace_create("nostr.hvtrace", &info, 0);
    struct evtrace_reader *r;
    char *huge = malloc(10000);

    memset(huge, 'x', 9999);
    huge[9999] = 0;
    log_set_sink(capture, NULL);
    cr_assert_eq(evtrace_string(t, huge), EVTRACE_NO_STRING);
    cr_assert(strstr(last_msg, "cannot add string"), "%s", last_msg);
    log_set_sink(NULL, NULL);
    evtrace_domain(t, 5, 3, EVTRACE_DOM_CREATE, EVTRACE_NO_STRING);
    cr_assert_eq(evtrace_close(t), 0);
    r = evtrace_reader_open("nostr.hvtrace", 0);
    cr_assert_not_null(r);
    cr_assert_eq(evtrace_reader_n_records(r), 1);
    cr_assert_null(evtrace_reader_string(r, EVTRACE_NO_STRING));
    evtrace_reader_close(r);
    free(huge);
}
