/* Tests for the learning bridge: flooding, learning, filtering, ageing at 300 s. */
#include <criterion/criterion.h>

#include "base/evq.h"
#include "netsim/bridge.h"
#include "nstest.h"

static const uint8_t M[3][6] = { { 0x00, 0x16, 0x3e, 0, 0, 1 }, { 0x00, 0x16, 0x3e, 0, 0, 2 },
                                 { 0x00, 0x16, 0x3e, 0, 0, 3 } };

static struct evq q;
static struct netsim net;
static struct netsim_bridge *br;
static struct sink h[3];

static void setup(void)
{
    static const char *names[3] = { "vif1.0", "vif2.0", "peth0" };

    evq_init(&q);
    netsim_init(&net, &q);
    br = netsim_bridge_new(&net, "xenbr0");
    for (int i = 0; i < 3; i++) {
        struct netsim_port *p = netsim_bridge_add_port(br, names[i], 0);
        sink_init(&h[i], &net, "eth0");
        netsim_link_connect(p, &h[i].port, NULL);
    }
}

static void teardown(void)
{
    netsim_bridge_free(br);
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(bridge, .init = setup, .fini = teardown);

static void send_from(int i, const uint8_t *dst)
{
    uint8_t f[64];
    make_udp(f, 64, M[i], dst, 1, 2, 3, 4);
    netsim_port_send(&h[i].port, f, 64);
    evq_run_until(&q, q.now + 1);
}

Test(bridge, floods_unknown_then_forwards_learnt)
{
    send_from(0, M[1]);
    cr_assert_eq(h[1].frames, 1);
    cr_assert_eq(h[2].frames, 1, "unknown unicast floods");
    cr_assert_eq(h[0].frames, 0, "never back out of the ingress port");
    cr_assert_eq(netsim_bridge_fdb_lookup(br, M[0]), 0);
    send_from(1, M[0]);
    cr_assert_eq(h[0].frames, 1);
    cr_assert_eq(h[2].frames, 1, "known unicast goes to one port only");
    send_from(0, M[1]);
    cr_assert_eq(h[1].frames, 2);
    cr_assert_eq(h[2].frames, 1);
    cr_assert_eq(br->forwarded, 2);
    cr_assert_eq(br->flooded, 1);
    cr_assert_eq(netsim_bridge_port(br, "vif2.0")->st.tx_packets, 2);
    cr_assert_eq(netsim_bridge_port(br, "vif1.0")->st.rx_packets, 2);
}

Test(bridge, floods_broadcast_and_multicast)
{
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };

    send_from(1, M[0]);
    send_from(0, netsim_mac_broadcast);
    cr_assert_eq(h[1].frames, 1);
    cr_assert_eq(h[2].frames, 2);
    send_from(0, mcast);
    cr_assert_eq(h[1].frames, 2);
    cr_assert_eq(h[2].frames, 3);
    cr_assert_eq(netsim_bridge_fdb_lookup(br, mcast), -1, "group addresses are never learnt");
}

Test(bridge, filters_frames_for_the_ingress_segment)
{
    send_from(0, M[1]);
    send_from(1, M[0]);
    /* Pretend M[1] moved behind port 0's segment: a frame from 0 for M[0] stays there. */
    send_from(0, M[0]);
    cr_assert_eq(br->filtered, 1);
    cr_assert_eq(h[1].frames, 1);
}

Test(bridge, ages_entries_after_300_seconds)
{
    send_from(0, M[1]);
    send_from(1, M[0]);
    evq_run_until(&q, 299 * VTIME_S);
    cr_assert_eq(netsim_bridge_fdb_lookup(br, M[0]), 0);
    evq_run_until(&q, 300 * VTIME_S + 2);
    cr_assert_eq(netsim_bridge_fdb_lookup(br, M[0]), -1);
    send_from(1, M[0]);
    cr_assert_eq(h[2].frames, 2, "aged entry floods again");
}

Test(bridge, learns_station_moves)
{
    send_from(0, M[1]);
    cr_assert_eq(netsim_bridge_fdb_lookup(br, M[0]), 0);
    /* M[0] now sends from port 2. */
    uint8_t f[64];
    make_udp(f, 64, M[0], M[1], 1, 2, 3, 4);
    netsim_port_send(&h[2].port, f, 64);
    evq_run_until(&q, q.now + 1);
    cr_assert_eq(netsim_bridge_fdb_lookup(br, M[0]), 2);
}

Test(bridge, runt_is_counted_not_forwarded)
{
    uint8_t f[10] = { 0 };
    netsim_bridge_forward(br, 0, f, sizeof f);
    cr_assert_eq(br->ports[0]->st.rx_errors, 1);
    cr_assert_eq(net.malformed, 1);
    cr_assert_eq(br->ports[1]->st.tx_packets, 0);
}
