/* DHCP server (RFC 2131 section 4.3, options RFC 2132). Address choice is
 * deterministic: a static host's address, else the client's previous lease,
 * else its requested address if free, else the lowest free address. */
#include "netsim/dhcp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/log.h"

#define DHCP_OFFER_HOLD (60 * VTIME_S)
#define DHCP_DECLINE_HOLD (600 * VTIME_S) /* dnsmasq avoids a declined address for 10 minutes */

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        if (src[i] > 0x20 && src[i] < 0x7f) /* printable names only; DNS needs no more */
            dst[k++] = (char)src[i];
    dst[k] = 0;
}

int netsim_dhcp_parse(const uint8_t *p, size_t len, struct netsim_dhcp_msg *m)
{
    size_t i = DHCP_FIXED_LEN;

    memset(m, 0, sizeof *m);
    if (len < DHCP_FIXED_LEN || p[1] != 1 || p[2] != ETH_ALEN || netsim_get32(p + 236) != DHCP_MAGIC)
        return HV_ECORRUPT;
    m->op = p[0];
    m->xid = netsim_get32(p + 4);
    m->secs = netsim_get16(p + 8);
    m->flags = netsim_get16(p + 10);
    m->ciaddr = netsim_get32(p + 12);
    m->yiaddr = netsim_get32(p + 16);
    m->siaddr = netsim_get32(p + 20);
    m->giaddr = netsim_get32(p + 24);
    memcpy(m->chaddr, p + 28, ETH_ALEN);
    while (i < len) {
        uint8_t code = p[i], olen;
        const uint8_t *v;
        if (code == 0) {
            i++;
            continue;
        }
        if (code == 255)
            break;
        if (i + 2 > len || i + 2 + p[i + 1] > len)
            return HV_ECORRUPT;
        olen = p[i + 1];
        v = p + i + 2;
        switch (code) {
        case 53: if (olen >= 1) m->type = v[0]; break;
        case 50: if (olen >= 4) m->req_ip = netsim_get32(v); break;
        case 54: if (olen >= 4) m->server_id = netsim_get32(v); break;
        case 51: if (olen >= 4) m->lease = netsim_get32(v); break;
        case 1: if (olen >= 4) m->mask = netsim_get32(v); break;
        case 3: if (olen >= 4) m->router = netsim_get32(v); break;
        case 6: if (olen >= 4) m->dns = netsim_get32(v); break;
        case 12: copy_str(m->hostname, sizeof m->hostname, v, olen); break;
        case 15: copy_str(m->domain, sizeof m->domain, v, olen); break;
        default: break;
        }
        i += 2u + olen;
    }
    if (!m->type || m->type > DHCPINFORM || (m->op != 1 && m->op != 2))
        return HV_ECORRUPT;
    return HV_OK;
}

static uint8_t *opt32(uint8_t *o, uint8_t code, uint32_t v)
{
    o[0] = code;
    o[1] = 4;
    netsim_put32(o + 2, v);
    return o + 6;
}

static uint8_t *optstr(uint8_t *o, uint8_t code, const char *s)
{
    size_t n = strlen(s);
    o[0] = code;
    o[1] = (uint8_t)n;
    memcpy(o + 2, s, n);
    return o + 2 + n;
}

size_t netsim_dhcp_build(const struct netsim_dhcp_msg *m, uint8_t *out)
{
    uint8_t *o;
    size_t len;

    memset(out, 0, DHCP_MIN_LEN);
    out[0] = m->op;
    out[1] = 1;
    out[2] = ETH_ALEN;
    netsim_put32(out + 4, m->xid);
    netsim_put16(out + 8, m->secs);
    netsim_put16(out + 10, m->flags);
    netsim_put32(out + 12, m->ciaddr);
    netsim_put32(out + 16, m->yiaddr);
    netsim_put32(out + 20, m->siaddr);
    netsim_put32(out + 24, m->giaddr);
    memcpy(out + 28, m->chaddr, ETH_ALEN);
    netsim_put32(out + 236, DHCP_MAGIC);
    o = out + DHCP_FIXED_LEN;
    *o++ = 53;
    *o++ = 1;
    *o++ = m->type;
    if (m->server_id) o = opt32(o, 54, m->server_id);
    if (m->req_ip) o = opt32(o, 50, m->req_ip);
    if (m->lease) {
        o = opt32(o, 51, m->lease);
        o = opt32(o, 58, m->lease / 2);     /* T1 renewal, RFC 2131 4.4.5 */
        o = opt32(o, 59, m->lease / 8 * 7); /* T2 rebinding */
    }
    if (m->mask) o = opt32(o, 1, m->mask);
    if (m->router) o = opt32(o, 3, m->router);
    if (m->dns) o = opt32(o, 6, m->dns);
    if (m->hostname[0]) o = optstr(o, 12, m->hostname);
    if (m->domain[0]) o = optstr(o, 15, m->domain);
    if (m->op == 1 && (m->type == DHCPDISCOVER || m->type == DHCPREQUEST)) {
        static const uint8_t prl[] = { 55, 5, 1, 3, 6, 15, 51 }; /* parameter request list */
        memcpy(o, prl, sizeof prl);
        o += sizeof prl;
    }
    *o++ = 255;
    len = (size_t)(o - out);
    return len < DHCP_MIN_LEN ? DHCP_MIN_LEN : len;
}

static int in_pool(const struct netsim_dhcp_server *s, uint32_t ip)
{
    return ip >= s->cfg.pool_lo && ip <= s->cfg.pool_hi;
}

static int static_index(const struct netsim_dhcp_server *s, const uint8_t *mac)
{
    for (int i = 0; i < s->nstatic; i++)
        if (!memcmp(s->statics[i].mac, mac, ETH_ALEN))
            return i;
    return -1;
}

static int static_owns(const struct netsim_dhcp_server *s, uint32_t ip)
{
    for (int i = 0; i < s->nstatic; i++)
        if (s->statics[i].ip == ip)
            return 1;
    return 0;
}

/* Can `ip` go to `mac` right now? */
static int assignable(struct netsim_dhcp_server *s, uint32_t ip, const uint8_t *mac)
{
    struct netsim_dhcp_lease *l;
    vtime_t now = s->h->ifc.port.net->q->now;
    int si = static_index(s, mac);

    if (si >= 0)
        return s->statics[si].ip == ip;
    if (!in_pool(s, ip) || static_owns(s, ip) || ip == s->h->ifc.ip)
        return 0;
    l = &s->leases[ip - s->cfg.pool_lo];
    if (l->state == LEASE_FREE)
        return 1;
    if (!memcmp(l->mac, mac, ETH_ALEN) && l->state != LEASE_DECLINED)
        return 1;
    return l->expires <= now;
}

static uint32_t choose(struct netsim_dhcp_server *s, const uint8_t *mac, uint32_t requested)
{
    int si = static_index(s, mac);
    uint32_t n = s->cfg.pool_hi - s->cfg.pool_lo + 1;

    if (si >= 0)
        return s->statics[si].ip;
    for (uint32_t i = 0; i < n; i++)
        if (s->leases[i].state != LEASE_FREE && s->leases[i].state != LEASE_DECLINED &&
            !memcmp(s->leases[i].mac, mac, ETH_ALEN))
            return s->cfg.pool_lo + i;
    if (requested && assignable(s, requested, mac))
        return requested;
    for (uint32_t i = 0; i < n; i++)
        if (assignable(s, s->cfg.pool_lo + i, mac))
            return s->cfg.pool_lo + i;
    return 0;
}

static void reply(struct netsim_dhcp_server *s, const struct netsim_dhcp_msg *req, uint8_t type, uint32_t yiaddr)
{
    struct netsim_dhcp_msg m = { 0 };
    uint8_t buf[600];
    size_t n;
    uint32_t dst = 0xffffffffu;

    m.op = 2;
    m.xid = req->xid;
    m.flags = req->flags;
    m.giaddr = req->giaddr;
    memcpy(m.chaddr, req->chaddr, ETH_ALEN);
    m.type = type;
    m.server_id = s->h->ifc.ip;
    if (type != DHCPNAK) {
        m.ciaddr = type == DHCPINFORM ? req->ciaddr : 0;
        m.yiaddr = yiaddr;
        m.mask = s->cfg.mask;
        m.router = s->cfg.router;
        m.dns = s->cfg.dns;
        snprintf(m.domain, sizeof m.domain, "%s", s->domain);
        if (type != DHCPINFORM)
            m.lease = (uint32_t)(s->cfg.lease_time / VTIME_S);
        /* RFC 2131 4.1: a client that has an address gets a unicast answer. */
        if (req->ciaddr)
            dst = req->ciaddr;
    }
    if (type == DHCPINFORM)
        m.type = DHCPACK;
    n = netsim_dhcp_build(&m, buf);
    s->tx_by_type[m.type]++;
    netsim_host_udp_send(s->h, DHCP_SERVER_PORT, dst, DHCP_CLIENT_PORT, buf, n);
}

static void dhcp_rx(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                    uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_dhcp_server *s = opaque;
    struct netsim_dhcp_msg m;
    vtime_t now = h->ifc.port.net->q->now;
    uint32_t ip;
    struct netsim_dhcp_lease *l;

    if (netsim_dhcp_parse(data, len, &m) != HV_OK || m.op != 1) {
        s->bad++;
        log_guest("netsim: dhcp: malformed message from %08x dropped", src);
        return;
    }
    s->rx_by_type[m.type]++;
    switch (m.type) {
    case DHCPDISCOVER:
        ip = choose(s, m.chaddr, m.req_ip);
        if (!ip)
            return; /* pool exhausted: stay silent, as dnsmasq does */
        if (in_pool(s, ip)) {
            l = &s->leases[ip - s->cfg.pool_lo];
            if (l->state != LEASE_BOUND || memcmp(l->mac, m.chaddr, ETH_ALEN)) {
                memcpy(l->mac, m.chaddr, ETH_ALEN);
                l->state = LEASE_OFFERED;
                l->expires = now + DHCP_OFFER_HOLD;
            }
        }
        reply(s, &m, DHCPOFFER, ip);
        break;
    case DHCPREQUEST:
        if (m.server_id && m.server_id != h->ifc.ip)
            return; /* the client chose another server; our offer lapses */
        ip = m.req_ip ? m.req_ip : m.ciaddr;
        if (!ip || !assignable(s, ip, m.chaddr)) {
            reply(s, &m, DHCPNAK, 0);
            return;
        }
        if (in_pool(s, ip)) {
            l = &s->leases[ip - s->cfg.pool_lo];
            memcpy(l->mac, m.chaddr, ETH_ALEN);
            l->state = LEASE_BOUND;
            l->expires = now + s->cfg.lease_time;
            snprintf(l->hostname, sizeof l->hostname, "%s", m.hostname);
        }
        reply(s, &m, DHCPACK, ip);
        break;
    case DHCPRELEASE:
        if (in_pool(s, m.ciaddr)) {
            l = &s->leases[m.ciaddr - s->cfg.pool_lo];
            if (!memcmp(l->mac, m.chaddr, ETH_ALEN))
                memset(l, 0, sizeof *l);
        }
        break;
    case DHCPDECLINE:
        if (in_pool(s, m.req_ip)) {
            l = &s->leases[m.req_ip - s->cfg.pool_lo];
            memset(l, 0, sizeof *l);
            l->state = LEASE_DECLINED;
            l->expires = now + DHCP_DECLINE_HOLD;
        }
        break;
    case DHCPINFORM:
        reply(s, &m, DHCPINFORM, 0);
        break;
    default:
        break;
    }
}

struct netsim_dhcp_server *netsim_dhcp_server_new(struct netsim_host *h, const struct netsim_dhcp_config *cfg)
{
    struct netsim_dhcp_server *s;

    if (cfg->pool_hi < cfg->pool_lo || cfg->pool_hi - cfg->pool_lo > 65535) {
        log_error("netsim: dhcp: bad pool on %s", h->name);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->leases = calloc(cfg->pool_hi - cfg->pool_lo + 1, sizeof *s->leases))) {
        log_error("netsim: dhcp: no memory on %s", h->name);
        free(s);
        return NULL;
    }
    s->h = h;
    s->cfg = *cfg;
    if (!s->cfg.lease_time)
        s->cfg.lease_time = 3600 * VTIME_S;
    snprintf(s->domain, sizeof s->domain, "%s", cfg->domain ? cfg->domain : "");
    if (netsim_host_udp_bind(h, DHCP_SERVER_PORT, dhcp_rx, s) != HV_OK) {
        log_error("netsim: dhcp: port 67 busy on %s", h->name);
        free(s->leases);
        free(s);
        return NULL;
    }
    return s;
}

void netsim_dhcp_server_free(struct netsim_dhcp_server *s)
{
    if (!s)
        return;
    free(s->leases);
    free(s);
}

int netsim_dhcp_add_static(struct netsim_dhcp_server *s, const uint8_t *mac, uint32_t ip, const char *name)
{
    if (s->nstatic == NETSIM_DHCP_STATIC_MAX)
        return HV_EFULL;
    memcpy(s->statics[s->nstatic].mac, mac, ETH_ALEN);
    s->statics[s->nstatic].ip = ip;
    snprintf(s->statics[s->nstatic].name, sizeof s->statics[0].name, "%s", name ? name : "");
    s->nstatic++;
    return HV_OK;
}

uint32_t netsim_dhcp_lookup_name(struct netsim_dhcp_server *s, const char *name)
{
    vtime_t now = s->h->ifc.port.net->q->now;
    uint32_t n = s->cfg.pool_hi - s->cfg.pool_lo + 1;

    for (int i = 0; i < s->nstatic; i++)
        if (s->statics[i].name[0] && !strcasecmp(s->statics[i].name, name))
            return s->statics[i].ip;
    for (uint32_t i = 0; i < n; i++)
        if (s->leases[i].state == LEASE_BOUND && s->leases[i].expires > now && s->leases[i].hostname[0] &&
            !strcasecmp(s->leases[i].hostname, name))
            return s->cfg.pool_lo + i;
    return 0;
}

const char *netsim_dhcp_lookup_addr(struct netsim_dhcp_server *s, uint32_t ip)
{
    vtime_t now = s->h->ifc.port.net->q->now;

    for (int i = 0; i < s->nstatic; i++)
        if (s->statics[i].ip == ip && s->statics[i].name[0])
            return s->statics[i].name;
    if (in_pool(s, ip)) {
        struct netsim_dhcp_lease *l = &s->leases[ip - s->cfg.pool_lo];
        if (l->state == LEASE_BOUND && l->expires > now && l->hostname[0])
            return l->hostname;
    }
    return NULL;
}
