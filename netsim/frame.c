/* Frame parsing and building for Ethernet II (IEEE 802.3 clause 3), ARP
 * (RFC 826), IPv4 (RFC 791), ICMP (RFC 792), UDP (RFC 768) and TCP (RFC 793);
 * checksums per RFC 1071 and RFC 1624. The parser never reads past `len`. */
#include "netsim/frame.h"

const uint8_t netsim_mac_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int parse_arp(const uint8_t *f, size_t len, struct netsim_pinfo *pi)
{
    const uint8_t *a = f + pi->l3off;

    if (len < (size_t)pi->l3off + ARP_LEN)
        return NETSIM_PARSE_RUNT;
    /* Only Ethernet/IPv4 ARP is modelled: htype 1, ptype 0x0800, hlen 6, plen 4. */
    if (netsim_get16(a) != 1 || netsim_get16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4)
        return NETSIM_PARSE_BADHDR;
    pi->arp_op = netsim_get16(a + 6);
    pi->arp_sha = a + 8;
    pi->src = netsim_get32(a + 14);
    pi->arp_tha = a + 18;
    pi->dst = netsim_get32(a + 24);
    return NETSIM_PARSE_OK;
}

static void parse_l4(const uint8_t *f, struct netsim_pinfo *pi)
{
    const uint8_t *l4 = f + pi->l4off;

    switch (pi->proto) {
    case IP_PROTO_UDP:
        if (pi->l4len < UDP_HLEN || netsim_get16(l4 + 4) < UDP_HLEN || netsim_get16(l4 + 4) > pi->l4len)
            return;
        pi->sport = netsim_get16(l4);
        pi->dport = netsim_get16(l4 + 2);
        break;
    case IP_PROTO_TCP:
        if (pi->l4len < TCP_HLEN || (l4[12] >> 4) < 5 || (size_t)(l4[12] >> 4) * 4 > pi->l4len)
            return;
        pi->sport = netsim_get16(l4);
        pi->dport = netsim_get16(l4 + 2);
        pi->tcp_flags = l4[13];
        break;
    case IP_PROTO_ICMP:
        if (pi->l4len < ICMP_HLEN)
            return;
        pi->icmp_type = l4[0];
        pi->icmp_code = l4[1];
        pi->sport = pi->dport = netsim_get16(l4 + 4);
        break;
    default:
        return;
    }
    pi->l4_ok = 1;
}

int netsim_frame_parse(const uint8_t *f, size_t len, struct netsim_pinfo *pi)
{
    const uint8_t *ip;
    size_t avail;

    memset(pi, 0, sizeof *pi);
    if (len < ETH_HLEN)
        return NETSIM_PARSE_RUNT;
    pi->ethertype = netsim_get16(f + 12);
    pi->l3off = ETH_HLEN;
    if (pi->ethertype == ETHERTYPE_ARP)
        return parse_arp(f, len, pi);
    if (pi->ethertype != ETHERTYPE_IPV4)
        return NETSIM_PARSE_OK; /* other protocols are carried, not parsed */

    ip = f + ETH_HLEN;
    avail = len - ETH_HLEN;
    if (avail < IPV4_HLEN)
        return NETSIM_PARSE_RUNT;
    if ((ip[0] >> 4) != 4 || (ip[0] & 15) < 5)
        return NETSIM_PARSE_BADHDR;
    pi->ihl = (uint8_t)((ip[0] & 15) * 4);
    pi->ip_len = netsim_get16(ip + 2);
    /* Trailing bytes past ip_len are Ethernet padding; fewer bytes is truncation. */
    if (pi->ihl > avail || pi->ip_len < pi->ihl || pi->ip_len > avail)
        return NETSIM_PARSE_BADLEN;
    if (netsim_csum(ip, pi->ihl) != 0)
        return NETSIM_PARSE_BADCSUM;
    pi->tos = ip[1];
    pi->ip_id = netsim_get16(ip + 4);
    pi->frag = netsim_get16(ip + 6);
    pi->ttl = ip[8];
    pi->proto = ip[9];
    pi->src = netsim_get32(ip + 12);
    pi->dst = netsim_get32(ip + 16);
    pi->l4off = (uint16_t)(ETH_HLEN + pi->ihl);
    pi->l4len = (uint16_t)(pi->ip_len - pi->ihl);
    /* Only a first fragment carries the L4 header; and a fragmented one cannot
     * be checksummed or translated alone, so L4 is left unparsed for all fragments. */
    if (pi->frag & (IPV4_MF | IPV4_OFFMASK))
        return NETSIM_PARSE_OK;
    parse_l4(f, pi);
    return NETSIM_PARSE_OK;
}

uint32_t netsim_csum_add(uint32_t sum, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t s = sum;

    while (n >= 2) {
        s += (uint32_t)(b[0] << 8 | b[1]);
        b += 2;
        n -= 2;
    }
    if (n)
        s += (uint32_t)b[0] << 8;
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)s;
}

uint16_t netsim_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t netsim_csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *seg, size_t len)
{
    uint32_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
    return netsim_csum_fold(netsim_csum_add(s, seg, len));
}

void netsim_csum_replace16(uint8_t *csum, uint16_t old, uint16_t new_)
{
    /* HC' = ~(~HC + ~m + m') */
    uint32_t s = (uint16_t)~netsim_get16(csum) + (uint16_t)~old + (uint32_t)new_;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    netsim_put16(csum, (uint16_t)~s);
}

void netsim_csum_replace32(uint8_t *csum, uint32_t old, uint32_t new_)
{
    netsim_csum_replace16(csum, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
    netsim_csum_replace16(csum, (uint16_t)old, (uint16_t)new_);
}

size_t netsim_eth_write(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, ETH_ALEN);
    memcpy(f + 6, src, ETH_ALEN);
    netsim_put16(f + 12, type);
    return ETH_HLEN;
}

size_t netsim_arp_write(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa,
                        const uint8_t *dst_mac, const uint8_t *tha, uint32_t tpa)
{
    uint8_t *a = f + ETH_HLEN;

    netsim_eth_write(f, dst_mac, sha, ETHERTYPE_ARP);
    netsim_put16(a, 1);
    netsim_put16(a + 2, ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    netsim_put16(a + 6, op);
    memcpy(a + 8, sha, ETH_ALEN);
    netsim_put32(a + 14, spa);
    memcpy(a + 18, tha, ETH_ALEN);
    netsim_put32(a + 24, tpa);
    return ETH_HLEN + ARP_LEN;
}

void netsim_ipv4_write(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t id,
                       uint8_t ttl, size_t plen)
{
    ip[0] = 0x45;
    ip[1] = 0;
    netsim_put16(ip + 2, (uint16_t)(IPV4_HLEN + plen));
    netsim_put16(ip + 4, id);
    netsim_put16(ip + 6, IPV4_DF);
    ip[8] = ttl;
    ip[9] = proto;
    netsim_put16(ip + 10, 0);
    netsim_put32(ip + 12, src);
    netsim_put32(ip + 16, dst);
    netsim_put16(ip + 10, netsim_csum(ip, IPV4_HLEN));
}

size_t netsim_udp_write(uint8_t *udp, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        const void *payload, size_t plen)
{
    uint16_t c;

    netsim_put16(udp, sport);
    netsim_put16(udp + 2, dport);
    netsim_put16(udp + 4, (uint16_t)(UDP_HLEN + plen));
    netsim_put16(udp + 6, 0);
    if (plen)
        memmove(udp + UDP_HLEN, payload, plen);
    c = netsim_csum_l4(src, dst, IP_PROTO_UDP, udp, UDP_HLEN + plen);
    netsim_put16(udp + 6, c ? c : 0xffff); /* 0 means "no checksum" in UDP */
    return UDP_HLEN + plen;
}
