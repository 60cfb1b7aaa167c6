/* Tests for ARP on an interface: answering, learning only when addressed,
 * holding at most three frames per unresolved address, proxy ARP, probes. */
#include <criterion/criterion.h>

#include "base/evq.h"
#include "netsim/ipv4.h"
#include "nstest.h"

static struct evq q;
static struct netsim net;
static struct netsim_iface ifc;
static struct sink peer;

static const uint8_t ME[6] = { 0x02, 0, 0, 0, 0, 1 }, OTHER[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t ZERO[6];
#define MYIP NETSIM_IP(10, 0, 0, 1)
#define PEERIP NETSIM_IP(10, 0, 0, 2)

static int proxy_all_odd(void *opaque, struct netsim_iface *i, uint32_t ip) { return ip & 1; }

static void setup(void)
{
    evq_init(&q);
    netsim_init(&net, &q);
    netsim_iface_init(&ifc, &net, "eth0", ME, NULL, NULL);
    netsim_iface_set_addr(&ifc, MYIP, 0xffffff00u, 0);
    sink_init(&peer, &net, "peer");
    netsim_link_connect(&ifc.port, &peer.port, NULL);
}

static void teardown(void)
{
    netsim_iface_fini(&ifc);
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(arp, .init = setup, .fini = teardown);

static void arp_in(uint16_t op, uint32_t spa, uint32_t tpa)
{
    uint8_t f[64];
    size_t n = netsim_arp_write(f, op, OTHER, spa, op == ARP_REQUEST ? netsim_mac_broadcast : ME, ZERO, tpa);
    netsim_port_send(&peer.port, f, n);
    evq_run_until(&q, q.now + 1);
}

Test(arp, answers_and_learns_requests_for_us)
{
    struct netsim_pinfo pi;

    arp_in(ARP_REQUEST, PEERIP, MYIP);
    cr_assert_eq(peer.frames, 1);
    cr_assert_eq(netsim_frame_parse(peer.last, peer.last_len, &pi), 0);
    cr_assert_eq(pi.arp_op, ARP_REPLY);
    cr_assert_arr_eq(pi.arp_sha, ME, 6);
    cr_assert_eq(pi.src, MYIP);
    cr_assert_eq(pi.dst, PEERIP);
    cr_assert_not_null(netsim_arp_lookup(&ifc, PEERIP));
    /* A request for someone else neither answers nor creates an entry (RFC 826). */
    arp_in(ARP_REQUEST, NETSIM_IP(10, 0, 0, 3), NETSIM_IP(10, 0, 0, 4));
    cr_assert_eq(peer.frames, 1);
    cr_assert_null(netsim_arp_lookup(&ifc, NETSIM_IP(10, 0, 0, 3)));
}

Test(arp, holds_three_frames_until_resolved)
{
    uint8_t f[64];

    for (int i = 0; i < 5; i++) {
        make_udp(f, 64, ME, ZERO, MYIP, PEERIP, 1, (uint16_t)(100 + i));
        netsim_iface_output(&ifc, PEERIP, f, 64);
    }
    evq_run_until(&q, 1);
    cr_assert_eq(peer.frames, 1, "one request only");
    cr_assert_eq(ifc.port.st.tx_dropped, 2, "oldest frames beyond three are dropped");
    arp_in(ARP_REPLY, PEERIP, MYIP);
    cr_assert_eq(peer.frames, 4);
    cr_assert_arr_eq(peer.last, OTHER, 6, "held frames go to the learnt MAC");
    cr_assert_eq(netsim_get16(peer.last + 36), 104, "in order, newest last");
}

Test(arp, proxy_and_probes)
{
    ifc.proxy_arp = proxy_all_odd;
    arp_in(ARP_REQUEST, PEERIP, NETSIM_IP(10, 0, 0, 9));
    cr_assert_eq(peer.frames, 1);
    cr_assert_eq(ifc.arp_answered, 1);
    arp_in(ARP_REQUEST, PEERIP, NETSIM_IP(10, 0, 0, 8));
    cr_assert_eq(peer.frames, 1);
    /* An RFC 5227 probe (sender 0.0.0.0) for our address is answered, not learnt. */
    arp_in(ARP_REQUEST, 0, MYIP);
    cr_assert_eq(peer.frames, 2);
    cr_assert_null(netsim_arp_lookup(&ifc, 0));
}

Test(arp, retries_three_times_then_drops_held_frames)
{
    uint8_t f[64];

    make_udp(f, 64, ME, ZERO, MYIP, PEERIP, 1, 100);
    netsim_iface_output(&ifc, PEERIP, f, 64);
    evq_run_until(&q, 10 * VTIME_S);
    cr_assert_eq(peer.frames, 3, "three requests, a second apart");
    cr_assert_eq(peer.last_t, 2 * VTIME_S);
    cr_assert_eq(ifc.arp_sent, 3);
    cr_assert_eq(ifc.port.st.tx_dropped, 1);
    cr_assert_eq(ifc.arp[0].npending, 0);
    cr_assert(!event_pending(&ifc.arp_timer));
}
