/* A bench for the e1000 tests and its fuzz entry: a PCI host with the NIC at
 * slot 3, a small guest RAM the NIC reaches by DMA (out-of-range accesses
 * fail, as a master abort), captured transmitted frames and the INTx line. */
#ifndef TESTS_DEVICES_E1000_RIG_H
#define TESTS_DEVICES_E1000_RIG_H

#include <stdint.h>
#include <string.h>

#include "arch/e1000.h"
#include "base/evq.h"
#include "devices/e1000.h"
#include "devices/pci_host.h"

#define RIG_RAM (256 * 1024)
#define RIG_MAX_TX 64

struct rig {
    struct evq q;
    struct pci_host *pci;
    struct e1000 *nic;
    uint8_t ram[RIG_RAM];
    int ntx;
    size_t tx_len[RIG_MAX_TX];
    uint8_t tx[RIG_MAX_TX][2048];
    int line;          /* INTx line 3 (slot 3, INTA) */
    int line_rises;
};

static const uint8_t rig_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static inline int rig_dma_read(void *o, uint64_t gpa, void *buf, size_t len)
{
    struct rig *r = o;
    if (gpa > RIG_RAM || len > RIG_RAM - gpa)
        return -1;
    memcpy(buf, r->ram + gpa, len);
    return 0;
}

static inline int rig_dma_write(void *o, uint64_t gpa, void *buf, size_t len)
{
    struct rig *r = o;
    if (gpa > RIG_RAM || len > RIG_RAM - gpa)
        return -1;
    memcpy(r->ram + gpa, buf, len);
    return 0;
}

static inline void rig_tx(void *o, const uint8_t *f, size_t len)
{
    struct rig *r = o;
    if (r->ntx < RIG_MAX_TX) {
        r->tx_len[r->ntx] = len;
        memcpy(r->tx[r->ntx], f, len < 2048 ? len : 2048);
    }
    r->ntx++;
}

static inline void rig_line(void *o, int level)
{
    struct rig *r = o;
    if (level && !r->line)
        r->line_rises++;
    r->line = level;
}

static inline void rig_cfg_write(struct rig *r, unsigned off, uint32_t val)
{
    pci_host_ops.write(r->pci, 0, 0x80000000u | (PCI_SLOT_NIC << 11) | (off & 0xfc), 4);
    pci_host_ops.write(r->pci, 4, val, 4);
}

static inline uint32_t rig_cfg_read(struct rig *r, unsigned off)
{
    pci_host_ops.write(r->pci, 0, 0x80000000u | (PCI_SLOT_NIC << 11) | (off & 0xfc), 4);
    return (uint32_t)pci_host_ops.read(r->pci, 4, 4);
}

static inline struct rig *rig_new(struct rig *r)
{
    memset(r, 0, sizeof *r);
    evq_init(&r->q);
    r->pci = pci_host_create(1);
    for (unsigned n = 0; n < PCI_INTX_LINES; n++)
        if (n == PCI_SLOT_NIC % PCI_INTX_LINES)
            pci_host_set_intx_line(r->pci, n, (struct irq_line){ rig_line, r });
    struct e1000_config c = { .dma_read = rig_dma_read, .dma_write = rig_dma_write, .tx = rig_tx, .opaque = r };
    memcpy(c.mac, rig_mac, 6);
    r->nic = e1000_create(&r->q, r->pci, PCI_SLOT_NIC, &c);
    rig_cfg_write(r, PCI_COMMAND, 0x0006); /* memory space, bus master */
    return r;
}

static inline void rig_free(struct rig *r)
{
    e1000_destroy(r->nic);
    pci_host_destroy(r->pci);
    evq_destroy(&r->q);
}

static inline uint32_t rd(struct rig *r, unsigned off) { return (uint32_t)e1000_ops.read(r->nic, off, 4); }
static inline void wr(struct rig *r, unsigned off, uint32_t v) { e1000_ops.write(r->nic, off, v, 4); }

static inline void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A legacy transmit descriptor at index i of the ring at `ring`. */
static inline void rig_txd(struct rig *r, uint32_t ring, int i, uint64_t buf, uint32_t len, uint32_t cmd)
{
    uint8_t *d = r->ram + ring + 16 * i;
    memset(d, 0, 16);
    put_le(d, buf, 8);
    put_le(d + 8, (len & 0xffff) | cmd, 4);
}

#endif
