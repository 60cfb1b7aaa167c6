/* Replaying a capture into a port on the virtual clock. One frame is read
 * ahead: its event fires at start + (its stamp - the first stamp), sends it,
 * reads the next. A damaged record ends the replay there (r->done = HV_EIO,
 * r->err says where); what was sent stays sent. */
#include "netsim/pcap_replay.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"

static void replay_rx(void *opaque, struct netsim_port *port, const uint8_t *frame, size_t len)
{
    struct netsim_pcap_replay *r = opaque;
    r->received++;
}

/* Read the next frame and schedule it; 0 when there is none more. */
static int read_ahead(struct netsim_pcap_replay *r)
{
    const uint8_t *f;
    uint64_t ns;
    int rc = netsim_pcap_reader_next(&r->rd, &ns, &f, &r->next_len, r->err, sizeof r->err);

    if (rc != 1) {
        r->done = rc == 0 ? 1 : HV_EIO;
        return 0;
    }
    if (r->rd.record == 1)
        r->first_ns = ns;
    if (ns < r->first_ns) { /* stamps going back in time: keep the file's order */
        ns = r->first_ns;
    }
    memcpy(r->next, f, r->next_len);
    evq_schedule(r->port.net->q, &r->ev, r->start + (vtime_t)(ns - r->first_ns));
    return 1;
}

static void replay_fire(void *opaque, vtime_t now)
{
    struct netsim_pcap_replay *r = opaque;

    if (netsim_port_send(&r->port, r->next, r->next_len) == HV_OK)
        r->sent++;
    else
        r->dropped++;
    read_ahead(r);
}

struct netsim_pcap_replay *netsim_pcap_replay_new(struct netsim *net, const char *name, const char *path,
                                                  vtime_t start, char *err, size_t errlen)
{
    struct netsim_pcap_replay *r = calloc(1, sizeof *r);

    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (netsim_pcap_reader_open(&r->rd, path, err, errlen) != HV_OK) {
        free(r);
        return NULL;
    }
    netsim_port_init(&r->port, net, name, replay_rx, r);
    event_init(&r->ev, "pcap-replay", replay_fire, r);
    r->start = start;
    if (!read_ahead(r) && r->done != 1) {
        snprintf(err, errlen, "%s", r->err);
        netsim_pcap_replay_free(r);
        return NULL;
    }
    return r;
}

void netsim_pcap_replay_free(struct netsim_pcap_replay *r)
{
    if (!r)
        return;
    if (event_pending(&r->ev))
        evq_cancel(r->port.net->q, &r->ev);
    netsim_port_fini(&r->port);
    netsim_pcap_reader_close(&r->rd);
    free(r);
}
