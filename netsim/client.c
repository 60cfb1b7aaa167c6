/* A simulated client host that does what a booting guest does: DHCP (RFC 2131
 * client side: DISCOVER, REQUEST, configure on ACK), one DNS A lookup, three
 * pings a second apart, then a TCP GET. Each step is retried every 2 s, at most
 * 3 times, before the client gives up (state CLIENT_FAILED). */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "netsim/hosts.h"

#define CLIENT_RETRY (2 * VTIME_S)
#define CLIENT_TRIES 3
#define CLIENT_PINGS 3
#define CLIENT_DNS_ID 0x4856 /* "HV" */

static const char *const state_names[] = { "idle", "dhcp-discover", "dhcp-request", "dns", "ping", "tcp", "done", "failed" };

const char *netsim_client_state_name(int state)
{
    return state >= 0 && state <= CLIENT_FAILED ? state_names[state] : "?";
}

static void send_dhcp(struct netsim_client *c, uint8_t type)
{
    struct netsim_dhcp_msg m = { 0 };
    uint8_t buf[600];

    m.op = 1;
    m.xid = c->xid;
    m.flags = 0x8000; /* ask for broadcast replies: we have no address yet */
    memcpy(m.chaddr, c->h.ifc.mac, ETH_ALEN);
    m.type = type;
    snprintf(m.hostname, sizeof m.hostname, "%s", c->h.name);
    if (type == DHCPREQUEST) {
        m.req_ip = c->offered;
        m.server_id = c->server_id;
    }
    netsim_host_udp_send(&c->h, DHCP_CLIENT_PORT, 0xffffffffu, DHCP_SERVER_PORT, buf, netsim_dhcp_build(&m, buf));
}

static void send_dns(struct netsim_client *c)
{
    uint8_t q[512];
    size_t n = netsim_dns_build_query(q, CLIENT_DNS_ID, c->lookup, DNS_TYPE_A);
    netsim_host_udp_send(&c->h, 53000, c->dns, DNS_PORT, q, n);
}

static void send_get(struct netsim_client *c)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: hvsim-client\r\n\r\n", c->lookup);
    c->conn = netsim_tcp_connect(&c->h, c->resolved, NETSIM_HTTP_PORT, req, (size_t)n);
}

/* Enter a step (or retry it) and arm the retry timer. */
static void step(struct netsim_client *c, int state)
{
    struct evq *q = c->h.ifc.port.net->q;

    if (state != c->state) {
        c->state = state;
        c->tries = 0;
    }
    if (++c->tries > CLIENT_TRIES && state != CLIENT_PING) {
        c->state = CLIENT_FAILED;
        c->done_at = q->now;
        log_warn("netsim: client %s failed in step %s", c->h.name, state_names[state]);
        return;
    }
    switch (state) {
    case CLIENT_DHCP_DISCOVER: send_dhcp(c, DHCPDISCOVER); break;
    case CLIENT_DHCP_REQUEST: send_dhcp(c, DHCPREQUEST); break;
    case CLIENT_DNS: send_dns(c); break;
    case CLIENT_PING:
        if (c->pings_sent == CLIENT_PINGS) {
            step(c, CLIENT_TCP);
            return;
        }
        c->pings_sent++;
        netsim_host_ping(&c->h, c->resolved, 0x4856, (uint16_t)c->pings_sent, 56);
        evq_schedule(q, &c->ev, q->now + VTIME_S);
        return;
    case CLIENT_TCP: send_get(c); break;
    default: return;
    }
    evq_schedule(q, &c->ev, q->now + CLIENT_RETRY);
}

static void client_timer(void *opaque, vtime_t now)
{
    struct netsim_client *c = opaque;
    if (c->state == CLIENT_IDLE)
        step(c, c->h.ifc.ip ? CLIENT_DNS : CLIENT_DHCP_DISCOVER);
    else
        step(c, c->state);
}

static void dhcp_rx(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                    uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_client *c = opaque;
    struct netsim_dhcp_msg m;

    if (netsim_dhcp_parse(data, len, &m) || m.op != 2 || m.xid != c->xid || memcmp(m.chaddr, h->ifc.mac, ETH_ALEN))
        return;
    if (c->state == CLIENT_DHCP_DISCOVER && m.type == DHCPOFFER) {
        c->offered = m.yiaddr;
        c->server_id = m.server_id;
        step(c, CLIENT_DHCP_REQUEST);
    } else if (c->state == CLIENT_DHCP_REQUEST && m.type == DHCPACK) {
        c->ip = m.yiaddr;
        c->mask = m.mask;
        c->router = m.router;
        c->dns = m.dns;
        c->lease_s = m.lease;
        netsim_iface_set_addr(&h->ifc, c->ip, c->mask, c->router);
        step(c, CLIENT_DNS);
    } else if (c->state == CLIENT_DHCP_REQUEST && m.type == DHCPNAK) {
        c->xid++;
        step(c, CLIENT_DHCP_DISCOVER);
    }
}

static void dns_rx(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                   uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_client *c = opaque;
    struct netsim_dns_msg m;

    if (c->state != CLIENT_DNS || netsim_dns_parse(data, len, &m) || m.id != CLIENT_DNS_ID || !m.first_a)
        return;
    c->resolved = m.first_a;
    step(c, CLIENT_PING);
}

static void icmp_rx(void *opaque, struct netsim_host *h, const struct netsim_pinfo *pi, const uint8_t *icmp, size_t len)
{
    struct netsim_client *c = opaque;
    if (pi->icmp_type == ICMP_ECHOREPLY && pi->src == c->resolved && netsim_get16(icmp + 4) == 0x4856)
        c->pings_answered++;
}

static void tcp_done(void *opaque, struct netsim_host *h, struct netsim_tcp_conn *conn)
{
    struct netsim_client *c = opaque;
    const char *body;

    if (conn != c->conn || c->state != CLIENT_TCP)
        return;
    if (conn->rxlen >= 12 && !memcmp(conn->rx, "HTTP/1.", 7))
        c->http_status = atoi((const char *)conn->rx + 9);
    conn->rx[conn->rxlen < sizeof conn->rx ? conn->rxlen : sizeof conn->rx - 1] = 0;
    body = strstr((const char *)conn->rx, "\r\n\r\n");
    snprintf(c->http_body, sizeof c->http_body, "%s", body ? body + 4 : "");
    c->state = c->http_status ? CLIENT_DONE : CLIENT_FAILED;
    c->done_at = h->ifc.port.net->q->now;
    evq_cancel(h->ifc.port.net->q, &c->ev);
}

struct netsim_client *netsim_client_new(struct netsim *net, const char *name, const char *port_name,
                                        const uint8_t *mac, uint64_t seed, const char *lookup)
{
    struct netsim_client *c = calloc(1, sizeof *c);

    if (!c) {
        log_error("netsim: client %s: no memory", name);
        return NULL;
    }
    netsim_host_init(&c->h, net, name, port_name, mac, seed);
    snprintf(c->lookup, sizeof c->lookup, "%s", lookup);
    c->xid = (uint32_t)prng_next(&c->h.rng);
    event_init(&c->ev, "netsim.client", client_timer, c);
    netsim_host_udp_bind(&c->h, DHCP_CLIENT_PORT, dhcp_rx, c);
    netsim_host_udp_bind(&c->h, 53000, dns_rx, c);
    c->h.icmp_fn = icmp_rx;
    c->h.icmp_opaque = c;
    c->h.tcp_done_fn = tcp_done;
    c->h.tcp_done_opaque = c;
    return c;
}

void netsim_client_free(struct netsim_client *c)
{
    if (!c)
        return;
    evq_cancel(c->h.ifc.port.net->q, &c->ev);
    netsim_host_fini(&c->h);
    free(c);
}

void netsim_client_set_static(struct netsim_client *c, uint32_t ip, uint32_t mask, uint32_t gw, uint32_t dns)
{
    c->ip = ip;
    c->mask = mask;
    c->router = gw;
    c->dns = dns;
    netsim_iface_set_addr(&c->h.ifc, ip, mask, gw);
}

void netsim_client_start(struct netsim_client *c, vtime_t at)
{
    evq_schedule(c->h.ifc.port.net->q, &c->ev, at);
}
