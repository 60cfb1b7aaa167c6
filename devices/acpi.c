/* ACPI table builder (ACPI 6.4 spec, ch. 5.2): the RSDP first, then DSDT, FACS,
 * FADT, MADT, RSDT and XSDT, each 16-byte aligned (FACS 64), every checksum
 * making its table sum to zero. The DSDT is dsdt.asl, compiled by iasl at build
 * time: the PCI root bridge, the ISA devices and \_S5 = {0, 0}, which is what
 * the PM block's SLP_TYP decoding calls soft-off. */
#include "devices/acpi.h"

#include <string.h>

#include "acpi_dsdt.h"
#include "base/err.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"

#define ACPI_HDR_LEN 36
#define ACPI_RSDP_LEN 36
#define ACPI_FACS_LEN 64
#define ACPI_FADT_LEN 276 /* revision 6 */
#define ACPI_FADT_REV 6
#define ACPI_GAS_IO 1     /* generic address space: system I/O */

/* FADT fixed feature flags (table 5.10). */
#define ACPI_FADT_WBINVD (1u << 0)
#define ACPI_FADT_PROC_C1 (1u << 2)
#define ACPI_FADT_SLP_BUTTON (1u << 5) /* no fixed sleep button (the power button is fixed) */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_IAPC_LEGACY_DEVICES (1u << 0) /* no 8042 bit: there is no keyboard controller */

#define ACPI_MADT_PCAT_COMPAT 1u
#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_NMI 4
#define ACPI_MPS_LEVEL_HIGH 0x000d /* trigger level (3 << 2), polarity active high (1) */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    while (n--)
        sum += *p++;
    return (uint8_t)-sum;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "HVSIM ", 6);
    memcpy(t + 16, "HVSIMPC ", 8);
    put32(t + 24, 1);   /* OEM revision */
    memcpy(t + 28, "HVSM", 4);
    put32(t + 32, 1);   /* creator revision */
}

static void acpi_seal(uint8_t *t)
{
    uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;
    t[9] = 0;
    t[9] = acpi_checksum(t, len);
}

static void acpi_gas(uint8_t *g, uint8_t bits, uint8_t access, uint64_t addr)
{
    g[0] = ACPI_GAS_IO;
    g[1] = bits;
    g[2] = 0;
    g[3] = access; /* 1 byte, 2 word, 3 dword */
    put64(g + 4, addr);
}

/* Overwrite the DWordConst after "Name (NAME," in the DSDT: how the machine's
 * PCI MMIO window reaches the compiled AML. 0, or -1 if dsdt.asl lost it. */
static int acpi_dsdt_patch(uint8_t *t, size_t len, const char name[4], uint32_t v)
{
    for (size_t i = ACPI_HDR_LEN; i + 9 <= len; i++) {
        if (t[i - 1] == 0x08 && !memcmp(t + i, name, 4) && t[i + 4] == 0x0c) { /* NameOp, DWordPrefix */
            put32(t + i + 5, v);
            return 0;
        }
    }
    return -1;
}

static size_t align(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static void acpi_fadt(uint8_t *t, const struct acpi_config *c, uint64_t facs, uint64_t dsdt)
{
    uint16_t pm = c->pm_base;

    acpi_header(t, "FACP", ACPI_FADT_LEN, ACPI_FADT_REV);
    put32(t + 36, (uint32_t)facs);
    put32(t + 40, (uint32_t)dsdt);
    put16(t + 46, c->sci_irq);
    /* SMI_CMD 0: the machine is always in ACPI mode (SCI_EN reads 1). */
    put32(t + 56, pm);          /* PM1a_EVT_BLK */
    put32(t + 64, pm + 4u);     /* PM1a_CNT_BLK */
    put32(t + 76, pm + 8u);     /* PM_TMR_BLK */
    t[88] = 4;                  /* PM1_EVT_LEN */
    t[89] = 2;                  /* PM1_CNT_LEN */
    t[91] = 4;                  /* PM_TMR_LEN */
    put16(t + 96, 101);         /* P_LVL2_LAT > 100: C2 not supported */
    put16(t + 98, 1001);        /* P_LVL3_LAT > 1000: C3 not supported */
    t[108] = 0x32;              /* CENTURY: CMOS index */
    put16(t + 109, ACPI_IAPC_LEGACY_DEVICES);
    put32(t + 112, ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_SLP_BUTTON |
                       (c->reset_reg ? ACPI_FADT_RESET_REG_SUP : 0));
    if (c->reset_reg) {
        acpi_gas(t + 116, 8, 1, ACPI_RESET_PORT);
        t[128] = ACPI_RESET_VALUE;
    }
    t[131] = 0;                 /* FADT minor version: ACPI 6.0 layout */
    put64(t + 132, facs);       /* X_FIRMWARE_CTRL */
    put64(t + 140, dsdt);       /* X_DSDT */
    acpi_gas(t + 148, 32, 2, pm);       /* X_PM1a_EVT_BLK */
    acpi_gas(t + 172, 16, 2, pm + 4u);  /* X_PM1a_CNT_BLK */
    acpi_gas(t + 208, 32, 3, pm + 8u);  /* X_PM_TMR_BLK */
    acpi_seal(t);
}

static size_t acpi_madt_len(unsigned ncpus) { return ACPI_HDR_LEN + 8 + 8 * ncpus + 12 + 10 + 10 + 6; }

static void acpi_madt(uint8_t *t, const struct acpi_config *c, unsigned ncpus)
{
    uint8_t *e = t + ACPI_HDR_LEN + 8;

    acpi_header(t, "APIC", (uint32_t)acpi_madt_len(ncpus), 5);
    put32(t + 36, c->lapic_addr);
    put32(t + 40, ACPI_MADT_PCAT_COMPAT); /* 8259s present: mask them to use the APICs */
    for (unsigned i = 0; i < ncpus; i++, e += 8) {
        e[0] = ACPI_MADT_LAPIC, e[1] = 8, e[2] = (uint8_t)i, e[3] = (uint8_t)i;
        put32(e + 4, 1); /* enabled */
    }
    e[0] = ACPI_MADT_IOAPIC, e[1] = 12, e[2] = c->ioapic_id, e[3] = 0;
    put32(e + 4, c->ioapic_addr);
    put32(e + 8, 0); /* GSI base */
    e += 12;
    e[0] = ACPI_MADT_ISO, e[1] = 10, e[2] = 0, e[3] = 0; /* ISA IRQ0 -> GSI 2, bus-conforming */
    put32(e + 4, IOAPIC_ISA_IRQ0_PIN);
    put16(e + 8, 0);
    e += 10;
    e[0] = ACPI_MADT_ISO, e[1] = 10, e[2] = 0, e[3] = c->sci_irq; /* SCI: level, active high */
    put32(e + 4, c->sci_irq);
    put16(e + 8, ACPI_MPS_LEVEL_HIGH);
    e += 10;
    e[0] = ACPI_MADT_LAPIC_NMI, e[1] = 6, e[2] = 0xff; /* all processors: NMI on LINT1 */
    put16(e + 3, 0);
    e[5] = 1;
    acpi_seal(t);
}

int acpi_build(uint8_t *mem, uint64_t mem_gpa, size_t len, const struct acpi_config *cfg)
{
    struct acpi_config c = *cfg;
    unsigned ncpus = c.ncpus ? c.ncpus : 1;
    size_t dsdt, facs, fadt, madt, rsdt, xsdt, end;
    uint8_t *t;

    if (mem_gpa & 15 || ncpus > 255)
        return HV_EINVAL;
    c.lapic_addr = c.lapic_addr ? c.lapic_addr : (uint32_t)LAPIC_MMIO_BASE;
    c.ioapic_addr = c.ioapic_addr ? c.ioapic_addr : (uint32_t)IOAPIC_MMIO_BASE;
    c.pm_base = c.pm_base ? c.pm_base : ACPI_PM_BASE_DEFAULT;
    c.sci_irq = c.sci_irq ? c.sci_irq : ACPI_SCI_IRQ_DEFAULT;
    c.pci_mmio_base = c.pci_mmio_base ? c.pci_mmio_base : ACPI_PCI_MMIO_BASE_DEFAULT;
    if (c.pci_mmio_base >= c.ioapic_addr)
        return HV_EINVAL;

    dsdt = align(ACPI_RSDP_LEN, 16);
    facs = align(dsdt + acpi_dsdt_aml_len, 64);
    fadt = align(facs + ACPI_FACS_LEN, 16);
    madt = align(fadt + ACPI_FADT_LEN, 16);
    rsdt = align(madt + acpi_madt_len(ncpus), 16);
    xsdt = align(rsdt + ACPI_HDR_LEN + 2 * 4, 16);
    end = xsdt + ACPI_HDR_LEN + 2 * 8;
    if (end > len || mem_gpa + end > 0x100000000ULL)
        return HV_ERANGE;
    memset(mem, 0, end);

    t = mem + dsdt; /* the window ends below the I/O APIC, as QEMU's */
    memcpy(t, acpi_dsdt_aml, acpi_dsdt_aml_len);
    if (acpi_dsdt_patch(t, acpi_dsdt_aml_len, "PMIN", c.pci_mmio_base) ||
        acpi_dsdt_patch(t, acpi_dsdt_aml_len, "PMAX", c.ioapic_addr - 1))
        return HV_EINVAL;
    acpi_seal(t);

    t = mem + facs; /* no checksum in the FACS */
    memcpy(t, "FACS", 4);
    put32(t + 4, ACPI_FACS_LEN);
    t[32] = 2; /* version */

    acpi_fadt(mem + fadt, &c, mem_gpa + facs, mem_gpa + dsdt);
    acpi_madt(mem + madt, &c, ncpus);

    t = mem + rsdt;
    acpi_header(t, "RSDT", ACPI_HDR_LEN + 2 * 4, 1);
    put32(t + 36, (uint32_t)(mem_gpa + fadt));
    put32(t + 40, (uint32_t)(mem_gpa + madt));
    acpi_seal(t);

    t = mem + xsdt;
    acpi_header(t, "XSDT", ACPI_HDR_LEN + 2 * 8, 1);
    put64(t + 36, mem_gpa + fadt);
    put64(t + 44, mem_gpa + madt);
    acpi_seal(t);

    t = mem; /* RSDP: checksum over the first 20 bytes, extended over all 36 */
    memcpy(t, "RSD PTR ", 8);
    memcpy(t + 9, "HVSIM ", 6);
    t[15] = 2;
    put32(t + 16, (uint32_t)(mem_gpa + rsdt));
    put32(t + 20, ACPI_RSDP_LEN);
    put64(t + 24, mem_gpa + xsdt);
    t[8] = acpi_checksum(t, 20);
    t[32] = acpi_checksum(t, ACPI_RSDP_LEN);
    return (int)end;
}
