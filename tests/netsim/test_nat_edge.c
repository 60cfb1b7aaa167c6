/* NAT edge cases on the NAT preset: source-port collisions, TTL expiry, ICMP
 * errors translated back (RELATED), port forwarding, malformed frames. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "base/evq.h"
#include "netsim/preset.h"
#include "nstest.h"

static struct evq q;
static struct netsim net;
static struct netsim_topo *t;
static struct netsim_host ga, gb;
static struct netsim_pcap *pc;
static int echoes[2], icmp_type, icmp_code;
static uint32_t icmp_inner_src;

static const uint8_t MA[6] = { 0, 0x16, 0x3e, 0, 1, 1 }, MB[6] = { 0, 0x16, 0x3e, 0, 1, 2 };
#define GA NETSIM_IP(192, 168, 122, 10)
#define GB NETSIM_IP(192, 168, 122, 11)
#define GW NETSIM_IP(192, 168, 122, 1)

static void on_echo(void *o, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                    const uint8_t *d, size_t n)
{
    echoes[h == &gb]++;
}

static void on_icmp(void *o, struct netsim_host *h, const struct netsim_pinfo *pi, const uint8_t *icmp, size_t len)
{
    icmp_type = pi->icmp_type;
    icmp_code = pi->icmp_code;
    if (len >= ICMP_HLEN + IPV4_HLEN)
        icmp_inner_src = netsim_get32(icmp + ICMP_HLEN + 12);
}

static void setup(void)
{
    evq_init(&q);
    netsim_init(&net, &q);
    t = netsim_topo_new(&net, NETSIM_MODE_NAT, 3);
    netsim_host_init(&ga, &net, "guestA", "eth0", MA, 11);
    netsim_host_init(&gb, &net, "guestB", "eth0", MB, 12);
    netsim_iface_set_addr(&ga.ifc, GA, 0xffffff00u, GW);
    netsim_iface_set_addr(&gb.ifc, GB, 0xffffff00u, GW);
    netsim_topo_plug(t, "vif1.0", &ga.ifc.port, NULL);
    netsim_topo_plug(t, "vif2.0", &gb.ifc.port, NULL);
    netsim_host_udp_bind(&ga, 5000, on_echo, NULL);
    netsim_host_udp_bind(&gb, 5000, on_echo, NULL);
    ga.icmp_fn = on_icmp;
    pc = NULL;
    echoes[0] = echoes[1] = icmp_type = icmp_code = 0;
    icmp_inner_src = 0;
}

static void teardown(void)
{
    if (pc)
        netsim_pcap_close(pc);
    netsim_topo_free(t);
    netsim_host_fini(&ga);
    netsim_host_fini(&gb);
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(nat_edge, .init = setup, .fini = teardown);

Test(nat_edge, source_port_kept_where_free_else_remapped)
{
    struct netsim_conn *c;
    int dir;
    uint16_t pa, pb;
    struct netsim_tuple ta = { GA, NETSIM_WORLD_SERVER, 5000, 7, IP_PROTO_UDP };
    struct netsim_tuple tb = { GB, NETSIM_WORLD_SERVER, 5000, 7, IP_PROTO_UDP };

    netsim_host_udp_send(&ga, 5000, NETSIM_WORLD_SERVER, NETSIM_UDP_ECHO_PORT, "ping", 4);
    netsim_host_udp_send(&gb, 5000, NETSIM_WORLD_SERVER, NETSIM_UDP_ECHO_PORT, "pong", 4);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(echoes[0], 1);
    cr_assert_eq(echoes[1], 1);
    c = netsim_ct_lookup(&t->nat->ct, &ta, q.now, &dir);
    cr_assert_not_null(c);
    pa = c->reply.dport;
    c = netsim_ct_lookup(&t->nat->ct, &tb, q.now, &dir);
    cr_assert_not_null(c);
    pb = c->reply.dport;
    /* Whichever reached the router first keeps 5000; the other is remapped. */
    cr_assert((pa == 5000) != (pb == 5000), "%u %u", pa, pb);
    cr_assert_geq(pa, 1024, "ports >= 1024 stay >= 1024");
    cr_assert_geq(pb, 1024);
    cr_assert_eq(t->world->udp_echoed, 2);
}

Test(nat_edge, ttl_expiry_gives_time_exceeded)
{
    uint8_t f[64];
    struct netsim_pinfo pi;
    const uint8_t *gwmac;

    /* Learn the gateway's MAC, then send a TTL-1 datagram through it. */
    netsim_host_ping(&ga, GW, 1, 1, 8);
    evq_run_until(&q, VTIME_MS);
    gwmac = netsim_arp_lookup(&ga.ifc, GW);
    cr_assert_not_null(gwmac);
    make_udp(f, 64, MA, gwmac, GA, NETSIM_WORLD_SERVER, 5000, 7);
    f[ETH_HLEN + 8] = 1;
    netsim_put16(f + ETH_HLEN + 10, 0);
    netsim_put16(f + ETH_HLEN + 10, netsim_csum(f + ETH_HLEN, IPV4_HLEN));
    cr_assert_eq(netsim_frame_parse(f, 64, &pi), 0);
    netsim_port_send(&ga.ifc.port, f, 64);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(icmp_type, ICMP_TIME_EXCEEDED);
    cr_assert_eq(icmp_inner_src, GA);
    cr_assert_eq(t->nat->ttl_exceeded, 1);
    cr_assert_eq(t->world->udp_echoed, 0);
}

Test(nat_edge, port_unreachable_comes_back_translated)
{
    pc = netsim_pcap_open("nat_edge.pcap");
    netsim_pcap_attach_bridge(pc, t->br);
    netsim_host_udp_send(&ga, 5000, NETSIM_WORLD_SERVER, 9, "x", 1);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(t->world->server.unreach_sent, 1);
    cr_assert_eq(icmp_type, ICMP_DEST_UNREACH);
    cr_assert_eq(icmp_code, ICMP_PORT_UNREACH);
    cr_assert_eq(icmp_inner_src, GA, "the quoted header names the inside host again");
    cr_assert_eq(t->nat->related, 1);
    netsim_pcap_close(pc);
    pc = NULL;
    cr_assert_eq(tshark_bad("nat_edge.pcap"), 0);
    char *out = tshark_run("nat_edge.pcap", "-Y 'icmp.type==3' -e ip.dst -e icmp.checksum.status");
    cr_assert_str_eq(out, "192.168.122.10,192.168.1.10,1\n", "%s", out);
    free(out);
}

static int fwd_status;
static void fwd_done(void *o, struct netsim_host *h, struct netsim_tcp_conn *c)
{
    if (c->rxlen > 12)
        fwd_status = atoi((const char *)c->rx + 9);
}

Test(nat_edge, port_forward_reaches_inside_server)
{
    struct netsim_host *outside = &t->world->server;

    ga.http_port = 80;
    cr_assert_eq(netsim_nat_add_forward(t->nat, IP_PROTO_TCP, 8080, GA, 80), 0);
    outside->tcp_done_fn = fwd_done;
    cr_assert_not_null(netsim_tcp_connect(outside, NETSIM_IP(192, 168, 1, 2), 8080, "GET / HTTP/1.0\r\n\r\n", 18));
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(fwd_status, 200);
    for (int i = 0; i < NETSIM_TCP_CONNS; i++)
        if (ga.tcp[i].lport == 80)
            cr_assert_eq(ga.tcp[i].rip, NETSIM_WORLD_SERVER, "DNAT keeps the client's address");
    /* Without a rule the router answers with RST. */
    fwd_status = 0;
    netsim_tcp_connect(outside, NETSIM_IP(192, 168, 1, 2), 8081, "GET / HTTP/1.0\r\n\r\n", 18);
    evq_run_until(&q, 2 * VTIME_S);
    cr_assert_eq(fwd_status, 0);
}

Test(nat_edge, malformed_frames_are_dropped_and_counted)
{
    uint8_t f[100];
    const uint8_t *gwmac;

    netsim_host_ping(&ga, GW, 1, 1, 8);
    evq_run_until(&q, VTIME_MS);
    gwmac = netsim_arp_lookup(&ga.ifc, GW);
    make_udp(f, 100, MA, gwmac, GA, NETSIM_WORLD_SERVER, 5000, 7);
    f[ETH_HLEN + 12] ^= 1; /* bad header checksum */
    netsim_port_send(&ga.ifc.port, f, 100);
    make_udp(f, 100, MA, gwmac, GA, NETSIM_WORLD_SERVER, 5000, 7);
    netsim_port_send(&ga.ifc.port, f, 30); /* truncated */
    make_udp(f, 100, MA, gwmac, GA, NETSIM_WORLD_SERVER, 5000, 7);
    netsim_csum_replace16(f + ETH_HLEN + 10, netsim_get16(f + ETH_HLEN + 6), IPV4_MF);
    netsim_put16(f + ETH_HLEN + 6, IPV4_MF); /* a first fragment */
    netsim_port_send(&ga.ifc.port, f, 100);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(t->nat->lan.ifc.malformed, 2);
    cr_assert_eq(netsim_nat_lan_port(t->nat)->st.rx_errors, 2);
    cr_assert_eq(t->nat->frags_dropped, 1);
    cr_assert_eq(t->world->udp_echoed, 0);
}

Test(nat_edge, ip_options_are_translated_like_any_packet)
{
    uint8_t f[100], g[104];
    const uint8_t *gwmac;
    struct netsim_pinfo pi;

    netsim_host_ping(&ga, GW, 1, 1, 8);
    evq_run_until(&q, VTIME_MS);
    gwmac = netsim_arp_lookup(&ga.ifc, GW);
    cr_assert_not_null(gwmac);
    /* A UDP datagram to the echo service with 4 bytes of IP options (NOPs, EOL). */
    make_udp(f, 100, MA, gwmac, GA, NETSIM_WORLD_SERVER, 5000, NETSIM_UDP_ECHO_PORT);
    memcpy(g, f, 34);
    memset(g + 34, 1, 3);
    g[37] = 0;
    memcpy(g + 38, f + 34, 66);
    g[ETH_HLEN] = 0x46;
    netsim_put16(g + ETH_HLEN + 2, 24 + 66);
    netsim_put16(g + ETH_HLEN + 10, 0);
    netsim_put16(g + ETH_HLEN + 10, netsim_csum(g + ETH_HLEN, 24));
    cr_assert_eq(netsim_frame_parse(g, 104, &pi), 0);
    netsim_port_send(&ga.ifc.port, g, 104);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(t->world->udp_echoed, 1, "the server accepted the translated datagram's checksum");
    cr_assert_eq(echoes[0], 1);
    cr_assert_eq(t->world->server.bad_l4, 0);
}
