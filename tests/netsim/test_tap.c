/* A real Linux DHCP client (isc-dhcp-client's dhclient) in a network namespace
 * gets a lease from the simulated NAT's DHCP server through a TAP, then pings
 * the router and, through MASQUERADE, the outside server. Skipped, saying why,
 * where namespaces, TAP devices or dhclient are not available. Virtual time is
 * paced to the wall clock here, in the test, as `hvsim net --tap` does. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include "base/evq.h"
#include "netsim/preset.h"
#include "netsim/tap.h"
#include "nstest.h"

static char ns[32], ifname[16], dir[512];

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn(const char *cmd)
{
    pid_t p = fork();
    if (p == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return p;
}

/* Run the network in step with the wall clock until the child exits; its status. */
static int run_with(struct evq *q, struct netsim_tap *tap, const char *cmd, double limit_s)
{
    struct pollfd pfd = { .fd = tap->fd, .events = POLLIN };
    double t0 = wall() - (double)q->now / 1e9;
    pid_t child = spawn(cmd);
    int st = -1;

    for (;;) {
        pid_t r = waitpid(child, &st, WNOHANG);
        if (r == child)
            break;
        if (wall() - t0 - (double)q->now / 1e9 > limit_s) {
            kill(child, SIGKILL);
            waitpid(child, &st, 0);
            return -1;
        }
        poll(&pfd, 1, 5);
        evq_run_until(q, (vtime_t)((wall() - t0) * 1e9));
        netsim_tap_poll(tap);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int can_run(void)
{
    char cmd[128];

    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
        return 0;
    if (system("command -v dhclient >/dev/null 2>&1 && command -v ping >/dev/null 2>&1") != 0)
        return 0;
    snprintf(cmd, sizeof cmd, "ip netns add %s-probe 2>/dev/null && ip netns del %s-probe", ns, ns);
    return system(cmd) == 0;
}

Test(tap, dhclient_in_namespace_gets_a_lease_and_pings, .timeout = 240)
{
    struct evq q;
    struct netsim net;
    struct netsim_topo *t;
    struct netsim_tap *tap;
    struct netsim_nic_opts o = { .txqueuelen = 1000 };
    char cmd[4096], *out;
    int rc;
    uint32_t leased = 0;

    snprintf(ns, sizeof ns, "hvsimns%d", (int)getpid());
    snprintf(ifname, sizeof ifname, "hvtap%d", (int)getpid() % 100000);
    {
        char cwd[400];
        /* dhclient wants absolute paths for its files. */
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
        snprintf(dir, sizeof dir, "%s/tap_%d", cwd, (int)getpid());
    }
    if (!can_run()) {
        cr_skip_test("needs root, /dev/net/tun, ip netns, dhclient and ping (apt install isc-dhcp-client)");
        return;
    }
    evq_init(&q);
    netsim_init(&net, &q);
    t = netsim_topo_new(&net, NETSIM_MODE_NAT, 1);
    cr_assert_not_null(t);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && touch %s/leases", dir, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(netsim_topo_capture(t, dir), 0);
    tap = netsim_tap_open(&net, ifname);
    if (!tap) {
        netsim_topo_free(t);
        cr_skip_test("cannot create TAP device %s", ifname);
        return;
    }
    cr_assert_eq(netsim_topo_plug(t, "vif9.0", &tap->port, &o), 0);
    /* dhclient gets its own config, lease file and a script that only sets the
     * address and route, so nothing on the host (resolv.conf, leases) is touched. */
    snprintf(cmd, sizeof cmd,
             "ip netns add %s && ip link set %s netns %s && ip -n %s link set lo up && ip -n %s link set %s up && "
             "printf 'timeout 30;\\nretry 1;\\n' > %s/dhclient.conf && "
             "printf '#!/bin/sh\\ncase $reason in BOUND|RENEW|REBIND|REBOOT) ip addr add $new_ip_address/$new_subnet_mask dev $interface; "
             "ip route add default via $new_routers;; esac\\nexit 0\\n' > %s/script && chmod +x %s/script",
             ns, ifname, ns, ns, ns, ifname, dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "namespace set-up failed: %s", cmd);

    snprintf(cmd, sizeof cmd,
             "ip netns exec %s dhclient -4 -1 -v -cf %s/dhclient.conf -lf %s/leases -pf %s/pid -sf %s/script %s "
             ">%s/dhclient.log 2>&1",
             ns, dir, dir, dir, dir, ifname, dir);
    rc = run_with(&q, tap, cmd, 90);
    cr_expect_eq(rc, 0, "dhclient did not get a lease (see %s/dhclient.log)", dir);
    for (int i = 0; i < 253 && !leased; i++)
        if (t->nat->dhcp->leases[i].state == LEASE_BOUND)
            leased = t->nat->dhcp->cfg.pool_lo + (uint32_t)i;
    cr_expect_eq(leased, NETSIM_IP(192, 168, 122, 2));

    snprintf(cmd, sizeof cmd, "ip netns exec %s ping -n -c 2 -i 0.3 -W 2 192.168.122.1 >%s/ping1.log 2>&1", ns, dir);
    cr_expect_eq(run_with(&q, tap, cmd, 20), 0, "ping of the router failed");
    snprintf(cmd, sizeof cmd, "ip netns exec %s ping -n -c 2 -i 0.3 -W 2 192.168.1.10 >%s/ping2.log 2>&1", ns, dir);
    cr_expect_eq(run_with(&q, tap, cmd, 20), 0, "ping through the NAT failed");
    cr_expect_geq(t->nat->lan.echo_answered, 2);
    cr_expect_geq(t->world->server.echo_answered, 2);

    snprintf(cmd, sizeof cmd, "ip netns exec %s sh -c 'kill $(cat %s/pid)' 2>/dev/null; ip netns del %s", ns, dir, ns);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cleanup of namespace %s failed\n", ns);
    netsim_tap_close(tap);
    netsim_topo_free(t);
    netsim_destroy(&net);
    evq_destroy(&q);
    snprintf(cmd, sizeof cmd, "%s/virbr0.pcap", dir);
    cr_assert_eq(tshark_bad(cmd), 0);
    out = tshark_run(cmd, "-Y 'dhcp.option.dhcp==5' -e dhcp.ip.your");
    cr_assert(out && strstr(out, "192.168.122.2"), "no DHCP ACK in the capture: %s", out ? out : "");
    free(out);
}
