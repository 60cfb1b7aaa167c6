/* PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2)
 * on bus 0 with an i440FX-like host bridge, an optional PIIX3-like ISA bridge,
 * a registration API for the machine's own PCI functions, and INTx routing to
 * four interrupt lines as the DSDT's _PRT describes (devices/dsdt.asl). */
#ifndef DEVICES_PCI_HOST_H
#define DEVICES_PCI_HOST_H

#include <stdint.h>

#include "arch/pc.h"
#include "devices/dev.h"

#define PCI_HOST_PORT_LEN 8 /* CONFIG_ADDRESS 0xcf8 (32-bit), reset control 0xcf9 (8-bit), CONFIG_DATA 0xcfc-0xcff */

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008

/* The slots of bus 0, as QEMU's pc machine places them. */
#define PCI_SLOT_HOST_BRIDGE 0 /* i440FX 8086:1237 */
#define PCI_SLOT_ISA_BRIDGE 1  /* PIIX3 8086:7000, function 0 */
#define PCI_SLOT_NIC 3         /* QEMU's first NIC (2 is VGA there; free here) */
#define PCI_INTX_LINES 4       /* slot s, pin p (0 = INTA) -> line (s + p) % 4 */

struct pci_func;
/* Called after the guest wrote `size` bytes at config offset `off`. */
typedef void pci_cfg_write_fn(void *opaque, struct pci_func *fn, unsigned off, unsigned size);

/* A function's configuration space: the guest writes only bits set in wmask. */
struct pci_func {
    uint8_t cfg[256];
    uint8_t wmask[256];
    pci_cfg_write_fn *on_write;
    void *opaque;
    struct pci_host *host;
    uint8_t devfn;
};

/* Hard (full) or soft reset requested through 0xcf9. */
typedef void pci_reset_fn(void *opaque, int full);

struct pci_host;

struct pci_host *pci_host_create(int with_isa_bridge);
void pci_host_destroy(struct pci_host *h);
/* Add function dev.fn on bus 0 with its identity; class_rev is class code << 8
 * | revision. Returns the function (owned by the host) or NULL if taken. */
struct pci_func *pci_host_add_func(struct pci_host *h, unsigned dev, unsigned fn, uint16_t vendor,
                                   uint16_t device, uint32_t class_rev);
/* Make BAR n (0-5) sizeable: size a power of two, io for an I/O BAR. */
void pci_func_set_bar(struct pci_func *fn, unsigned n, uint32_t size, int io);
uint32_t pci_func_read32(const struct pci_func *fn, unsigned off);
void pci_host_set_reset_fn(struct pci_host *h, pci_reset_fn *fn, void *opaque);
/* Where INTx line n (0-3) goes: the machine wires line n to I/O APIC GSI 16 + n. */
void pci_host_set_intx_line(struct pci_host *h, unsigned n, struct irq_line line);
/* The function's interrupt pin (1 = INTA ... 4 = INTD), read-only to the guest. */
void pci_func_set_intx_pin(struct pci_func *fn, unsigned pin);
/* The function asserts (1) or releases (0) its INTx: the status bit follows,
 * the line follows unless the command register's Interrupt Disable is set.
 * Lines are wired-OR over the functions that share them. */
void pci_func_set_intx(struct pci_func *fn, int level);

extern const struct dev_ops pci_host_ops;

#endif
