/* acpi.c: RSDP search, RSDT/XSDT walk and S5 soft-off (ACPI 6.4: 5.2.5 RSDP,
 * 5.2.7-8 RSDT/XSDT, 5.2.9 FADT, 7.4.2 \_S5, 4.8.4.2 PM1 control). */
#include "klib/acpi.h"
#include "klib/memlayout.h"
#include "klib/string.h"
#include "klib/x86.h"

/* AML opcodes met on the way from the "_S5_" name to its first value. */
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01

uint8_t acpi_checksum(const void *p, uint32_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    while (len--)
        sum += *b++;
    return sum;
}

static struct acpi_rsdp *scan(uintptr_t start, uintptr_t end)
{
    for (uintptr_t a = start; a + 20 <= end; a += 16) {
        struct acpi_rsdp *r = (struct acpi_rsdp *)a;
        if (memcmp(r->signature, "RSD PTR ", 8) == 0 && acpi_checksum(r, 20) == 0)
            return r;
    }
    return 0;
}

struct acpi_rsdp *acpi_find_rsdp(void)
{
    uintptr_t ebda = (uintptr_t)*(volatile uint16_t *)BDA_EBDA_SEGMENT << 4;
    struct acpi_rsdp *r = ebda ? scan(ebda, ebda + 1024) : 0;
    return r ? r : scan(BIOS_ROM_START, BIOS_ROM_END);
}

struct acpi_header *acpi_find_table(const char sig[4])
{
    struct acpi_rsdp *rsdp = acpi_find_rsdp();
    if (!rsdp)
        return 0;
    /* The XSDT holds 64-bit pointers; tables below 4 GiB are reachable either way. */
    int x = rsdp->revision >= 2 && rsdp->xsdt_address;
    struct acpi_header *sdt = (struct acpi_header *)(uintptr_t)(x ? rsdp->xsdt_address : rsdp->rsdt_address);
    unsigned width = x ? 8 : 4;
    unsigned n = (sdt->length - sizeof(*sdt)) / width;
    const uint8_t *entries = (const uint8_t *)(sdt + 1);
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = x ? *(const uint64_t *)(entries + i * 8) : *(const uint32_t *)(entries + i * 4);
        struct acpi_header *h = (struct acpi_header *)(uintptr_t)addr;
        if (memcmp(h->signature, sig, 4) == 0)
            return h;
    }
    return 0;
}

/* \_S5 is "Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... })": the name, a
 * PackageOp, a PkgLength of 1-4 bytes, NumElements, then SLP_TYPa as a byte
 * constant (BytePrefix n, ZeroOp or OneOp). */
int acpi_s5_slp_typ(void)
{
    struct acpi_fadt *fadt = (struct acpi_fadt *)acpi_find_table("FACP");
    if (!fadt || !fadt->dsdt)
        return -1;
    const struct acpi_header *dsdt = (const struct acpi_header *)(uintptr_t)fadt->dsdt;
    const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != AML_PACKAGE_OP)
            continue;
        p += 5;
        p += 1 + (*p >> 6);             /* PkgLength: bits 7:6 count the extra bytes */
        p++;                            /* NumElements */
        if (*p == AML_BYTE_PREFIX)
            return p[1];
        if (*p == AML_ZERO_OP || *p == AML_ONE_OP)
            return *p;
        return -1;
    }
    return -1;
}

void acpi_poweroff(void)
{
    struct acpi_fadt *fadt = (struct acpi_fadt *)acpi_find_table("FACP");
    if (!fadt || !fadt->pm1a_cnt_blk)
        return;
    int typ = acpi_s5_slp_typ();
    /* Without a DSDT, QEMU's pc machine value: S5 is SLP_TYP 0. */
    if (typ < 0)
        typ = 0;
    outw(fadt->pm1a_cnt_blk, (uint16_t)(typ << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN));
    /* The machine may take a moment to go (QEMU finishes the current slice). */
    tsc_delay(ACPI_POWEROFF_WAIT);
}
