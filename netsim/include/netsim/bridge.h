/* A learning bridge as Linux's (IEEE 802.1D without STP): learns source MACs,
 * forwards known unicast to one port, floods unknown unicast, broadcast and
 * multicast, ages entries after 300 s of virtual time, has no IP of its own. */
#ifndef NETSIM_BRIDGE_H
#define NETSIM_BRIDGE_H

#include "netsim/port.h"

#define NETSIM_BRIDGE_MAX_PORTS 64
#define NETSIM_BRIDGE_AGEING (300 * VTIME_S)
#define NETSIM_BRIDGE_FDB_SIZE 4096 /* power of two */

struct netsim_fdb_entry {
    uint8_t mac[ETH_ALEN];
    uint8_t used;
    int16_t port; /* index in ports[] */
    vtime_t seen;
};

struct netsim_bridge {
    char name[NETSIM_IFNAMSIZ];
    struct netsim *net;
    struct netsim_port *ports[NETSIM_BRIDGE_MAX_PORTS];
    int nports;
    vtime_t ageing;
    size_t fdb_count;
    struct netsim_fdb_entry fdb[NETSIM_BRIDGE_FDB_SIZE];
    uint64_t flooded, forwarded, filtered; /* frames */
    /* A bridge-wide capture sees every frame entering any port. */
    netsim_cap_fn *cap_fn;
    void *cap_opaque;
};

struct netsim_bridge *netsim_bridge_new(struct netsim *net, const char *name);
void netsim_bridge_free(struct netsim_bridge *br);
/* Create a bridge port named `name` (e.g. "vif1.0"); link it to a peer with
 * netsim_link_connect. txqueuelen 0 keeps the default. NULL when full. */
struct netsim_port *netsim_bridge_add_port(struct netsim_bridge *br, const char *name, uint32_t txqueuelen);
struct netsim_port *netsim_bridge_port(struct netsim_bridge *br, const char *name);
/* Forward one frame that entered on port `in` (the rx callback of every port). */
void netsim_bridge_forward(struct netsim_bridge *br, int in, const uint8_t *frame, size_t len);
/* Port index a MAC was learnt on, or -1 (unknown or aged). */
int netsim_bridge_fdb_lookup(struct netsim_bridge *br, const uint8_t *mac);
int netsim_bridge_set_capture(struct netsim_bridge *br, netsim_cap_fn *fn, void *opaque);

#endif
