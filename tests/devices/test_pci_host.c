/* Tests for the PCI configuration ports through the ops table: host bridge and
 * ISA bridge identity, absent functions, sub-dword access, write masks, BAR
 * sizing, a registered function's callback, reset control, save/load, and
 * INTx routing over the four wired-OR lines of the DSDT's _PRT. */
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

Test(pci, bridges_have_no_bars_and_right_headers)
{
    cr_assert_eq(cfg_rd(0, 0, 0x0e, 1), 0x00, "host bridge: type 0, single function");
    for (unsigned bar = 0x10; bar < 0x28; bar += 4) {
        cfg_wr(0, 0, bar, 0xffffffff, 4);
        cfg_wr(1, 0, bar, 0xffffffff, 4);
        cr_assert_eq(cfg_rd(0, 0, bar, 4), 0, "host bridge BAR at 0x%x is not implemented", bar);
        cr_assert_eq(cfg_rd(1, 0, bar, 4), 0, "ISA bridge BAR at 0x%x is not implemented", bar);
    }
    for (unsigned fn = 1; fn < 8; fn++)
        cr_assert_eq(cfg_rd(1, fn, 0, 4), 0xffffffff, "01.%u absent", fn);
}

Test(pci, sub_dword_config_address_is_ignored)
{
    pci_host_ops.write(h, 0, 0x80000800u, 4);
    pci_host_ops.write(h, 3, 0x01, 1); /* Linux's type-1 probe: outb(0x01, 0xcfb) */
    cr_assert_eq(pci_host_ops.read(h, 0, 4), 0x80000800u);
    cr_assert_eq(pci_host_ops.read(h, 2, 2), 0xffff);
    cr_assert_eq(pci_host_ops.read(h, 4, 4), 0x70008086, "still selects 00:01.0");
}

static int line_level[PCI_INTX_LINES], line_sets;
static void line_set(void *opaque, int level)
{
    line_level[(int *)opaque - line_level] = level;
    line_sets++;
}

static void wire_lines(void)
{
    for (unsigned n = 0; n < PCI_INTX_LINES; n++) {
        line_level[n] = 0;
        pci_host_set_intx_line(h, n, (struct irq_line){ .set = line_set, .opaque = &line_level[n] });
    }
    line_sets = 0;
}

Test(pci, intx_swizzle_shared_lines_and_disable)
{
    struct pci_func *nic = pci_host_add_func(h, PCI_SLOT_NIC, 0, 0x8086, 0x100e, 0x02000003);
    struct pci_func *other = pci_host_add_func(h, 7, 0, 0x1234, 0x5678, 0x02000000);
    struct pci_func *intb = pci_host_add_func(h, 4, 0, 0x1234, 0x5679, 0x02000000);
    cr_assert(nic && other && intb);
    wire_lines();
    pci_func_set_intx_pin(nic, 1);
    pci_func_set_intx_pin(other, 1);
    pci_func_set_intx_pin(intb, 2);
    cr_assert_eq(cfg_rd(PCI_SLOT_NIC, 0, PCI_INTERRUPT_PIN, 1), 1);
    cfg_wr(PCI_SLOT_NIC, 0, PCI_INTERRUPT_PIN, 4, 1);
    cr_assert_eq(cfg_rd(PCI_SLOT_NIC, 0, PCI_INTERRUPT_PIN, 1), 1, "the pin is read-only");

    pci_func_set_intx(nic, 1); /* slot 3 INTA: line (3 + 0) % 4 = 3 */
    cr_assert_eq(line_level[3], 1);
    cr_assert_eq(cfg_rd(PCI_SLOT_NIC, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    pci_func_set_intx(other, 1); /* slot 7 INTA: also line 3 */
    pci_func_set_intx(nic, 0);
    cr_assert_eq(line_level[3], 1, "wired-OR: slot 7 still holds line 3");
    pci_func_set_intx(other, 0);
    cr_assert_eq(line_level[3], 0);
    pci_func_set_intx(intb, 1); /* slot 4 INTB: line (4 + 1) % 4 = 1 */
    cr_assert_eq(line_level[1], 1);
    cr_assert_eq(line_sets, 3, "a line is driven only when it changes");

    cfg_wr(4, 0, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    cr_assert_eq(line_level[1], 0, "Interrupt Disable releases the line");
    cr_assert_eq(cfg_rd(4, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT,
                 "the status bit still shows the request");
    cfg_wr(4, 0, PCI_COMMAND, 0, 2);
    cr_assert_eq(line_level[1], 1);
}

Test(pci, intx_state_survives_save_load)
{
    struct pci_func *nic = pci_host_add_func(h, PCI_SLOT_NIC, 0, 0x8086, 0x100e, 0x02000003);
    struct buf b;
    struct buf_reader r;

    wire_lines();
    pci_func_set_intx_pin(nic, 1);
    pci_func_set_intx(nic, 1);
    buf_init(&b);
    cr_assert_eq(pci_host_ops.save(h, &b), 0);
    pci_func_set_intx(nic, 0);
    cr_assert_eq(line_level[3], 0);
    line_sets = 0;
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(pci_host_ops.load(h, &r), 0);
    cr_assert_eq(line_sets, 0, "load does not drive lines (the receivers load their own)");
    line_level[3] = 1; /* what the I/O APIC's own state would say */
    pci_func_set_intx(nic, 0);
    cr_assert_eq(line_level[3], 0, "after the load the host knew line 3 was high");
    buf_free(&b);
}
