/* The outside world of the seeds' setups: the uplink LAN 192.168.1.0/24 with
 * its router (192.168.1.1: ICMP echo, DNS authority for example.test, DHCP
 * .100-.199 for bridged guests) and a server (192.168.1.10: ICMP echo, UDP echo
 * on port 7 (RFC 862), an HTTP-like server on port 80). */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "netsim/hosts.h"

static void udp_echo(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                     uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_world *w = opaque;
    w->udp_echoed++;
    netsim_host_udp_send(h, dport, src, sport, data, len);
}

struct netsim_world *netsim_world_new(struct netsim *net, uint64_t seed)
{
    static const uint8_t rmac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x01, 0x00, 0x01 };
    static const uint8_t smac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x01, 0x00, 0x0a };
    struct netsim_dhcp_config dc = { .pool_lo = NETSIM_IP(192, 168, 1, 100), .pool_hi = NETSIM_IP(192, 168, 1, 199),
                                     .mask = 0xffffff00u, .router = NETSIM_WORLD_ROUTER,
                                     .dns = NETSIM_WORLD_ROUTER, .domain = NETSIM_WORLD_ZONE };
    struct netsim_world *w = calloc(1, sizeof *w);

    if (!w) {
        log_error("netsim: world: no memory");
        return NULL;
    }
    w->net = net;
    w->lan = netsim_bridge_new(net, "lan0");
    if (!w->lan)
        goto fail_after_alloc;
    netsim_host_init(&w->router, net, "router", "eth0", rmac, seed * 16 + 1);
    netsim_host_init(&w->server, net, "www", "eth0", smac, seed * 16 + 2);
    netsim_iface_set_addr(&w->router.ifc, NETSIM_WORLD_ROUTER, 0xffffff00u, 0);
    netsim_iface_set_addr(&w->server.ifc, NETSIM_WORLD_SERVER, 0xffffff00u, NETSIM_WORLD_ROUTER);
    if (netsim_world_attach(w, "gw", &w->router.ifc.port, NULL) || netsim_world_attach(w, "www", &w->server.ifc.port, NULL))
        goto fail_after_hosts;
    w->dns = netsim_dns_server_new(&w->router, NETSIM_WORLD_ZONE);
    if (!w->dns)
        goto fail_after_hosts;
    netsim_dns_add_record(w->dns, "gw." NETSIM_WORLD_ZONE, NETSIM_WORLD_ROUTER);
    netsim_dns_add_record(w->dns, "www." NETSIM_WORLD_ZONE, NETSIM_WORLD_SERVER);
    w->dhcp = netsim_dhcp_server_new(&w->router, &dc);
    if (!w->dhcp)
        goto fail_after_dns;
    netsim_dns_use_dhcp(w->dns, w->dhcp, NETSIM_WORLD_ZONE);
    netsim_host_udp_bind(&w->server, NETSIM_UDP_ECHO_PORT, udp_echo, w);
    w->server.http_port = NETSIM_HTTP_PORT;
    return w;

fail_after_dns:
    netsim_dns_server_free(w->dns);
fail_after_hosts:
    netsim_host_fini(&w->router);
    netsim_host_fini(&w->server);
    netsim_bridge_free(w->lan);
fail_after_alloc:
    free(w);
    return NULL;
}

void netsim_world_free(struct netsim_world *w)
{
    if (!w)
        return;
    netsim_dhcp_server_free(w->dhcp);
    netsim_dns_server_free(w->dns);
    netsim_host_fini(&w->router);
    netsim_host_fini(&w->server);
    netsim_bridge_free(w->lan);
    free(w);
}

int netsim_world_attach(struct netsim_world *w, const char *name, struct netsim_port *peer,
                        const struct netsim_link_params *lp)
{
    /* A switched gigabit LAN: 1 Gbit/s, 50 us through cable and switch. */
    static const struct netsim_link_params lan = { 50 * VTIME_US, 1000000000ULL, 0 };
    struct netsim_port *p = netsim_bridge_add_port(w->lan, name, 0);

    if (!lp)
        lp = &lan;
    return p ? netsim_link_connect(p, peer, lp) : HV_EFULL;
}
