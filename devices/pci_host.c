/* PCI configuration mechanism #1 (PCI Local Bus Spec. 3.0 3.2.2.3.2): CONFIG_ADDRESS
 * selects bus/device/function/register, CONFIG_DATA reads or writes it; absent
 * functions read all-ones. Byte port 0xcf9 is the PIIX reset control register.
 * INTx (spec 2.2.6, 6.2.2): functions share four wired-OR lines, routed as the
 * DSDT's _PRT says. */
#include "devices/pci_host.h"

#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define PCI_CONFIG_ADDRESS 0
#define PCI_RCR 1           /* 0xcf9: reset control register */
#define PCI_CONFIG_DATA 4
#define PCI_ADDR_ENABLE 0x80000000u
#define PCI_RCR_SYS_RST 0x02 /* full reset when RST_CPU is set */
#define PCI_RCR_RST_CPU 0x04
#define PCI_MAGIC 0x50434948 /* "PCIH" */

struct pci_host {
    struct pci_func *funcs[256]; /* by devfn on bus 0 */
    struct irq_line intx[PCI_INTX_LINES];
    uint8_t intx_level[PCI_INTX_LINES]; /* the wired-OR of the functions on each line */
    pci_reset_fn *reset_fn;
    void *reset_opaque;
    uint32_t addr;
    uint8_t rcr;
};

static void pci_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

struct pci_func *pci_host_add_func(struct pci_host *h, unsigned dev, unsigned fn, uint16_t vendor,
                                   uint16_t device, uint32_t class_rev)
{
    unsigned devfn = (dev & 31) << 3 | (fn & 7);
    struct pci_func *f;

    if (dev > 31 || fn > 7 || h->funcs[devfn]) {
        log_error("pci: function %02x.%u unavailable", dev, fn);
        return NULL;
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        log_error("pci: out of memory");
        return NULL;
    }
    f->host = h;
    f->devfn = (uint8_t)devfn;
    pci_put16(f->cfg + PCI_VENDOR_ID, vendor);
    pci_put16(f->cfg + PCI_DEVICE_ID, device);
    for (int i = 0; i < 4; i++)
        f->cfg[PCI_CLASS_REVISION + i] = (uint8_t)(class_rev >> (8 * i));
    /* Command: I/O, memory, bus master, parity, SERR, INTx disable. */
    pci_put16(f->wmask + PCI_COMMAND, 0x0547);
    f->wmask[0x0c] = 0xff; /* cache line size */
    f->wmask[0x0d] = 0xff; /* latency timer */
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
    h->funcs[devfn] = f;
    /* A function other than 0 makes function 0 multi-function. */
    if (fn && h->funcs[devfn & ~7u])
        h->funcs[devfn & ~7u]->cfg[PCI_HEADER_TYPE] |= 0x80;
    return f;
}

void pci_func_set_bar(struct pci_func *fn, unsigned n, uint32_t size, int io)
{
    uint32_t mask = ~(size - 1) & (io ? ~3u : ~15u);
    unsigned off = PCI_BAR0 + 4 * n;

    if (n > 5 || size < (io ? 4u : 16u) || (size & (size - 1))) {
        log_error("pci: bad BAR %u size 0x%x", n, size);
        return;
    }
    for (int i = 0; i < 4; i++)
        fn->wmask[off + i] = (uint8_t)(mask >> (8 * i));
    fn->cfg[off] = (fn->cfg[off] & ~0x0f) | (io ? 1 : 0); /* type bits are read-only */
}

uint32_t pci_func_read32(const struct pci_func *fn, unsigned off)
{
    off &= 0xfc;
    return fn->cfg[off] | fn->cfg[off + 1] << 8 | fn->cfg[off + 2] << 16 | (uint32_t)fn->cfg[off + 3] << 24;
}

void pci_host_set_intx_line(struct pci_host *h, unsigned n, struct irq_line line)
{
    if (n < PCI_INTX_LINES)
        h->intx[n] = line;
}

void pci_func_set_intx_pin(struct pci_func *fn, unsigned pin)
{
    fn->cfg[PCI_INTERRUPT_PIN] = pin <= 4 ? (uint8_t)pin : 0;
}

static unsigned pci_func_intx_line(const struct pci_func *fn)
{
    return ((fn->devfn >> 3) + fn->cfg[PCI_INTERRUPT_PIN] - 1) % PCI_INTX_LINES;
}

/* A function drives its line while it requests (status) and may (command). */
static int pci_func_intx_out(const struct pci_func *f)
{
    return f->cfg[PCI_INTERRUPT_PIN] && (f->cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) &&
           !(f->cfg[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8));
}

static void pci_intx_levels(const struct pci_host *h, uint8_t level[PCI_INTX_LINES])
{
    for (unsigned n = 0; n < PCI_INTX_LINES; n++)
        level[n] = 0;
    for (unsigned i = 0; i < 256; i++)
        if (h->funcs[i] && pci_func_intx_out(h->funcs[i]))
            level[pci_func_intx_line(h->funcs[i])] = 1;
}

/* Recompute each line from every function's output and drive the changes. */
static void pci_intx_update(struct pci_host *h)
{
    uint8_t level[PCI_INTX_LINES];

    pci_intx_levels(h, level);
    for (unsigned n = 0; n < PCI_INTX_LINES; n++) {
        if (level[n] != h->intx_level[n]) {
            h->intx_level[n] = level[n];
            irq_line_set(&h->intx[n], level[n]);
        }
    }
}

void pci_func_set_intx(struct pci_func *fn, int level)
{
    if (!fn->cfg[PCI_INTERRUPT_PIN])
        return;
    if (level)
        fn->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        fn->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    pci_intx_update(fn->host);
}

void pci_host_set_reset_fn(struct pci_host *h, pci_reset_fn *fn, void *opaque)
{
    h->reset_fn = fn;
    h->reset_opaque = opaque;
}

/* The function CONFIG_ADDRESS selects, or NULL (disabled, other bus, absent). */
static struct pci_func *pci_selected(struct pci_host *h)
{
    if (!(h->addr & PCI_ADDR_ENABLE) || ((h->addr >> 16) & 0xff))
        return NULL;
    return h->funcs[(h->addr >> 8) & 0xff];
}

static uint64_t pci_read(void *opaque, uint64_t off, unsigned size)
{
    struct pci_host *h = opaque;
    struct pci_func *f;
    unsigned reg;
    uint64_t v = 0;

    if (off == PCI_CONFIG_ADDRESS && size == 4)
        return h->addr;
    if (off == PCI_RCR && size == 1)
        return h->rcr;
    if (off < PCI_CONFIG_DATA && (size == 1 || size == 2) && off + size <= PCI_CONFIG_DATA)
        return dev_ones(size); /* only dword accesses reach CONFIG_ADDRESS */
    if (off < PCI_CONFIG_DATA || off + size > PCI_HOST_PORT_LEN || (size != 1 && size != 2 && size != 4)) {
        log_guest("pci: %u-byte read at 0x%llx", size, (unsigned long long)(PCI_HOST_PORT + off));
        return dev_ones(size);
    }
    f = pci_selected(h);
    if (!f)
        return dev_ones(size); /* nothing answers: master abort */
    reg = (h->addr & 0xfc) + (unsigned)(off - PCI_CONFIG_DATA);
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)f->cfg[reg + i] << (8 * i);
    return v;
}

static void pci_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_host *h = opaque;
    struct pci_func *f;
    unsigned reg;

    if (off == PCI_CONFIG_ADDRESS && size == 4) {
        h->addr = (uint32_t)val & 0x80fffffc;
        return;
    }
    if (off == PCI_RCR && size == 1) {
        /* RST_CPU going 0 -> 1 resets the machine (SYS_RST: a full reset). */
        if ((val & PCI_RCR_RST_CPU) && !(h->rcr & PCI_RCR_RST_CPU) && h->reset_fn)
            h->reset_fn(h->reset_opaque, (val & PCI_RCR_SYS_RST) != 0);
        h->rcr = (uint8_t)val & PCI_RCR_SYS_RST;
        return;
    }
    /* Linux's type-1 probe writes a byte to 0xcfb: sub-dword writes to
     * CONFIG_ADDRESS are ignored, as the PIIX does. */
    if (off < PCI_CONFIG_DATA && (size == 1 || size == 2) && off + size <= PCI_CONFIG_DATA)
        return;
    if (off < PCI_CONFIG_DATA || off + size > PCI_HOST_PORT_LEN || (size != 1 && size != 2 && size != 4)) {
        log_guest("pci: %u-byte write at 0x%llx", size, (unsigned long long)(PCI_HOST_PORT + off));
        return;
    }
    f = pci_selected(h);
    if (!f)
        return;
    reg = (h->addr & 0xfc) + (unsigned)(off - PCI_CONFIG_DATA);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i)), m = f->wmask[reg + i];
        f->cfg[reg + i] = (f->cfg[reg + i] & ~m) | (b & m);
    }
    if (reg < PCI_COMMAND + 2 && reg + size > PCI_COMMAND + 1)
        pci_intx_update(h); /* Interrupt Disable changed the line */
    if (f->on_write)
        f->on_write(f->opaque, f, reg, size);
}

static void pci_reset(void *opaque)
{
    struct pci_host *h = opaque;

    h->addr = 0;
    h->rcr = 0;
    for (unsigned i = 0; i < 256; i++) { /* writable fields (command, BARs, ...) clear */
        struct pci_func *f = h->funcs[i];
        for (unsigned o = 0; f && o < 256; o++)
            f->cfg[o] &= ~f->wmask[o];
    }
    pci_intx_update(h);
}

static int pci_save(void *opaque, struct buf *b)
{
    struct pci_host *h = opaque;

    dev_save_header(b, PCI_MAGIC, 1);
    buf_put_u32(b, h->addr);
    buf_put_u8(b, h->rcr);
    for (unsigned i = 0; i < 256; i++) {
        if (!h->funcs[i])
            continue;
        buf_put_u8(b, (uint8_t)i);
        buf_put(b, h->funcs[i]->cfg, 256);
    }
    return b->err;
}

/* The machine registers the same functions before loading; each one must be
 * in the state, in devfn order. Nothing changes unless all of it parses. */
static int pci_load(void *opaque, struct buf_reader *r)
{
    struct pci_host *h = opaque;
    struct buf_reader check;
    uint32_t addr;
    uint8_t rcr;

    if (dev_load_header(r, PCI_MAGIC, 1))
        return HV_ECORRUPT;
    addr = buf_get_u32(r);
    rcr = buf_get_u8(r);
    check = *r; /* first pass validates, second copies */
    for (unsigned i = 0; i < 256; i++) {
        uint8_t skip[256];
        if (h->funcs[i] && (buf_get_u8(&check) != i || buf_get(&check, skip, 256)))
            return HV_ECORRUPT;
    }
    if (check.err || r->err)
        return HV_ECORRUPT;
    for (unsigned i = 0; i < 256; i++) {
        if (!h->funcs[i])
            continue;
        buf_get_u8(r);
        buf_get(r, h->funcs[i]->cfg, 256);
    }
    h->addr = addr & 0x80fffffc;
    h->rcr = rcr;
    /* Line levels follow from the loaded status and command registers; the
     * receivers keep their own input levels, so only the cache is refreshed. */
    pci_intx_levels(h, h->intx_level);
    return HV_OK;
}

const struct dev_ops pci_host_ops = {
    .name = "pci-host",
    .read = pci_read,
    .write = pci_write,
    .reset = pci_reset,
    .save = pci_save,
    .load = pci_load,
};

struct pci_host *pci_host_create(int with_isa_bridge)
{
    struct pci_host *h = calloc(1, sizeof *h);
    struct pci_func *f;

    if (!h) {
        log_error("pci: out of memory");
        return NULL;
    }
    /* 00:00.0 i440FX host bridge, class 06/00, as QEMU's pc machine. */
    if (!pci_host_add_func(h, 0, 0, 0x8086, 0x1237, 0x06000002))
        goto fail_after_host;
    if (with_isa_bridge) { /* 00:01.0 PIIX3 ISA bridge, class 06/01, multi-function as on QEMU */
        f = pci_host_add_func(h, 1, 0, 0x8086, 0x7000, 0x06010000);
        if (!f)
            goto fail_after_host;
        f->cfg[PCI_HEADER_TYPE] = 0x80;
    }
    return h;

fail_after_host:
    pci_host_destroy(h);
    return NULL;
}

void pci_host_destroy(struct pci_host *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < 256; i++)
        free(h->funcs[i]);
    free(h);
}
