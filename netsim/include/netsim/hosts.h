/* Simulated machines: the outside world (the uplink LAN 192.168.1.0/24 with a
 * router that is also DNS authority and bridge-mode DHCP server, and a server
 * with ICMP echo, UDP echo and an HTTP-like TCP service) and client hosts that
 * run DHCP, a DNS lookup, ping and a TCP GET, as a guest's boot would. */
#ifndef NETSIM_HOSTS_H
#define NETSIM_HOSTS_H

#include "netsim/bridge.h"
#include "netsim/dhcp.h"
#include "netsim/dns.h"
#include "netsim/host.h"

#define NETSIM_WORLD_NET NETSIM_IP(192, 168, 1, 0)
#define NETSIM_WORLD_ROUTER NETSIM_IP(192, 168, 1, 1)
#define NETSIM_WORLD_SERVER NETSIM_IP(192, 168, 1, 10)
#define NETSIM_WORLD_ZONE "example.test"
#define NETSIM_UDP_ECHO_PORT 7
#define NETSIM_HTTP_PORT 80

struct netsim_world {
    struct netsim *net;
    struct netsim_bridge *lan; /* "lan0": the physical LAN behind peth0 */
    struct netsim_host router, server;
    struct netsim_dns_server *dns;
    struct netsim_dhcp_server *dhcp; /* 192.168.1.100-.199, for bridged guests */
    uint64_t udp_echoed;
};

struct netsim_world *netsim_world_new(struct netsim *net, uint64_t seed);
void netsim_world_free(struct netsim_world *w);
/* Plug `peer` into the LAN through a new switch port `name`; lp NULL: 1 Gbit/s, 50 us. */
int netsim_world_attach(struct netsim_world *w, const char *name, struct netsim_port *peer,
                        const struct netsim_link_params *lp);

enum netsim_client_state { CLIENT_IDLE = 0, CLIENT_DHCP_DISCOVER, CLIENT_DHCP_REQUEST, CLIENT_DNS, CLIENT_PING,
                           CLIENT_TCP, CLIENT_DONE, CLIENT_FAILED };

struct netsim_client {
    struct netsim_host h;
    struct event ev;
    int state, tries;
    uint32_t xid, offered, server_id;
    char lookup[DNS_NAME_MAX];
    /* results */
    uint32_t ip, mask, router, dns, lease_s, resolved;
    int pings_sent, pings_answered;
    int http_status;
    char http_body[256];
    vtime_t done_at;
    struct netsim_tcp_conn *conn;
};

/* A client host named `name` (also its DHCP hostname) with interface `port_name`. */
struct netsim_client *netsim_client_new(struct netsim *net, const char *name, const char *port_name,
                                        const uint8_t *mac, uint64_t seed, const char *lookup);
void netsim_client_free(struct netsim_client *c);
/* Skip DHCP: use a static address (route mode guests). */
void netsim_client_set_static(struct netsim_client *c, uint32_t ip, uint32_t mask, uint32_t gw, uint32_t dns);
void netsim_client_start(struct netsim_client *c, vtime_t at);
const char *netsim_client_state_name(int state);

#endif
