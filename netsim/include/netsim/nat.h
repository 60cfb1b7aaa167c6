/* The NAT router of libvirt's default network (virbr0): 192.168.122.1/24 on the
 * inside with DHCP (.2-.254) and DNS (dnsmasq's roles), MASQUERADE to the
 * uplink address with connection tracking, port forwarding, TTL and ICMP errors. */
#ifndef NETSIM_NAT_H
#define NETSIM_NAT_H

#include "netsim/conntrack.h"
#include "netsim/dhcp.h"
#include "netsim/dns.h"
#include "netsim/host.h"

#define NETSIM_NAT_FORWARDS 16
#define NETSIM_NAT_CONNS 65536

struct netsim_nat_config {
    const char *lan_name, *wan_name; /* interface port names: "virbr0", "eth0" */
    uint8_t lan_mac[ETH_ALEN], wan_mac[ETH_ALEN];
    uint32_t lan_ip, lan_mask, wan_ip, wan_mask, wan_gw, dns_upstream;
    uint32_t dhcp_lo, dhcp_hi; /* 0: no DHCP server */
    const char *domain;        /* DHCP domain and DNS suffix for clients, or NULL */
    uint32_t conns;            /* conntrack size, 0: NETSIM_NAT_CONNS */
    uint64_t seed;
};

struct netsim_nat {
    struct netsim *net;
    struct netsim_nat_config cfg;
    struct netsim_host lan, wan;
    struct netsim_conntrack ct;
    struct netsim_dhcp_server *dhcp;
    struct netsim_dns_server *dns;
    struct {
        uint8_t proto;
        uint16_t ext_port, int_port;
        uint32_t int_ip;
    } fwd[NETSIM_NAT_FORWARDS];
    int nfwd;
    uint16_t next_port;
    uint64_t out_packets, in_packets, dropped, ttl_exceeded, frags_dropped, related;
};

/* libvirt's defaults: virbr0 192.168.122.1/24, pool .2-.254; uplink 192.168.1.2/24 via .1. */
void netsim_nat_config_default(struct netsim_nat_config *cfg);
struct netsim_nat *netsim_nat_new(struct netsim *net, const struct netsim_nat_config *cfg);
void netsim_nat_free(struct netsim_nat *nat);
/* DNAT proto (IP_PROTO_TCP/UDP) wan_ip:ext_port to int_ip:int_port. */
int netsim_nat_add_forward(struct netsim_nat *nat, uint8_t proto, uint16_t ext_port, uint32_t int_ip, uint16_t int_port);
static inline struct netsim_port *netsim_nat_lan_port(struct netsim_nat *nat) { return &nat->lan.ifc.port; }
static inline struct netsim_port *netsim_nat_wan_port(struct netsim_nat *nat) { return &nat->wan.ifc.port; }
/* `conntrack -L`-style listing. */
void netsim_nat_print_conns(struct netsim_nat *nat, FILE *out);

#endif
