/* A simulated IP host: one interface, ICMP echo (RFC 792), UDP sockets (RFC 768)
 * with port-unreachable errors, and TCP (tcp.c). The NAT router, the outside
 * world's servers and the simulated clients are all built from it. */
#ifndef NETSIM_HOST_H
#define NETSIM_HOST_H

#include "base/prng.h"
#include "netsim/ipv4.h"

#define NETSIM_HOST_UDP_MAX 8
#define NETSIM_TCP_CONNS 16
#define NETSIM_TCP_BUF 2048

struct netsim_host;
typedef void netsim_udp_fn(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                           uint16_t dport, const uint8_t *data, size_t len);
/* ICMP that is not an echo request: echo replies and errors, for clients. */
typedef void netsim_icmp_fn(void *opaque, struct netsim_host *h, const struct netsim_pinfo *pi,
                            const uint8_t *icmp, size_t len);
/* A packet not addressed to this host (routers forward it). */
typedef void netsim_forward_fn(void *opaque, struct netsim_host *h, uint8_t *frame, size_t len,
                               const struct netsim_pinfo *pi);

enum netsim_tcp_state { TCP_CLOSED = 0, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
                        TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSING, TCP_TIME_WAIT };

struct netsim_tcp_conn {
    uint8_t state;
    uint8_t server;
    uint16_t lport, rport;
    uint32_t rip;
    uint32_t snd_nxt, rcv_nxt;
    size_t rxlen;
    uint8_t rx[NETSIM_TCP_BUF];
    uint8_t peer_fin, responded;
    size_t txlen; /* client: request sent once established */
    uint8_t tx[512];
};

struct netsim_host {
    char name[32];
    struct netsim_iface ifc;
    struct prng rng;
    struct {
        uint16_t port;
        netsim_udp_fn *fn;
        void *opaque;
    } udp[NETSIM_HOST_UDP_MAX];
    int nudp;
    netsim_icmp_fn *icmp_fn;
    void *icmp_opaque;
    netsim_forward_fn *forward;
    void *fwd_opaque;
    /* Sees unicast packets before local delivery; returns 1 when it took the
     * packet (the NAT's inbound translation). */
    int (*prerouting)(void *opaque, struct netsim_host *h, uint8_t *frame, size_t len,
                      const struct netsim_pinfo *pi);
    void *pre_opaque;
    uint16_t http_port; /* 0: no HTTP-like server */
    /* Called when a connection has closed in both directions (or was reset). */
    void (*tcp_done_fn)(void *opaque, struct netsim_host *h, struct netsim_tcp_conn *c);
    void *tcp_done_opaque;
    struct netsim_tcp_conn tcp[NETSIM_TCP_CONNS];
    uint16_t next_ephemeral;
    uint64_t echo_answered, unreach_sent, bad_l4;
};

/* `port_name` names the host's interface port (eth0, virbr0 ...). seed feeds its PRNG. */
void netsim_host_init(struct netsim_host *h, struct netsim *net, const char *name, const char *port_name,
                      const uint8_t *mac, uint64_t seed);
void netsim_host_fini(struct netsim_host *h);
int netsim_host_udp_bind(struct netsim_host *h, uint16_t port, netsim_udp_fn *fn, void *opaque);
/* Send a datagram; src 0 uses the interface address. dst 255.255.255.255 broadcasts. */
int netsim_host_udp_send(struct netsim_host *h, uint16_t sport, uint32_t dst, uint16_t dport,
                         const void *data, size_t len);
/* Build and route an IP packet around `payload` (an L4 header and data, checksum already set). */
int netsim_host_ip_send(struct netsim_host *h, uint8_t proto, uint32_t src, uint32_t dst,
                        const uint8_t *payload, size_t len);
int netsim_host_ping(struct netsim_host *h, uint32_t dst, uint16_t id, uint16_t seq, size_t datalen);
/* An ICMP error (RFC 792, RFC 1812 4.3.2.3: the IP header and 8 bytes of the offender)
 * about `frame` to its sender, from address `src`. Never about ICMP errors or broadcasts. */
int netsim_host_icmp_error(struct netsim_host *h, uint32_t src, const uint8_t *frame,
                           const struct netsim_pinfo *pi, uint8_t type, uint8_t code);
uint16_t netsim_host_ephemeral_port(struct netsim_host *h);

/* tcp.c: a small TCP (RFC 793) for an HTTP-like exchange: no retransmission
 * (links only lose frames on queue overflow), no window scaling. */
void netsim_tcp_input(struct netsim_host *h, const uint8_t *frame, const struct netsim_pinfo *pi);
/* Active open from an ephemeral port; `req` is sent once established and the
 * client closes after the server does. NULL when no slot is free. */
struct netsim_tcp_conn *netsim_tcp_connect(struct netsim_host *h, uint32_t dst, uint16_t dport,
                                           const void *req, size_t reqlen);
int netsim_tcp_send(struct netsim_host *h, struct netsim_tcp_conn *c, const void *data, size_t len, uint8_t flags);

#endif
