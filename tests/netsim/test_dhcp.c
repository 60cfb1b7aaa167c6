/* Tests for the DHCP server: the four-message exchange, deterministic choice,
 * static hosts, requested addresses, NAK, RELEASE, DECLINE, INFORM, malformed input. */
#include <criterion/criterion.h>

#include <string.h>

#include "base/evq.h"
#include "netsim/dhcp.h"
#include "nstest.h"

static struct evq q;
static struct netsim net;
static struct netsim_host srv, cli;
static struct netsim_dhcp_server *dhcp;
static struct netsim_dhcp_msg last;
static int replies;

static const uint8_t SMAC[6] = { 0x52, 0x54, 0, 0x12, 0x34, 1 };
static const uint8_t CMAC[6] = { 0x00, 0x16, 0x3e, 0, 0, 1 }, C2[6] = { 0x00, 0x16, 0x3e, 0, 0, 2 };

static void on_reply(void *o, struct netsim_host *h, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     const uint8_t *d, size_t n)
{
    cr_assert_eq(netsim_dhcp_parse(d, n, &last), 0);
    replies++;
}

static void setup(void)
{
    struct netsim_dhcp_config dc = { .pool_lo = NETSIM_IP(192, 168, 122, 2), .pool_hi = NETSIM_IP(192, 168, 122, 254),
                                     .mask = 0xffffff00u, .router = NETSIM_IP(192, 168, 122, 1),
                                     .dns = NETSIM_IP(192, 168, 122, 1), .domain = "hvsim.lan" };
    evq_init(&q);
    netsim_init(&net, &q);
    netsim_host_init(&srv, &net, "srv", "virbr0", SMAC, 1);
    netsim_host_init(&cli, &net, "cli", "eth0", CMAC, 2);
    netsim_iface_set_addr(&srv.ifc, NETSIM_IP(192, 168, 122, 1), 0xffffff00u, 0);
    netsim_link_connect(&srv.ifc.port, &cli.ifc.port, NULL);
    dhcp = netsim_dhcp_server_new(&srv, &dc);
    cr_assert_not_null(dhcp);
    netsim_host_udp_bind(&cli, DHCP_CLIENT_PORT, on_reply, NULL);
    replies = 0;
}

static void teardown(void)
{
    netsim_dhcp_server_free(dhcp);
    netsim_host_fini(&srv);
    netsim_host_fini(&cli);
    netsim_destroy(&net);
    evq_destroy(&q);
}

TestSuite(dhcp, .init = setup, .fini = teardown);

static void send_msg(const uint8_t *mac, uint8_t type, uint32_t req_ip, uint32_t server_id, uint32_t ciaddr,
                     const char *name)
{
    struct netsim_dhcp_msg m = { .op = 1, .xid = 0x1234, .type = type, .req_ip = req_ip,
                                 .server_id = server_id, .ciaddr = ciaddr };
    uint8_t buf[600];

    memcpy(m.chaddr, mac, 6);
    if (name)
        snprintf(m.hostname, sizeof m.hostname, "%s", name);
    netsim_host_udp_send(&cli, DHCP_CLIENT_PORT, 0xffffffffu, DHCP_SERVER_PORT, buf, netsim_dhcp_build(&m, buf));
    evq_run_until(&q, q.now + VTIME_MS);
}

static const uint32_t SID = NETSIM_IP(192, 168, 122, 1);

Test(dhcp, discover_offer_request_ack)
{
    send_msg(CMAC, DHCPDISCOVER, 0, 0, 0, NULL);
    cr_assert_eq(replies, 1);
    cr_assert_eq(last.type, DHCPOFFER);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 2));
    cr_assert_eq(last.server_id, SID);
    cr_assert_eq(last.lease, 3600);
    cr_assert_eq(last.mask, 0xffffff00u);
    cr_assert_eq(last.router, SID);
    cr_assert_eq(last.dns, SID);
    cr_assert_str_eq(last.domain, "hvsim.lan");
    send_msg(CMAC, DHCPREQUEST, last.yiaddr, SID, 0, "alpha");
    cr_assert_eq(last.type, DHCPACK);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 2));
    cr_assert_eq(netsim_dhcp_lookup_name(dhcp, "alpha"), NETSIM_IP(192, 168, 122, 2));
    cr_assert_str_eq(netsim_dhcp_lookup_addr(dhcp, NETSIM_IP(192, 168, 122, 2)), "alpha");
    /* A second client gets the next address; the first keeps its own on rediscover. */
    send_msg(C2, DHCPDISCOVER, 0, 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 3));
    send_msg(CMAC, DHCPDISCOVER, 0, 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 2));
}

Test(dhcp, requested_address_and_static_host)
{
    netsim_dhcp_add_static(dhcp, C2, NETSIM_IP(192, 168, 122, 50), "fixed");
    send_msg(CMAC, DHCPDISCOVER, NETSIM_IP(192, 168, 122, 77), 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 77));
    send_msg(C2, DHCPDISCOVER, NETSIM_IP(192, 168, 122, 77), 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 50));
    cr_assert_eq(netsim_dhcp_lookup_name(dhcp, "fixed"), NETSIM_IP(192, 168, 122, 50));
    /* Nobody else gets the static address even when asking for it. */
    send_msg(CMAC, DHCPREQUEST, NETSIM_IP(192, 168, 122, 50), SID, 0, NULL);
    cr_assert_eq(last.type, DHCPNAK);
}

Test(dhcp, nak_for_taken_address_and_lease_expiry)
{
    send_msg(CMAC, DHCPDISCOVER, 0, 0, 0, NULL);
    send_msg(CMAC, DHCPREQUEST, NETSIM_IP(192, 168, 122, 2), SID, 0, NULL);
    cr_assert_eq(last.type, DHCPACK);
    send_msg(C2, DHCPREQUEST, NETSIM_IP(192, 168, 122, 2), SID, 0, NULL);
    cr_assert_eq(last.type, DHCPNAK);
    send_msg(C2, DHCPREQUEST, NETSIM_IP(10, 0, 0, 5), SID, 0, NULL);
    cr_assert_eq(last.type, DHCPNAK, "outside the pool");
    /* After the hour the address can go to someone else. */
    evq_run_until(&q, q.now + 3601 * VTIME_S);
    send_msg(C2, DHCPREQUEST, NETSIM_IP(192, 168, 122, 2), SID, 0, NULL);
    cr_assert_eq(last.type, DHCPACK);
}

Test(dhcp, request_for_other_server_is_ignored)
{
    send_msg(CMAC, DHCPDISCOVER, 0, 0, 0, NULL);
    send_msg(CMAC, DHCPREQUEST, NETSIM_IP(192, 168, 122, 2), NETSIM_IP(192, 168, 122, 99), 0, NULL);
    cr_assert_eq(replies, 1);
}

Test(dhcp, release_and_decline)
{
    send_msg(CMAC, DHCPDISCOVER, 0, 0, 0, NULL);
    send_msg(CMAC, DHCPREQUEST, NETSIM_IP(192, 168, 122, 2), SID, 0, "alpha");
    send_msg(CMAC, DHCPRELEASE, 0, SID, NETSIM_IP(192, 168, 122, 2), NULL);
    cr_assert_eq(netsim_dhcp_lookup_name(dhcp, "alpha"), 0);
    send_msg(C2, DHCPDISCOVER, 0, 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 2), "released address is free again");
    send_msg(C2, DHCPDECLINE, NETSIM_IP(192, 168, 122, 2), SID, 0, NULL);
    send_msg(C2, DHCPDISCOVER, 0, 0, 0, NULL);
    cr_assert_eq(last.yiaddr, NETSIM_IP(192, 168, 122, 3), "declined address is avoided");
}

Test(dhcp, inform_gets_options_without_lease)
{
    netsim_iface_set_addr(&cli.ifc, NETSIM_IP(192, 168, 122, 200), 0xffffff00u, 0);
    send_msg(CMAC, DHCPINFORM, 0, 0, NETSIM_IP(192, 168, 122, 200), NULL);
    cr_assert_eq(last.type, DHCPACK);
    cr_assert_eq(last.lease, 0);
    cr_assert_eq(last.yiaddr, 0);
    cr_assert_eq(last.dns, SID);
}

Test(dhcp, malformed_messages_are_counted)
{
    uint8_t junk[300] = { 1, 1, 6 };
    netsim_host_udp_send(&cli, DHCP_CLIENT_PORT, 0xffffffffu, DHCP_SERVER_PORT, junk, sizeof junk);
    /* Valid cookie, but an option running past the end. */
    netsim_put32(junk + 236, DHCP_MAGIC);
    junk[240] = 53;
    junk[241] = 200;
    netsim_host_udp_send(&cli, DHCP_CLIENT_PORT, 0xffffffffu, DHCP_SERVER_PORT, junk, 243);
    evq_run_until(&q, VTIME_MS);
    cr_assert_eq(dhcp->bad, 2);
    cr_assert_eq(replies, 0);
}
