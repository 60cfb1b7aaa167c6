/* Tests for the DNS server: A and PTR from records and leases, NXDOMAIN in the
 * zone, REFUSED outside it, forwarding and relaying, malformed queries, name
 * compression in the parser. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <string.h>

#include "base/evq.h"
#include "netsim/dns.h"
#include "nstest.h"

static struct evq q;
static struct netsim net;
static struct netsim_host srv, cli;
static struct netsim_dns_server *dns;
static struct netsim_dns_msg last;
static uint8_t last_raw[600];
static size_t last_len;
static int replies;

static const uint8_t SMAC[6] = { 0x02, 0, 0, 0, 0, 1 }, CMAC[6] = { 0x02, 0, 0, 0, 0, 2 };

static void on_reply(void *o, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     const uint8_t *d, size_t n)
{
    cr_assert_eq(netsim_dns_parse(d, n, &last), 0);
    memcpy(last_raw, d, n);
    last_len = n;
    replies++;
}

static void setup(void)
{
    evq_init(&q);
    netsim_init(&net, &q);
    netsim_host_init(&srv, &net, "srv", "eth0", SMAC, 1);
    netsim_host_init(&cli, &net, "cli", "eth0", CMAC, 2);
    netsim_iface_set_addr(&srv.ifc, NETSIM_IP(10, 0, 0, 1), 0xffffff00u, 0);
    netsim_iface_set_addr(&cli.ifc, NETSIM_IP(10, 0, 0, 2), 0xffffff00u, 0);
    netsim_link_connect(&srv.ifc.port, &cli.ifc.port, NULL);
    dns = netsim_dns_server_new(&srv, "example.test");
    netsim_dns_add_record(dns, "www.example.test", NETSIM_IP(192, 168, 1, 10));
    netsim_host_udp_bind(&cli, 5353, on_reply, NULL);
    replies = 0;
}

static void teardown(void)
{
    netsim_dns_server_free(dns);
    netsim_host_fini(&srv);
    netsim_host_fini(&cli);
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(dns, .init = setup, .fini = teardown);

static void ask(const char *name, uint16_t type)
{
    uint8_t b[512];
    size_t n = netsim_dns_build_query(b, 77, name, type);
    cr_assert(n > 0);
    netsim_host_udp_send(&cli, 5353, NETSIM_IP(10, 0, 0, 1), DNS_PORT, b, n);
    evq_run_until(&q, q.now + VTIME_MS);
}

Test(dns, answers_a_ptr_nxdomain_refused)
{
    ask("WWW.Example.Test", DNS_TYPE_A);
    cr_assert_eq(replies, 1);
    cr_assert_eq(last.id, 77);
    cr_assert_eq(last.flags & 15, DNS_RCODE_NOERROR);
    cr_assert_eq(last.first_a, NETSIM_IP(192, 168, 1, 10));
    ask("10.1.168.192.in-addr.arpa", DNS_TYPE_PTR);
    cr_assert_eq(last.ancount, 1);
    cr_assert(memmem(last_raw, last_len, "\3www\7example\4test", 18) != NULL);
    ask("nope.example.test", DNS_TYPE_A);
    cr_assert_eq(last.flags & 15, DNS_RCODE_NXDOMAIN);
    cr_assert_eq(last.ancount, 0);
    ask("www.elsewhere.org", DNS_TYPE_A);
    cr_assert_eq(last.flags & 15, DNS_RCODE_REFUSED);
    cr_assert_eq(dns->nxdomain, 1);
}

Test(dns, names_from_dhcp_leases)
{
    struct netsim_dhcp_config dc = { .pool_lo = NETSIM_IP(10, 0, 0, 100), .pool_hi = NETSIM_IP(10, 0, 0, 110),
                                     .mask = 0xffffff00u };
    struct netsim_dhcp_server *d = netsim_dhcp_server_new(&srv, &dc);
    static const uint8_t mac[6] = { 0, 0x16, 0x3e, 1, 2, 3 };

    netsim_dhcp_add_static(d, mac, NETSIM_IP(10, 0, 0, 105), "guest9");
    netsim_dns_use_dhcp(dns, d, "hvsim.lan");
    ask("guest9", DNS_TYPE_A);
    cr_assert_eq(last.first_a, NETSIM_IP(10, 0, 0, 105));
    ask("guest9.hvsim.lan", DNS_TYPE_A);
    cr_assert_eq(last.first_a, NETSIM_IP(10, 0, 0, 105));
    ask("105.0.0.10.in-addr.arpa", DNS_TYPE_PTR);
    cr_assert(memmem(last_raw, last_len, "\6guest9\5hvsim\3lan", 17) != NULL);
    ask("other.hvsim.lan", DNS_TYPE_A);
    cr_assert_eq(last.flags & 15, DNS_RCODE_NXDOMAIN);
    netsim_dhcp_server_free(d);
}

Test(dns, malformed_queries_are_counted)
{
    uint8_t b[64] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12 }; /* a pointer to itself */
    netsim_host_udp_send(&cli, 5353, NETSIM_IP(10, 0, 0, 1), DNS_PORT, b, 18);
    b[12] = 60; /* a label running past the end */
    netsim_host_udp_send(&cli, 5353, NETSIM_IP(10, 0, 0, 1), DNS_PORT, b, 18);
    netsim_host_udp_send(&cli, 5353, NETSIM_IP(10, 0, 0, 1), DNS_PORT, b, 5);
    evq_run_until(&q, VTIME_MS);
    cr_assert_eq(dns->bad, 3);
    cr_assert_eq(replies, 0);
}

Test(dns, parser_follows_compression)
{
    /* A response whose answer name is a pointer to the question. */
    static const uint8_t r[] = { 0, 9, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 1, 'b', 0, 0, 1, 0, 1,
                                 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
    struct netsim_dns_msg m;
    cr_assert_eq(netsim_dns_parse(r, sizeof r, &m), 0);
    cr_assert_str_eq(m.qname, "a.b");
    cr_assert_eq(m.first_a, NETSIM_IP(1, 2, 3, 4));
    cr_assert_neq(netsim_dns_parse(r, sizeof r - 1, &m), 0);
}
