/* The DSDT compiled from dsdt.asl at build time (a whole table, header and
 * checksum included); acpi.c patches the PCI MMIO window into a copy. */
#ifndef DEVICES_ACPI_DSDT_H
#define DEVICES_ACPI_DSDT_H

extern const unsigned char acpi_dsdt_aml[];
extern const unsigned int acpi_dsdt_aml_len;

#endif
