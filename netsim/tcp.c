/* A small TCP (RFC 793, RFC 9293) for simulated hosts: the three-way handshake,
 * in-order data, FIN in both directions, RST for strays, and the HTTP-like
 * server of the outside world (answers "GET " with 200, anything else 400).
 * Out-of-order data is not buffered: it is answered with a duplicate ACK. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "netsim/host.h"

#define TCP_WINDOW 64240
#define TCP_MSS 1460

int netsim_tcp_send(struct netsim_host *h, struct netsim_tcp_conn *c, const void *data, size_t len, uint8_t flags)
{
    uint8_t seg[TCP_HLEN + 4 + 1400];
    size_t hl = (flags & TCP_SYN) ? TCP_HLEN + 4 : TCP_HLEN;

    if (len > 1400)
        return HV_EINVAL;
    netsim_put16(seg, c->lport);
    netsim_put16(seg + 2, c->rport);
    netsim_put32(seg + 4, c->snd_nxt);
    netsim_put32(seg + 8, (flags & TCP_ACK) ? c->rcv_nxt : 0);
    seg[12] = (uint8_t)((hl / 4) << 4);
    seg[13] = flags;
    netsim_put16(seg + 14, TCP_WINDOW);
    netsim_put16(seg + 16, 0);
    netsim_put16(seg + 18, 0);
    if (flags & TCP_SYN) {
        seg[20] = 2; /* MSS option */
        seg[21] = 4;
        netsim_put16(seg + 22, TCP_MSS);
    }
    if (len)
        memcpy(seg + hl, data, len); /* data may be NULL for bare flags */
    netsim_put16(seg + 16, netsim_csum_l4(h->ifc.ip, c->rip, IP_PROTO_TCP, seg, hl + len));
    c->snd_nxt += (uint32_t)len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
    return netsim_host_ip_send(h, IP_PROTO_TCP, 0, c->rip, seg, hl + len);
}

static struct netsim_tcp_conn *conn_find(struct netsim_host *h, uint16_t lport, uint32_t rip, uint16_t rport)
{
    for (int i = 0; i < NETSIM_TCP_CONNS; i++) {
        struct netsim_tcp_conn *c = &h->tcp[i];
        if (c->state != TCP_CLOSED && c->lport == lport && c->rip == rip && c->rport == rport)
            return c;
    }
    return NULL;
}

/* A free slot; TIME_WAIT slots are reused (no 2MSL wait is modelled). */
static struct netsim_tcp_conn *conn_alloc(struct netsim_host *h)
{
    for (int i = 0; i < NETSIM_TCP_CONNS; i++)
        if (h->tcp[i].state == TCP_CLOSED || h->tcp[i].state == TCP_TIME_WAIT) {
            memset(&h->tcp[i], 0, sizeof h->tcp[i]);
            return &h->tcp[i];
        }
    return NULL;
}

static void send_rst(struct netsim_host *h, const struct netsim_pinfo *pi, uint32_t seq, uint32_t ack, size_t dlen)
{
    struct netsim_tcp_conn tmp = { .lport = pi->dport, .rport = pi->sport, .rip = pi->src };

    /* RFC 793 "Reset Generation": take the ACK's value, or ACK what was sent. */
    if (pi->tcp_flags & TCP_ACK) {
        tmp.snd_nxt = ack;
        netsim_tcp_send(h, &tmp, NULL, 0, TCP_RST);
    } else {
        tmp.rcv_nxt = seq + (uint32_t)dlen + !!(pi->tcp_flags & TCP_SYN) + !!(pi->tcp_flags & TCP_FIN);
        netsim_tcp_send(h, &tmp, NULL, 0, TCP_RST | TCP_ACK);
    }
}

static void done(struct netsim_host *h, struct netsim_tcp_conn *c, uint8_t state)
{
    c->state = state;
    if (h->tcp_done_fn)
        h->tcp_done_fn(h->tcp_done_opaque, h, c);
}

static void http_respond(struct netsim_host *h, struct netsim_tcp_conn *c)
{
    char body[128], resp[512];
    int ok = c->rxlen >= 4 && !memcmp(c->rx, "GET ", 4);
    int blen = snprintf(body, sizeof body, ok ? "hello from %s\n" : "bad request\n", h->name);
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.0 %s\r\nServer: hvsim-netsim\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     ok ? "200 OK" : "400 Bad Request", blen, body);

    c->responded = 1;
    netsim_tcp_send(h, c, resp, (size_t)n, TCP_PSH | TCP_ACK);
    netsim_tcp_send(h, c, NULL, 0, TCP_FIN | TCP_ACK);
    c->state = TCP_FIN_WAIT_1;
}

static int request_complete(const struct netsim_tcp_conn *c)
{
    for (size_t i = 0; i + 3 < c->rxlen; i++)
        if (!memcmp(c->rx + i, "\r\n\r\n", 4))
            return 1;
    return 0;
}

void netsim_tcp_input(struct netsim_host *h, const uint8_t *frame, const struct netsim_pinfo *pi)
{
    const uint8_t *seg = frame + pi->l4off;
    size_t hl = (size_t)(seg[12] >> 4) * 4, dlen = pi->l4len - hl;
    uint32_t seq = netsim_get32(seg + 4), ack = netsim_get32(seg + 8);
    uint8_t fl = pi->tcp_flags;
    struct netsim_tcp_conn *c;
    int need_ack = 0;

    if (netsim_csum_l4(pi->src, pi->dst, IP_PROTO_TCP, seg, pi->l4len) != 0) {
        h->bad_l4++;
        return;
    }
    c = conn_find(h, pi->dport, pi->src, pi->sport);
    if (!c) {
        if ((fl & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && h->http_port && pi->dport == h->http_port &&
            (c = conn_alloc(h))) {
            c->server = 1;
            c->lport = pi->dport;
            c->rport = pi->sport;
            c->rip = pi->src;
            c->rcv_nxt = seq + 1;
            c->snd_nxt = (uint32_t)prng_next(&h->rng);
            c->state = TCP_SYN_RCVD;
            netsim_tcp_send(h, c, NULL, 0, TCP_SYN | TCP_ACK);
        } else if (!(fl & TCP_RST)) {
            send_rst(h, pi, seq, ack, dlen);
        }
        return;
    }
    if (fl & TCP_RST) {
        done(h, c, TCP_CLOSED);
        return;
    }
    if (c->state == TCP_SYN_SENT) {
        if ((fl & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) || ack != c->snd_nxt)
            return;
        c->rcv_nxt = seq + 1;
        c->state = TCP_ESTABLISHED;
        netsim_tcp_send(h, c, NULL, 0, TCP_ACK);
        if (c->txlen)
            netsim_tcp_send(h, c, c->tx, c->txlen, TCP_PSH | TCP_ACK);
        return;
    }
    if ((fl & TCP_ACK) && ack == c->snd_nxt) {
        if (c->state == TCP_SYN_RCVD)
            c->state = TCP_ESTABLISHED;
        else if (c->state == TCP_FIN_WAIT_1)
            c->state = TCP_FIN_WAIT_2;
        else if (c->state == TCP_CLOSING)
            c->state = TCP_TIME_WAIT;
        else if (c->state == TCP_LAST_ACK) {
            done(h, c, TCP_CLOSED);
            return;
        }
    }
    if (dlen || (fl & TCP_FIN)) {
        if (seq != c->rcv_nxt) {
            netsim_tcp_send(h, c, NULL, 0, TCP_ACK); /* duplicate ACK */
            return;
        }
        if (dlen) {
            size_t room = sizeof c->rx - c->rxlen, n = dlen < room ? dlen : room;
            memcpy(c->rx + c->rxlen, seg + hl, n);
            c->rxlen += n;
            c->rcv_nxt += (uint32_t)dlen;
            need_ack = 1;
        }
        if (fl & TCP_FIN) {
            c->rcv_nxt++;
            c->peer_fin = 1;
            need_ack = 1;
            if (c->state == TCP_ESTABLISHED)
                c->state = TCP_CLOSE_WAIT;
            else if (c->state == TCP_FIN_WAIT_1)
                c->state = TCP_CLOSING;
            else if (c->state == TCP_FIN_WAIT_2)
                c->state = TCP_TIME_WAIT;
        }
    }
    if (c->server && c->state == TCP_ESTABLISHED && !c->responded && request_complete(c)) {
        http_respond(h, c); /* its segments carry the ACK */
        return;
    }
    if (!c->server && c->state == TCP_CLOSE_WAIT) {
        /* The client closes once the server has: ACK the FIN with our own FIN. */
        netsim_tcp_send(h, c, NULL, 0, TCP_FIN | TCP_ACK);
        c->state = TCP_LAST_ACK;
        return;
    }
    if (need_ack)
        netsim_tcp_send(h, c, NULL, 0, TCP_ACK);
    if (c->state == TCP_TIME_WAIT)
        done(h, c, TCP_TIME_WAIT);
}

struct netsim_tcp_conn *netsim_tcp_connect(struct netsim_host *h, uint32_t dst, uint16_t dport,
                                           const void *req, size_t reqlen)
{
    struct netsim_tcp_conn *c = conn_alloc(h);

    if (!c || reqlen > sizeof c->tx)
        return NULL;
    c->lport = netsim_host_ephemeral_port(h);
    c->rport = dport;
    c->rip = dst;
    c->snd_nxt = (uint32_t)prng_next(&h->rng);
    c->state = TCP_SYN_SENT;
    memcpy(c->tx, req, reqlen);
    c->txlen = reqlen;
    netsim_tcp_send(h, c, NULL, 0, TCP_SYN);
    return c;
}
