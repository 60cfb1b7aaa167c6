/* Xen's route mode (network-route / vif-route): Domain-0 routes at layer 3
 * between each vifD.N and its uplink, with a host route per guest address and
 * proxy ARP (RFC 1027) on both sides, so guests sit in the uplink's subnet. */
#ifndef NETSIM_ROUTE_H
#define NETSIM_ROUTE_H

#include "netsim/host.h"
#include "netsim/pcap.h"

#define NETSIM_ROUTE_VIFS 32
#define NETSIM_ROUTE_MAIN_IP NETSIM_IP(192, 168, 1, 2)

struct netsim_route_vif {
    struct netsim_iface ifc;
    uint32_t guest_ip;
    struct netsim_route *rt;
};

struct netsim_route {
    struct netsim *net;
    struct netsim_host up; /* Domain-0's eth0 on the uplink LAN */
    struct netsim_route_vif *vifs[NETSIM_ROUTE_VIFS];
    int nvif;
    uint64_t forwarded, ttl_expired, no_route;
};

struct netsim_route *netsim_route_new(struct netsim *net, uint64_t seed);
void netsim_route_free(struct netsim_route *rt);
/* A routed backend port for a guest with address guest_ip. */
struct netsim_port *netsim_route_add_vif(struct netsim_route *rt, const char *name, uint32_t guest_ip);
struct netsim_port *netsim_route_port(struct netsim_route *rt, const char *name);
static inline struct netsim_port *netsim_route_uplink(struct netsim_route *rt) { return &rt->up.ifc.port; }
int netsim_route_capture(struct netsim_route *rt, struct netsim_pcap *pc);
void netsim_route_print(struct netsim_route *rt, FILE *out);

#endif
