/* The simulated host's IP layer: local delivery (RFC 1122 3.3.6 broadcasts),
 * ICMP echo and errors (RFC 792), UDP demultiplexing with checksums verified
 * (RFC 768), TCP handed to tcp.c, everything else to the forward hook. */
#include "netsim/host.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"

static void icmp_input(struct netsim_host *h, const uint8_t *frame, const struct netsim_pinfo *pi)
{
    const uint8_t *icmp = frame + pi->l4off;
    uint8_t reply[NETSIM_FRAME_MAX];

    if (netsim_csum(icmp, pi->l4len) != 0) {
        h->bad_l4++;
        return;
    }
    if (pi->icmp_type == ICMP_ECHO && pi->icmp_code == 0) {
        /* Echo reply: same identifier, sequence and data, type 0 (RFC 792). */
        memcpy(reply, icmp, pi->l4len);
        reply[0] = ICMP_ECHOREPLY;
        netsim_put16(reply + 2, 0);
        netsim_put16(reply + 2, netsim_csum(reply, pi->l4len));
        h->echo_answered++;
        netsim_host_ip_send(h, IP_PROTO_ICMP, pi->dst == 0xffffffffu ? 0 : pi->dst, pi->src, reply, pi->l4len);
        return;
    }
    if (h->icmp_fn)
        h->icmp_fn(h->icmp_opaque, h, pi, icmp, pi->l4len);
}

static void udp_input(struct netsim_host *h, const uint8_t *frame, const struct netsim_pinfo *pi, int bcast)
{
    const uint8_t *udp = frame + pi->l4off;
    uint16_t ulen = netsim_get16(udp + 4);

    if (netsim_get16(udp + 6) && netsim_csum_l4(pi->src, pi->dst, IP_PROTO_UDP, udp, ulen) != 0) {
        h->bad_l4++;
        h->ifc.port.st.rx_errors++;
        return;
    }
    for (int i = 0; i < h->nudp; i++)
        if (h->udp[i].port == pi->dport) {
            h->udp[i].fn(h->udp[i].opaque, h, pi->src, pi->sport, pi->dst, pi->dport, udp + UDP_HLEN,
                         ulen - UDP_HLEN);
            return;
        }
    if (!bcast)
        netsim_host_icmp_error(h, h->ifc.ip, frame, pi, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
}

static void host_input(void *opaque, struct netsim_iface *ifc, uint8_t *frame, size_t len,
                       const struct netsim_pinfo *pi)
{
    struct netsim_host *h = opaque;
    int bcast = pi->dst == 0xffffffffu || (ifc->mask && pi->dst == (ifc->ip | ~ifc->mask));

    if (!bcast && h->prerouting && h->prerouting(h->pre_opaque, h, frame, len, pi))
        return;
    if (!bcast && (!ifc->ip || pi->dst != ifc->ip)) {
        if (h->forward)
            h->forward(h->fwd_opaque, h, frame, len, pi);
        else
            ifc->port.st.rx_dropped++;
        return;
    }
    if (!pi->l4_ok) {
        /* Fragments are not reassembled by simulated hosts; L4 runts are errors. */
        h->bad_l4++;
        ifc->port.st.rx_dropped++;
        return;
    }
    switch (pi->proto) {
    case IP_PROTO_ICMP:
        icmp_input(h, frame, pi);
        break;
    case IP_PROTO_UDP:
        udp_input(h, frame, pi, bcast);
        break;
    case IP_PROTO_TCP:
        if (!bcast)
            netsim_tcp_input(h, frame, pi);
        break;
    default:
        ifc->port.st.rx_dropped++;
    }
}

void netsim_host_init(struct netsim_host *h, struct netsim *net, const char *name, const char *port_name,
                      const uint8_t *mac, uint64_t seed)
{
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%s", name);
    netsim_iface_init(&h->ifc, net, port_name, mac, host_input, h);
    prng_seed(&h->rng, seed);
    /* Linux's ephemeral range is 32768-60999; start at a seeded point inside it. */
    h->next_ephemeral = (uint16_t)(32768 + prng_below(&h->rng, 28232));
}

void netsim_host_fini(struct netsim_host *h) { netsim_iface_fini(&h->ifc); }

int netsim_host_udp_bind(struct netsim_host *h, uint16_t port, netsim_udp_fn *fn, void *opaque)
{
    for (int i = 0; i < h->nudp; i++)
        if (h->udp[i].port == port)
            return HV_EEXIST;
    if (h->nudp == NETSIM_HOST_UDP_MAX)
        return HV_EFULL;
    h->udp[h->nudp].port = port;
    h->udp[h->nudp].fn = fn;
    h->udp[h->nudp].opaque = opaque;
    h->nudp++;
    return HV_OK;
}

uint16_t netsim_host_ephemeral_port(struct netsim_host *h)
{
    uint16_t p = h->next_ephemeral++;
    if (h->next_ephemeral > 60999)
        h->next_ephemeral = 32768;
    return p;
}

int netsim_host_ip_send(struct netsim_host *h, uint8_t proto, uint32_t src, uint32_t dst,
                        const uint8_t *payload, size_t len)
{
    uint8_t f[NETSIM_FRAME_MAX];

    if (len > NETSIM_FRAME_MAX - ETH_HLEN - IPV4_HLEN)
        return HV_EINVAL;
    if (!src)
        src = h->ifc.ip;
    memcpy(f + ETH_HLEN + IPV4_HLEN, payload, len);
    netsim_ipv4_write(f + ETH_HLEN, proto, src, dst, h->ifc.ip_id++, NETSIM_IP_TTL, len);
    return netsim_iface_output(&h->ifc, netsim_iface_nexthop(&h->ifc, dst), f, ETH_HLEN + IPV4_HLEN + len);
}

int netsim_host_udp_send(struct netsim_host *h, uint16_t sport, uint32_t dst, uint16_t dport,
                         const void *data, size_t len)
{
    uint8_t u[NETSIM_FRAME_MAX];

    if (len > NETSIM_FRAME_MAX - ETH_HLEN - IPV4_HLEN - UDP_HLEN)
        return HV_EINVAL;
    netsim_udp_write(u, h->ifc.ip, dst, sport, dport, data, len);
    return netsim_host_ip_send(h, IP_PROTO_UDP, h->ifc.ip, dst, u, UDP_HLEN + len);
}

int netsim_host_ping(struct netsim_host *h, uint32_t dst, uint16_t id, uint16_t seq, size_t datalen)
{
    uint8_t m[ICMP_HLEN + 1024];

    if (datalen > 1024)
        return HV_EINVAL;
    m[0] = ICMP_ECHO;
    m[1] = 0;
    netsim_put16(m + 2, 0);
    netsim_put16(m + 4, id);
    netsim_put16(m + 6, seq);
    for (size_t i = 0; i < datalen; i++)
        m[ICMP_HLEN + i] = (uint8_t)(0x10 + i); /* ping's pattern */
    netsim_put16(m + 2, netsim_csum(m, ICMP_HLEN + datalen));
    return netsim_host_ip_send(h, IP_PROTO_ICMP, 0, dst, m, ICMP_HLEN + datalen);
}

int netsim_host_icmp_error(struct netsim_host *h, uint32_t src, const uint8_t *frame,
                           const struct netsim_pinfo *pi, uint8_t type, uint8_t code)
{
    uint8_t m[ICMP_HLEN + 60 + 8];
    size_t quote = (size_t)pi->ihl + 8;

    /* RFC 1122 3.2.2: never about an ICMP error, a broadcast, or a non-first fragment. */
    if (pi->proto == IP_PROTO_ICMP && pi->l4_ok && pi->icmp_type != ICMP_ECHO && pi->icmp_type != ICMP_ECHOREPLY)
        return HV_EINVAL;
    if (pi->dst == 0xffffffffu || (pi->frag & IPV4_OFFMASK) || pi->src == 0)
        return HV_EINVAL;
    if (quote > pi->ip_len)
        quote = pi->ip_len;
    memset(m, 0, ICMP_HLEN);
    m[0] = type;
    m[1] = code;
    memcpy(m + ICMP_HLEN, frame + ETH_HLEN, quote);
    netsim_put16(m + 2, netsim_csum(m, ICMP_HLEN + quote));
    h->unreach_sent++;
    return netsim_host_ip_send(h, IP_PROTO_ICMP, src, pi->src, m, ICMP_HLEN + quote);
}
