/* The presets end to end: a simulated guest in bridge mode (DHCP from the LAN's
 * router) and in route mode (static address, proxy ARP), the NIC seam, and
 * byte-identical captures from two runs. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "base/evq.h"
#include "netsim/preset.h"
#include "netsim/route.h"
#include "nstest.h"

static const uint8_t GMAC[6] = { 0x00, 0x16, 0x3e, 0x00, 0x02, 0x01 };

struct run {
    struct evq q;
    struct netsim net;
    struct netsim_topo *t;
    struct netsim_client *c;
};

static void run(struct run *r, enum netsim_mode mode, const char *dir)
{
    struct netsim_nic_opts o = { .ip = NETSIM_IP(192, 168, 1, 50) };

    evq_init(&r->q);
    netsim_init(&r->net, &r->q);
    r->t = netsim_topo_new(&r->net, mode, 9);
    cr_assert_not_null(r->t);
    if (dir) {
        cr_assert_eq(system(dir[0] ? "mkdir -p preset_a preset_b preset_br" : "true"), 0);
        cr_assert_eq(netsim_topo_capture(r->t, dir), 0);
    }
    r->c = netsim_client_new(&r->net, "guest2", "eth0", GMAC, 5, "www.example.test");
    cr_assert_eq(netsim_topo_plug(r->t, "vif2.0", &r->c->h.ifc.port, &o), 0);
    if (mode == NETSIM_MODE_ROUTE)
        netsim_client_set_static(r->c, o.ip, 0xffffff00u, NETSIM_ROUTE_MAIN_IP, NETSIM_WORLD_ROUTER);
    netsim_client_start(r->c, 10 * VTIME_MS);
    evq_run_until(&r->q, 20 * VTIME_S);
}

static void done(struct run *r)
{
    netsim_client_free(r->c);
    netsim_topo_free(r->t);
    netsim_destroy(&r->net);
    evq_destroy(&r->q);
}

Test(preset, bridge_mode_guest_is_on_the_lan)
{
    struct run r;

    run(&r, NETSIM_MODE_BRIDGE, "preset_br");
    cr_assert_eq(r.c->state, CLIENT_DONE, "%s", netsim_client_state_name(r.c->state));
    cr_assert_eq(r.c->ip, NETSIM_IP(192, 168, 1, 100), "lease from the LAN's DHCP server");
    cr_assert_eq(r.c->router, NETSIM_WORLD_ROUTER);
    cr_assert_eq(r.c->pings_answered, 3);
    cr_assert_eq(r.c->http_status, 200);
    cr_assert_str_eq(netsim_dhcp_lookup_addr(r.t->world->dhcp, r.c->ip), "guest2");
    cr_assert_eq(netsim_bridge_fdb_lookup(r.t->br, GMAC), netsim_topo_port(r.t, "vif2.0")->index);
    cr_assert_eq(netsim_topo_port(r.t, "vif2.0")->txqueuelen, NETSIM_TXQUEUELEN_VIF);
    done(&r);
    char *out = tshark_run("preset_br/lan0.pcap", "-Y 'ip.src==192.168.1.100 && http' -e http.request.method");
    cr_assert_str_eq(out, "GET\n", "the guest's own address on the LAN: %s", out);
    free(out);
    cr_assert_eq(tshark_bad("preset_br/xenbr0.pcap"), 0);
    cr_assert_eq(tshark_bad("preset_br/lan0.pcap"), 0);
}

Test(preset, route_mode_uses_proxy_arp)
{
    struct run r;
    uint8_t *a, *b;
    size_t na, nb;

    run(&r, NETSIM_MODE_ROUTE, "preset_a");
    cr_assert_eq(r.c->state, CLIENT_DONE, "%s", netsim_client_state_name(r.c->state));
    cr_assert_eq(r.c->pings_answered, 3);
    cr_assert_eq(r.c->http_status, 200);
    cr_assert_geq(r.t->route->forwarded, 10);
    /* The LAN resolved the guest's address to Domain-0's MAC, and the guest
     * resolved its gateway to the vif's FE:FF:FF:FF:FF:FF. */
    cr_assert_geq(r.t->route->up.ifc.arp_answered, 1);
    cr_assert_geq(r.t->route->vifs[0]->ifc.arp_answered, 1);
    cr_assert_arr_eq(netsim_arp_lookup(&r.t->world->server.ifc, NETSIM_IP(192, 168, 1, 50)), r.t->route->up.ifc.mac, 6);
    done(&r);
    cr_assert_eq(tshark_bad("preset_a/route.pcap"), 0);
    char *out = tshark_run("preset_a/lan0.pcap", "-Y 'arp.opcode==2 && arp.src.proto_ipv4==192.168.1.50' -e arp.src.hw_mac");
    cr_assert(out && !strncmp(out, "00:16:3e:00:00:02", 17), "%s", out);
    free(out);
    a = slurp("preset_a/route.pcap", &na);
    run(&r, NETSIM_MODE_ROUTE, "preset_b");
    done(&r);
    b = slurp("preset_b/route.pcap", &nb);
    cr_assert(na > 1000 && na == nb && !memcmp(a, b, na), "route captures differ between runs");
    free(a);
    free(b);
}

static int nic_frames;
static uint8_t nic_last[64];
static void nic_rx(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    nic_frames++;
    memcpy(nic_last, frame, len < 64 ? len : 64);
}

Test(preset, nic_seam_sends_and_receives)
{
    struct evq q;
    struct netsim net;
    struct netsim_topo *t;
    struct netsim_port *fe;
    struct netsim_pinfo pi;
    uint8_t f[64];
    static const uint8_t zero[6];

    evq_init(&q);
    netsim_init(&net, &q);
    t = netsim_topo_new(&net, NETSIM_MODE_NAT, 1);
    fe = netsim_topo_attach_nic(t, "vif3.0", GMAC, nic_rx, NULL, NULL);
    cr_assert_not_null(fe);
    cr_assert_not_null(netsim_topo_port(t, "vif3.0"));
    netsim_arp_write(f, ARP_REQUEST, GMAC, NETSIM_IP(192, 168, 122, 9), netsim_mac_broadcast, zero,
                     NETSIM_IP(192, 168, 122, 1));
    cr_assert_eq(netsim_port_send(fe, f, 42), 0);
    evq_run_until(&q, VTIME_S);
    cr_assert_eq(nic_frames, 1);
    cr_assert_eq(netsim_frame_parse(nic_last, 60, &pi), 0);
    cr_assert_eq(pi.arp_op, ARP_REPLY);
    cr_assert_eq(pi.src, NETSIM_IP(192, 168, 122, 1));
    cr_assert_eq(netsim_topo_port(t, "vif3.0")->st.tx_packets, 1);
    netsim_topo_free(t);
    netsim_destroy(&net);
    evq_destroy(&q);
}
