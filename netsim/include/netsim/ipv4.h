/* An IPv4 interface: a port with a MAC, an address and mask, a default gateway
 * and an ARP cache (RFC 826) with frames waiting for resolution. Hosts, the NAT
 * router and route mode all send and receive IP through one of these. */
#ifndef NETSIM_IPV4_H
#define NETSIM_IPV4_H

#include "netsim/port.h"

#define NETSIM_ARP_ENTRIES 64
#define NETSIM_ARP_PENDING 3             /* frames kept per unresolved address, as Linux's unres_qlen */
#define NETSIM_ARP_TIMEOUT (60 * VTIME_S) /* reachable entries are refreshed after this */
#define NETSIM_ARP_RETRY VTIME_S
#define NETSIM_ARP_TRIES 3 /* requests before held frames are dropped, as Linux's mcast_solicit */
#define NETSIM_IP_TTL 64

struct netsim_arp_entry {
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    uint8_t resolved, tries;
    vtime_t updated;  /* when learnt, or when last requested */
    struct netsim_pkt *pending;
    int npending;
};

struct netsim_iface;
/* An IPv4 packet arrived (validated; pi describes it). The frame may be edited in place. */
typedef void netsim_ip_input_fn(void *opaque, struct netsim_iface *ifc, uint8_t *frame, size_t len,
                                const struct netsim_pinfo *pi);
/* Proxy ARP: return 1 to answer a request for `ip` with this interface's MAC. */
typedef int netsim_proxy_arp_fn(void *opaque, struct netsim_iface *ifc, uint32_t ip);

struct netsim_iface {
    struct netsim_port port;
    uint8_t mac[ETH_ALEN];
    uint32_t ip, mask, gw; /* host order; ip 0 until configured (DHCP) */
    netsim_ip_input_fn *input;
    void *opaque;
    netsim_proxy_arp_fn *proxy_arp;
    void *proxy_opaque;
    struct netsim_arp_entry arp[NETSIM_ARP_ENTRIES];
    int narp;
    struct event arp_timer; /* retransmits requests for addresses with held frames */
    uint16_t ip_id;
    uint64_t arp_sent, arp_answered, malformed;
};

void netsim_iface_init(struct netsim_iface *ifc, struct netsim *net, const char *name, const uint8_t *mac,
                       netsim_ip_input_fn *input, void *opaque);
void netsim_iface_fini(struct netsim_iface *ifc);
void netsim_iface_set_addr(struct netsim_iface *ifc, uint32_t ip, uint32_t mask, uint32_t gw);
/* The next hop for dst: dst itself on-link or for broadcast, else the gateway (0: none). */
uint32_t netsim_iface_nexthop(const struct netsim_iface *ifc, uint32_t dst);
/* Send an IP packet that starts at frame + ETH_HLEN: fills in the Ethernet header
 * for `nexthop` (0xffffffff: broadcast), resolving it with ARP first if needed. */
int netsim_iface_output(struct netsim_iface *ifc, uint32_t nexthop, uint8_t *frame, size_t len);
/* Send to a known MAC without ARP (DHCP replies to a client with no address yet). */
int netsim_iface_output_mac(struct netsim_iface *ifc, const uint8_t *mac, uint8_t *frame, size_t len);
/* The MAC cached for ip, or NULL. */
const uint8_t *netsim_arp_lookup(struct netsim_iface *ifc, uint32_t ip);

/* arp.c internals shared with ipv4.c */
void netsim_arp_input(struct netsim_iface *ifc, const uint8_t *frame, size_t len, const struct netsim_pinfo *pi);
int netsim_arp_resolve_and_send(struct netsim_iface *ifc, uint32_t nexthop, uint8_t *frame, size_t len);
void netsim_arp_flush(struct netsim_iface *ifc);
void netsim_arp_timer(void *opaque, vtime_t now);

#endif
