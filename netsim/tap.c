/* TAP devices through /dev/net/tun (IFF_TAP | IFF_NO_PI: bare Ethernet frames).
 * Reads are non-blocking and only happen in netsim_tap_poll, called by the
 * host-side loop, so the simulation never waits on the host. */
#include "netsim/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"

static void tap_from_net(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    struct netsim_tap *tap = opaque;

    if (write(tap->fd, frame, len) != (ssize_t)len) {
        tap->write_errors++;
        port->st.tx_errors++;
        return;
    }
    tap->to_host++;
}

static int bring_up(const char *ifname)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM, 0), rc = HV_OK;

    if (s < 0)
        return HV_EIO;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        rc = HV_EIO;
    ifr.ifr_flags |= IFF_UP;
    if (rc == HV_OK && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        rc = HV_EIO;
    close(s);
    return rc;
}

struct netsim_tap *netsim_tap_open(struct netsim *net, const char *ifname)
{
    struct netsim_tap *tap;
    struct ifreq ifr;

    tap = calloc(1, sizeof *tap);
    if (!tap) {
        log_error("netsim: tap %s: no memory", ifname);
        return NULL;
    }
    tap->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (tap->fd < 0) {
        log_error("netsim: tap %s: cannot open /dev/net/tun: %s", ifname, strerror(errno));
        goto fail_after_alloc;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0) {
        log_error("netsim: tap %s: TUNSETIFF failed: %s (CAP_NET_ADMIN needed)", ifname, strerror(errno));
        goto fail_after_open;
    }
    snprintf(tap->ifname, sizeof tap->ifname, "%s", ifr.ifr_name);
    if (bring_up(tap->ifname) != HV_OK)
        log_warn("netsim: tap %s: could not set it up; do it with ip link", tap->ifname);
    netsim_port_init(&tap->port, net, tap->ifname, tap_from_net, tap);
    tap->port.owner = tap;
    return tap;

fail_after_open:
    close(tap->fd);
fail_after_alloc:
    free(tap);
    return NULL;
}

void netsim_tap_close(struct netsim_tap *tap)
{
    if (!tap)
        return;
    netsim_port_fini(&tap->port);
    close(tap->fd);
    free(tap);
}

int netsim_tap_poll(struct netsim_tap *tap)
{
    uint8_t f[NETSIM_FRAME_MAX + 64];
    int n = 0;

    for (;;) {
        ssize_t r = read(tap->fd, f, sizeof f);
        if (r < 0)
            break; /* EAGAIN: nothing more; other errors end this poll too */
        if (r < ETH_HLEN || r > NETSIM_FRAME_MAX) {
            tap->port.st.rx_errors++;
            continue;
        }
        tap->from_host++;
        n++;
        if (tap->record)
            tap->record(tap->rec_opaque, tap, tap->port.net->q->now, f, (size_t)r);
        netsim_port_send(&tap->port, f, (size_t)r);
    }
    return n;
}
