/* pci_enum: the PCI bus as an OS finds it (PCI Local Bus Spec. 3.0: 3.2.2.3.2
 * configuration mechanism #1, 6.1 header, 6.2.5 BARs; ACPI 6.4 6.1-6.2 for the
 * root bridge in the DSDT): the type-1 probe Linux does, a scan of bus 0 with
 * multi-function headers, the i440FX host bridge 8086:1237 at 00:00.0 and the
 * PIIX3 ISA bridge 8086:7000 at 00:01.0 with their class codes and header
 * types, all-ones from absent functions and other buses, read-only IDs,
 * unimplemented BARs, and a DSDT that names PCI0 (PNP0A03) with _CRS and _PRT. 32-bit. */
#include "klib/acpi.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ENABLE 0x80000000u

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return PCI_ENABLE | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, reg));
    return inl(PCI_CONFIG_DATA);
}

static uint8_t cfg_read8(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, reg));
    return inb((uint16_t)(PCI_CONFIG_DATA + (reg & 3)));
}

static void cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
    outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, reg));
    outl(PCI_CONFIG_DATA, v);
}

static int dsdt_has(const uint8_t *t, const void *what, uint32_t n)
{
    uint32_t len = ((const struct acpi_header *)t)->length;
    for (uint32_t i = sizeof(struct acpi_header); i + n <= len; i++)
        if (!memcmp(t + i, what, n))
            return 1;
    return 0;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;

    test_section("configuration mechanism #1 (Linux's type-1 probe)");
    outb(PCI_CONFIG_ADDRESS + 3, 0x01); /* a byte to 0xcfb must not disturb CONFIG_ADDRESS */
    outl(PCI_CONFIG_ADDRESS, PCI_ENABLE);
    check(inl(PCI_CONFIG_ADDRESS) == PCI_ENABLE, "CONFIG_ADDRESS reads back 0x80000000");

    test_section("scan of bus 0");
    int host = 0, isa = 0, others = 0;
    for (unsigned dev = 0; dev < 32; dev++) {
        unsigned nfn = 1;
        for (unsigned fn = 0; fn < nfn; fn++) {
            uint32_t id = cfg_read32(0, dev, fn, 0x00);
            if ((id & 0xffff) == 0xffff)
                continue;
            uint32_t class_rev = cfg_read32(0, dev, fn, 0x08);
            uint8_t hdr = cfg_read8(0, dev, fn, 0x0e);
            if (fn == 0 && (hdr & 0x80))
                nfn = 8; /* multi-function: look at functions 1-7 too */
            kprintf("  %02x:%02x.%u %04x:%04x class %06x rev %02x header %02x\n", 0, dev, fn, id & 0xffff, id >> 16,
                    class_rev >> 8, class_rev & 0xff, hdr);
            if (dev == 0 && fn == 0)
                host = check(id == 0x12378086 && class_rev >> 8 == 0x060000 && (hdr & 0x7f) == 0,
                             "00:00.0 is the i440FX host bridge: 8086:1237, class 06/00/00, header type 0");
            else if (dev == 1 && fn == 0)
                isa = check(id == 0x70008086 && class_rev >> 8 == 0x060100 && hdr == 0x80,
                            "00:01.0 is the PIIX3 ISA bridge: 8086:7000, class 06/01/00, multi-function header 0x80");
            else
                others++;
        }
    }
    check(host && isa, "both bridges found");
    if (tcg_quirks())
        kprintf("  skip: QEMU's pc machine adds %d functions (IDE, PM, VGA, NIC); hvsim has none yet\n", others);
    else
        check(others == 0, "no other function on bus 0 (%d found): the NIC comes later", others);

    test_section("nothing answers: all-ones");
    check(cfg_read32(0, 31, 0, 0x00) == 0xffffffffu, "00:1f.0 (empty slot) reads all-ones");
    check(cfg_read32(0, 0, 5, 0x00) == 0xffffffffu, "00:00.5 (single-function device) reads all-ones");
    check(cfg_read32(1, 0, 0, 0x00) == 0xffffffffu, "bus 1 (no bridge to it) reads all-ones");
    outl(PCI_CONFIG_ADDRESS, 0x00000000);
    check(inl(PCI_CONFIG_DATA) == 0xffffffffu, "with the enable bit clear, CONFIG_DATA reads all-ones");

    test_section("read-only identity and unimplemented BARs");
    cfg_write32(0, 0, 0, 0x00, 0x00000000);
    check(cfg_read32(0, 0, 0, 0x00) == 0x12378086, "vendor and device ID ignore writes");
    cfg_write32(0, 1, 0, 0x08, 0x00000000);
    check(cfg_read32(0, 1, 0, 0x08) >> 8 == 0x060100, "the class code ignores writes");
    cfg_write32(0, 0, 0, 0x10, 0xffffffffu);
    check(cfg_read32(0, 0, 0, 0x10) == 0, "host bridge BAR0 sizes to 0: not implemented");
    cfg_write32(0, 1, 0, 0x10, 0xffffffffu);
    check(cfg_read32(0, 1, 0, 0x10) == 0, "ISA bridge BAR0 sizes to 0: not implemented");

    test_section("the root bridge in the DSDT");
    const struct acpi_fadt *fadt = (const struct acpi_fadt *)acpi_find_table("FACP");
    if (check(fadt != 0 && fadt->dsdt, "FADT and DSDT found")) {
        const uint8_t *dsdt = (const uint8_t *)(uintptr_t)fadt->dsdt;
        static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 }; /* DWordConst EisaId ("PNP0A03") */
        check(acpi_checksum(dsdt, ((const struct acpi_header *)dsdt)->length) == 0, "DSDT checksum");
        check(dsdt_has(dsdt, "PCI0", 4) && dsdt_has(dsdt, pnp0a03, sizeof pnp0a03), "PCI0 with _HID PNP0A03");
        check(dsdt_has(dsdt, "_CRS", 4) && dsdt_has(dsdt, "_PRT", 4), "_CRS and _PRT");
    }
    test_finish();
}
