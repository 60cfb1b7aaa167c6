/* End to end through the NAT preset: a client on vif1.0 does DHCP, DNS through
 * the forwarder, three pings and a TCP GET to the outside server; the test checks
 * the lease, the translations, conntrack, and both captures with tshark. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "base/evq.h"
#include "netsim/preset.h"
#include "nstest.h"

static const uint8_t CMAC[6] = { 0x00, 0x16, 0x3e, 0x5a, 0x00, 0x01 };

struct run {
    struct evq q;
    struct netsim net;
    struct netsim_topo *t;
    struct netsim_client *c;
};

static void run_start(struct run *r, const char *pcap_dir)
{
    evq_init(&r->q);
    netsim_init(&r->net, &r->q);
    r->t = netsim_topo_new(&r->net, NETSIM_MODE_NAT, 42);
    cr_assert_not_null(r->t);
    if (pcap_dir)
        cr_assert_eq(netsim_topo_capture(r->t, pcap_dir), 0);
    r->c = netsim_client_new(&r->net, "guest1", "eth0", CMAC, 7, "www.example.test");
    cr_assert_eq(netsim_topo_plug(r->t, "vif1.0", &r->c->h.ifc.port, NULL), 0);
    netsim_client_start(r->c, 100 * VTIME_MS);
    evq_run_until(&r->q, 30 * VTIME_S);
}

static void run_end(struct run *r)
{
    netsim_client_free(r->c);
    netsim_topo_free(r->t);
    netsim_destroy(&r->net);
    evq_destroy(&r->q);
}

Test(nat, client_gets_lease_resolves_pings_and_fetches)
{
    struct run r;
    struct netsim_nat *nat;
    struct netsim_tcp_conn *srv = NULL;

    run_start(&r, ".");
    nat = r.t->nat;
    cr_assert_eq(r.c->state, CLIENT_DONE, "client stopped in %s", netsim_client_state_name(r.c->state));
    cr_assert_eq(r.c->ip, NETSIM_IP(192, 168, 122, 2), "lowest free address of the pool");
    cr_assert_eq(r.c->mask, 0xffffff00u);
    cr_assert_eq(r.c->router, NETSIM_IP(192, 168, 122, 1));
    cr_assert_eq(r.c->dns, NETSIM_IP(192, 168, 122, 1));
    cr_assert_eq(r.c->lease_s, 3600);
    cr_assert_eq(r.c->resolved, NETSIM_WORLD_SERVER);
    cr_assert_eq(r.c->pings_answered, 3);
    cr_assert_eq(r.c->http_status, 200);
    cr_assert_str_eq(r.c->http_body, "hello from www\n");
    /* The forwarder asked the outside authority once, and the client's name was registered. */
    cr_assert_eq(nat->dns->forwarded, 1);
    cr_assert_eq(nat->dns->relayed, 1);
    cr_assert_eq(netsim_dhcp_lookup_name(nat->dhcp, "guest1"), NETSIM_IP(192, 168, 122, 2));
    /* The server saw the connection from the uplink address, never the private one. */
    for (int i = 0; i < NETSIM_TCP_CONNS; i++)
        if (r.t->world->server.tcp[i].rport)
            srv = &r.t->world->server.tcp[i];
    cr_assert_not_null(srv);
    cr_assert_eq(srv->rip, NETSIM_IP(192, 168, 1, 2));
    cr_assert_eq(r.t->world->server.echo_answered, 3);
    /* conntrack: ICMP, the TCP connection and DNS (from the router itself, untracked). */
    cr_assert_eq(nat->ct.count, 2);
    cr_assert_eq(r.t->world->server.ifc.port.st.rx_errors, 0);
    cr_assert_eq(r.net.malformed, 0);
    run_end(&r);

    char *out = tshark_run("lan0.pcap", "-Y 'ip.addr==192.168.122.0/24' -e frame.number");
    cr_assert_not_null(out);
    cr_assert_str_eq(out, "", "private addresses leaked to the uplink");
    free(out);
    out = tshark_run("virbr0.pcap", "-Y dhcp -e dhcp.option.dhcp");
    cr_assert_not_null(out);
    cr_assert_str_eq(out, "1\n2\n3\n5\n", "DISCOVER OFFER REQUEST ACK, got %s", out);
    free(out);
    out = tshark_run("lan0.pcap", "-Y 'http.response.code==200' -e ip.dst -e tcp.dstport");
    cr_assert_not_null(out);
    cr_assert(!strncmp(out, "192.168.1.2,", 12), "%s", out);
    free(out);
    out = tshark_run("virbr0.pcap", "-Y 'dns.flags.response==1' -e dns.a");
    cr_assert_str_eq(out, "192.168.1.10\n");
    free(out);
    cr_assert_eq(tshark_bad("virbr0.pcap"), 0);
    cr_assert_eq(tshark_bad("lan0.pcap"), 0);
}

/* The capture of the scenario is pinned by golden files: any change to what goes
 * on the wire shows up here. Regenerate with HVSIM_UPDATE_GOLDEN=1 after an
 * intended change (and check the new capture with tshark). */
static void check_golden(const char *got, const char *name)
{
    char path[1024], cmd[2200];
    size_t n1, n2;
    uint8_t *a, *b;

    snprintf(path, sizeof path, "%s/%s", NETSIM_GOLDEN_DIR, name);
    if (getenv("HVSIM_UPDATE_GOLDEN")) {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", got, path);
        cr_assert_eq(system(cmd), 0);
    }
    a = slurp(got, &n1);
    b = slurp(path, &n2);
    cr_assert_not_null(b, "missing golden file %s", path);
    cr_assert(n1 == n2 && !memcmp(a, b, n1), "%s differs from golden %s", got, path);
    free(a);
    free(b);
}

Test(nat, capture_matches_golden)
{
    struct run r;

    cr_assert_eq(system("mkdir -p nat_golden"), 0);
    run_start(&r, "nat_golden");
    run_end(&r);
    check_golden("nat_golden/virbr0.pcap", "nat_virbr0.pcap");
    check_golden("nat_golden/lan0.pcap", "nat_lan0.pcap");
}

Test(nat, captures_are_byte_identical_across_runs)
{
    struct run r;
    size_t n1, n2, m1, m2;
    uint8_t *a, *b, *c, *d;

    cr_assert_eq(system("mkdir -p nat_r1 nat_r2"), 0);
    run_start(&r, "nat_r1");
    run_end(&r);
    run_start(&r, "nat_r2");
    run_end(&r);
    a = slurp("nat_r1/virbr0.pcap", &n1);
    b = slurp("nat_r2/virbr0.pcap", &n2);
    c = slurp("nat_r1/lan0.pcap", &m1);
    d = slurp("nat_r2/lan0.pcap", &m2);
    cr_assert(n1 > 1000 && m1 > 1000);
    cr_assert(n1 == n2 && !memcmp(a, b, n1));
    cr_assert(m1 == m2 && !memcmp(c, d, m1));
    free(a);
    free(b);
    free(c);
    free(d);
}
