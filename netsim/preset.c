/* The three networking modes of Xen's scripts (network-bridge, network-nat as
 * libvirt sets it up, network-route) built from the elements, with the names
 * the seeds show: xenbr0, virbr0, peth0, vifD.N, lan0 for the physical LAN. */
#include "netsim/preset.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "netsim/route.h"

int netsim_mode_parse(const char *s, enum netsim_mode *out)
{
    static const char *const names[] = { "nat", "bridge", "route" };
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (enum netsim_mode)i;
            return HV_OK;
        }
    return HV_EINVAL;
}

const char *netsim_mode_name(enum netsim_mode m)
{
    return m == NETSIM_MODE_NAT ? "nat" : m == NETSIM_MODE_BRIDGE ? "bridge" : "route";
}

struct netsim_topo *netsim_topo_new(struct netsim *net, enum netsim_mode mode, uint64_t seed)
{
    struct netsim_topo *t = calloc(1, sizeof *t);
    struct netsim_nat_config nc;

    if (!t) {
        log_error("netsim: topology: no memory");
        return NULL;
    }
    t->net = net;
    t->mode = mode;
    t->world = netsim_world_new(net, seed);
    if (!t->world)
        goto fail;
    switch (mode) {
    case NETSIM_MODE_NAT:
        netsim_nat_config_default(&nc);
        nc.seed = seed * 16 + 5;
        t->br = netsim_bridge_new(net, "virbr0");
        t->nat = t->br ? netsim_nat_new(net, &nc) : NULL;
        if (!t->nat)
            goto fail;
        /* virbr0's own port carries the router's address, as the bridge device does in Linux. */
        if (netsim_link_connect(netsim_bridge_add_port(t->br, "virbr0", 0), netsim_nat_lan_port(t->nat), NULL) ||
            netsim_world_attach(t->world, "peth0", netsim_nat_wan_port(t->nat), NULL))
            goto fail;
        break;
    case NETSIM_MODE_BRIDGE: {
        struct netsim_port *up;
        t->br = netsim_bridge_new(net, "xenbr0");
        up = t->br ? netsim_bridge_add_port(t->br, "peth0", 0) : NULL;
        if (!up || netsim_world_attach(t->world, "xenhost", up, NULL))
            goto fail;
        break;
    }
    case NETSIM_MODE_ROUTE:
        t->route = netsim_route_new(net, seed * 16 + 7);
        if (!t->route || netsim_world_attach(t->world, "peth0", netsim_route_uplink(t->route), NULL))
            goto fail;
        break;
    }
    return t;
fail:
    log_error("netsim: cannot build the %s topology", netsim_mode_name(mode));
    netsim_topo_free(t);
    return NULL;
}

void netsim_topo_free(struct netsim_topo *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->npcaps; i++)
        if (netsim_pcap_close(t->pcaps[i]) != HV_OK)
            log_error("netsim: a capture could not be written completely");
    for (int i = 0; i < t->nfe; i++) {
        netsim_port_fini(t->fe[i]);
        free(t->fe[i]);
    }
    netsim_bridge_free(t->br);
    netsim_nat_free(t->nat);
    netsim_route_free(t->route);
    netsim_world_free(t->world);
    free(t);
}

int netsim_topo_plug(struct netsim_topo *t, const char *vif, struct netsim_port *peer, const struct netsim_nic_opts *o)
{
    static const struct netsim_nic_opts defaults = { 0 };
    struct netsim_port *p;

    if (!o)
        o = &defaults;
    if (t->mode == NETSIM_MODE_ROUTE)
        p = netsim_route_add_vif(t->route, vif, o->ip);
    else
        p = netsim_bridge_add_port(t->br, vif, 0);
    if (!p)
        return HV_EFULL;
    p->txqueuelen = o->txqueuelen ? o->txqueuelen : NETSIM_TXQUEUELEN_VIF;
    if (!o->link.latency && !o->link.rate_bps) {
        /* netback's path: about 10 us a frame, gigabit-class copy rate. */
        static const struct netsim_link_params vif = { 10 * VTIME_US, 1000000000ULL, 0 };
        return netsim_link_connect(p, peer, &vif);
    }
    return netsim_link_connect(p, peer, &o->link);
}

struct netsim_port *netsim_topo_attach_nic(struct netsim_topo *t, const char *vif, const uint8_t *mac,
                                           netsim_rx_fn *rx, void *opaque, const struct netsim_nic_opts *o)
{
    struct netsim_port *fe;

    if (t->nfe == NETSIM_TOPO_NICS) {
        log_error("netsim: no room for NIC %s", vif);
        return NULL;
    }
    fe = malloc(sizeof *fe);
    if (!fe) {
        log_error("netsim: no memory for NIC %s", vif);
        return NULL;
    }
    netsim_port_init(fe, t->net, "eth0", rx, opaque);
    memcpy(fe->mac, mac, ETH_ALEN);
    if (netsim_topo_plug(t, vif, fe, o) != HV_OK) {
        log_error("netsim: cannot attach NIC %s", vif);
        free(fe);
        return NULL;
    }
    t->fe[t->nfe++] = fe;
    return fe;
}

struct netsim_port *netsim_topo_port(struct netsim_topo *t, const char *name)
{
    struct netsim_port *p = NULL;

    if (t->br)
        p = netsim_bridge_port(t->br, name);
    if (!p && t->route)
        p = netsim_route_port(t->route, name);
    if (!p)
        p = netsim_bridge_port(t->world->lan, name);
    return p;
}

static int capture_one(struct netsim_topo *t, const char *dir, struct netsim_bridge *br)
{
    char path[1024];
    struct netsim_pcap *pc;

    if (t->npcaps == NETSIM_TOPO_PCAPS)
        return HV_EFULL;
    snprintf(path, sizeof path, "%s/%s.pcap", dir, br->name);
    pc = netsim_pcap_open(path);
    if (!pc)
        return HV_EIO;
    t->pcaps[t->npcaps++] = pc;
    return netsim_pcap_attach_bridge(pc, br);
}

int netsim_topo_capture(struct netsim_topo *t, const char *dir)
{
    int rc = HV_OK;
    char path[1024];
    struct netsim_pcap *pc;

    if (t->br)
        rc = capture_one(t, dir, t->br);
    if (rc == HV_OK && t->route) {
        /* No bridge in route mode: capture the router's uplink both ways. */
        snprintf(path, sizeof path, "%s/route.pcap", dir);
        pc = netsim_pcap_open(path);
        if (!pc)
            return HV_EIO;
        t->pcaps[t->npcaps++] = pc;
        rc = netsim_route_capture(t->route, pc);
    }
    if (rc == HV_OK)
        rc = capture_one(t, dir, t->world->lan);
    return rc;
}

void netsim_topo_print(struct netsim_topo *t, FILE *out)
{
    if (t->br)
        for (int i = 0; i < t->br->nports; i++)
            netsim_port_print(t->br->ports[i], out);
    if (t->route)
        netsim_route_print(t->route, out);
    for (int i = 0; i < t->world->lan->nports; i++)
        netsim_port_print(t->world->lan->ports[i], out);
}
