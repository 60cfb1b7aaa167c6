/* QEMU's firmware configuration device, I/O port interface: a 16-bit selector
 * at 0x510 and an 8-bit data port at 0x511 (QEMU docs/specs/fw_cfg.rst). The
 * DMA interface is not modelled (the ID key says so). */
#ifndef DEVICES_FW_CFG_H
#define DEVICES_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "arch/pc.h"
#include "devices/dev.h"

#define FW_CFG_PORT_LEN 2
#define FW_CFG_SIGNATURE 0x00 /* "QEMU" */
#define FW_CFG_ID 0x01        /* u32 LE: bit 0 traditional interface, bit 1 DMA (clear) */
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03  /* u64 LE */
#define FW_CFG_NB_CPUS 0x05   /* u16 LE */
#define FW_CFG_MAX_CPUS 0x0f  /* u16 LE */
#define FW_CFG_FILE_DIR 0x19  /* u32 BE count, then {u32 BE size, u16 BE select, u16, char name[56]} */
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILE_PATH 56
#define FW_CFG_MAX_FILES 64

struct fw_cfg;

struct fw_cfg *fw_cfg_create(uint64_t ram_size, uint16_t ncpus);
void fw_cfg_destroy(struct fw_cfg *f);
/* Set (or replace) the item behind a key; the data is copied. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
/* Add a named file to the directory; returns its key or a negative HV_E*. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);

extern const struct dev_ops fw_cfg_ops;

#endif
