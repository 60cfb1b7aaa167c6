/* The machine's NICs: each an e1000 on PCI bus 0 at slot 3 + i. As a PC BIOS
 * does before the boot loader runs, BAR0 gets an address below the I/O APIC
 * and the function decodes memory (the driver turns on bus mastering). The
 * machine decodes one window of the PCI hole for all of them and routes an
 * access to the NIC whose BAR0 holds it, so a guest that moves a BAR inside
 * the window is followed; outside it nothing answers. DMA reaches guest RAM
 * only. */
#include "machine/nic.h"

#include <stdlib.h>
#include <string.h>

#include "arch/e1000.h"
#include "base/log.h"
#include "devices/e1000.h"
#include "devices/pci_host.h"
#include "machine_priv.h"

struct machine_nic {
    struct machine *m;
    int index;
    struct e1000 *dev;
    machine_nic_tx_fn *tx;
    void *tx_opaque;
};

static int nic_dma_read(void *o, uint64_t gpa, void *buf, size_t len)
{
    struct machine_nic *n = o;
    const struct ram *r = &n->m->ram;
    if (gpa > r->size || len > r->size - gpa)
        return -1;
    memcpy(buf, r->base + gpa, len);
    return 0;
}

static int nic_dma_write(void *o, uint64_t gpa, void *buf, size_t len)
{
    struct machine_nic *n = o;
    const struct ram *r = &n->m->ram;
    if (gpa > r->size || len > r->size - gpa)
        return -1;
    memcpy(r->base + gpa, buf, len);
    return 0;
}

static void nic_tx(void *o, const uint8_t *frame, size_t len)
{
    struct machine_nic *n = o;
    if (n->tx)
        n->tx(n->tx_opaque, n->index, cpu_now(n->m->cpu), frame, len);
}

/* The NIC whose BAR0 (memory decoding on) holds addr, and the offset in it. */
static struct machine_nic *nic_at(struct machine *m, uint64_t addr, uint64_t *off)
{
    for (int i = 0; i < m->nnics; i++) {
        const struct pci_func *fn = e1000_pci_func(m->nics[i]->dev);
        uint32_t bar = pci_func_read32(fn, PCI_BAR0) & ~0xfu;
        if ((fn->cfg[PCI_COMMAND] & 0x02) && bar && addr >= bar && addr - bar < 0x20000) {
            *off = addr - bar;
            return m->nics[i];
        }
    }
    return NULL;
}

static uint64_t window_read(void *o, uint64_t off, unsigned size)
{
    struct machine *m = o;
    uint64_t at;
    struct machine_nic *n = nic_at(m, MACHINE_NIC_WINDOW_BASE + off, &at);
    return n ? e1000_ops.read(n->dev, at, size) : (size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
}

static void window_write(void *o, uint64_t off, uint64_t val, unsigned size)
{
    struct machine *m = o;
    uint64_t at;
    struct machine_nic *n = nic_at(m, MACHINE_NIC_WINDOW_BASE + off, &at);
    if (n)
        e1000_ops.write(n->dev, at, val, size);
}

/* The window's accesses reach the run loop's MMIO path (time synced before,
 * events looked at after) through this table. */
static const struct dev_ops window_ops = {
    .name = "pci-window",
    .read = window_read,
    .write = window_write,
};

/* BAR1, I/O: the ports the BIOS gave it, answered while BAR1 still points
 * there and I/O decoding is on (a guest moving it elsewhere is not followed). */
static struct e1000 *io_target(struct machine_nic *n)
{
    const struct pci_func *fn = e1000_pci_func(n->dev);
    return (fn->cfg[PCI_COMMAND] & 0x01) && (pci_func_read32(fn, PCI_BAR0 + 4) & ~0x3u) == MACHINE_NIC_IO(n->index)
               ? n->dev : NULL;
}

static uint64_t nic_io_read(void *o, uint64_t off, unsigned size)
{
    struct e1000 *d = io_target(o);
    return d ? e1000_io_ops.read(d, off, size) : (size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
}

static void nic_io_write(void *o, uint64_t off, uint64_t val, unsigned size)
{
    struct e1000 *d = io_target(o);
    if (d)
        e1000_io_ops.write(d, off, val, size);
}

static void nic_io_reset(void *o) { (void)o; }
static int nic_io_save(void *o, struct buf *b) { (void)o, (void)b; return 0; }
static int nic_io_load(void *o, struct buf_reader *r) { (void)o, (void)r; return 0; }

/* Saved with the NIC's e1000_ops: nothing of its own. */
static const struct dev_ops nic_io_ops = {
    .name = "e1000-io",
    .read = nic_io_read,
    .write = nic_io_write,
    .reset = nic_io_reset,
    .save = nic_io_save,
    .load = nic_io_load,
};

int machine_add_nic(struct machine *m, const uint8_t mac[6])
{
    int i = m->nnics;
    struct machine_nic *n;

    if (i == MACHINE_MAX_NICS) {
        log_error("machine: at most %d NICs", MACHINE_MAX_NICS);
        return -1;
    }
    if (m->cfg.mem_bytes > MACHINE_NIC_WINDOW_BASE) {
        log_error("machine: RAM reaches the PCI window at %#x: no room for NICs", MACHINE_NIC_WINDOW_BASE);
        return -1;
    }
    if (!i && machine_map_mmio(m, &m->mmio_nic, MACHINE_NIC_WINDOW_BASE,
                               MACHINE_NIC_WINDOW_END - MACHINE_NIC_WINDOW_BASE, &window_ops, m))
        return -1;
    n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    n->m = m;
    n->index = i;
    struct e1000_config c = { .dma_read = nic_dma_read, .dma_write = nic_dma_write, .tx = nic_tx, .opaque = n };
    memcpy(c.mac, mac, 6);
    n->dev = e1000_create(&m->q, m->pci, PCI_SLOT_NIC + (unsigned)i, &c);
    if (!n->dev) {
        free(n);
        return -1;
    }
    /* What the BIOS leaves: BAR0 and BAR1 assigned, memory and I/O decoding on. */
    struct pci_func *fn = e1000_pci_func(n->dev);
    uint32_t bar = MACHINE_NIC_BAR0(i), io = MACHINE_NIC_IO(i) | 1;
    for (int k = 0; k < 4; k++) {
        fn->cfg[PCI_BAR0 + k] = (uint8_t)(bar >> (8 * k));
        fn->cfg[PCI_BAR0 + 4 + k] = (uint8_t)(io >> (8 * k));
    }
    fn->cfg[PCI_COMMAND] |= 0x03;
    if (iomap_add_pio(&m->io, (uint16_t)MACHINE_NIC_IO(i), E1000_BAR1_SIZE, &nic_io_ops, n)) {
        log_error("machine: ports %#x-%#x for NIC %d are taken", MACHINE_NIC_IO(i), MACHINE_NIC_IO(i) + 63, i);
        e1000_destroy(n->dev);
        free(n);
        return -1;
    }
    fn->cfg[PCI_INTERRUPT_LINE] = (uint8_t)(16 + (PCI_SLOT_NIC + i) % PCI_INTX_LINES); /* its GSI */
    m->nics[m->nnics++] = n;
    return i;
}

int machine_nic_count(const struct machine *m) { return m->nnics; }

void machine_nic_set_tx(struct machine *m, int nic, machine_nic_tx_fn *fn, void *opaque)
{
    if (nic < 0 || nic >= m->nnics)
        return;
    m->nics[nic]->tx = fn;
    m->nics[nic]->tx_opaque = opaque;
}

int machine_nic_receive(struct machine *m, int nic, const uint8_t *frame, size_t len)
{
    if (nic < 0 || nic >= m->nnics)
        return 0;
    machine_sync_devices(m);
    return e1000_receive(m->nics[nic]->dev, frame, len);
}

void machine_nic_set_link(struct machine *m, int nic, int up)
{
    if (nic < 0 || nic >= m->nnics)
        return;
    machine_sync_devices(m);
    e1000_set_link(m->nics[nic]->dev, up);
}

void machine_nics_free(struct machine *m)
{
    for (int i = 0; i < m->nnics; i++) {
        e1000_destroy(m->nics[i]->dev);
        free(m->nics[i]);
    }
    m->nnics = 0;
}

int machine_nics_state(struct machine *m, const struct dev_ops **ops, void **opaque, int max)
{
    int n = 0;
    for (int i = 0; i < m->nnics && n < max; i++, n++) {
        ops[n] = &e1000_ops;
        opaque[n] = m->nics[i]->dev;
    }
    return n;
}
