/* The machine's network cards: 82540EM NICs (devices/e1000.c) on the PCI bus at
 * slots 3, 4, ... with BAR0 assigned as a PC BIOS leaves it, DMA into guest RAM,
 * INTx through the I/O APIC, and one seam to the outside world per NIC: a
 * transmit hook called with the machine's virtual time, and a receive call. */
#ifndef MACHINE_NIC_H
#define MACHINE_NIC_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"
#include "machine/machine.h"

#define MACHINE_MAX_NICS 4
/* BAR0 of NIC i, as SeaBIOS assigns from the top of the PCI hole down: below
 * the I/O APIC, 128 KiB each. The window the machine decodes for them. */
#define MACHINE_NIC_BAR0(i) (0xfebc0000u - 0x20000u * (uint32_t)(i))
#define MACHINE_NIC_IO(i) (0xc000u + 0x40u * (uint32_t)(i)) /* BAR1: SeaBIOS's first I/O BARs */
#define MACHINE_NIC_WINDOW_BASE 0xfe000000u
#define MACHINE_NIC_WINDOW_END 0xfec00000u

/* A frame the guest sent on NIC `nic` at virtual time t (the bytes are valid
 * during the call). */
typedef void machine_nic_tx_fn(void *opaque, int nic, vtime_t t, const uint8_t *frame, size_t len);

/* Add a NIC with this MAC at the next slot (3 for the first). Before the run
 * and before loading a snapshot, in the same order each time. Returns its
 * index, or -1 (logged: no slot left, RAM reaching into the window). */
int machine_add_nic(struct machine *m, const uint8_t mac[6]);
int machine_nic_count(const struct machine *m);
/* Where NIC nic's frames go; NULL: nowhere (the cable is unplugged). */
void machine_nic_set_tx(struct machine *m, int nic, machine_nic_tx_fn *fn, void *opaque);
/* A frame arriving at NIC nic now (between runs: the machine's time). 1 when
 * the NIC took it into its ring, 0 when it dropped it. */
int machine_nic_receive(struct machine *m, int nic, const uint8_t *frame, size_t len);
/* The cable: link up (1) or down (0). */
void machine_nic_set_link(struct machine *m, int nic, int up);

#endif
