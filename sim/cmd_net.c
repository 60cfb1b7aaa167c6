/* `hvsim net --mode nat|bridge|route [--tap PORT=IFNAME]... [--pcap DIR]
 * [--replay-pcap FILE --port PORT] [--duration TIME] [--seed N]`: builds a
 * preset topology alone. Without --tap or --replay-pcap a simulated guest on
 * vif1.0 runs DHCP, DNS, ping and a TCP GET, as fast as the host allows,
 * deterministic; --replay-pcap plays a capture's frames into a new port at
 * their recorded spacing, deterministic too; with --tap, virtual time is paced to the wall
 * clock so real programs behind the TAPs can take part. Their frames are
 * outside inputs entering at wall-clock-derived virtual times, so a TAP run is
 * not reproducible: that needs them recorded as inputs, which this command does
 * not do yet (the TAP has the record hook). */
#include "cmd_net.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/evq.h"
#include "base/log.h"
#include "netsim/pcap_replay.h"
#include "netsim/preset.h"
#include "netsim/route.h"
#include "netsim/tap.h"
#include "cli.h"
#include "run_stop.h"
#include "world.h"

#define NET_MAX_TAPS 8
#define NET_GUEST_ROUTE_IP NETSIM_IP(192, 168, 1, 50)

static void usage(FILE *out)
{
    fprintf(out, "usage: hvsim net --mode nat|bridge|route [--tap PORT=IFNAME]... [--pcap DIR]\n"
                 "                 [--replay-pcap FILE --port PORT] [--duration TIME] [--seed N]\n"
                 "  --mode       nat: virbr0 192.168.122.1/24 with DHCP, DNS and MASQUERADE to 192.168.1.2\n"
                 "               bridge: xenbr0 bridging vifs and peth0 onto the LAN 192.168.1.0/24\n"
                 "               route: Domain-0 routes vifs to the LAN with proxy ARP\n"
                 "  --tap        add bridge port PORT (e.g. vif9.0) attached to new TAP device IFNAME\n"
                 "  --pcap DIR   write DIR/<bridge>.pcap for each bridge (nanosecond pcap)\n"
                 "  --replay-pcap FILE\n"
                 "               send FILE's frames into new bridge port --port (e.g. vif9.0), the first\n"
                 "               at 100ms, the others at their recorded spacing (instead of the guest)\n"
                 "  --duration   virtual time to run (10s, 500ms ...; default 30s)\n"
                 "  --seed N     seed of the run (default 1)\n");
}


static void print_ip(const char *what, uint32_t ip)
{
    printf("  %-10s %u.%u.%u.%u\n", what, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Virtual time follows the wall clock; TAP frames enter at the virtual time they are read. */
/* Only run_paced (--tap) reads the wall clock (cli_wall_now): the live TAP is the
 * one place it enters netsim, deciding when outside frames arrive (see the file comment). */
static void run_paced(struct world *w, struct netsim_topo *t, struct netsim_tap **taps, int ntaps, vtime_t duration)
{
    struct pollfd pfd[NET_MAX_TAPS];
    double t0 = cli_wall_now();

    for (int i = 0; i < ntaps; i++) {
        pfd[i].fd = taps[i]->fd;
        pfd[i].events = POLLIN;
    }
    while (world_now(w) < duration && !run_stop_signal()) {
        vtime_t next = evq_next(world_queue(w));
        vtime_t wall_v = (vtime_t)((cli_wall_now() - t0) * 1e9);
        int wait_ms = 10;

        if (next != VTIME_NEVER && next > wall_v && (next - wall_v) / VTIME_MS < 10)
            wait_ms = (int)((next - wall_v) / VTIME_MS);
        poll(pfd, (nfds_t)ntaps, wait_ms); /* a signal cuts it short (EINTR) */
        wall_v = (vtime_t)((cli_wall_now() - t0) * 1e9);
        world_run_until(w, wall_v < duration ? wall_v : duration);
        for (int i = 0; i < ntaps; i++)
            netsim_tap_poll(taps[i]);
        /* Captures on disk as they happen (a few ms behind at most), so even a
         * SIGKILL leaves whole pcap records; a paced loop has time for it. */
        for (int i = 0; i < t->npcaps; i++)
            netsim_pcap_flush(t->pcaps[i]);
    }
}

int cmd_net(int argc, char **argv)
{
    static const struct option opts[] = { { "mode", required_argument, 0, 'm' }, { "tap", required_argument, 0, 't' },
                                          { "pcap", required_argument, 0, 'p' },
                                          { "duration", required_argument, 0, 'd' },
                                          { "seed", required_argument, 0, 's' }, { "help", no_argument, 0, 'h' },
                                          { "replay-pcap", required_argument, 0, 'r' },
                                          { "port", required_argument, 0, 'P' },
                                          { 0, 0, 0, 0 } };
    static const uint8_t guest_mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x00, 0x01, 0x01 };
    enum netsim_mode mode = NETSIM_MODE_NAT;
    const char *tap_arg[NET_MAX_TAPS], *pcap_dir = NULL, *replay_path = NULL, *replay_port = NULL;
    struct netsim_pcap_replay *replay = NULL;
    char err[600];
    struct netsim_tap *taps[NET_MAX_TAPS];
    int ntaps = 0, c, status = 0, have_mode = 0;
    vtime_t duration = 30 * VTIME_S;
    uint64_t seed = 1;
    struct world *w;
    struct netsim net;
    struct netsim_topo *t;
    struct netsim_client *guest = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (netsim_mode_parse(optarg, &mode) != HV_OK) {
                fprintf(stderr, "hvsim net: --mode: expected nat, bridge or route, got '%s'\n", optarg);
                return 2;
            }
            have_mode = 1;
            break;
        case 't':
            if (ntaps == NET_MAX_TAPS || !strchr(optarg, '=')) {
                fprintf(stderr, "hvsim net: --tap: expected PORT=IFNAME (at most %d), got '%s'\n", NET_MAX_TAPS, optarg);
                return 2;
            }
            tap_arg[ntaps++] = optarg;
            break;
        case 'p': pcap_dir = optarg; break;
        case 'd':
            if (vtime_parse(optarg, &duration) != HV_OK) {
                fprintf(stderr, "hvsim net: --duration: expected a time such as 10s or 500ms, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'r': replay_path = optarg; break;
        case 'P': replay_port = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!have_mode || optind < argc) {
        usage(stderr);
        return 2;
    }
    if (!replay_path != !replay_port) {
        fprintf(stderr, "hvsim net: --replay-pcap and --port go together (the capture and the port it enters)\n");
        return 2;
    }
    if (replay_path && ntaps) {
        fprintf(stderr, "hvsim net: --replay-pcap: not with --tap (a replay is simulated, a TAP paced)\n");
        return 2;
    }
    if ((ntaps || replay_path) && mode == NETSIM_MODE_ROUTE) {
        fprintf(stderr, "hvsim net: --tap: route mode needs a guest address per port; use nat or bridge\n");
        return 2;
    }
    if (pcap_dir && mkdir(pcap_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "hvsim net: --pcap: cannot create directory %s: %s\n", pcap_dir, strerror(errno));
        return 2;
    }

    /* SIGINT, SIGTERM, SIGHUP: the run ends where it stands, captures closed. */
    run_stop_arm();
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The network alone in a world: its clock is the one machines will share. */
    if (!(w = world_create())) {
        fprintf(stderr, "hvsim net: out of memory\n");
        return 3;
    }
    netsim_init(&net, world_queue(w));
    t = netsim_topo_new(&net, mode, seed);
    if (!t) {
        status = 3;
        goto out_net;
    }
    if (pcap_dir && netsim_topo_capture(t, pcap_dir) != HV_OK) {
        fprintf(stderr, "hvsim net: --pcap: cannot write captures in %s\n", pcap_dir);
        status = 3;
        goto out_topo;
    }
    for (int i = 0; i < ntaps; i++) {
        char port[NETSIM_IFNAMSIZ];
        const char *eq = strchr(tap_arg[i], '=');
        struct netsim_nic_opts o = { .txqueuelen = NETSIM_TXQUEUELEN_DEFAULT };
        snprintf(port, sizeof port, "%.*s", (int)(eq - tap_arg[i]), tap_arg[i]);
        taps[i] = netsim_tap_open(&net, eq + 1);
        if (!taps[i] || netsim_topo_plug(t, port, &taps[i]->port, &o) != HV_OK) {
            fprintf(stderr, "hvsim net: --tap %s: cannot attach the TAP device\n", tap_arg[i]);
            for (int j = 0; j <= i; j++)
                netsim_tap_close(taps[j]);
            status = 3;
            goto out_topo;
        }
        printf("%s: port %s on %s, TAP %s\n", netsim_mode_name(mode), port, t->br->name, taps[i]->ifname);
    }
    if (replay_path) {
        struct netsim_nic_opts o = { .txqueuelen = NETSIM_TXQUEUELEN_DEFAULT };
        replay = netsim_pcap_replay_new(&net, "eth0", replay_path, 100 * VTIME_MS, err, sizeof err);
        if (!replay) {
            fprintf(stderr, "hvsim net: --replay-pcap: %s\n", err);
            status = 2;
            goto out_topo;
        }
        if (netsim_topo_port(t, replay_port) || netsim_topo_plug(t, replay_port, &replay->port, &o) != HV_OK) {
            fprintf(stderr, "hvsim net: --port %s: cannot add that port to %s (taken or not a port name)\n",
                    replay_port, t->br->name);
            status = 2;
            goto out_replay;
        }
        world_run_until(w, duration);
        printf("replay of %s into %s (%s mode): %llu frames sent, %llu dropped, %llu received back\n", replay_path,
               replay_port, netsim_mode_name(mode), (unsigned long long)replay->sent,
               (unsigned long long)replay->dropped, (unsigned long long)replay->received);
        if (replay->done == 0)
            printf("  the capture goes on past --duration: %llu frames read\n",
                   (unsigned long long)replay->rd.record);
        if (replay->done == HV_EIO) {
            fprintf(stderr, "hvsim net: --replay-pcap: %s (the frames before it were sent)\n", replay->err);
            status = 2;
        }
    } else if (ntaps) {
        fflush(stdout);
        run_paced(w, t, taps, ntaps, duration);
    } else {
        struct netsim_nic_opts o = { .ip = NET_GUEST_ROUTE_IP };
        guest = netsim_client_new(&net, "guest1", "eth0", guest_mac, seed, "www." NETSIM_WORLD_ZONE);
        if (!guest || netsim_topo_plug(t, "vif1.0", &guest->h.ifc.port, &o) != HV_OK) {
            status = 3;
            goto out_guest;
        }
        if (mode == NETSIM_MODE_ROUTE)
            netsim_client_set_static(guest, NET_GUEST_ROUTE_IP, 0xffffff00u, NETSIM_ROUTE_MAIN_IP, NETSIM_WORLD_ROUTER);
        netsim_client_start(guest, 100 * VTIME_MS);
        world_run_until(w, duration);
        printf("guest1 on vif1.0 (%s mode): %s at %.3f s\n", netsim_mode_name(mode),
               netsim_client_state_name(guest->state), (double)guest->done_at / 1e9);
        print_ip("address", guest->ip);
        print_ip("gateway", guest->router);
        print_ip("dns", guest->dns);
        print_ip("resolved", guest->resolved);
        printf("  %-10s %d/%d answered\n  %-10s %d %s", "ping", guest->pings_answered, guest->pings_sent, "http",
               guest->http_status, guest->http_body);
        if (guest->state != CLIENT_DONE)
            status = 1;
    }
    printf("\n");
    netsim_topo_print(t, stdout);
    if (t->nat) {
        printf("conntrack (%u entries):\n", t->nat->ct.count);
        netsim_nat_print_conns(t->nat, stdout);
    }
    for (int i = 0; i < ntaps; i++)
        netsim_tap_close(taps[i]);
out_guest:
    netsim_client_free(guest);
out_replay:
    netsim_pcap_replay_free(replay);
out_topo:
    netsim_topo_free(t);
out_net:
    netsim_destroy(&net);
    vtime_t end = world_now(w);
    world_destroy(w);
    if (run_stop_signal())
        return run_stop_report("net", end); /* after the captures are closed */
    return status;
}
