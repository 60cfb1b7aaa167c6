/* Tests for ports and links: latency, serialization delay, txqueuelen drops
 * (a vif queue of 32 drops a burst a queue of 1000 carries), counters and captures. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "base/evq.h"
#include "netsim/pcap.h"
#include "netsim/port.h"
#include "nstest.h"

static const uint8_t A[6] = { 0x00, 0x16, 0x3e, 0, 0, 1 }, B[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };

static struct evq q;
static struct netsim net;

static void setup(void)
{
    evq_init(&q);
    netsim_init(&net, &q);
}

static void teardown(void)
{
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(link, .init = setup, .fini = teardown);

Test(link, latency_and_rate)
{
    struct sink a, b;
    uint8_t f[1000];
    struct netsim_link_params lp = { .latency = 50 * VTIME_US, .rate_bps = 1000000000ULL };

    sink_init(&a, &net, "a");
    sink_init(&b, &net, "b");
    cr_assert_eq(netsim_link_connect(&a.port, &b.port, &lp), 0);
    make_udp(f, 1000, A, B, 1, 2, 3, 4);
    cr_assert_eq(netsim_port_send(&a.port, f, 1000), 0);
    cr_assert_eq(netsim_port_send(&a.port, f, 1000), 0);
    evq_run_until(&q, 50 * VTIME_US + 8191);
    cr_assert_eq(b.frames, 0);
    /* (1000 + 24) bytes at 1 Gbit/s = 8192 ns, then 50 us of flight. */
    evq_run_until(&q, 50 * VTIME_US + 8192);
    cr_assert_eq(b.frames, 1);
    cr_assert_eq(b.last_t, 50 * VTIME_US + 8192);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(b.frames, 2);
    cr_assert_eq(b.last_t, 50 * VTIME_US + 2 * 8192);
    cr_assert_eq(a.port.st.tx_packets, 2);
    cr_assert_eq(a.port.st.tx_bytes, 2000);
    cr_assert_eq(b.port.st.rx_packets, 2);
    cr_assert_eq(b.port.st.rx_bytes, 2000);
    cr_assert_eq(a.frames, 0);
}

Test(link, pads_short_frames_and_rejects_bad_lengths)
{
    struct sink a, b;
    uint8_t f[1600] = { 0 };

    sink_init(&a, &net, "a");
    sink_init(&b, &net, "b");
    cr_assert_eq(netsim_port_send(&a.port, f, 60), HV_ENOENT);
    cr_assert_eq(a.port.st.tx_carrier, 1);
    netsim_link_connect(&a.port, &b.port, NULL);
    cr_assert_eq(netsim_port_send(&a.port, f, 42), 0);
    cr_assert_eq(netsim_port_send(&a.port, f, 13), HV_EINVAL);
    cr_assert_eq(netsim_port_send(&a.port, f, 1600), HV_EINVAL);
    cr_assert_eq(a.port.st.tx_errors, 2);
    evq_run_until(&q, 1);
    cr_assert_eq(b.frames, 1);
    cr_assert_eq(b.last_len, 60);
}

/* A burst of 200 frames from a fast peth0 side onto a 100 Mbit/s vif. */
static void burst(uint32_t qlen, const char *pcap_path, uint64_t *delivered, uint64_t *dropped)
{
    struct sink src, nic;
    struct netsim_port vif;
    uint8_t f[1000];
    struct netsim_link_params lp = { .latency = 10 * VTIME_US, .rate_bps = 100000000ULL };
    struct netsim_pcap *pc;

    sink_init(&src, &net, "peth0");
    sink_init(&nic, &net, "eth0");
    netsim_port_init(&vif, &net, "vif1.0", NULL, NULL);
    vif.txqueuelen = qlen;
    cr_assert_eq(netsim_link_connect(&vif, &nic.port, &lp), 0);
    pc = netsim_pcap_open(pcap_path);
    cr_assert_not_null(pc);
    netsim_pcap_attach_port(pc, &vif, NETSIM_CAP_TX);
    make_udp(f, 1000, A, B, 1, 2, 3, 4);
    for (int i = 0; i < 200; i++)
        netsim_port_send(&vif, f, sizeof f);
    evq_run_until(&q, q.now + VTIME_S);
    cr_assert_eq(nic.frames, (int)vif.st.tx_packets);
    cr_assert_eq(pc->frames, vif.st.tx_packets, "capture and counters agree");
    cr_assert_eq(vif.st.tx_packets + vif.st.tx_dropped, 200);
    cr_assert_eq(nic.port.st.rx_packets, vif.st.tx_packets);
    *delivered = vif.st.tx_packets;
    *dropped = vif.st.tx_dropped;
    cr_assert_eq(netsim_pcap_close(pc), 0);
    netsim_port_fini(&vif);
}

Test(link, vif_queue_32_drops_burst_1000_does_not)
{
    uint64_t d32, x32, d1000, x1000;

    burst(NETSIM_TXQUEUELEN_VIF, "link_burst32.pcap", &d32, &x32);
    burst(NETSIM_TXQUEUELEN_DEFAULT, "link_burst1000.pcap", &d1000, &x1000);
    /* All 200 are queued at once, so 32 fit and the rest are dropped. */
    cr_assert_eq(d32, 32);
    cr_assert_eq(x32, 168);
    cr_assert_eq(d1000, 200);
    cr_assert_eq(x1000, 0);
    cr_assert_eq(tshark_bad("link_burst32.pcap"), 0);
}

Test(link, queue_drains_at_line_rate)
{
    struct sink a, b;
    uint8_t f[1000];
    struct netsim_link_params lp = { .latency = 0, .rate_bps = 1000000000ULL };
    int sent = 0;

    sink_init(&a, &net, "a");
    sink_init(&b, &net, "b");
    a.port.txqueuelen = 4;
    netsim_link_connect(&a.port, &b.port, &lp);
    make_udp(f, 1000, A, B, 1, 2, 3, 4);
    /* One frame every 8192 ns matches the line rate: never more than 1 queued. */
    for (int i = 0; i < 100; i++) {
        evq_run_until(&q, (vtime_t)i * 8192);
        sent += netsim_port_send(&a.port, f, 1000) == 0;
    }
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(sent, 100);
    cr_assert_eq(b.frames, 100);
    cr_assert_eq(a.port.st.tx_dropped, 0);
}

/* 10% loss over 10000 frames: about 1000 lost, the rest arrive, and the same
 * topology loses the very same frames in a second run. */
static uint64_t lossy_run(uint64_t *lost)
{
    struct sink a, b;
    uint8_t f[100];
    uint64_t sig = 0;
    struct netsim_link_params lp = { .latency = VTIME_US, .rate_bps = 0, .loss_ppm = 100000 };

    sink_init(&a, &net, "vif1.0");
    sink_init(&b, &net, "eth0");
    netsim_link_connect(&a.port, &b.port, &lp);
    for (int i = 0; i < 10000; i++) {
        make_udp(f, 100, A, B, 1, 2, 3, (uint16_t)i);
        netsim_port_send(&a.port, f, 100);
        evq_run_until(&q, q.now + 10 * VTIME_US);
        sig = sig * 31 + b.frames; /* which frames arrived, in order */
    }
    *lost = a.port.lost;
    cr_assert_eq(b.frames + a.port.lost, 10000);
    cr_assert_eq(b.port.st.rx_packets, b.frames);
    netsim_link_disconnect(&a.port);
    return sig;
}

Test(link, loss_is_random_seeded_and_counted)
{
    uint64_t l1, l2;
    uint64_t s1 = lossy_run(&l1), s2 = lossy_run(&l2);

    cr_assert(l1 > 900 && l1 < 1100, "lost %llu of 10000 at 10%%", (unsigned long long)l1);
    cr_assert_eq(l1, l2);
    cr_assert_eq(s1, s2, "the same frames are lost every run");
}

static int carrier_calls, carrier_last;
static void on_carrier(void *opaque, struct netsim_port *p, int up)
{
    carrier_calls++;
    carrier_last = up;
}

/* A pulled cable: frames in flight are lost, sends fail as carrier errors,
 * both ends hear of it, and plugging it back restores traffic. */
Test(link, down_and_up)
{
    struct sink a, b;
    uint8_t f[100];
    struct netsim_link_params lp = { .latency = 50 * VTIME_US };

    sink_init(&a, &net, "a");
    sink_init(&b, &net, "b");
    netsim_port_set_carrier_fn(&a.port, on_carrier);
    netsim_port_set_carrier_fn(&b.port, on_carrier);
    netsim_link_connect(&a.port, &b.port, &lp);
    make_udp(f, 100, A, B, 1, 2, 3, 4);
    cr_assert_eq(netsim_port_send(&a.port, f, 100), 0);
    cr_assert(netsim_port_carrier(&a.port));
    cr_assert_eq(netsim_link_set_up(&b.port, 0), 0);
    cr_assert_eq(carrier_calls, 2);
    cr_assert_eq(carrier_last, 0);
    cr_assert(!netsim_port_carrier(&a.port));
    cr_assert_eq(a.port.lost, 1, "the frame in flight is lost");
    cr_assert_eq(netsim_port_send(&a.port, f, 100), HV_ENOENT);
    cr_assert_eq(a.port.st.tx_carrier, 1);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(b.frames, 0);
    cr_assert_eq(netsim_link_set_up(&a.port, 1), 0);
    cr_assert_eq(carrier_calls, 4);
    cr_assert_eq(carrier_last, 1);
    cr_assert_eq(netsim_port_send(&a.port, f, 100), 0);
    evq_run_until(&q, 2 * VTIME_S);
    cr_assert_eq(b.frames, 1);
}

/* Parameters changed on a live link apply to frames sent afterwards. */
Test(link, set_changes_latency_both_ways)
{
    struct sink a, b;
    uint8_t f[100];
    struct netsim_link_params lp = { .latency = 10 * VTIME_US }, slow = { .latency = VTIME_MS };

    sink_init(&a, &net, "a");
    sink_init(&b, &net, "b");
    cr_assert_eq(netsim_link_set(&a.port, &slow), HV_ENOENT);
    netsim_link_connect(&a.port, &b.port, &lp);
    cr_assert_eq(netsim_link_set(&b.port, &slow), 0);
    make_udp(f, 100, A, B, 1, 2, 3, 4);
    netsim_port_send(&a.port, f, 100);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(b.last_t, VTIME_MS);
}
