/* libFuzzer target for netsim's parsers: the frame parser, DHCP and DNS codecs,
 * and whole frames injected into a NAT and a route-mode topology (inside and
 * uplink), so the ARP, IPv4, ICMP, UDP, TCP, DHCP, DNS, NAT and routing receive
 * paths all see hostile input.
 * Build and run with the CMake targets fuzz_netsim / fuzz_netsim_run (clang). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/evq.h"
#include "base/log.h"
#include "netsim/dhcp.h"
#include "netsim/dns.h"
#include "netsim/preset.h"
#include "netsim/route.h"

static struct evq q;
static struct netsim net;
static struct netsim_topo *topo, *rtopo;
static struct netsim_port inside, outside, rinside;

static void quiet(void *opaque, enum log_level level, const char *msg) {}

static void setup(void)
{
    log_set_sink(quiet, NULL);
    evq_init(&q);
    netsim_init(&net, &q);
    topo = netsim_topo_new(&net, NETSIM_MODE_NAT, 1);
    netsim_port_init(&inside, &net, "fuzz0", NULL, NULL);
    netsim_port_init(&outside, &net, "fuzz1", NULL, NULL);
    netsim_topo_plug(topo, "vif1.0", &inside, NULL);
    netsim_world_attach(topo->world, "fuzz", &outside, NULL);
    rtopo = netsim_topo_new(&net, NETSIM_MODE_ROUTE, 2);
    netsim_port_init(&rinside, &net, "fuzz2", NULL, NULL);
    netsim_topo_plug(rtopo, "vif1.0", &rinside, &(struct netsim_nic_opts){ .ip = NETSIM_IP(192, 168, 1, 50) });
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct netsim_pinfo pi;
    struct netsim_dhcp_msg dm;
    struct netsim_dns_msg nm;
    uint8_t f[NETSIM_FRAME_MAX];

    if (!topo)
        setup();
    netsim_frame_parse(data, size, &pi);
    netsim_dhcp_parse(data, size, &dm);
    netsim_dns_parse(data, size, &nm);
    if (size < 1 || size > NETSIM_FRAME_MAX)
        return 0;
    /* The first byte picks the side; frames go to the router's MAC or broadcast
     * so they reach the receive paths instead of being filtered by MAC. */
    memcpy(f, data, size);
    if (size > ETH_HLEN && (data[0] & 2)) {
        const uint8_t *to = data[0] & 8 ? rtopo->route->vifs[0]->ifc.mac : topo->nat->cfg.lan_mac;
        memcpy(f, data[0] & 1 ? netsim_mac_broadcast : to, ETH_ALEN);
    }
    netsim_port_send(data[0] & 8 ? &rinside : data[0] & 4 ? &outside : &inside, f, size);
    evq_run_until(&q, q.now + 10 * VTIME_MS);
    return 0;
}
