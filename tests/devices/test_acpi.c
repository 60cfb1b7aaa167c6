/* Tests for the ACPI table builder: the RSDP is found by the scan kernels do,
 * every checksum holds, RSDT and XSDT lead to the FADT and MADT, the FADT
 * describes the PM block and DSDT, the MADT lists CPUs, the I/O APIC and the
 * IRQ0 override, and the DSDT carries \_S5; the DSDT is valid AML that iasl
 * disassembles into the PCI root bridge, its routing and the ISA devices. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "devices/acpi.h"

#define GPA 0xe0000ULL
static uint8_t area[0x20000];

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

static const uint8_t *at(uint64_t gpa)
{
    cr_assert(gpa >= GPA && gpa < GPA + sizeof area, "gpa 0x%llx outside", (unsigned long long)gpa);
    return area + (gpa - GPA);
}

static const uint8_t *table(uint64_t gpa, const char *sig)
{
    const uint8_t *t = at(gpa);
    cr_assert_eq(memcmp(t, sig, 4), 0, "expected %s", sig);
    cr_assert_eq(sum(t, le32(t + 4)), 0, "%s checksum", sig);
    return t;
}

static const uint8_t *find_rsdp(void)
{
    for (size_t off = 0; off < sizeof area; off += 16)
        if (!memcmp(area + off, "RSD PTR ", 8))
            return area + off;
    return NULL;
}

Test(acpi, rsdp_found_and_checksummed)
{
    struct acpi_config cfg = { .ncpus = 2, .reset_reg = 1 };
    int n = acpi_build(area, GPA, sizeof area, &cfg);
    cr_assert_gt(n, 0);
    const uint8_t *rsdp = find_rsdp();
    cr_assert_not_null(rsdp);
    cr_assert_eq(rsdp[15], 2);
    cr_assert_eq(sum(rsdp, 20), 0);
    cr_assert_eq(sum(rsdp, 36), 0);
    cr_assert_eq(le32(rsdp + 20), 36);
    const uint8_t *rsdt = table(le32(rsdp + 16), "RSDT");
    const uint8_t *xsdt = table(le64(rsdp + 24), "XSDT");
    cr_assert_eq(le32(rsdt + 4), 36 + 8);
    cr_assert_eq(le64(xsdt + 36), le32(rsdt + 36));
    cr_assert_eq(le64(xsdt + 44), le32(rsdt + 40));
}

Test(acpi, fadt_describes_pm_block_and_dsdt)
{
    struct acpi_config cfg = { .ncpus = 1, .reset_reg = 1 };
    cr_assert_gt(acpi_build(area, GPA, sizeof area, &cfg), 0);
    const uint8_t *rsdp = find_rsdp();
    const uint8_t *rsdt = table(le32(rsdp + 16), "RSDT");
    const uint8_t *fadt = table(le32(rsdt + 36), "FACP");
    cr_assert_eq(le32(fadt + 4), 276);
    cr_assert_eq(le16(fadt + 46), 9, "SCI IRQ");
    cr_assert_eq(le32(fadt + 56), 0x600);
    cr_assert_eq(le32(fadt + 64), 0x604);
    cr_assert_eq(le32(fadt + 76), 0x608);
    cr_assert_eq(fadt[88], 4);
    cr_assert_eq(fadt[89], 2);
    cr_assert_eq(fadt[91], 4);
    cr_assert_eq(le64(fadt + 116 + 4), 0xcf9, "reset register");
    cr_assert_eq(fadt[128], 0x06);
    cr_assert_eq(le64(fadt + 172 + 4), 0x604, "X_PM1a_CNT_BLK");
    const uint8_t *facs = at(le32(fadt + 36));
    cr_assert_eq(memcmp(facs, "FACS", 4), 0);
    cr_assert_eq((le32(fadt + 36) & 63), 0, "FACS 64-byte aligned");
    cr_assert_eq(le64(fadt + 140), le32(fadt + 40));
    const uint8_t *dsdt = table(le32(fadt + 40), "DSDT");
    const uint8_t *s5 = NULL;
    for (uint32_t i = 36; i + 4 <= le32(dsdt + 4); i++)
        if (!memcmp(dsdt + i, "_S5_", 4))
            s5 = dsdt + i;
    cr_assert_not_null(s5);
    cr_assert_eq(s5[-1], 0x08, "NameOp");
    cr_assert_eq(s5[4], 0x12, "PackageOp");
    cr_assert_eq(s5[7], ACPI_SLP_TYP_S5, "SLP_TYPa");
}

Test(acpi, madt_lists_cpus_ioapic_and_overrides)
{
    struct acpi_config cfg = { .ncpus = 3, .ioapic_id = 4 };
    cr_assert_gt(acpi_build(area, GPA, sizeof area, &cfg), 0);
    const uint8_t *rsdp = find_rsdp();
    const uint8_t *xsdt = table(le64(rsdp + 24), "XSDT");
    const uint8_t *madt = table(le64(xsdt + 44), "APIC");
    int cpus = 0, ioapics = 0, irq0_to_2 = 0, sci_level = 0, nmi = 0;
    cr_assert_eq(le32(madt + 36), 0xfee00000);
    cr_assert_eq(le32(madt + 40) & 1, 1, "PCAT_COMPAT");
    for (uint32_t off = 44; off < le32(madt + 4); off += madt[off + 1]) {
        const uint8_t *e = madt + off;
        cr_assert_gt(e[1], 0);
        switch (e[0]) {
        case 0:
            cr_assert_eq(e[3], cpus, "APIC IDs 0..n-1");
            cr_assert_eq(le32(e + 4) & 1, 1);
            cpus++;
            break;
        case 1:
            cr_assert_eq(e[2], 4);
            cr_assert_eq(le32(e + 4), 0xfec00000);
            ioapics++;
            break;
        case 2:
            if (e[3] == 0 && le32(e + 4) == 2)
                irq0_to_2++;
            if (e[3] == 9 && le16(e + 8) == 0x000d)
                sci_level++;
            break;
        case 4:
            nmi += e[5] == 1;
            break;
        }
    }
    cr_assert_eq(cpus, 3);
    cr_assert_eq(ioapics, 1);
    cr_assert_eq(irq0_to_2, 1);
    cr_assert_eq(sci_level, 1);
    cr_assert_eq(nmi, 1);
}

Test(acpi, rejects_bad_placement)
{
    struct acpi_config cfg = { .ncpus = 1 };
    cr_assert_eq(acpi_build(area, GPA + 8, sizeof area, &cfg), HV_EINVAL);
    cr_assert_eq(acpi_build(area, GPA, 100, &cfg), HV_ERANGE);
    cr_assert_eq(acpi_build(area, 0xffffff00ULL, sizeof area, &cfg), HV_ERANGE);
}

Test(acpi, rejects_pci_window_over_ioapic)
{
    struct acpi_config cfg = { .ncpus = 1, .pci_mmio_base = 0xfec00000u };
    cr_assert_eq(acpi_build(area, GPA, sizeof area, &cfg), HV_EINVAL);
}

static const uint8_t *build_dsdt(uint32_t pci_mmio_base)
{
    struct acpi_config cfg = { .ncpus = 1, .pci_mmio_base = pci_mmio_base };
    cr_assert_gt(acpi_build(area, GPA, sizeof area, &cfg), 0);
    const uint8_t *rsdt = table(le32(find_rsdp() + 16), "RSDT");
    const uint8_t *fadt = table(le32(rsdt + 36), "FACP");
    return table(le32(fadt + 40), "DSDT");
}

/* Disassemble the DSDT with iasl -d and return the ASL text (malloc'd). */
static char *disassemble(const uint8_t *dsdt)
{
    char dir[] = "/tmp/hvsim_dsdt_XXXXXX", path[64], cmd[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/dsdt.aml", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(dsdt, 1, le32(dsdt + 4), f), le32(dsdt + 4));
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && %s -d dsdt.aml >iasl.log 2>&1", dir, HVSIM_IASL);
    cr_assert_eq(system(cmd), 0, "iasl -d failed: see %s/iasl.log", dir);
    snprintf(path, sizeof path, "%s/dsdt.dsl", dir);
    f = fopen(path, "r");
    cr_assert_not_null(f, "iasl wrote no %s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    return text;
}

Test(acpi, dsdt_disassembles_to_root_bridge_and_devices)
{
    const char *asl = disassemble(build_dsdt(0x10000000u));
    static const char *const want[] = {
        "Device (PCI0)", "EisaId (\"PNP0A03\")", "Method (_CRS", "WordBusNumber", "Method (_PRT",
        "Device (ISA)", "EisaId (\"PNP0B00\")", "EisaId (\"PNP0501\")", "EisaId (\"PNP0000\")",
        "EisaId (\"PNP0100\")", "Name (_S5,",
        /* the machine's window, patched into the compiled AML */
        "Name (PMIN, 0x10000000)", "Name (PMAX, 0xFEBFFFFF)",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_not_null(strstr(asl, want[i]), "the disassembled DSDT lacks %s", want[i]);
}

Test(acpi, dsdt_window_follows_ram)
{
    const uint8_t *dsdt = build_dsdt(0x20000000u);
    int found = 0;
    for (uint32_t i = 36; i + 9 <= le32(dsdt + 4); i++)
        if (!memcmp(dsdt + i, "PMIN", 4) && dsdt[i + 4] == 0x0c)
            found = le32(dsdt + i + 5) == 0x20000000u;
    cr_assert(found, "PMIN is the RAM end");
}
