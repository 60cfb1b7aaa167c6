/* netsim throughput on one core: frames per second through the learning bridge
 * (64 and 1500 bytes) and through the NAT (established flows and new flows),
 * each next to a plain memcpy of the same bytes as the reference.
 * Wall-clock timing is host-side measurement only, outside the simulation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/evq.h"
#include "netsim/bridge.h"
#include "netsim/nat.h"

#define BATCH 256

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct counter {
    struct netsim_port port;
    uint64_t frames;
    uint8_t sum;
};

static void count_rx(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    struct counter *c = opaque;
    c->frames++;
    c->sum ^= frame[len - 1]; /* touch the data as a receiver would */
}

static void make_frame(uint8_t *f, size_t len, const uint8_t *src, const uint8_t *dst, uint32_t sip, uint32_t dip,
                       uint16_t sport)
{
    netsim_eth_write(f, dst, src, ETHERTYPE_IPV4);
    netsim_ipv4_write(f + ETH_HLEN, IP_PROTO_UDP, sip, dip, 1, 64, len - ETH_HLEN - IPV4_HLEN);
    memset(f + 42, 0xa5, len - 42);
    netsim_udp_write(f + 34, sip, dip, sport, 7, f + 42, len - 42);
}

/* The same bytes moved by memcpy alone: the floor any forwarding path pays. */
static double memcpy_rate(size_t len, uint64_t n)
{
    static uint8_t src[BATCH][NETSIM_FRAME_MAX], dst[BATCH][NETSIM_FRAME_MAX];
    volatile uint8_t sink = 0;
    double t0 = now_s(), t;

    for (uint64_t i = 0; i < n; i++) {
        memcpy(dst[i % BATCH], src[(i * 7) % BATCH], len);
        sink ^= dst[i % BATCH][len - 1];
    }
    t = now_s() - t0;
    (void)sink;
    return (double)n / t;
}

static void report(const char *what, uint64_t frames, double secs, double ref)
{
    double r = (double)frames / secs;
    printf("%-28s %8.2f Mframes/s   memcpy %8.2f Mframes/s   ratio %.3f\n", what, r / 1e6, ref / 1e6, r / ref);
}

static void bench_bridge(size_t len, uint64_t total)
{
    static const uint8_t A[6] = { 0, 0x16, 0x3e, 0, 0, 1 }, B[6] = { 0, 0x16, 0x3e, 0, 0, 2 };
    struct evq q;
    struct netsim net;
    struct netsim_bridge *br;
    struct counter a, b;
    uint8_t f[NETSIM_FRAME_MAX], back[64];
    double t0, t;
    char what[64];

    evq_init(&q);
    netsim_init(&net, &q);
    br = netsim_bridge_new(&net, "xenbr0");
    netsim_port_init(&a.port, &net, "eth0", count_rx, &a);
    netsim_port_init(&b.port, &net, "eth0", count_rx, &b);
    a.frames = b.frames = 0;
    netsim_link_connect(netsim_bridge_add_port(br, "vif1.0", 0), &a.port, NULL);
    netsim_link_connect(netsim_bridge_add_port(br, "vif2.0", 0), &b.port, NULL);
    make_frame(f, len, A, B, 1, 2, 1000);
    make_frame(back, 64, B, A, 2, 1, 1000);
    netsim_port_send(&b.port, back, 64); /* B is learnt: A's frames are forwarded, not flooded */
    evq_run_until(&q, 1);
    b.frames = 0;
    t0 = now_s();
    for (uint64_t sent = 0; sent < total;) {
        for (int i = 0; i < BATCH && sent < total; i++, sent++)
            netsim_port_send(&a.port, f, len);
        evq_run_until(&q, q.now + 1);
    }
    t = now_s() - t0;
    snprintf(what, sizeof what, "bridge %zu B", len);
    report(what, b.frames, t, memcpy_rate(len, total));
    if (b.frames != total)
        printf("  (only %llu of %llu delivered)\n", (unsigned long long)b.frames, (unsigned long long)total);
    netsim_bridge_free(br);
    netsim_destroy(&net);
    evq_destroy(&q);
}

/* LAN frames straight into the NAT's inside interface, out of its uplink into a
 * counter that has announced itself by ARP as 192.168.1.10. */
static void bench_nat(int new_flows, uint64_t total)
{
    static const uint8_t G[6] = { 0, 0x16, 0x3e, 0, 0, 9 }, S[6] = { 2, 0, 0x5e, 1, 0, 10 };
    struct evq q;
    struct netsim net;
    struct netsim_nat_config cfg;
    struct netsim_nat *nat;
    struct counter lan, wan;
    enum { FLOWS = 64 };
    static uint8_t f[FLOWS][64];
    uint8_t arp[64];
    double t0, t;
    uint64_t sent = 0;

    evq_init(&q);
    netsim_init(&net, &q);
    netsim_nat_config_default(&cfg);
    cfg.dhcp_lo = 0;
    cfg.dns_upstream = 0;
    cfg.conns = new_flows ? 1u << 20 : 4096;
    nat = netsim_nat_new(&net, &cfg);
    netsim_port_init(&lan.port, &net, "vif1.0", count_rx, &lan);
    netsim_port_init(&wan.port, &net, "peth0", count_rx, &wan);
    lan.frames = wan.frames = 0;
    netsim_link_connect(&lan.port, netsim_nat_lan_port(nat), NULL);
    netsim_link_connect(&wan.port, netsim_nat_wan_port(nat), NULL);
    netsim_arp_write(arp, ARP_REQUEST, S, NETSIM_IP(192, 168, 1, 10), netsim_mac_broadcast, (const uint8_t[6]){ 0 },
                     cfg.wan_ip);
    netsim_port_send(&wan.port, arp, 42);
    evq_run_until(&q, 1);
    for (int i = 0; i < FLOWS; i++)
        make_frame(f[i], 64, G, cfg.lan_mac, NETSIM_IP(192, 168, 122, 2), NETSIM_IP(192, 168, 1, 10),
                   (uint16_t)(20000 + i));
    /* Open the established flows before timing. */
    if (!new_flows) {
        for (int i = 0; i < FLOWS; i++)
            netsim_port_send(&lan.port, f[i], 64);
        evq_run_until(&q, q.now + 1);
    }
    wan.frames = 0;
    t0 = now_s();
    while (sent < total) {
        for (int i = 0; i < BATCH && sent < total; i++, sent++) {
            uint8_t *p = f[sent % FLOWS];
            if (new_flows) {
                /* A fresh source address and port for every packet, and one
                 * destination port per source address so each keeps its port
                 * (fixing the checksums as we go). */
                uint32_t k = (uint32_t)(sent / 60000) % 250;
                uint32_t src = NETSIM_IP(192, 168, 122, 2 + k);
                uint16_t port = (uint16_t)(1024 + sent % 60000), dport = (uint16_t)(1000 + k);
                netsim_csum_replace32(p + ETH_HLEN + 10, netsim_get32(p + 26), src);
                netsim_csum_replace32(p + 40, netsim_get32(p + 26), src);
                netsim_csum_replace16(p + 40, netsim_get16(p + 34), port);
                netsim_csum_replace16(p + 40, netsim_get16(p + 36), dport);
                netsim_put32(p + 26, src);
                netsim_put16(p + 34, port);
                netsim_put16(p + 36, dport);
            }
            netsim_port_send(&lan.port, p, 64);
        }
        evq_run_until(&q, q.now + 1);
    }
    t = now_s() - t0;
    report(new_flows ? "nat new flows 64 B" : "nat established 64 B", wan.frames, t, memcpy_rate(64, total));
    if (wan.frames != total)
        printf("  (only %llu of %llu translated, %llu dropped)\n", (unsigned long long)wan.frames,
               (unsigned long long)total, (unsigned long long)nat->dropped);
    netsim_port_fini(&lan.port);
    netsim_port_fini(&wan.port);
    netsim_nat_free(nat);
    netsim_destroy(&net);
    evq_destroy(&q);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;

    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("netsim benchmark, %llu frames each, one core\n", (unsigned long long)n);
    bench_bridge(64, n);
    bench_bridge(1500, n);
    bench_nat(0, n);
    bench_nat(1, n / 4 < 500000 ? n / 4 : 500000);
    return 0;
}
