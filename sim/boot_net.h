/* A booted machine's NICs on netsim's LAN (`hvsim boot --net lan`): the world
 * outside the machine is netsim's uplink LAN 192.168.1.0/24 (router .1 with
 * DHCP .100-.199 and DNS for example.test, a server .10); each NIC's cable is a
 * netsim link into that LAN's switch. Frames cross on the world's one clock. */
#ifndef SIM_BOOT_NET_H
#define SIM_BOOT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"
#include "world.h"

#define BOOT_NET_DEFAULT_MAC "52:54:00:12:34:56"

struct boot_net;

/* "lan" is the one network so far: 0, or HV_EINVAL. */
int boot_net_parse(const char *name);
/* "52:54:00:12:34:56" -> bytes: 0, or HV_EINVAL (also for a multicast address). */
int boot_net_parse_mac(const char *s, uint8_t mac[6]);

/* Build netsim on w's queue with its LAN, and bound w's steps by the cables'
 * latency. pcap_dir (NULL: none): DIR/lan0.pcap (every frame entering the LAN
 * switch) and, as NICs are plugged, DIR/PORT.pcap (the wire behind the NIC,
 * both directions); nanosecond timestamps from virtual time. NULL with the
 * reason in err. */
struct boot_net *boot_net_create(struct world *w, const char *name, uint64_t seed, const char *pcap_dir, char *err,
                                 size_t errlen);
/* The same on a LAN that exists (a scenario's net.start): joined, not owned;
 * free this before that network. No lan0.pcap (the network captures itself). */
struct netsim_world;
struct netsim;
struct boot_net *boot_net_join(struct world *w, struct netsim *net, struct netsim_world *lan, const char *pcap_dir,
                               char *err, size_t errlen);
/* Cable every NIC of m to the LAN: the first machine's ports are peth0, peth1
 * ..., the next machine's m1-peth0 ... (at most 8 in all). 0, or -1 with err. */
int boot_net_plug(struct boot_net *bn, struct machine *m, char *err, size_t errlen);
/* A machine replaced by another (a scenario's restore): its cables follow.
 * The network's own state (leases, frames in flight) is not rewound. */
void boot_net_replace(struct boot_net *bn, struct machine *old, struct machine *m);
/* Pull (up 0) or plug back the cable of m's NIC nic: frames on it are lost,
 * the NIC sees its link go and raises LSC. 0, or HV_ENOENT (no such NIC). */
int boot_net_set_link(struct boot_net *bn, struct machine *m, int nic, int up);
/* create + plug, for `hvsim boot`. */
struct boot_net *boot_net_attach(struct world *w, struct machine *m, const char *name, uint64_t seed,
                                 const char *pcap_dir, char *err, size_t errlen);
/* Close the captures (0, or -1 when one could not be written whole) and free. */
int boot_net_free(struct boot_net *bn);

#endif
