/* Tests for the PCI configuration ports through the ops table: host bridge and
 * ISA bridge identity, absent functions, sub-dword access, write masks, BAR
 * sizing, a registered function's callback, reset control, save/load. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "devices/pci_host.h"

static struct pci_host *h;

static void setup(void)
{
    h = pci_host_create(1);
    cr_assert_not_null(h);
}

static void teardown(void) { pci_host_destroy(h); }

static uint32_t cfg_rd(unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
    pci_host_ops.write(h, 0, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc), 4);
    return (uint32_t)pci_host_ops.read(h, 4 + (reg & 3), size);
}

static void cfg_wr(unsigned dev, unsigned fn, unsigned reg, uint32_t v, unsigned size)
{
    pci_host_ops.write(h, 0, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc), 4);
    pci_host_ops.write(h, 4 + (reg & 3), v, size);
}

TestSuite(pci, .init = setup, .fini = teardown);

Test(pci, host_and_isa_bridge_identity)
{
    cr_assert_eq(cfg_rd(0, 0, 0, 4), 0x12378086);
    cr_assert_eq(cfg_rd(0, 0, 0x08, 4) >> 8, 0x060000);
    cr_assert_eq(cfg_rd(1, 0, 0, 4), 0x70008086);
    cr_assert_eq(cfg_rd(1, 0, 0x0a, 2), 0x0601);
    cr_assert_eq(cfg_rd(1, 0, 0x0e, 1), 0x80);
    cr_assert_eq(cfg_rd(0, 0, 0x02, 2), 0x1237, "16-bit access at 0xcfe");
}

Test(pci, absent_and_disabled_read_ones)
{
    cr_assert_eq(cfg_rd(5, 0, 0, 4), 0xffffffff);
    cr_assert_eq(cfg_rd(0, 3, 0, 2), 0xffff);
    pci_host_ops.write(h, 0, 0x00000000, 4); /* enable bit clear */
    cr_assert_eq(pci_host_ops.read(h, 4, 4), 0xffffffff);
    pci_host_ops.write(h, 0, 0x80010000, 4); /* bus 1 */
    cr_assert_eq(pci_host_ops.read(h, 4, 4), 0xffffffff);
    cr_assert_eq(pci_host_ops.read(h, 0, 4), 0x80010000, "CONFIG_ADDRESS reads back");
}

Test(pci, write_mask_protects_identity)
{
    cfg_wr(0, 0, 0x00, 0xdeadbeef, 4);
    cr_assert_eq(cfg_rd(0, 0, 0, 4), 0x12378086);
    cfg_wr(0, 0, 0x3c, 0x0b, 1);
    cr_assert_eq(cfg_rd(0, 0, 0x3c, 1), 0x0b);
    cfg_wr(0, 0, 0x04, 0xffff, 2);
    cr_assert_eq(cfg_rd(0, 0, 0x04, 2), 0x0547);
}

static unsigned cb_off, cb_calls;
static void on_cfg(void *opaque, struct pci_func *fn, unsigned off, unsigned size)
{
    cb_off = off;
    cb_calls++;
}

Test(pci, registered_function_with_bar_sizing)
{
    struct pci_func *f = pci_host_add_func(h, 3, 0, 0x8086, 0x100e, 0x02000003);
    cr_assert_not_null(f);
    cr_assert_null(pci_host_add_func(h, 3, 0, 1, 1, 0), "slot taken");
    pci_func_set_bar(f, 0, 0x20000, 0);
    pci_func_set_bar(f, 1, 0x40, 1);
    f->on_write = on_cfg;
    cb_calls = 0;
    cfg_wr(3, 0, 0x10, 0xffffffff, 4);
    cr_assert_eq(cfg_rd(3, 0, 0x10, 4), 0xfffe0000, "memory BAR size 128 KiB");
    cfg_wr(3, 0, 0x14, 0xffffffff, 4);
    cr_assert_eq(cfg_rd(3, 0, 0x14, 4), 0xffffffc1, "I/O BAR size 64");
    cr_assert_eq(cb_calls, 2);
    cr_assert_eq(cb_off, 0x14);
    cfg_wr(3, 0, 0x10, 0xfebc0000, 4);
    cr_assert_eq(pci_func_read32(f, 0x10), 0xfebc0000);
    cr_assert_eq(cfg_rd(3, 0, 0x08, 4), 0x02000003);
}

static int resets, full_reset;
static void on_reset(void *opaque, int full)
{
    resets++;
    full_reset = full;
}

Test(pci, reset_control_register)
{
    resets = 0;
    pci_host_set_reset_fn(h, on_reset, NULL);
    pci_host_ops.write(h, 1, 0x02, 1);
    cr_assert_eq(resets, 0);
    pci_host_ops.write(h, 1, 0x06, 1);
    cr_assert_eq(resets, 1);
    cr_assert_eq(full_reset, 1);
    cr_assert_eq(pci_host_ops.read(h, 1, 1), 0x02);
}

Test(pci, save_load_roundtrip)
{
    struct buf b;
    struct buf_reader r;

    cfg_wr(0, 0, 0x3c, 0x0a, 1);
    buf_init(&b);
    cr_assert_eq(pci_host_ops.save(h, &b), 0);
    pci_host_ops.reset(h);
    cr_assert_eq(cfg_rd(0, 0, 0x3c, 1), 0);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(pci_host_ops.load(h, &r), 0);
    cr_assert_eq(cfg_rd(0, 0, 0x3c, 1), 0x0a);
    cfg_wr(0, 0, 0x3c, 0x05, 1);
    buf_reader_init(&r, b.data, b.len - 10);
    cr_assert_eq(pci_host_ops.load(h, &r), HV_ECORRUPT);
    cr_assert_eq(cfg_rd(0, 0, 0x3c, 1), 0x05, "a failed load changes nothing");
    buf_free(&b);
}
