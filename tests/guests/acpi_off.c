/* acpi_off: find the RSDP in the BIOS area, walk RSDT/XSDT to the FADT and MADT
 * checking every checksum, then power off by writing SLP_TYP|SLP_EN to PM1a_CNT
 * (ACPI 6.4: 5.2.5, 5.2.7-9, 5.2.12, 7.4.2). Success is the machine going off:
 * exit status 0; still running afterwards is a failure. 32-bit. */
#include "klib/acpi.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define MADT_LAPIC        0
#define MADT_IOAPIC       1
#define MADT_LAPIC_ENABLED 1

static void check_table(const struct acpi_header *h, const char *sig)
{
    check(h && memcmp(h->signature, sig, 4) == 0 && acpi_checksum(h, h->length) == 0,
          "%.4s at %p, %u bytes, checksum valid", sig, (void *)h, h ? h->length : 0);
}

static void check_madt(const struct acpi_madt *m)
{
    unsigned cpus = 0, ioapics = 0, ioapic_base = 0;
    const uint8_t *p = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->h.length;
    while (p + 2 <= end && p[1] >= 2) {
        if (p[0] == MADT_LAPIC && (*(const uint32_t *)(p + 4) & MADT_LAPIC_ENABLED))
            cpus++;
        if (p[0] == MADT_IOAPIC) {
            ioapics++;
            ioapic_base = *(const uint32_t *)(p + 4);
        }
        p += p[1];
    }
    check(m->lapic_address == LAPIC_MMIO_BASE, "MADT: local APIC at %#x", m->lapic_address);
    check(cpus >= 1, "MADT: %u enabled processor(s)", cpus);
    check(ioapics == 1 && ioapic_base == IOAPIC_MMIO_BASE, "MADT: one I/O APIC at %#x", ioapic_base);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("ACPI tables");
    struct acpi_rsdp *rsdp = acpi_find_rsdp();
    if (!check(rsdp != 0, "RSDP with a valid checksum in the EBDA or 0xE0000-0xFFFFF"))
        test_finish();
    kprintf("  RSDP at %p, revision %u, OEM %.6s\n", (void *)rsdp, rsdp->revision, rsdp->oem_id);
    if (rsdp->revision >= 2)
        check(acpi_checksum(rsdp, rsdp->length) == 0, "RSDP extended checksum over %u bytes", rsdp->length);
    check_table((const struct acpi_header *)(uintptr_t)rsdp->rsdt_address, "RSDT");
    if (rsdp->revision >= 2 && rsdp->xsdt_address)
        check_table((const struct acpi_header *)(uintptr_t)rsdp->xsdt_address, "XSDT");

    struct acpi_fadt *fadt = (struct acpi_fadt *)acpi_find_table("FACP");
    check_table(&fadt->h, "FACP");
    if (!fadt)
        test_finish();
    check(fadt->pm1a_cnt_blk != 0, "FADT: PM1a_CNT_BLK at port %#x", fadt->pm1a_cnt_blk);
    if (fadt->dsdt) {
        check_table((const struct acpi_header *)(uintptr_t)fadt->dsdt, "DSDT");
        int typ = acpi_s5_slp_typ();
        check(typ >= 0 && typ <= 7, "DSDT: \\_S5 gives SLP_TYPa %d", typ);
    } else {
        kprintf("  skip no DSDT: S5 is SLP_TYP 0, as on QEMU's pc machine\n");
    }
    struct acpi_madt *madt = (struct acpi_madt *)acpi_find_table("APIC");
    check_table(&madt->h, "APIC");
    if (madt)
        check_madt(madt);

    test_section("ACPI S5 power-off");
    kprintf("writing SLP_TYP|SLP_EN to PM1a_CNT: the machine must power off now\n");
    acpi_poweroff();
    check(0, "the machine was still running after the S5 request");
    test_finish();
}
