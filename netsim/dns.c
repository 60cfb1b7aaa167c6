/* DNS server and forwarder (RFC 1035 sections 4.1 and 4.1.4 for compression).
 * Names compare case-insensitively; the forwarder rewrites query ids from a
 * seeded counter and relays answers back to the asking client. */
#include "netsim/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/log.h"

#define DNS_HLEN 12
#define DNS_QR 0x8000
#define DNS_AA 0x0400
#define DNS_RD 0x0100
#define DNS_RA 0x0080
#define DNS_FORWARD_TIMEOUT (10 * VTIME_S)

/* Decode a possibly compressed name at off; returns the offset after it in the
 * message (not after the pointer target), or 0 when malformed. */
static size_t read_name(const uint8_t *p, size_t len, size_t off, char *out, size_t cap)
{
    size_t k = 0, end = 0;
    int hops = 0;

    for (;;) {
        uint8_t l;
        if (off >= len)
            return 0;
        l = p[off];
        if (l == 0) {
            if (!end)
                end = off + 1;
            break;
        }
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len || ++hops > 16)
                return 0;
            if (!end)
                end = off + 2;
            off = (size_t)(l & 0x3f) << 8 | p[off + 1];
            continue;
        }
        if ((l & 0xc0) || off + 1 + l > len || k + l + 2 > cap)
            return 0;
        if (k)
            out[k++] = '.';
        for (size_t i = 0; i < l; i++) {
            char c = (char)p[off + 1 + i];
            if (c == '.' || c < 0x21 || c > 0x7e)
                return 0; /* keep names printable and unambiguous */
            out[k++] = c;
        }
        off += 1u + l;
    }
    out[k] = 0;
    return end;
}

int netsim_dns_parse(const uint8_t *p, size_t len, struct netsim_dns_msg *m)
{
    size_t off;

    memset(m, 0, sizeof *m);
    if (len < DNS_HLEN)
        return HV_ECORRUPT;
    m->id = netsim_get16(p);
    m->flags = netsim_get16(p + 2);
    m->qdcount = netsim_get16(p + 4);
    m->ancount = netsim_get16(p + 6);
    if (m->qdcount != 1)
        return HV_ECORRUPT;
    off = read_name(p, len, DNS_HLEN, m->qname, sizeof m->qname);
    if (!off || off + 4 > len)
        return HV_ECORRUPT;
    m->qtype = netsim_get16(p + off);
    m->qclass = netsim_get16(p + off + 2);
    m->qend = off + 4;
    /* In responses, find the first A record (what a stub resolver wants). */
    off = m->qend;
    for (int i = 0; i < m->ancount && (m->flags & DNS_QR); i++) {
        char tmp[DNS_NAME_MAX];
        size_t n = read_name(p, len, off, tmp, sizeof tmp);
        uint16_t rdlen;
        if (!n || n + 10 > len)
            return HV_ECORRUPT;
        rdlen = netsim_get16(p + n + 8);
        if (n + 10 + rdlen > len)
            return HV_ECORRUPT;
        if (netsim_get16(p + n) == DNS_TYPE_A && rdlen == 4 && !m->first_a)
            m->first_a = netsim_get32(p + n + 10);
        off = n + 10 + rdlen;
    }
    return HV_OK;
}

static size_t write_name(uint8_t *out, size_t cap, const char *name)
{
    size_t k = 0;
    const char *s = name;

    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63 || k + l + 2 > cap)
            return 0;
        out[k++] = (uint8_t)l;
        memcpy(out + k, s, l);
        k += l;
        s += l;
        if (*s == '.')
            s++;
    }
    out[k++] = 0;
    return k;
}

size_t netsim_dns_build_query(uint8_t *out, uint16_t id, const char *name, uint16_t type)
{
    size_t n;

    memset(out, 0, DNS_HLEN);
    netsim_put16(out, id);
    netsim_put16(out + 2, DNS_RD);
    netsim_put16(out + 4, 1);
    n = write_name(out + DNS_HLEN, 512 - DNS_HLEN - 4, name);
    if (!n)
        return 0;
    netsim_put16(out + DNS_HLEN + n, type);
    netsim_put16(out + DNS_HLEN + n + 2, DNS_CLASS_IN);
    return DNS_HLEN + n + 4;
}

/* "10.122.168.192.in-addr.arpa" -> 192.168.122.10 */
static int parse_ptr_name(const char *name, uint32_t *ip)
{
    unsigned a, b, c, d;
    char tail[32];

    if (sscanf(name, "%u.%u.%u.%u.%31s", &d, &c, &b, &a, tail) != 5 || strcasecmp(tail, "in-addr.arpa") ||
        a > 255 || b > 255 || c > 255 || d > 255)
        return 0;
    *ip = NETSIM_IP(a, b, c, d);
    return 1;
}

static int has_suffix(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    if (!z || n < z || strcasecmp(name + n - z, zone))
        return 0;
    return n == z || name[n - z - 1] == '.';
}

static uint32_t lookup_a(struct netsim_dns_server *s, const char *name)
{
    char bare[DNS_NAME_MAX];

    for (int i = 0; i < s->nrec; i++)
        if (!strcasecmp(s->rec[i].name, name))
            return s->rec[i].ip;
    if (!s->dhcp)
        return 0;
    /* dnsmasq answers a client's name bare and under its DHCP domain. */
    snprintf(bare, sizeof bare, "%s", name);
    if (s->dhcp_domain[0] && has_suffix(bare, s->dhcp_domain) && strlen(bare) > strlen(s->dhcp_domain))
        bare[strlen(bare) - strlen(s->dhcp_domain) - 1] = 0;
    if (strchr(bare, '.'))
        return 0;
    return netsim_dhcp_lookup_name(s->dhcp, bare);
}

static const char *lookup_ptr(struct netsim_dns_server *s, uint32_t ip, char *buf, size_t cap)
{
    const char *n;

    for (int i = 0; i < s->nrec; i++)
        if (s->rec[i].ip == ip)
            return s->rec[i].name;
    if (s->dhcp && (n = netsim_dhcp_lookup_addr(s->dhcp, ip))) {
        if (s->dhcp_domain[0]) {
            snprintf(buf, cap, "%s.%s", n, s->dhcp_domain);
            return buf;
        }
        return n;
    }
    return NULL;
}

static void answer(struct netsim_dns_server *s, uint32_t client, uint16_t cport, const uint8_t *q,
                   const struct netsim_dns_msg *m, uint16_t rcode, uint16_t type, uint32_t ip, const char *ptr)
{
    uint8_t out[600];
    size_t n = m->qend;

    memcpy(out, q, m->qend);
    netsim_put16(out + 2, (uint16_t)(DNS_QR | DNS_AA | (m->flags & DNS_RD) | DNS_RA | rcode));
    netsim_put16(out + 6, (type && !rcode) ? 1 : 0);
    netsim_put16(out + 8, 0);
    netsim_put16(out + 10, 0);
    if (type && !rcode) {
        size_t rd;
        netsim_put16(out + n, 0xc000 | DNS_HLEN); /* the name of the question */
        netsim_put16(out + n + 2, type);
        netsim_put16(out + n + 4, DNS_CLASS_IN);
        netsim_put32(out + n + 6, NETSIM_DNS_TTL);
        if (type == DNS_TYPE_A) {
            netsim_put16(out + n + 10, 4);
            netsim_put32(out + n + 12, ip);
            n += 16;
        } else {
            rd = write_name(out + n + 12, sizeof out - n - 12, ptr);
            if (!rd)
                return;
            netsim_put16(out + n + 10, (uint16_t)rd);
            n += 12 + rd;
        }
        s->answered++;
    }
    if (rcode == DNS_RCODE_NXDOMAIN)
        s->nxdomain++;
    netsim_host_udp_send(s->h, DNS_PORT, client, cport, out, n);
}

static void forward(struct netsim_dns_server *s, uint32_t client, uint16_t cport, const uint8_t *q, size_t len,
                    const struct netsim_dns_msg *m)
{
    uint8_t out[NETSIM_FRAME_MAX];
    vtime_t now = s->h->ifc.port.net->q->now;
    int slot = -1;

    for (int i = 0; i < NETSIM_DNS_PENDING && slot < 0; i++)
        if (!s->pend[i].used || now - s->pend[i].sent > DNS_FORWARD_TIMEOUT)
            slot = i;
    if (slot < 0 || len > 1400) {
        answer(s, client, cport, q, m, DNS_RCODE_SERVFAIL, 0, 0, NULL);
        return;
    }
    s->pend[slot].used = 1;
    s->pend[slot].id = s->next_id++;
    s->pend[slot].orig_id = m->id;
    s->pend[slot].client = client;
    s->pend[slot].client_port = cport;
    s->pend[slot].sent = now;
    memcpy(out, q, len);
    netsim_put16(out, s->pend[slot].id);
    s->forwarded++;
    netsim_host_udp_send(s->up_host, s->up_port, s->upstream, DNS_PORT, out, len);
}

static void dns_rx(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                   uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_dns_server *s = opaque;
    struct netsim_dns_msg m;
    uint32_t ip;
    const char *ptr;
    char buf[DNS_NAME_MAX];

    if (netsim_dns_parse(data, len, &m) != HV_OK || (m.flags & DNS_QR)) {
        s->bad++;
        return;
    }
    s->queries++;
    if (m.qclass != DNS_CLASS_IN) {
        answer(s, src, sport, data, &m, DNS_RCODE_REFUSED, 0, 0, NULL);
        return;
    }
    if (m.qtype == DNS_TYPE_A && (ip = lookup_a(s, m.qname))) {
        answer(s, src, sport, data, &m, 0, DNS_TYPE_A, ip, NULL);
        return;
    }
    if (m.qtype == DNS_TYPE_PTR && parse_ptr_name(m.qname, &ip) && (ptr = lookup_ptr(s, ip, buf, sizeof buf))) {
        answer(s, src, sport, data, &m, 0, DNS_TYPE_PTR, 0, ptr);
        return;
    }
    if (has_suffix(m.qname, s->zone) || (s->dhcp_domain[0] && has_suffix(m.qname, s->dhcp_domain))) {
        /* Ours: a known name with no record of this type is NOERROR with no answer. */
        int exists = lookup_a(s, m.qname) != 0;
        answer(s, src, sport, data, &m, exists ? 0 : DNS_RCODE_NXDOMAIN, 0, 0, NULL);
        return;
    }
    if (s->up_host) {
        forward(s, src, sport, data, len, &m);
        return;
    }
    /* An authority asked about a name outside its zone. */
    answer(s, src, sport, data, &m, s->zone[0] ? DNS_RCODE_REFUSED : DNS_RCODE_NXDOMAIN, 0, 0, NULL);
}

static void upstream_rx(void *opaque, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst,
                        uint16_t dport, const uint8_t *data, size_t len)
{
    struct netsim_dns_server *s = opaque;
    uint8_t out[NETSIM_FRAME_MAX];

    if (src != s->upstream || sport != DNS_PORT || len < DNS_HLEN || len > sizeof out)
        return;
    for (int i = 0; i < NETSIM_DNS_PENDING; i++)
        if (s->pend[i].used && s->pend[i].id == netsim_get16(data)) {
            memcpy(out, data, len);
            netsim_put16(out, s->pend[i].orig_id);
            s->pend[i].used = 0;
            s->relayed++;
            netsim_host_udp_send(s->h, DNS_PORT, s->pend[i].client, s->pend[i].client_port, out, len);
            return;
        }
}

struct netsim_dns_server *netsim_dns_server_new(struct netsim_host *h, const char *zone)
{
    struct netsim_dns_server *s = calloc(1, sizeof *s);

    if (!s) {
        log_error("netsim: dns: no memory on %s", h->name);
        return NULL;
    }
    s->h = h;
    snprintf(s->zone, sizeof s->zone, "%s", zone ? zone : "");
    s->next_id = (uint16_t)prng_next(&h->rng);
    if (netsim_host_udp_bind(h, DNS_PORT, dns_rx, s) != HV_OK) {
        log_error("netsim: dns: port 53 busy on %s", h->name);
        free(s);
        return NULL;
    }
    return s;
}

void netsim_dns_server_free(struct netsim_dns_server *s) { free(s); }

int netsim_dns_add_record(struct netsim_dns_server *s, const char *name, uint32_t ip)
{
    if (s->nrec == NETSIM_DNS_RECORDS)
        return HV_EFULL;
    snprintf(s->rec[s->nrec].name, sizeof s->rec[0].name, "%s", name);
    s->rec[s->nrec].ip = ip;
    s->nrec++;
    return HV_OK;
}

void netsim_dns_use_dhcp(struct netsim_dns_server *s, struct netsim_dhcp_server *dhcp, const char *domain)
{
    s->dhcp = dhcp;
    snprintf(s->dhcp_domain, sizeof s->dhcp_domain, "%s", domain ? domain : "");
}

int netsim_dns_set_upstream(struct netsim_dns_server *s, struct netsim_host *up_host, uint32_t upstream)
{
    s->up_host = up_host;
    s->upstream = upstream;
    s->up_port = netsim_host_ephemeral_port(up_host);
    return netsim_host_udp_bind(up_host, s->up_port, upstream_rx, s);
}
