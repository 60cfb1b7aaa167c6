/* Topologies of the seeds, ready to use from sim/: "nat" (libvirt's virbr0 NAT
 * router with DHCP and DNS), "bridge" (xenbr0 bridging vifD.N ports and peth0
 * onto the uplink LAN) and "route" (Xen's vif-route: layer-3 routing with proxy
 * ARP). NICs attach through one seam: a port to send on and an rx callback. */
#ifndef NETSIM_PRESET_H
#define NETSIM_PRESET_H

#include "netsim/bridge.h"
#include "netsim/hosts.h"
#include "netsim/nat.h"
#include "netsim/pcap.h"

enum netsim_mode { NETSIM_MODE_NAT = 0, NETSIM_MODE_BRIDGE, NETSIM_MODE_ROUTE };

#define NETSIM_TOPO_NICS 64
#define NETSIM_TOPO_PCAPS 8

struct netsim_route;

struct netsim_nic_opts {
    uint32_t txqueuelen;            /* of the backend vif port; 0: 32, netback's */
    struct netsim_link_params link; /* vif link; zero: 10 us, 1 Gbit/s */
    uint32_t ip;                    /* route mode: the guest's address (vif-route's ip=) */
};

struct netsim_topo {
    struct netsim *net;
    enum netsim_mode mode;
    struct netsim_world *world;
    struct netsim_bridge *br;    /* virbr0 or xenbr0; NULL in route mode */
    struct netsim_nat *nat;      /* nat mode */
    struct netsim_route *route;  /* route mode */
    struct netsim_port *fe[NETSIM_TOPO_NICS]; /* frontend ports made by attach_nic */
    int nfe;
    struct netsim_pcap *pcaps[NETSIM_TOPO_PCAPS];
    int npcaps;
};

int netsim_mode_parse(const char *s, enum netsim_mode *out);
const char *netsim_mode_name(enum netsim_mode m);
struct netsim_topo *netsim_topo_new(struct netsim *net, enum netsim_mode mode, uint64_t seed);
/* Closes captures (returning the first error through the log) and frees everything. */
void netsim_topo_free(struct netsim_topo *t);
/* Make backend port `vif` (e.g. "vif1.0") and return the frontend port the NIC
 * sends on with netsim_port_send(); frames for the NIC arrive through rx. */
struct netsim_port *netsim_topo_attach_nic(struct netsim_topo *t, const char *vif, const uint8_t *mac,
                                           netsim_rx_fn *rx, void *opaque, const struct netsim_nic_opts *o);
/* Plug an existing port (a TAP, a simulated client) in as backend port `vif`. */
int netsim_topo_plug(struct netsim_topo *t, const char *vif, struct netsim_port *peer, const struct netsim_nic_opts *o);
/* Backend port by name (vifD.N, peth0, virbr0 ...), or NULL. */
struct netsim_port *netsim_topo_port(struct netsim_topo *t, const char *name);
/* Capture each bridge into dir/<bridge>.pcap (virbr0 or xenbr0, and lan0). */
int netsim_topo_capture(struct netsim_topo *t, const char *dir);
/* ifconfig-style report of every port. */
void netsim_topo_print(struct netsim_topo *t, FILE *out);

#endif
