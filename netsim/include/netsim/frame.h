/* Ethernet II, ARP, IPv4, ICMP, UDP and TCP wire formats: a validating parser,
 * the Internet checksum (RFC 1071, incremental per RFC 1624) and header builders. */
#ifndef NETSIM_FRAME_H
#define NETSIM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IPV4_HLEN 20
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff
#define UDP_HLEN 8
#define TCP_HLEN 20
#define ICMP_HLEN 8
#define ARP_LEN 28

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_PORT_UNREACH 3 /* code */
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define ARP_REQUEST 1
#define ARP_REPLY 2

/* Addresses are host byte order uint32_t in every API; frames hold network order. */
#define NETSIM_IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

extern const uint8_t netsim_mac_broadcast[ETH_ALEN];

/* What the parser learnt from one frame; offsets are from the frame start. */
struct netsim_pinfo {
    uint16_t ethertype;
    uint16_t l3off;
    /* ARP */
    uint16_t arp_op;
    const uint8_t *arp_sha, *arp_tha;
    /* IPv4 */
    uint8_t ihl, ttl, proto, tos;
    uint16_t ip_len, ip_id, frag; /* frag: flags and offset word */
    uint32_t src, dst;
    /* L4 (only for unfragmented or first fragments with a full header) */
    uint16_t l4off, l4len;
    uint16_t sport, dport; /* TCP/UDP ports; ICMP echo: id in both */
    uint8_t icmp_type, icmp_code;
    uint8_t tcp_flags;
    uint8_t l4_ok; /* 1 when the L4 header was parsed */
};

enum netsim_parse_err {
    NETSIM_PARSE_OK = 0,
    NETSIM_PARSE_RUNT = -1,     /* shorter than a header */
    NETSIM_PARSE_BADLEN = -2,   /* a length field disagrees with the frame */
    NETSIM_PARSE_BADCSUM = -3,  /* IPv4 header checksum */
    NETSIM_PARSE_BADHDR = -4,   /* version, IHL, ARP hardware type ... */
};

/* Parse and validate a frame down to L4. Returns NETSIM_PARSE_OK or a negative
 * netsim_parse_err; fragments and IP options parse with l4_ok = 0 for non-first fragments. */
int netsim_frame_parse(const uint8_t *f, size_t len, struct netsim_pinfo *pi);

static inline uint16_t netsim_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t netsim_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void netsim_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void netsim_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline int netsim_mac_is_group(const uint8_t *mac) { return mac[0] & 1; }

/* One's-complement sum of n bytes added to `sum` (not folded). */
uint32_t netsim_csum_add(uint32_t sum, const void *p, size_t n);
uint16_t netsim_csum_fold(uint32_t sum);
/* Full checksum of a buffer. */
static inline uint16_t netsim_csum(const void *p, size_t n) { return netsim_csum_fold(netsim_csum_add(0, p, n)); }
/* Checksum of a TCP or UDP segment with its IPv4 pseudo-header (RFC 768, RFC 793). */
uint16_t netsim_csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *seg, size_t len);
/* RFC 1624 eqn. 3: update a checksum field in place when a 16- or 32-bit word changes. */
void netsim_csum_replace16(uint8_t *csum, uint16_t old, uint16_t new_);
void netsim_csum_replace32(uint8_t *csum, uint32_t old, uint32_t new_);

/* Builders write into `f` (at least ETH_HLEN + headers) and return the length
 * written. Frames are finished with netsim_frame_* helpers below. */
size_t netsim_eth_write(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type);
size_t netsim_arp_write(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa,
                        const uint8_t *dst_mac, const uint8_t *tha, uint32_t tpa);
/* An IPv4 header at f + ETH_HLEN for a payload of plen bytes, checksum filled. */
void netsim_ipv4_write(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t id,
                       uint8_t ttl, size_t plen);
/* UDP header + payload at `udp`, checksum over the pseudo-header. Returns 8 + plen. */
size_t netsim_udp_write(uint8_t *udp, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        const void *payload, size_t plen);

#endif
