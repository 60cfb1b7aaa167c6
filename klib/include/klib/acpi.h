/* acpi.h: finding and checking ACPI tables and the S5 power-off
 * (ACPI 6.4 sections 5.2 and 7.4.2, the \_S5 object of the DSDT). */
#ifndef KLIB_ACPI_H
#define KLIB_ACPI_H

#include <stdint.h>

struct __attribute__((packed)) acpi_rsdp {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;           /* 0 = ACPI 1.0, 2 = ACPI 2.0+ (XSDT, length, xchecksum) */
    uint32_t rsdt_address;
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;
    uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;           /* the whole table sums to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};

/* The FADT fields a power-off needs, at their ACPI 1.0 offsets. */
struct __attribute__((packed)) acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;                     /* offset 40 */
    uint8_t reserved0[4];
    uint32_t smi_cmd;                  /* offset 48 */
    uint8_t acpi_enable, acpi_disable;
    uint8_t reserved1[10];
    uint32_t pm1a_cnt_blk;             /* offset 64 */
    uint32_t pm1b_cnt_blk;
};

struct __attribute__((packed)) acpi_madt {
    struct acpi_header h;
    uint32_t lapic_address;
    uint32_t flags;
    /* followed by variable-length entries: type, length, ... */
};

#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_EN        (1u << 13)

/* Sums `len` bytes modulo 256; a valid table gives 0. */
uint8_t acpi_checksum(const void *p, uint32_t len);
/* Scans the EBDA's first KiB and 0xE0000-0xFFFFF on 16-byte boundaries for a
 * signature whose 20-byte checksum is valid. */
struct acpi_rsdp *acpi_find_rsdp(void);
/* The first table with this signature listed in the RSDT (XSDT if revision >= 2). */
struct acpi_header *acpi_find_table(const char sig[4]);
/* SLP_TYPa of \_S5 from the DSDT, or -1 when the DSDT has none. */
int acpi_s5_slp_typ(void);
/* Writes SLP_TYP|SLP_EN to PM1a_CNT; returns only if the machine is still on
 * ACPI_POWEROFF_WAIT TSC cycles later. */
#define ACPI_POWEROFF_WAIT 100000000ull
void acpi_poweroff(void);

#endif
