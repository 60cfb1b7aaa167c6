/* The machine's NIC: an Intel 82540EM (e1000, PCI 8086:100e), the NIC Linux's
 * e1000 driver and QEMU's pc machine use. A bus-free state machine: its PCI
 * function on the host bridge, its 128 KiB register file behind e1000_ops
 * (BAR0 offsets), DMA through callbacks the machine supplies, frames out
 * through a tx callback and in through e1000_receive. Register map: arch/e1000.h. */
#ifndef DEVICES_E1000_H
#define DEVICES_E1000_H

#include <stddef.h>
#include <stdint.h>

#include "base/evq.h"
#include "devices/dev.h"
#include "devices/pci_host.h"

/* Guest-physical DMA: 0, or -1 when [gpa, gpa + len) is not all RAM (the
 * access is then dropped: a master abort). */
typedef int e1000_dma_fn(void *opaque, uint64_t gpa, void *buf, size_t len);
/* A frame the guest transmitted (no FCS); the bytes are valid during the call. */
typedef void e1000_tx_fn(void *opaque, const uint8_t *frame, size_t len);

struct e1000_config {
    uint8_t mac[6];              /* in the EEPROM and, after reset, RAL0/RAH0 */
    e1000_dma_fn *dma_read;      /* guest memory -> device */
    e1000_dma_fn *dma_write;     /* device -> guest memory */
    e1000_tx_fn *tx;
    void *opaque;                /* for the three callbacks */
};

struct e1000;

/* Adds function slot.0 to the bus with the 82540EM's identity, BAR0 (128 KiB
 * memory), BAR1 (64 bytes of I/O) and INTA. NULL (logged) when the slot is taken. */
struct e1000 *e1000_create(struct evq *q, struct pci_host *pci, unsigned slot, const struct e1000_config *cfg);
void e1000_destroy(struct e1000 *d);
struct pci_func *e1000_pci_func(struct e1000 *d);

/* A frame from the wire (no FCS). 1 when it went into the receive ring; 0
 * when the device dropped it: filtered out by address, receiver off, link
 * down (nothing counted), or no free descriptors (RNBC and MPC count it and
 * ICR.RXO is raised, as the 82540's FIFO would overflow). */
int e1000_receive(struct e1000 *d, const uint8_t *frame, size_t len);
/* The cable: link up or down (STATUS.LU, the PHY's link bit, ICR.LSC). */
void e1000_set_link(struct e1000 *d, int up);
int e1000_link_up(const struct e1000 *d);

extern const struct dev_ops e1000_ops;      /* BAR0: the registers (and every field of state) */
extern const struct dev_ops e1000_io_ops;   /* BAR1: IOADDR/IODATA (its save and load do nothing) */

#endif
