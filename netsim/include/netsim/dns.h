/* DNS (RFC 1035): the message codec, and a server that answers A and PTR from
 * static records and DHCP leases (as dnsmasq does), is authoritative for a zone
 * (NXDOMAIN inside it), and forwards other names to an upstream server. */
#ifndef NETSIM_DNS_H
#define NETSIM_DNS_H

#include "netsim/dhcp.h"
#include "netsim/host.h"

#define DNS_PORT 53
#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_CLASS_IN 1
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5
#define DNS_NAME_MAX 256
#define NETSIM_DNS_RECORDS 32
#define NETSIM_DNS_PENDING 32
#define NETSIM_DNS_TTL 0 /* dnsmasq's local-ttl default: answers from leases are not cached */

/* The header and the first question of a message. */
struct netsim_dns_msg {
    uint16_t id, flags, qdcount, ancount;
    char qname[DNS_NAME_MAX]; /* dotted, no trailing dot */
    uint16_t qtype, qclass;
    size_t qend; /* offset just past the question */
    uint32_t first_a; /* responses: the first A answer, 0 if none */
};

int netsim_dns_parse(const uint8_t *p, size_t len, struct netsim_dns_msg *m);
/* A query for name/type into out (>= 512 bytes); returns the length or 0. */
size_t netsim_dns_build_query(uint8_t *out, uint16_t id, const char *name, uint16_t type);

struct netsim_dns_server {
    struct netsim_host *h;
    char zone[64]; /* authoritative suffix ("example.test"), or "" */
    struct netsim_dhcp_server *dhcp; /* names of DHCP clients, or NULL */
    char dhcp_domain[64];
    struct {
        char name[DNS_NAME_MAX];
        uint32_t ip;
    } rec[NETSIM_DNS_RECORDS];
    int nrec;
    /* Forwarding: queries leave from `up_host` port `up_port` to `upstream`. */
    struct netsim_host *up_host;
    uint32_t upstream;
    uint16_t up_port, next_id;
    struct {
        uint8_t used;
        uint16_t id, orig_id, client_port;
        uint32_t client;
        vtime_t sent;
    } pend[NETSIM_DNS_PENDING];
    uint64_t queries, answered, nxdomain, forwarded, relayed, bad;
};

struct netsim_dns_server *netsim_dns_server_new(struct netsim_host *h, const char *zone);
void netsim_dns_server_free(struct netsim_dns_server *s);
int netsim_dns_add_record(struct netsim_dns_server *s, const char *name, uint32_t ip);
void netsim_dns_use_dhcp(struct netsim_dns_server *s, struct netsim_dhcp_server *dhcp, const char *domain);
/* Forward unknown names to `upstream`, sending from up_host (the router's WAN side). */
int netsim_dns_set_upstream(struct netsim_dns_server *s, struct netsim_host *up_host, uint32_t upstream);

#endif
