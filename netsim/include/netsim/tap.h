/* Linux TAP attachment (Documentation/networking/tuntap.rst): a netsim port whose
 * far side is a TAP device, so real programs (dhclient, ping, dig, curl) in the
 * host or a network namespace talk to the simulated network. Frames read from
 * the TAP are outside inputs: the caller polls, stamps them with the current
 * virtual time and should record them (see the record hook). */
#ifndef NETSIM_TAP_H
#define NETSIM_TAP_H

#include "netsim/port.h"

struct netsim_tap;
/* Called for each frame read from the TAP, before it enters the network. */
typedef void netsim_tap_record_fn(void *opaque, struct netsim_tap *tap, vtime_t t, const uint8_t *frame, size_t len);

struct netsim_tap {
    struct netsim_port port; /* link this to a bridge port */
    int fd;
    char ifname[NETSIM_IFNAMSIZ];
    uint64_t from_host, to_host, write_errors;
    netsim_tap_record_fn *record;
    void *rec_opaque;
};

/* Create (or attach to) TAP device `ifname` and bring it up. NULL, logged, when
 * /dev/net/tun cannot be opened or the device made (needs CAP_NET_ADMIN). */
struct netsim_tap *netsim_tap_open(struct netsim *net, const char *ifname);
void netsim_tap_close(struct netsim_tap *tap);
/* Read every frame waiting (non-blocking) and send it into the network at the
 * current virtual time. Returns the number of frames read. Host-side I/O. */
int netsim_tap_poll(struct netsim_tap *tap);

#endif
