/* Tests for the pcap writer: header bytes, nanosecond timestamps from virtual
 * time, tshark dissection, and byte-identical captures across two runs. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/evq.h"
#include "netsim/bridge.h"
#include "netsim/pcap.h"
#include "nstest.h"

static const uint8_t A[6] = { 0x00, 0x16, 0x3e, 0, 0, 1 }, B[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };

static void scenario(const char *path)
{
    struct evq q;
    struct netsim net;
    struct netsim_bridge *br;
    struct sink a, b;
    struct netsim_pcap *pc;
    uint8_t f[300];
    struct netsim_link_params lp = { .latency = 1500, .rate_bps = 0 };

    evq_init(&q);
    netsim_init(&net, &q);
    br = netsim_bridge_new(&net, "xenbr0");
    sink_init(&a, &net, "eth0");
    sink_init(&b, &net, "eth0");
    netsim_link_connect(netsim_bridge_add_port(br, "vif1.0", 0), &a.port, &lp);
    netsim_link_connect(netsim_bridge_add_port(br, "peth0", 0), &b.port, &lp);
    pc = netsim_pcap_open(path);
    cr_assert_not_null(pc);
    netsim_pcap_attach_bridge(pc, br);
    for (int i = 0; i < 5; i++) {
        evq_run_until(&q, (vtime_t)i * 1234567 + 2 * VTIME_S);
        make_udp(f, 100 + (size_t)i * 40, i & 1 ? B : A, i & 1 ? A : B, NETSIM_IP(192, 168, 1, 10),
                 NETSIM_IP(192, 168, 1, 20), 7, (uint16_t)(1000 + i));
        netsim_port_send(i & 1 ? &b.port : &a.port, f, 100 + (size_t)i * 40);
    }
    evq_run_until(&q, 10 * VTIME_S);
    cr_assert_eq(pc->frames, 5);
    cr_assert_eq(netsim_pcap_close(pc), 0);
    netsim_bridge_free(br);
    netsim_destroy(&net);
    evq_destroy(&q);
}

Test(pcap, header_records_and_timestamps)
{
    size_t n;
    uint8_t *d;
    static const uint8_t hdr[24] = { 0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                     0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0 };

    scenario("pcap_a.pcap");
    d = slurp("pcap_a.pcap", &n);
    cr_assert_not_null(d);
    cr_assert_arr_eq(d, hdr, 24);
    /* First record: sent at 2 s, arrives at the bridge 1500 ns later. */
    cr_assert_eq(d[24] | d[25] << 8 | d[26] << 16 | (uint32_t)d[27] << 24, NETSIM_PCAP_EPOCH_S + 2);
    cr_assert_eq(d[28] | d[29] << 8 | d[30] << 16 | (uint32_t)d[31] << 24, 1500);
    cr_assert_eq(d[32] | d[33] << 8, 100);
    cr_assert_eq(n, 24 + 5 * 16 + 100 + 140 + 180 + 220 + 260);
    free(d);

    char *out = tshark_run("pcap_a.pcap", "-e frame.time_epoch -e udp.dstport");
    cr_assert_not_null(out, "tshark must run");
    cr_assert(strstr(out, "1577836802.000001500,1000") != NULL, "tshark reads ns stamps: %s", out);
    cr_assert(strstr(out, "1577836802.004939768,1004") != NULL, "%s", out);
    free(out);
    cr_assert_eq(tshark_bad("pcap_a.pcap"), 0);
}

Test(pcap, byte_identical_across_runs)
{
    size_t n1, n2;
    uint8_t *a, *b;

    scenario("pcap_r1.pcap");
    scenario("pcap_r2.pcap");
    a = slurp("pcap_r1.pcap", &n1);
    b = slurp("pcap_r2.pcap", &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(a, b, n1), 0);
    free(a);
    free(b);
}

Test(pcap, open_failure_returns_null)
{
    cr_assert_null(netsim_pcap_open("/nonexistent-dir/x.pcap"));
}

/* The reader gives back what the writer wrote: each frame's bytes and its
 * nanosecond stamp (epoch + virtual time). */
Test(pcap, reader_reads_back_frames_and_ns_stamps)
{
    struct netsim_pcap_reader r;
    char err[512];
    const uint8_t *f;
    size_t len;
    uint64_t ns, first = 0;
    int n = 0, rc;

    scenario("pcap_rd.pcap");
    cr_assert_eq(netsim_pcap_reader_open(&r, "pcap_rd.pcap", err, sizeof err), 0, "%s", err);
    while ((rc = netsim_pcap_reader_next(&r, &ns, &f, &len, err, sizeof err)) == 1) {
        cr_assert_eq(len, 100 + (size_t)n * 40);
        cr_assert_arr_eq(f + 6, n & 1 ? B : A, 6, "source MAC of frame %d", n);
        if (n == 0)
            first = ns;
        n++;
    }
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(n, 5);
    cr_assert_eq(first, (NETSIM_PCAP_EPOCH_S + 2) * 1000000000ull + 1500);
    cr_assert_eq(ns, (NETSIM_PCAP_EPOCH_S + 2) * 1000000000ull + 4 * 1234567ull + 1500);
    netsim_pcap_reader_close(&r);
}

/* A damaged file is an error naming the file and the record, never a crash. */
Test(pcap, reader_names_file_and_record_of_damage)
{
    struct netsim_pcap_reader r;
    char err[512];
    const uint8_t *f;
    size_t len, n;
    uint64_t ns;
    uint8_t *d;
    FILE *o;

    scenario("pcap_cut.pcap");
    d = slurp("pcap_cut.pcap", &n);
    o = fopen("pcap_cut.pcap", "wb");
    fwrite(d, 1, 24 + 16 + 100 + 16 + 50, o); /* the second frame cut short */
    fclose(o);
    free(d);
    cr_assert_eq(netsim_pcap_reader_open(&r, "pcap_cut.pcap", err, sizeof err), 0, "%s", err);
    cr_assert_eq(netsim_pcap_reader_next(&r, &ns, &f, &len, err, sizeof err), 1);
    cr_assert_eq(netsim_pcap_reader_next(&r, &ns, &f, &len, err, sizeof err), HV_EIO);
    cr_assert(strstr(err, "pcap_cut.pcap: record 2:") != NULL, "%s", err);
    netsim_pcap_reader_close(&r);

    o = fopen("pcap_not.pcap", "wb");
    fputs("this is not a capture\n", o);
    fclose(o);
    cr_assert_eq(netsim_pcap_reader_open(&r, "pcap_not.pcap", err, sizeof err), HV_EIO);
    cr_assert(strstr(err, "pcap_not.pcap: not a capture") != NULL, "%s", err);
    cr_assert_eq(netsim_pcap_reader_open(&r, "/nonexistent-dir/x.pcap", err, sizeof err), HV_EIO);
    cr_assert(strstr(err, "/nonexistent-dir/x.pcap") != NULL, "%s", err);
}
