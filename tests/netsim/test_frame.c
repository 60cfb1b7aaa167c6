/* Tests for the frame parser and checksums: valid frames, every malformation
 * class (truncation, bad lengths, bad checksum, fragments, options). */
#include <criterion/criterion.h>

#include "netsim/frame.h"
#include "nstest.h"

static const uint8_t A[6] = { 0x00, 0x16, 0x3e, 0, 0, 1 }, B[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };

Test(frame, parses_udp)
{
    uint8_t f[100];
    struct netsim_pinfo pi;
    size_t n = make_udp(f, 100, A, B, NETSIM_IP(10, 0, 0, 1), NETSIM_IP(10, 0, 0, 2), 1234, 53);

    cr_assert_eq(netsim_frame_parse(f, n, &pi), NETSIM_PARSE_OK);
    cr_assert_eq(pi.ethertype, ETHERTYPE_IPV4);
    cr_assert_eq(pi.proto, IP_PROTO_UDP);
    cr_assert_eq(pi.src, NETSIM_IP(10, 0, 0, 1));
    cr_assert_eq(pi.dst, NETSIM_IP(10, 0, 0, 2));
    cr_assert_eq(pi.sport, 1234);
    cr_assert_eq(pi.dport, 53);
    cr_assert(pi.l4_ok);
    cr_assert_eq(netsim_csum_l4(pi.src, pi.dst, IP_PROTO_UDP, f + pi.l4off, pi.l4len), 0);
}

Test(frame, rejects_malformed)
{
    uint8_t f[100];
    struct netsim_pinfo pi;

    make_udp(f, 100, A, B, 1, 2, 3, 4);
    cr_assert_eq(netsim_frame_parse(f, 10, &pi), NETSIM_PARSE_RUNT);
    cr_assert_eq(netsim_frame_parse(f, 30, &pi), NETSIM_PARSE_RUNT);
    cr_assert_eq(netsim_frame_parse(f, 60, &pi), NETSIM_PARSE_BADLEN); /* truncated IP */
    f[ETH_HLEN + 8]--;                                                  /* TTL without checksum fix */
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), NETSIM_PARSE_BADCSUM);
    f[ETH_HLEN + 8]++;
    f[ETH_HLEN] = 0x44; /* IHL 4 */
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), NETSIM_PARSE_BADHDR);
    f[ETH_HLEN] = 0x65; /* version 6 */
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), NETSIM_PARSE_BADHDR);
}

Test(frame, udp_length_beyond_ip_is_not_l4)
{
    uint8_t f[100];
    struct netsim_pinfo pi;

    make_udp(f, 100, A, B, 1, 2, 3, 4);
    netsim_put16(f + 34 + 4, 200);
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), NETSIM_PARSE_OK);
    cr_assert_not(pi.l4_ok);
}

Test(frame, fragments_and_options)
{
    uint8_t f[120], g[124];
    struct netsim_pinfo pi;

    make_udp(f, 100, A, B, 1, 2, 3, 4);
    netsim_csum_replace16(f + ETH_HLEN + 10, netsim_get16(f + ETH_HLEN + 6), IPV4_MF);
    netsim_put16(f + ETH_HLEN + 6, IPV4_MF);
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), NETSIM_PARSE_OK);
    cr_assert_eq(pi.frag & IPV4_MF, IPV4_MF);
    cr_assert_not(pi.l4_ok);

    /* An IPv4 header with 4 bytes of options (a NOP-padded end of list). */
    make_udp(f, 100, A, B, 1, 2, 3, 4);
    memcpy(g, f, 34);
    memset(g + 34, 1, 3);
    g[37] = 0;
    memcpy(g + 38, f + 34, 66);
    g[ETH_HLEN] = 0x46;
    netsim_put16(g + ETH_HLEN + 2, 24 + 66);
    netsim_put16(g + ETH_HLEN + 10, 0);
    netsim_put16(g + ETH_HLEN + 10, netsim_csum(g + ETH_HLEN, 24));
    cr_assert_eq(netsim_frame_parse(g, 104, &pi), NETSIM_PARSE_OK);
    cr_assert_eq(pi.ihl, 24);
    cr_assert_eq(pi.l4off, 38);
    cr_assert_eq(pi.dport, 4);
}

Test(frame, arp)
{
    uint8_t f[60];
    struct netsim_pinfo pi;
    size_t n = netsim_arp_write(f, ARP_REQUEST, A, NETSIM_IP(192, 168, 1, 5), netsim_mac_broadcast,
                                (const uint8_t[6]){ 0 }, NETSIM_IP(192, 168, 1, 1));

    cr_assert_eq(n, 42);
    cr_assert_eq(netsim_frame_parse(f, n, &pi), 0);
    cr_assert_eq(pi.arp_op, ARP_REQUEST);
    cr_assert_eq(pi.src, NETSIM_IP(192, 168, 1, 5));
    cr_assert_eq(pi.dst, NETSIM_IP(192, 168, 1, 1));
    cr_assert_arr_eq(pi.arp_sha, A, 6);
    cr_assert_eq(netsim_frame_parse(f, 40, &pi), NETSIM_PARSE_RUNT);
    f[ETH_HLEN + 4] = 8;
    cr_assert_eq(netsim_frame_parse(f, n, &pi), NETSIM_PARSE_BADHDR);
}

Test(frame, incremental_checksum_matches_full)
{
    uint8_t f[100];
    struct netsim_pinfo pi;
    uint8_t *ip = f + ETH_HLEN, *udp = ip + IPV4_HLEN;
    uint32_t nsrc = NETSIM_IP(192, 168, 1, 2);

    make_udp(f, 100, A, B, NETSIM_IP(192, 168, 122, 10), NETSIM_IP(8, 8, 8, 8), 5000, 53);
    /* Rewrite the source address and port as MASQUERADE does. */
    netsim_csum_replace32(ip + 10, netsim_get32(ip + 12), nsrc);
    netsim_csum_replace32(udp + 6, netsim_get32(ip + 12), nsrc);
    netsim_csum_replace16(udp + 6, 5000, 1024);
    netsim_put32(ip + 12, nsrc);
    netsim_put16(udp, 1024);
    cr_assert_eq(netsim_frame_parse(f, 100, &pi), 0);
    cr_assert_eq(netsim_csum_l4(pi.src, pi.dst, IP_PROTO_UDP, udp, pi.l4len), 0);
}
