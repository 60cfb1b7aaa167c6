/* DHCP (RFC 2131, options RFC 2132): the message codec, a server with a pool,
 * static hosts and leases as dnsmasq keeps them, and the lease table the DNS
 * server reads to resolve client names. */
#ifndef NETSIM_DHCP_H
#define NETSIM_DHCP_H

#include "netsim/host.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define DHCP_FIXED_LEN 240 /* BOOTP fields and the magic cookie */
#define DHCP_MIN_LEN 300   /* BOOTP's minimum message, padded */

enum { DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK, DHCPRELEASE, DHCPINFORM };

struct netsim_dhcp_msg {
    uint8_t op; /* 1 request, 2 reply */
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[ETH_ALEN];
    /* options */
    uint8_t type;                     /* 53 */
    uint32_t req_ip, server_id, lease; /* 50, 54, 51 */
    uint32_t mask, router, dns;        /* 1, 3, 6 (first server) */
    char hostname[64];                 /* 12 */
    char domain[64];                   /* 15 */
};

/* 0, or HV_ECORRUPT for anything RFC 2131 would not accept. */
int netsim_dhcp_parse(const uint8_t *p, size_t len, struct netsim_dhcp_msg *m);
/* Encode into out (at least 576 bytes); returns the length. Zero fields are omitted. */
size_t netsim_dhcp_build(const struct netsim_dhcp_msg *m, uint8_t *out);

#define NETSIM_DHCP_STATIC_MAX 16

enum netsim_lease_state { LEASE_FREE = 0, LEASE_OFFERED, LEASE_BOUND, LEASE_DECLINED };

struct netsim_dhcp_lease {
    uint8_t mac[ETH_ALEN];
    uint8_t state;
    vtime_t expires;
    char hostname[64];
};

struct netsim_dhcp_config {
    uint32_t pool_lo, pool_hi, mask, router, dns;
    const char *domain; /* NULL: none */
    vtime_t lease_time; /* 0: one hour, dnsmasq's default */
};

struct netsim_dhcp_server {
    struct netsim_host *h;
    struct netsim_dhcp_config cfg;
    char domain[64];
    struct netsim_dhcp_lease *leases; /* one per pool address */
    struct {
        uint8_t mac[ETH_ALEN];
        uint32_t ip;
        char name[64];
    } statics[NETSIM_DHCP_STATIC_MAX];
    int nstatic;
    uint64_t rx_by_type[9], tx_by_type[9], bad;
};

struct netsim_dhcp_server *netsim_dhcp_server_new(struct netsim_host *h, const struct netsim_dhcp_config *cfg);
void netsim_dhcp_server_free(struct netsim_dhcp_server *s);
int netsim_dhcp_add_static(struct netsim_dhcp_server *s, const uint8_t *mac, uint32_t ip, const char *name);
/* Bound (unexpired) address of a client name, 0 if none. */
uint32_t netsim_dhcp_lookup_name(struct netsim_dhcp_server *s, const char *name);
/* Name of the client bound to ip, NULL if none. */
const char *netsim_dhcp_lookup_addr(struct netsim_dhcp_server *s, uint32_t ip);

#endif
