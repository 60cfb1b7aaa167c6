/* Route mode: forwarding per RFC 1812 (TTL decrement, host routes first) with
 * proxy ARP per RFC 1027. Packets for Domain-0's own address from a guest,
 * and ICMP errors from the router, are not modelled: they are counted and dropped. */
#include "netsim/route.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

static const uint8_t vif_mac[ETH_ALEN] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct netsim_route_vif *vif_for(struct netsim_route *rt, uint32_t ip)
{
    for (int i = 0; i < rt->nvif; i++)
        if (rt->vifs[i]->guest_ip == ip)
            return rt->vifs[i];
    return NULL;
}

static int ttl_dec(struct netsim_route *rt, uint8_t *frame, const struct netsim_pinfo *pi)
{
    uint8_t *ip = frame + ETH_HLEN;
    uint16_t old = netsim_get16(ip + 8);

    if (pi->ttl <= 1) {
        rt->ttl_expired++;
        return 0;
    }
    ip[8]--;
    netsim_csum_replace16(ip + 10, old, netsim_get16(ip + 8));
    return 1;
}

static void route_to(struct netsim_route *rt, uint8_t *frame, size_t len, const struct netsim_pinfo *pi)
{
    struct netsim_route_vif *v = vif_for(rt, pi->dst);

    if (!ttl_dec(rt, frame, pi))
        return;
    rt->forwarded++;
    if (v)
        netsim_iface_output(&v->ifc, pi->dst, frame, len);
    else
        netsim_iface_output(&rt->up.ifc, netsim_iface_nexthop(&rt->up.ifc, pi->dst), frame, len);
}

/* From the uplink: only guests' addresses are routed. */
static void up_forward(void *opaque, struct netsim_host *h, uint8_t *frame, size_t len, const struct netsim_pinfo *pi)
{
    struct netsim_route *rt = opaque;

    if (!vif_for(rt, pi->dst)) {
        rt->no_route++;
        return;
    }
    route_to(rt, frame, len, pi);
}

static void vif_input(void *opaque, struct netsim_iface *ifc, uint8_t *frame, size_t len, const struct netsim_pinfo *pi)
{
    struct netsim_route_vif *v = opaque;
    struct netsim_route *rt = v->rt;

    /* Anti-spoofing as vif-route's iptables rule: only the guest's own source address. */
    if (pi->src != v->guest_ip || pi->dst == rt->up.ifc.ip || pi->dst == 0xffffffffu) {
        rt->no_route++;
        ifc->port.st.rx_dropped++;
        return;
    }
    route_to(rt, frame, len, pi);
}

static int up_proxy(void *opaque, struct netsim_iface *ifc, uint32_t ip)
{
    return vif_for(opaque, ip) != NULL;
}

static int vif_proxy(void *opaque, struct netsim_iface *ifc, uint32_t ip)
{
    struct netsim_route_vif *v = opaque;
    return ip != v->guest_ip;
}

struct netsim_route *netsim_route_new(struct netsim *net, uint64_t seed)
{
    static const uint8_t up_mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02 };
    struct netsim_route *rt = calloc(1, sizeof *rt);

    if (!rt) {
        log_error("netsim: route: no memory");
        return NULL;
    }
    rt->net = net;
    netsim_host_init(&rt->up, net, "dom0", "eth0", up_mac, seed);
    netsim_iface_set_addr(&rt->up.ifc, NETSIM_ROUTE_MAIN_IP, 0xffffff00u, NETSIM_IP(192, 168, 1, 1));
    rt->up.forward = up_forward;
    rt->up.fwd_opaque = rt;
    rt->up.ifc.proxy_arp = up_proxy;
    rt->up.ifc.proxy_opaque = rt;
    return rt;
}

void netsim_route_free(struct netsim_route *rt)
{
    if (!rt)
        return;
    for (int i = 0; i < rt->nvif; i++) {
        netsim_iface_fini(&rt->vifs[i]->ifc);
        free(rt->vifs[i]);
    }
    netsim_host_fini(&rt->up);
    free(rt);
}

struct netsim_port *netsim_route_add_vif(struct netsim_route *rt, const char *name, uint32_t guest_ip)
{
    struct netsim_route_vif *v;

    if (rt->nvif == NETSIM_ROUTE_VIFS || !guest_ip || vif_for(rt, guest_ip)) {
        log_error("netsim: route: cannot add %s (full, no ip= or duplicate address)", name);
        return NULL;
    }
    v = calloc(1, sizeof *v);
    if (!v) {
        log_error("netsim: route: no memory for %s", name);
        return NULL;
    }
    v->rt = rt;
    v->guest_ip = guest_ip;
    netsim_iface_init(&v->ifc, rt->net, name, vif_mac, vif_input, v);
    /* vif-route gives each vif Domain-0's main address. */
    netsim_iface_set_addr(&v->ifc, rt->up.ifc.ip, 0xffffffffu, 0);
    v->ifc.proxy_arp = vif_proxy;
    v->ifc.proxy_opaque = v;
    rt->vifs[rt->nvif++] = v;
    return &v->ifc.port;
}

struct netsim_port *netsim_route_port(struct netsim_route *rt, const char *name)
{
    for (int i = 0; i < rt->nvif; i++)
        if (!strcmp(rt->vifs[i]->ifc.port.name, name))
            return &rt->vifs[i]->ifc.port;
    return NULL;
}

int netsim_route_capture(struct netsim_route *rt, struct netsim_pcap *pc)
{
    return netsim_pcap_attach_port(pc, &rt->up.ifc.port, NETSIM_CAP_RX | NETSIM_CAP_TX);
}

void netsim_route_print(struct netsim_route *rt, FILE *out)
{
    netsim_port_print(&rt->up.ifc.port, out);
    for (int i = 0; i < rt->nvif; i++)
        netsim_port_print(&rt->vifs[i]->ifc.port, out);
}
